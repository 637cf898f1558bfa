"""`crotool followups list/done`: the clocks logged duties started (a CPS report within 48
hours, ...). Thin: options in, `crotool.program.followups` called, rows rendered."""

from __future__ import annotations

from typing import Annotated

import typer

from crotool.cli import common
from crotool.cli.common import completed, ids
from crotool.cli.options import FormatOpt, OutputOpt, QuietOpt, fmt_of, out
from crotool.output import pictures
from crotool.output.encode import JsonObjects
from crotool.output.messages import message
from crotool.output.view import View
from crotool.program.followups import (
    COLUMNS,
    as_of_moment,
    list_followups,
    mark_done,
    open_duty_ids,
    stream_json,
)

followups_app = typer.Typer(help="""Follow-ups: what a logged duty must be followed by, and by when.

Examples:

\b
  crotool followups list --open --as-of 2024-03-05T12:00
  crotool followups list --overdue --as-of 2024-03-06T12:00 -f json
  crotool followups list -f csv -o followups.csv
""", no_args_is_help=True)

STATUS_STYLE = {"overdue": "bold red", "late": "yellow", "open": None, "done": "dim"}


@followups_app.command("list")
def followups_list(
    open_only: Annotated[bool, typer.Option(
        "--open", help="Only follow-ups not done (open or overdue).")] = False,
    overdue: Annotated[bool, typer.Option(
        "--overdue", help="Only follow-ups not done and past their due time.")] = False,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="DATETIME", help="The moment to take statuses at, ISO 8601 (a date "
        "alone is its 00:00); default: now. Later duties and completions are left out.")
    ] = None,
    fail_on_overdue: Annotated[bool, typer.Option(
        "--fail-on-overdue", help="Exit 3 when any follow-up is overdue (after writing the "
        "list).")] = False,
    quiet: QuietOpt = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Every follow-up of every duty, by due time: duty, officer, school, category, rule,
    due, done_at, status.

    A duty of a category with follow-up rules has one follow-up per rule that applies to it
    (the rule's version in force on the duty's day; with `when`, only if the duty was logged
    with that flag), due within_hours after the duty, or at 23:59:59 of the within_days-th
    calendar, business (Monday to Friday) or school day after the duty's day. A school-day
    clock past the stored school years has no due time yet (null; open, listed first).
    Status at --as-of: open (not done, not yet due), overdue (not done, past due), done
    (done by its due time), late (done after it). JSON rows also carry the duty's `at` and
    the rule's `name`.

    Examples:

      crotool followups list --open

      crotool followups list --overdue --as-of 2024-01-20T08:00

      crotool followups list --overdue --fail-on-overdue -f csv -o overdue.csv
    """
    conn = common.connect(reads_only=True)
    moment = as_of_moment(as_of)
    if fmt_of(fmt, output) == "json":
        # For cron and scripts: SQLite writes each row's JSON, and the statuses are counted
        # as the rows pass (a million duties' open follow-ups, no dict per row).
        stream = stream_json(conn, as_of=moment, open_only=open_only, overdue_only=overdue)
        out(JsonObjects(stream.rows), fmt, output, View(columns=list(COLUMNS)))
        late = stream.counts["overdue"]
    else:
        rows = list_followups(conn, as_of=moment, open_only=open_only, overdue_only=overdue)
        late = sum(1 for r in rows if r["status"] == "overdue")
        _list_out(rows, moment, "Overdue follow-ups" if overdue else "Open follow-ups"
                  if open_only else "Follow-ups", fmt, output)
    if fail_on_overdue and late:
        if not quiet:
            message(f"{late} follow-up{'s' if late != 1 else ''} overdue as of {moment}")
        raise typer.Exit(3)


def _list_out(rows: list[dict], moment: str, which: str, fmt: FormatOpt,
              output: OutputOpt) -> None:
    """A table or a document of the follow-ups, with their counts by status."""
    counts = {s: sum(1 for r in rows if r["status"] == s)
              for s in ("open", "overdue", "done", "late")}
    summary = f"{pictures.counted(len(rows), 'follow-up')}" + "".join(
        f", {n} {s}" for s, n in counts.items() if n)
    out(rows, fmt, output, View(
        title=f"{which} as of {moment}", columns=list(COLUMNS),
        justify={"duty": "right"}, headers={"done_at": "done at"},
        caption=f"{summary}.", row_style=lambda r: STATUS_STYLE.get(r["status"]),
        tone=lambda r: pictures.FOLLOWUP_TONES.get(r["status"]),
        tone_words=pictures.FOLLOWUP_WORDS, names={"officer": "officers", "school": "schools",
                                                "category": "duty_categories"},
        secondary=("name", "category", "at", "school"),
        summary=summary, period=f"as of {moment}", ids=frozenset({"duty"}),
        empty="no follow-ups"))


def _duty_ids(ctx: typer.Context, incomplete: str) -> list[str]:
    """The ids of duties with a follow-up not done (the only ones `done` can take)."""
    return completed(ctx, lambda conn: open_duty_ids(conn, incomplete))


@followups_app.command("done")
def followups_done(
    duty: Annotated[int, typer.Argument(metavar="DUTY", help="The duty's id (`duty list`).",
                                        autocompletion=_duty_ids)],
    rule: Annotated[str, typer.Argument(metavar="RULE", help="The follow-up rule's id.",
                                        autocompletion=ids("followup_rules", column="id"))],
    at: Annotated[str | None, typer.Option(
        "--at", metavar="DATETIME", help="When it was done, ISO 8601; default: now.")] = None,
) -> None:
    """Record that a duty's follow-up was done; says whether it was on time or late.

    Refused (nothing written) when the duty's category has no such rule (in force on the
    duty's day), the rule asks for a flag (`when`) the duty was not logged with, the
    follow-up is already done, or --at is before the duty.

    Examples:

      crotool followups done 8 cps-report --at 2024-01-16T09:00
    """
    done = mark_done(common.connect(), duty, rule, at)
    if done["due"] is None:  # a school-day clock past the stored school years
        verdict = "on time: its due time is not known yet, no stored school year holds enough"
        verdict += " school days after the duty"
    else:
        verdict = ("late: due " if done["status"] == "late" else "on time: due ") + done["due"]
    message(f"follow-up {rule} of duty {duty} is done at {done['done_at']} ({verdict})")


def register(app: typer.Typer) -> None:
    app.add_typer(followups_app, name="followups")
