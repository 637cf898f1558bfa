"""`crotool training record|list|due`: the training series and its deadlines.

Thin: `crotool.program.training` checks a training with the rules `load` and `import` use, writes it
with its audit row, and computes the deadline rows; this module parses and prints.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from crotool.cli import common
from crotool.cli.common import ids
from crotool.cli.options import FormatOpt, OutputOpt, QuietOpt, out
from crotool.output import pictures
from crotool.output.messages import message
from crotool.output.view import View
from crotool.program import training
from crotool.program.years import today, year_of
from crotool.store.fields import option_date
from crotool.store.schema import TRAINING_STATUSES

training_app = typer.Typer(help="""Officers' training series: record it, list it, and see who is
due.

Examples:

\b
  crotool training due --as-of 2024-03-15
  crotool training list --officer 2350
  crotool training record 1260 on-the-job --on 2024-03-14
""", no_args_is_help=True)

# One colour per status, by how urgent it is.
STATUS_STYLE = {"overdue": "bold red", "expired": "red", "due_soon": "dark_orange",
                "in_progress": "cyan", "complete": "green"}


@training_app.command("record")
def training_record(
    badge: Annotated[str, typer.Argument(metavar="BADGE", autocompletion=ids("officers"),
                                         help="The officer's badge.")],
    topic: Annotated[str, typer.Argument(metavar="TOPIC", autocompletion=ids("training_topics"),
                                         help="Training topic id (see `training list`, or "
                                         "the seed's training_topics).")],
    on: Annotated[str, typer.Option("--on", metavar="DATE",
                                    help="The day it was completed (YYYY-MM-DD).")],
    provider: Annotated[str | None, typer.Option(
        "--provider", metavar="TEXT", help="Who gave it (e.g. an educational service "
        "district).")] = None,
    hours: Annotated[str | None, typer.Option(
        "--hours", metavar="H", help="How long, in hours: 0.25 to 80 (e.g. 1.5).")] = None,
) -> None:
    """Record that an officer completed a training topic on a day.

    Checked by the same rules as a `trainings` record in `load` or `import`: the officer and
    topic must exist (did-you-mean hints), hours 0.25 to 80. The same officer, topic and day
    again updates provider and hours. A day before the officer's first day on campus is
    recorded with a warning: the series may precede placement.

    Examples:

      crotool training record 2350 de-escalation --on 2024-03-20 --provider "Region 5" \\
          --hours 2

      crotool training record 1260 on-the-job --on 2024-04-02
    """
    done = training.record(common.connect(), badge, topic, on=on, provider=provider, hours=hours)
    for warning in done.warnings:
        message(f"warning: {warning}")
    r = done.record
    what = f"training {r['topic']} of officer {r['officer']} on {r['completed_on']}"
    if done.action == "insert":
        message(f"recorded {what}")
    elif done.action == "update":
        shown = ", ".join(f"{k}: {old} -> {new}" for k, (old, new) in done.changes.items())
        message(f"updated {what}: {shown}")
    else:
        message(f"{what} is already recorded; nothing changed")
    message(f"see the deadlines: crotool training due --as-of {r['completed_on']}")


@training_app.command("list")
def training_list(
    officer: Annotated[str | None, typer.Option(
        "--officer", metavar="BADGE", autocompletion=ids("officers"),
        help="Only this officer's trainings.")] = None,
    topic: Annotated[str | None, typer.Option(
        "--topic", metavar="TOPIC", autocompletion=ids("training_topics"),
        help="Only this topic.")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Recorded trainings, by officer and date: every one unless a filter narrows it.

    Columns: officer, officer_name, topic, topic_name, kind (classroom, on_the_job),
    completed_on, provider, hours.

    Examples:

      crotool training list --officer 2350

      crotool training list --topic de-escalation -f csv -o de-escalation.csv
    """
    rows = training.list_trainings(common.connect(reads_only=True), officer=officer, topic=topic)
    narrowed = "".join(f", {label} {value}" for label, value in (
        ("officer", officer), ("topic", topic)) if value)
    people = len({r["officer"] for r in rows})
    out(rows, fmt, output, View(
        title=f"Trainings{narrowed}", columns=training.LIST_COLUMNS, justify={"hours": "right"},
        headers={"officer_name": "name", "topic_name": "topic name", "completed_on": "done on"},
        names={},  # the rows carry the officer's and the topic's names
        secondary=("topic_name", "provider", "officer_name"),
        summary=f"{pictures.counted(len(rows), 'training')} of "
                f"{pictures.counted(people, 'officer')}",
        empty="no trainings recorded"))


