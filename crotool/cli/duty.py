"""`crotool duty log` and `crotool duty list`: officers' work (`crotool report duties`, its
counts, is in report/duties.py).

Thin: options in, `crotool.program.duties` called, rows rendered. Values are passed on as the
text the user typed, so the domain converts them with the same field rules as `load` and
`import` (and says `--minutes: ... allowed 1 to 1440`, exit 1, not a usage error).
"""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from crotool.cli import common
from crotool.cli.common import ids, year_warning
from crotool.cli.options import (
    MAX_INT,
    Fmt,
    FormatOpt,
    FromOpt,
    IncludeNotesOpt,
    OutputOpt,
    QuietOpt,
    ToOpt,
    YearOpt,
    fmt_of,
    out,
)
from crotool.intake.readers import read_note_file
from crotool.output import pictures
from crotool.output.encode import JsonObjects, Tuples
from crotool.output.messages import message
from crotool.output.view import View
from crotool.program import duties
from crotool.program.duties import DutyList
from crotool.program.years import Range
from crotool.store import db

duty_app = typer.Typer(help="""The duty log: what officers did, where, for how long.

Examples:

\b
  crotool duty log --officer 0417 --school juanita-hs --category traffic-safety \\
      --minutes 45
  crotool duty list --officer 0417 --limit 20
  crotool duty list --pattern redmond --from 2024-01-01 -f csv -o duties.csv
""", no_args_is_help=True)

@duty_app.command("log")
def duty_log(
    officer: Annotated[str, typer.Option("--officer",
                                         autocompletion=ids("officers"), metavar="BADGE",
                                         help="The officer's badge.")],
    school: Annotated[str, typer.Option("--school", autocompletion=ids("schools"), metavar="SCHOOL",
                                        help="Where (school id, see `crotool schools list`).")],
    category: Annotated[str, typer.Option(
        "--category",
        autocompletion=ids("duty_categories"), metavar="CAT",
        help="What (category id, see `crotool categories list`).")],
    at: Annotated[str | None, typer.Option(
        "--at", metavar="DATETIME", help="When, ISO 8601 (e.g. 2024-01-15T09:30); "
        "default: now.")] = None,
    minutes: Annotated[str | None, typer.Option(
        "--minutes", metavar="N", help="How long, 1 to 1440 minutes.")] = None,
    requested_by: Annotated[str | None, typer.Option(
        "--requested-by", metavar="WHO", help="Who asked for it (a role, e.g. 'Juanita HS "
        "principal'); required for categories done only on request.")] = None,
    reference: Annotated[str | None, typer.Option(
        "--reference", metavar="REF", help="Case or incident number.")] = None,
    notes: Annotated[str | None, typer.Option(
        "--notes", metavar="TEXT", help="Private notes: never echoed, audited or exported "
        "(unless --include-notes). Prefer --notes-file: while crotool runs (or waits for "
        "another writer), every user of the machine can read its arguments in the process "
        "list (ps).")] = None,
    notes_file: Annotated[str | None, typer.Option(
        "--notes-file", metavar="PATH", help="Read the private notes from PATH ('-' for "
        "stdin): unlike --notes, they never appear in the process list.")] = None,
    assessment: Annotated[int | None, typer.Option(
        "--assessment", metavar="ID", min=1, max=MAX_INT,
        help="Complete this scheduled safety assessment with "
        "the duty (same transaction).")] = None,
    flag: Annotated[list[str] | None, typer.Option(
        "--flag", metavar="FLAG", autocompletion=ids("duty_flags"),
        help="A duty flag it is logged with (repeatable; see `crotool rules show`): a "
        "follow-up rule with `when` opens only for duties with its flag (e.g. "
        "injury-or-damage for a collision report).")] = None,
) -> None:
    """Log one duty. Its id is printed on stderr ("logged duty 42 ...").

    A duty at a school outside the officer's assigned patterns is accepted (emergencies
    happen anywhere) and marked out of pattern in `duty list`. A duty on a day that no
    school year contains is accepted too, and said so (without --at, with a warning).
    Logging the exact same duty (officer, school, category, --at) twice is refused.
    It prints each follow-up the duty opens (the rules of its category whose `when`
    flag, if any, it carries) with its due time.

    Examples:

    \b
      crotool duty log --officer 0417 --school juanita-hs --category traffic-safety \\
          --minutes 45
      crotool duty log --officer 1182 --school kirkland-ms --category threat-assessment \\
          --at 2024-01-15T10:15 --minutes 90 --requested-by "Kirkland MS principal"
      crotool duty log --officer 2291 --school redmond-ms --category safety-assessment \\
          --minutes 120 --assessment 2
      crotool duty log --officer 1182 --school kirkland-ms --category threat-assessment \\
          --minutes 60 --requested-by "Kirkland MS principal" --notes-file - < note.txt
      crotool duty log --officer 2291 --school redmond-hs --category collision-response \\
          --at 2024-01-15T15:05 --minutes 50 --flag injury-or-damage
    """
    if notes_file is not None:
        if notes is not None:
            raise typer.BadParameter("give --notes or --notes-file, not both",
                                     param_hint="'--notes-file'")
        notes = read_note_file(notes_file)
    logged = duties.log_duty(common.connect(), officer=officer, school=school, category=category,
                             at=at, minutes=minutes, requested_by=requested_by,
                             reference=reference, notes=notes, assessment=assessment,
                             flags=flag)
    v = logged.values
    length = f", {v['minutes']} min" if v.get("minutes") is not None else ""
    message(f"logged duty {logged.id}: officer {v['officer']} at {v['school']}, "
            f"{v['category']}, {v['at']}{length}")
    if logged.assessment is not None:
        message(f"safety assessment {logged.assessment} is done (by duty {logged.id})")
    for f in logged.followups:
        source = f" ({f['source']})" if f.get("source") else ""
        due = f["due"] or (f"not known yet (no stored school year holds {f['within_days']} "
                           f"school days after {v['at'][:10]}: add the next one with "
                           "`crotool years add`)")
        message(f"follow-up {f['rule']} due {due}: {f['name']}{source}")
    year_warning(logged.warning)
    day = v["at"][:10]
    if logged.school_year is None:
        message(f"note: no school year contains {day}, so the duty belongs to no pattern's "
                f"year; see it with `crotool duty list --from {day} --to {day}`")
    elif logged.out_of_pattern:
        message(f"note: out of pattern: officer {v['officer']} has no assignment this school "
                f"year to {' or '.join(logged.school_patterns)}, the pattern of {v['school']}")


