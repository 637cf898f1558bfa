"""`crotool years list|add|update|rollover`: school years over time.

Thin: `crotool.program.year_changes` validates (the rules `load` applies to school_years),
writes with audit rows and rolls assignments over; this module parses and prints.
"""

from __future__ import annotations

from typing import Annotated

import typer

from crotool.cli import common
from crotool.cli.common import ids
from crotool.cli.options import DryRunOpt, FormatOpt, OutputOpt, QuietOpt, out
from crotool.output import pictures
from crotool.output.messages import message
from crotool.output.view import View
from crotool.program import year_changes, years
from crotool.program.coverage import gaps_summary
from crotool.program.roster import describe_row

years_app = typer.Typer(help="""School years: list them, add the next one, move its dates, and roll
one year's assignments into the next.

Examples:

\b
  crotool years list
  crotool years list -f json
  crotool years add 2024-25 --start 2024-09-03 --end 2025-06-18
""", no_args_is_help=True)

StartOpt = Annotated[str | None, typer.Option(
    "--start", metavar="DATE", help="First day of the year (YYYY-MM-DD), inclusive.")]
EndOpt = Annotated[str | None, typer.Option(
    "--end", metavar="DATE", help="Last day of the year (YYYY-MM-DD), inclusive.")]


@years_app.command("list")
def years_list(fmt: FormatOpt = None, output: OutputOpt = None) -> None:
    """Every school year by start: its days, school days (weekdays outside its closures),
    state today (past, current, upcoming) and how many assignments it holds.

    Examples:

      crotool years list

      crotool years list -f json
    """
    rows = year_changes.list_years(common.connect(reads_only=True))
    current = [r["id"] for r in rows if r["state"] == "current"]
    out(rows, fmt, output, View(
        title="School years", columns=list(year_changes.LIST_COLUMNS),
        headers={"school_days": "school days"},
        justify={"days": "right", "school_days": "right", "assignments": "right"},
        row_style=lambda r: {"current": "bold", "past": "dim"}.get(r["state"]),
        tone=lambda r: pictures.YEAR_TONES.get(r["state"]), tone_words=pictures.YEAR_WORDS,
        summary=f"{pictures.counted(len(rows), 'school year')}; current: "
                f"{', '.join(current) or 'none'}",
        empty="no school years: add one with `crotool years add ID --start D --end D`"))


@years_app.command("add")
def years_add(
    year_id: Annotated[str, typer.Argument(metavar="ID", help="The year's id, e.g. 2024-25.")],
    start: Annotated[str, typer.Option("--start", metavar="DATE",
                                       help="First day (YYYY-MM-DD), inclusive.")],
    end: Annotated[str, typer.Option("--end", metavar="DATE",
                                     help="Last day (YYYY-MM-DD), inclusive.")],
) -> None:
    """Add a school year. Refused, with every reason listed and nothing written, when the id
    is not YYYY-YY (YY the next year), does not name the start's year, the end is not after
    the start, the year is longer than 400 days, or it overlaps another year.

    Examples:

      crotool years add 2024-25 --start 2024-09-03 --end 2025-06-18
    """
    conn = common.connect()
    values = year_changes.add_year(conn, year_id, start=start, end=end)
    y = years.get(conn, values["id"])
    message(f"added school year {y.id}: {y.start} to {y.end} ({y.days} days, "
            f"{y.school_days()} school days)")