@training_app.command("due")
def training_due(
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="DATE", help="The day to judge on (default: today).")] = None,
    warn_days: Annotated[int, typer.Option(
        "--warn-days", metavar="N", min=0,
        help="A part not done whose deadline is within N days of --as-of is due_soon.")] = 30,
    agency: Annotated[str | None, typer.Option(
        "--agency", "-a", metavar="AGENCY", autocompletion=ids("agencies"),
        help="Only this agency's officers.")] = None,
    fail_on_overdue: Annotated[bool, typer.Option(
        "--fail-on-overdue", help="Exit 3 when any officer is overdue (after writing the "
        "output); 0 when none.")] = False,
    quiet: QuietOpt = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Each active officer's training deadlines, counted from their first day on campus.

    Each topic that applies to the officer's kind (a topic's applies_to; default every kind)
    is due its due_within_months after its due_from day (first_on_campus, or the first
    assignment's start); a topic that says nothing is due as training_policy says: classroom
    topics classroom_within_months after first_on_campus, on-the-job days
    on_the_job_within_months after it. Calendar months, clamped to the month's end
    (2023-08-31 + 6 months = 2024-02-29). The version of a topic in force on the day its
    deadline counts from applies. Only trainings on or before --as-of count; a topic done
    twice counts once, on-the-job training by distinct day; a topic with hours is done when
    its trainings' hours add up to them; one with refresh_every_months counts that many
    months from its completion (through the same day that many months on), then is expired.

    Status, first that holds: overdue (a deadline before --as-of with its part not done),
    expired (a topic's completion no longer counts), due_soon (a deadline, or a completion's
    last day, within --warn-days), in_progress (something not done yet), complete. Officers
    who are inactive or have no first_on_campus (and no assignment, where a topic counts from
    it) are left out.

    JSON rows: officer, officer_name, agency, first_on_campus, classroom_due (the next
    deadline of a topic not done), classroom_done, classroom_required (topics counted one by
    one), missing (topic ids), expired (topic ids; only where a topic has a refresher),
    on_the_job_due, on_the_job_days, on_the_job_required, status.

    Examples:

      crotool training due --as-of 2024-03-15

      crotool training due --fail-on-overdue -q -f json -o training-due.json
    """
    day = option_date(as_of, "--as-of") or today()
    conn = common.connect(reads_only=True)
    rows = training.due(conn, as_of=day, warn_days=warn_days, agency=agency)
    columns = training.due_columns(conn)
    title = f"Training deadlines as of {day}"
    period = f"as of {day}; a part due within {warn_days} days is due soon"
    year = year_of(conn, day)
    if year:
        period = f"school year {year.describe()}, {period}"
    out(rows, fmt, output, View(
        title=title, columns=columns,
        justify={c: "right" for c in ("classroom_done", "classroom_required", "on_the_job_days",
                                      "on_the_job_required")},
        headers={"officer_name": "name", "first_on_campus": "first day",
                 "classroom_due": "classroom due", "classroom_done": "topics done",
                 "classroom_required": "topics required", "missing": "topics missing",
                 "expired": "topics expired",
                 "on_the_job_due": "on-the-job due", "on_the_job_days": "days done",
                 "on_the_job_required": "days required"},
        cell_style=lambda c, r: STATUS_STYLE.get(r["status"]) if c == "status" else None,
        tone=lambda r: pictures.TRAINING_TONES.get(r["status"]),
        tone_words=(pictures.TRAINING_WORDS_EXPIRED if "expired" in columns
                    else pictures.TRAINING_WORDS),
        names={"agency": "agencies"},
        # A narrow terminal keeps who, the deadlines, what is missing and the status.
        secondary=("agency", "first_on_campus", "classroom_required", "on_the_job_required",
                   "officer_name", "classroom_done", "on_the_job_days"),
        summary=_summary(rows, day.isoformat()),
        period=period,
        chart=lambda r: pictures.training_chart(r, f"Training done of required, as of {day}",
                                             str(day)),
        empty=f"no active officer has a first_on_campus (as of {day})"))
    if not quiet:
        message(_summary(rows, day.isoformat()))
    if fail_on_overdue and any(r["status"] == "overdue" for r in rows):
        raise typer.Exit(3)


def _summary(rows: list[dict[str, Any]], day: str) -> str:
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in TRAINING_STATUSES}
    shown = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items() if n)
    n = len(rows)
    return f"as of {day}: {n} officer{'s' if n != 1 else ''}" + (f": {shown}" if shown else "")


def register(app: typer.Typer) -> None:
    app.add_typer(training_app, name="training")
