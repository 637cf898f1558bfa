"""`crotool duty log`, `crotool duty list` and `crotool report duties`: officers' work.

Thin: options in, `crotool.duties` / `crotool.reports` called, rows rendered. Values are passed
on as the text the user typed, so the domain converts them with the same field rules as
`load` and `import` (and says `--minutes: ... allowed 1 to 1440`, exit 1, not a usage error).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Optional

import typer

from crotool.commands.common import ids
from crotool.commands.report import report_app
from crotool.options import (
    MAX_INT,
    Fmt,
    FormatOpt,
    IncludeNotesOpt,
    OutputOpt,
    YearOpt,
    out,
)

duty_app = typer.Typer(help="The duty log: what officers did, where, for how long.",
                       no_args_is_help=True)

FromOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--from", metavar="DATE", help="First day (YYYY-MM-DD), inclusive.")]
ToOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--to", metavar="DATE", help="Last day (YYYY-MM-DD), inclusive.")]


class By(StrEnum):
    category = "category"
    pattern = "pattern"
    school = "school"
    officer = "officer"
    month = "month"


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
    at: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--at", metavar="DATETIME", help="When, ISO 8601 (e.g. 2024-01-15T09:30); "
        "default: now.")] = None,
    minutes: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--minutes", metavar="N", help="How long, 1 to 1440 minutes.")] = None,
    requested_by: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--requested-by", metavar="WHO", help="Who asked for it (a role, e.g. 'Juanita HS "
        "principal'); required for categories done only on request.")] = None,
    reference: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--reference", metavar="REF", help="Case or incident number.")] = None,
    notes: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--notes", metavar="TEXT", help="Private notes: never echoed, audited or exported "
        "(unless --include-notes). Prefer --notes-file: while crotool runs (or waits for "
        "another writer), every user of the machine can read its arguments in the process "
        "list (ps).")] = None,
    notes_file: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--notes-file", metavar="PATH", help="Read the private notes from PATH ('-' for "
        "stdin): unlike --notes, they never appear in the process list.")] = None,
    assessment: Annotated[Optional[int], typer.Option(  # noqa: UP045
        "--assessment", metavar="ID", min=1, max=MAX_INT,
        help="Complete this scheduled safety assessment with "
        "the duty (same transaction).")] = None,
) -> None:
    """Log one duty. Its id is printed on stderr ("logged duty 42 ...").

    A duty at a school outside the officer's assigned patterns is accepted (emergencies
    happen anywhere) and marked out of pattern in `duty list`. Logging the exact same duty
    (officer, school, category, --at) twice is refused.

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
    """
    from crotool.commands.common import connect
    from crotool.duties import log_duty
    from crotool.render import message

    if notes_file is not None:
        if notes is not None:
            raise typer.BadParameter("give --notes or --notes-file, not both",
                                     param_hint="'--notes-file'")
        from crotool.readers import read_note_file

        notes = read_note_file(notes_file)
    logged = log_duty(connect(), officer=officer, school=school, category=category, at=at,
                      minutes=minutes, requested_by=requested_by, reference=reference,
                      notes=notes, assessment=assessment)
    v = logged.values
    length = f", {v['minutes']} min" if v.get("minutes") is not None else ""
    message(f"logged duty {logged.id}: officer {v['officer']} at {v['school']}, "
            f"{v['category']}, {v['at']}{length}")
    if logged.assessment is not None:
        message(f"safety assessment {logged.assessment} is done (by duty {logged.id})")
    if logged.out_of_pattern:
        message(f"note: out of pattern: officer {v['officer']} has no assignment this school "
                f"year to {' or '.join(logged.school_patterns)}, the pattern of {v['school']}")


@duty_app.command("list")
def duty_list(
    start: FromOpt = None,
    end: ToOpt = None,
    year: YearOpt = None,
    officer: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--officer",
        autocompletion=ids("officers"), metavar="BADGE",
        help="Only this officer's duties.")] = None,
    school: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--school",
        autocompletion=ids("schools"), metavar="SCHOOL",
        help="Only duties at this school.")] = None,
    pattern: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--pattern", "-p", autocompletion=ids("feeder_patterns"), metavar="PATTERN",
        help="Only duties at schools of this feeder pattern (split feeders included).")] = None,
    category: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--category",
        autocompletion=ids("duty_categories"), metavar="CAT",
        help="Only duties of this category.")] = None,
    limit: Annotated[Optional[int], typer.Option(  # noqa: UP045
        "--limit", metavar="N", max=MAX_INT,
        help="Only the latest N (still listed oldest first).")
    ] = None,
    include_notes: IncludeNotesOpt = False,
    fmt: FormatOpt = Fmt.table,
    output: OutputOpt = None,
) -> None:
    """The duty log, oldest first: by default every duty of the current school year.

    --year picks another year; --from/--to narrow it (alone, they give exactly those days).
    out_of_pattern marks a duty at a school outside every pattern its officer is assigned
    to that year. Notes are private and left out of every format unless --include-notes.

    Examples:

      crotool duty list

      crotool duty list --pattern redmond --from 2024-01-01 -f csv -o duties.csv

      crotool duty list --officer 0417 --limit 20
    """
    from crotool.commands.common import connect
    from crotool.duties import LIST_COLUMNS, list_duties, resolve_range
    from crotool.render import View, message

    conn = connect()
    span = resolve_range(conn, year=year, start=start, end=end)
    rows, total = list_duties(conn, span=span, officer=officer, school=school, pattern=pattern,
                              category=category, limit=limit, include_notes=include_notes)
    columns = [*LIST_COLUMNS, "notes"] if include_notes else list(LIST_COLUMNS)
    if len(rows) < total:
        message(f"showing the latest {len(rows)} of {total} duties ({span.describe()})")
    out(rows, fmt, output, View(
        title=f"Duties, {span.describe()}", columns=columns,
        headers={"out_of_pattern": "out of pattern"},
        justify={"id": "right", "minutes": "right"},
        cell_style=lambda c, r: "yellow" if c == "out_of_pattern" and r[c] else None,
        empty="no duties in this range"))


@report_app.command("duties")
def report_duties(
    by: Annotated[By, typer.Option("--by", "-b", help="The key to count by.",
                                   case_sensitive=False)] = By.category,
    start: FromOpt = None,
    end: ToOpt = None,
    year: YearOpt = None,
    fmt: FormatOpt = Fmt.table,
    output: OutputOpt = None,
) -> None:
    """Duty counts and minutes per category, pattern, school, officer or month.

    By default over the current school year. Every category and every feeder pattern is
    listed, zeros included; --by month is a timeline of every month of the range. A duty
    counts under its school's main feeder_pattern only (not also_feeds), so totals add up.
    JSON rows: the key (named as --by), name where it has one, count, minutes.

    Examples:

      crotool report duties

      crotool report duties --by month --year 2023-24

      crotool report duties --by officer --from 2024-01-01 -f json
    """
    from crotool.commands.common import connect
    from crotool.duties import resolve_range
    from crotool.render import View
    from crotool.reports import COLUMNS, duty_report

    conn = connect()
    span = resolve_range(conn, year=year, start=start, end=end)
    rows = duty_report(conn, by.value, span)
    title = f"Duties by {by.value}, {span.describe()}"
    out(rows, fmt, output, View(title=title, build=lambda r: _bars(r, by.value, title),
                                columns=list(COLUMNS[by.value]),
                                justify={"count": "right", "minutes": "right"}))


def _bars(rows: list[dict[str, Any]], key: str, title: str) -> Any:
    """The table view: one row per key with a bar proportional to its minutes (to its count
    when no duty in the range has minutes), and the totals underneath."""
    from rich.table import Table
    from rich.text import Text

    from crotool.render import clean

    if not rows:
        return Text("no duties in this range", style="dim")
    total_count = sum(r["count"] for r in rows)
    total_minutes = sum(r["minutes"] for r in rows)
    measure = "minutes" if total_minutes else "count"
    top = max((r[measure] for r in rows), default=0)
    hours = f" ({total_minutes / 60:.1f} h)" if total_minutes else ""
    table = Table(title=Text(title), title_justify="left", header_style="bold",
                  caption=Text(f"{total_count} duties, {total_minutes} minutes{hours}"),
                  caption_justify="left")
    table.add_column(Text(key))
    if rows and "name" in rows[0]:
        table.add_column(Text("name"))
    table.add_column(Text("count"), justify="right")
    table.add_column(Text("minutes"), justify="right")
    table.add_column(Text(f"{measure} bar"), min_width=10)
    width = 30
    for r in rows:
        cells = [Text(clean(r[key]))]
        if "name" in r:
            cells.append(Text(clean(r["name"])))
        cells += [Text(str(r["count"])), Text(str(r["minutes"]))]
        cells.append(Text(_bar(r[measure], top, width), style="cyan"))
        table.add_row(*cells, style="dim" if r["count"] == 0 else None)
    return table


def _bar(value: int, top: int, width: int) -> str:
    """A horizontal bar of block characters, in eighths of a cell."""
    if top <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / top * width * 8))
    full, part = divmod(eighths, 8)
    return "█" * full + ("" if part == 0 else " ▏▎▍▌▋▊▉"[part])


def register(app: typer.Typer) -> None:
    app.add_typer(duty_app, name="duty")
    # `report duties` registered itself on report_app above (report.py adds the group).