@duty_app.command("list")
def duty_list(
    start: FromOpt = None,
    end: ToOpt = None,
    year: YearOpt = None,
    officer: Annotated[str | None, typer.Option(
        "--officer",
        autocompletion=ids("officers"), metavar="BADGE",
        help="Only this officer's duties.")] = None,
    school: Annotated[str | None, typer.Option(
        "--school",
        autocompletion=ids("schools"), metavar="SCHOOL",
        help="Only duties at this school.")] = None,
    pattern: Annotated[str | None, typer.Option(
        "--pattern", "-p", autocompletion=ids("feeder_patterns"), metavar="PATTERN",
        help="Only duties at schools of this feeder pattern (split feeders included).")] = None,
    category: Annotated[str | None, typer.Option(
        "--category",
        autocompletion=ids("duty_categories"), metavar="CAT",
        help="Only duties of this category.")] = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", metavar="N", max=MAX_INT,
        help="Only the latest N (still listed oldest first).")
    ] = None,
    include_notes: IncludeNotesOpt = False,
    quiet: QuietOpt = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """The duty log, oldest first: by default every duty of the current school year.

    --year picks another year; --from/--to narrow it (alone, they give exactly those days).
    flags are the duty flags it was logged with (`duty log --flag`); out_of_pattern marks a
    duty at a school outside every pattern its officer is assigned to that year;
    open_followups lists the follow-up rules of the duty not done yet (see `crotool
    followups list`). Notes are private and left out of every format unless --include-notes.
    A CSV of it imports again as itself (`crotool import duties FILE`).

    Examples:

      crotool duty list

      crotool duty list --pattern redmond --from 2024-01-01 -f csv -o duties.csv

      crotool duty list --officer 0417 --limit 20
    """
    conn = common.connect(reads_only=True)
    with db.read(conn):  # one snapshot: the counts and the rows of the same database
        span = duties.resolve_range(conn, year=year, start=start, end=end)
        year_warning(span.warning)
        found = duties.stream_duties(conn, span=span, officer=officer, school=school,
                                     pattern=pattern, category=category, limit=limit,
                                     include_notes=include_notes,
                                     shape=_SHAPES.get(fmt_of(fmt, output), "dicts"))
        _list_out(found, span, include_notes, fmt, output, quiet)


# The formats a duty list writes straight from the cursor (the rest read dicts): SQLite
# writes each row's JSON; CSV is written from the cursor's tuples by their column spec.
_SHAPES: dict[str, Literal["json", "tuples"]] = {"json": "json", "csv": "tuples"}


def _list_out(found: DutyList, span: Range, include_notes: bool, fmt: Fmt | None,
              output: str | None, quiet: bool = False) -> None:
    """Render a listing whose rows are still being read (inside the command's snapshot)."""
    columns = [*duties.LIST_COLUMNS, "notes"] if include_notes else list(duties.LIST_COLUMNS)
    latest = (f"showing the latest {found.count} of {found.total} duties ({span.describe()})"
              if found.count < found.total else None)
    if latest and not quiet:
        message(latest)
    minutes, shape = found.minutes, _SHAPES.get(fmt_of(fmt, output))
    rows = (JsonObjects(found.rows) if shape == "json" else Tuples(found.rows, found.columns)
            if shape == "tuples" else found.rows)
    out(rows, fmt, output, private=include_notes, view=View(
        title=f"Duties, {span.describe()}", columns=columns,
        justify={"id": "right", "minutes": "right"},
        headers={"out_of_pattern": "out of pattern", "open_followups": "open follow-ups"},
        cell_style=lambda c, r: "yellow" if c in ("out_of_pattern", "open_followups")
        and r[c] else None,
        tone=lambda r: "partial" if r.get("out_of_pattern") else (
            "bad" if r.get("open_followups") else None),
        tone_words={"partial": "out of pattern", "bad": "follow-up open"},
        secondary=("reference", "requested_by", "notes", "flags", "out_of_pattern", "minutes",
                   "open_followups"),
        summary=latest or (f"{pictures.counted(found.count, 'duty', 'duties')}, {minutes} minutes,"
                           f" {span.describe()}"),
        period=span.describe(), empty="no duties in this range"))


def register(app: typer.Typer) -> None:
    app.add_typer(duty_app, name="duty")
