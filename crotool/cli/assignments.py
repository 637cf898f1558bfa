"""`crotool assign`, `crotool unassign` and `crotool assignments list`.

Thin: `crotool.program.roster` validates (the rules `load` and `import` use), writes with
audit rows, and runs the coverage engine for the warnings `assign` prints; this module parses
and prints.
"""

from __future__ import annotations

from typing import Annotated

import typer

from crotool.cli import common
from crotool.cli.common import choices, confirm, ids, year_warning
from crotool.cli.options import FormatOpt, OutputOpt, YearOpt, YesOpt, out
from crotool.output.messages import message
from crotool.output.view import View
from crotool.program import roster
from crotool.program.roster import describe_row
from crotool.program.years import resolve_year

assignments_app = typer.Typer(help="""Which officer covers which feeder pattern, each school year.

Examples:

\b
  crotool assignments list --year 2023-24
  crotool assignments list --pattern eastlake --agency sammamish-pd -f json
  crotool assign 1260 juanita --role additional
  crotool unassign 2307 lake-washington --yes
""", no_args_is_help=True)


def assign(
    badge: Annotated[str, typer.Argument(metavar="BADGE", autocompletion=ids("officers"),
                                         help="The officer's badge.")],
    pattern: Annotated[str, typer.Argument(metavar="PATTERN",
                                           autocompletion=ids("feeder_patterns"),
                                           help="Feeder pattern id.")],
    year: YearOpt = None,
    role: Annotated[str | None, typer.Option(
        "--role", "-r", autocompletion=choices("assignments", "role"), metavar="ROLE",
        help="cro (default): the one officer the agency selects for the "
        "pattern; additional: extra help, never counted as coverage.")] = None,
    start: Annotated[str | None, typer.Option(
        "--start", metavar="DATE", help="First day (default: the school year's start).")] = None,
    end: Annotated[str | None, typer.Option(
        "--end", metavar="DATE", help="Last day, inclusive (default: the school year's end)."
    )] = None,
) -> None:
    """Assign an officer to a feeder pattern for a school year (default: the current one).

    The dates must lie inside the school year. The assignment is recorded as told, even when
    it breaks the coverage rule (the data shows reality); a warning on stderr names each
    conflict it is part of (a second CRO for the pattern and agency, an officer whose agency
    has no school in the pattern, an additional officer not school-trained), and a note each
    gap left over its span (officer not trained yet, inactive, on leave). `crotool gaps` lists
    them all. The same officer, pattern, year and --start again changes that assignment's
    role and end.

    Examples:

      crotool assign 2307 lake-washington --year 2023-24

      crotool assign 3112 eastlake --start 2024-01-29

      crotool assign 1260 lake-washington --role additional
    """
    conn = common.connect()
    if year is None:
        resolution = resolve_year(conn)
        year_warning(resolution.warning)
        year = resolution.year.id
    change = roster.assign(conn, badge, pattern, year=year,
                           role=role, start=start, end=end)
    r = change.record
    what = (f"officer {r['officer']} ({r['officer_name']}, {r['agency']}) to {r['feeder_pattern']}"
            f" for {r['school_year']} as {r['role']}, {r['start']} to {r['end']}")
    if change.action == "insert":
        message(f"assigned {what} (assignment {r['id']})")
    elif change.action == "update":
        shown = ", ".join(f"{k}: {old} -> {new}" for k, (old, new) in change.changes.items())
        message(f"updated assignment {r['id']}: {shown}; now {what}")
    else:
        message(f"assignment {r['id']} already says so: {what}; nothing changed")
    for row in change.warnings:
        message(f"warning: {describe_row(row)}")
    for text in change.advice:
        message(f"warning: {text}")
    for row in change.notes:
        message(f"note: not covered: {describe_row(row)}")
    if change.warnings:
        message(f"recorded anyway; undo with `crotool unassign {r['id']}`, or see "
                f"`crotool gaps --year {r['school_year']}`")


def unassign(
    # Completed from what is assigned: the badges and patterns of stored assignments.
    target: Annotated[str, typer.Argument(
        metavar="ID|BADGE", autocompletion=ids("assignments", column="officer"),
        help="An assignment id (see `assignments list`), or a badge followed by PATTERN.")],
    pattern: Annotated[str | None, typer.Argument(
        metavar="[PATTERN]", autocompletion=ids("assignments", column="feeder_pattern"),
        help="With a badge: the feeder pattern.")] = None,
    year: YearOpt = None,
    yes: YesOpt = False,
) -> None:
    """Delete an assignment: by its id, or by BADGE PATTERN (in --year, default the current
    one) when exactly one assignment matches. One argument is an id; two are a badge and a
    pattern. An id has no leading zero, so `unassign 0417` (a badge) is refused, not read
    as assignment 417.

    Asks first on a terminal; without one (cron, scripts) it refuses unless --yes. The
    audit trail keeps every value the assignment held.

    Examples:

      crotool unassign 12

      crotool unassign 2307 lake-washington --year 2023-24 --yes
    """
    conn = common.connect()
    if pattern is not None and year is None:
        resolution = resolve_year(conn)
        year_warning(resolution.warning)
        year = resolution.year.id
    record = roster.find_assignment(conn, target, pattern, year)
    what = (f"assignment {record['id']}: officer {record['officer']} ({record['officer_name']}) "
            f"to {record['feeder_pattern']}, {record['school_year']}, {record['role']}, "
            f"{record['start']} to {record['end']}")
    confirm(f"delete {what}?", yes)
    change = roster.delete_assignment(conn, record)
    message(f"deleted {what}")
    for row in change.notes:
        message(f"note: now not covered: {describe_row(row)}")


@assignments_app.command("list")
def assignments_list(
    year: Annotated[str | None, typer.Option(
        "--year",
        autocompletion=ids("school_years"), metavar="YEAR",
        help="Only this school year (default: every year).")
    ] = None,
    pattern: Annotated[str | None, typer.Option(
        "--pattern", "-p",
        autocompletion=ids("feeder_patterns"), metavar="PATTERN",
        help="Only this feeder pattern.")] = None,
    agency: Annotated[str | None, typer.Option(
        "--agency", "-a",
        autocompletion=ids("agencies"), metavar="AGENCY",
        help="Only officers of this agency.")] = None,
    officer: Annotated[str | None, typer.Option(
        "--officer",
        autocompletion=ids("officers"), metavar="BADGE", help="Only this officer.")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Assignments, by school year, feeder pattern, agency and start; every one unless a
    filter narrows them. The id is what `crotool unassign ID` takes.

    Examples:

      crotool assignments list --year 2023-24

      crotool assignments list --pattern eastlake --agency sammamish-pd -f json
    """
    rows = roster.list_assignments(common.connect(reads_only=True), year=year, pattern=pattern,
                                   agency=agency, officer=officer)
    out(rows, fmt, output, View(
        title="Assignments", columns=list(roster.LIST_COLUMNS),
        # officer_name says the officer's name already.
        names={"feeder_pattern": "feeder_patterns", "agency": "agencies"},
        tone=lambda r: "muted" if r["officer_status"] == "inactive" else None,
        secondary=("officer_status", "agency", "school_year", "officer_name"),
        headers={"officer_status": "officer status"}, justify={"id": "right"},
        row_style=lambda r: "dim" if r["officer_status"] == "inactive" else None,
        cell_style=lambda c, r: "italic" if c == "role" and r["role"] == "additional" else None,
        empty="no assignments match"))


def register(app: typer.Typer) -> None:
    app.command("assign")(assign)
    app.command("unassign")(unassign)
    app.add_typer(assignments_app, name="assignments")