@years_app.command("update")
def years_update(
    year_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=ids("school_years"),
                                           help="The year to move.")],
    start: StartOpt = None,
    end: EndOpt = None,
) -> None:
    """Move a school year's dates. Refused while an assignment (or a closure) of the year
    would fall outside the new dates: their ids are listed. Leaves may run past a year.
    Assignments stay as they are: for days the year gains, the gaps are noted, with the
    command that runs each assignment ending on the old last day to the new one.

    Examples:

      crotool years update 2024-25 --end 2025-06-20
    """
    moved = year_changes.update_year(common.connect(), year_id, start=start, end=end)
    values = moved.values
    if not moved.changes:
        message(f"school year {values['id']} already says so: {values['start']} to "
                f"{values['end']}; nothing changed")
        return
    shown = ", ".join(f"{k}: {old} -> {new}" for k, (old, new) in moved.changes.items())
    message(f"updated school year {values['id']}: {shown}")
    for row in moved.uncovered:
        message(f"note: now not covered: {describe_row(row)}")
    for a in moved.ended_early:
        message(f"note: assignment {a['id']} ({a['officer']} to {a['feeder_pattern']}) still "
                f"ends on {a['end']}; to run it to the new end: `crotool assign {a['officer']} "
                f"{a['feeder_pattern']} --year {a['school_year']} --start {a['start']} "
                f"--end {values['end']}`")


@years_app.command("rollover")
def years_rollover(
    source: Annotated[str, typer.Argument(metavar="FROM", autocompletion=ids("school_years"),
                                          help="The year to copy from.")],
    target: Annotated[str, typer.Argument(metavar="TO", autocompletion=ids("school_years"),
                                          help="The year to copy into (add it first).")],
    dry_run: DryRunOpt = False,
    quiet: QuietOpt = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Copy into TO every assignment of FROM in force on FROM's last day (any role), for the
    whole of TO. Officers now inactive are left out and named; a conflict a copy creates (a
    second CRO, an agency with no school in the pattern) is a warning, as `assign` says it.
    A place (pattern, agency, role) that TO already gives another officer, as after a
    hand-over, is left as it is and named. The same rollover again adds nothing. Prints the
    copies (stdout) and TO's gaps summary, as `crotool gaps --year TO` gives it (stderr).

    Examples:

      crotool years rollover 2023-24 2024-25 --dry-run

      crotool years rollover 2023-24 2024-25
    """
    result = year_changes.rollover(common.connect(), source, target, dry_run=dry_run)
    s, t = result.source, result.target
    would = "would copy" if dry_run else "copied"
    n = len(result.copied)
    line = (f"{s.id} -> {t.id}: {result.in_force} assignment"
            f"{'s' if result.in_force != 1 else ''} in force on {s.end}; {would} {n}, "
            f"{len(result.already) + len(result.taken)} already in {t.id}, "
            f"{len(result.inactive)} left out"
            + ("; nothing was written (dry run)" if dry_run else ""))
    gaps = gaps_summary(result.gap_rows, t.id, with_days=True)
    copied = [{k: c[k] for k in year_changes.ROLLOVER_COLUMNS} for c in result.copied]
    out(copied, fmt, output, View(
        title=f"Assignments {'to copy' if dry_run else 'copied'} from {s.id} into {t.id} "
              f"({t.start} to {t.end})",
        columns=list(year_changes.ROLLOVER_COLUMNS), headers={"officer_name": "name"},
        justify={"id": "right"}, names={"agency": "agencies", "feeder_pattern":
                                        "feeder_patterns"},
        summary=f"{line}. Then {gaps}",
        period=f"school year {t.id} ({t.start} to {t.end}), from {s.id} ({s.start} to "
               f"{s.end})",
        empty=(f"nothing to add: {t.id} already holds every copy"
               if result.already or result.taken else f"nothing to copy into {t.id}")))
    if not quiet:
        message(line)
    for c in result.taken:
        message(f"kept: {c['feeder_pattern']} / {c['agency']} ({c['role']}) is held in {t.id} "
                f"by officer {c['holder']} ({c['holder_name']}); {c['officer']} "
                f"({c['officer_name']}) was not copied")
    for c in result.inactive:
        message(f"left out: officer {c['officer']} ({c['officer_name']}) is inactive "
                f"(was {c['role']} in {c['feeder_pattern']})")
    for row in result.warnings:
        message(f"warning: {describe_row(row)}")
    if quiet:
        return
    message(gaps)
    message(f"see `crotool gaps --year {t.id}`; hand a pattern to another officer with "
            f"`crotool unassign ...` and `crotool assign BADGE PATTERN --year {t.id}`")


def register(app: typer.Typer) -> None:
    app.add_typer(years_app, name="years")
