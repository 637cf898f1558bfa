"""`crotool gaps` and `crotool report coverage`: the coverage rule, read out.

Thin: `crotool.coverage_db` loads the year and runs the engine (`crotool.coverage`); this
module only chooses colours and lays out the pattern x agency matrix. Rich is imported by
`render` (and by the matrix builder below) only for table, HTML and SVG output, so the cron
path (`--format json`) never pays for it.
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from crotool.commands.common import ids
from crotool.commands.report import report_app
from crotool.options import Fmt, FormatOpt, OutputOpt, YearOpt, out

# Read by crotool.commands without importing this module (see there).
WORDS = "gaps"
REPORTS = "coverage"
ORDER = 60

# One colour per kind: gaps by how bad they are (nobody assigned is worst), conflicts apart.
KIND_STYLE = {
    "unassigned": "bold red",
    "inactive": "yellow",
    "untrained": "dark_orange",
    "on_leave": "cyan",
    "duplicate": "magenta",
    "out_of_jurisdiction": "magenta",
    "untrained_additional": "magenta",
}
GAP_COLUMNS = ["school_year", "feeder_pattern", "agency", "kind", "start", "end", "days",
               "school_days", "officer", "schools"]
COVERAGE_COLUMNS = ["school_year", "feeder_pattern", "agency", "officers", "days",
                    "covered_days", "gap_days", "school_days", "covered_school_days",
                    "gap_school_days"]

QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No summary line on stderr "
                                        "(for cron, which mails any output).")]


def gaps(
    year: YearOpt = None,
    on: Annotated[Optional[str], typer.Option(
        "--on", metavar="DATE", help="Only the gaps and conflicts on this day (and, without "
        "--year, in the school year that contains it).")] = None,
    pattern: Annotated[Optional[str], typer.Option(
        "--pattern", "-p",
        autocompletion=ids("feeder_patterns"), metavar="PATTERN",
        help="Only this feeder pattern.")] = None,
    agency: Annotated[Optional[str], typer.Option(
        "--agency", "-a",
        autocompletion=ids("agencies"), metavar="AGENCY", help="Only this agency.")] = None,
    fail_on_gaps: Annotated[bool, typer.Option(
        "--fail-on-gaps", help="Exit 3 when any gap or conflict is listed (after writing the "
        "output); 0 when none.")] = False,
    quiet: QuietOpt = False,
    fmt: FormatOpt = Fmt.table,
    output: OutputOpt = None,
) -> None:
    """Gaps and conflicts in CRO coverage, grouped by feeder pattern.

    Every feeder pattern needs, from each agency with a school in it, one active,
    school-trained CRO, not on leave, on every day of the school year. A gap is a run of days
    without one; its kind says why: unassigned, inactive, untrained, on_leave. Conflicts are
    listed beside them: duplicate (two CROs of one agency at once), out_of_jurisdiction,
    untrained_additional. One row per run, with the schools affected and the officer (the
    first by badge); start and end are inclusive.

    Default: the current school year (the one containing today, else the latest started,
    with a warning on stderr, even under -q, when no year contains today). Days are calendar
    days (the rule); school_days counts the weekdays of the run outside the year's closures.
    JSON rows: school_year, feeder_pattern, agency, kind, start, end, days, school_days,
    officer, schools, ordered by feeder pattern, agency, start, kind; none at all is [].

    Examples:

      crotool gaps

      crotool gaps --on 2024-04-10 --pattern lake-washington

      crotool gaps --year 2023-24 --fail-on-gaps -f json -o gaps.json
    """
    from crotool import coverage_db
    from crotool.commands.common import connect, year_warning
    from crotool.queries import option_date
    from crotool.render import View, message

    day = option_date(on, "--on")
    result = coverage_db.gaps(connect(), year=year, on=day, pattern=pattern, agency=agency)
    year_warning(result.warning)
    rows = coverage_db.gap_rows(result)
    scope = result.year.id + "".join(
        f" {label} {value}" for label, value in (("for pattern", pattern),
                                                  ("for agency", agency), ("on", day))
        if value is not None)
    out(rows, fmt, output, View(
        title=f"Gaps and conflicts, {result.year.id}", columns=GAP_COLUMNS,
        table_hide=frozenset({"school_year"}),
        group_by="feeder_pattern", justify={"days": "right", "school_days": "right"},
        headers={"school_days": "school days"},
        row_style=lambda r: KIND_STYLE.get(r["kind"]),
        empty=f"no gaps or conflicts in {scope}"))
    # An empty table already says "no gaps or conflicts" on stdout: no need to say it twice.
    if not quiet and (rows or fmt != Fmt.table or output is not None):
        message(coverage_db.gaps_summary(rows, scope, with_days=day is None))
    if fail_on_gaps and rows:
        from crotool.errors import EXIT_GAPS

        raise typer.Exit(EXIT_GAPS)


@report_app.command("coverage")
def report_coverage(
    year: YearOpt = None,
    quiet: QuietOpt = False,
    fmt: FormatOpt = Fmt.table,
    output: OutputOpt = None,
) -> None:
    """Who covers each required feeder pattern x agency pair, and for how many days.

    The table is a matrix: feeder patterns down, agencies across. Each required pair (the
    agency has a school in the pattern) shows its CRO officers, the days covered out of the
    school year's days, and the gap days: green when covered all year, amber when partly, red
    when never. A dim "—" marks a pair that is not required. A one-line summary goes to
    stderr. Gaps in detail: `crotool gaps`.

    JSON, CSV and Markdown: one flat row per required pair: school_year, feeder_pattern,
    agency, officers (badges of the cro assignments), days, covered_days, gap_days,
    school_days, covered_school_days, gap_school_days (weekdays outside closures).

    Examples:

      crotool report coverage

      crotool report coverage --year 2023-24 -f html -o /srv/reports/coverage.html
    """
    from crotool import coverage_db
    from crotool.commands.common import connect, year_warning
    from crotool.render import View, message

    result = coverage_db.coverage(connect(), year=year)
    year_warning(result.warning)
    rows = [{k: r[k] for k in COVERAGE_COLUMNS} for r in coverage_db.coverage_rows(result)]
    y = result.year

    def build(flat: list[dict[str, Any]]) -> Any:
        return _matrix(flat, result.patterns, result.agencies, result.names,
                       f"CRO coverage, {y.id} ({y.start} to {y.end})")

    out(rows, fmt, output, View(title=f"CRO coverage, {y.id}", columns=COVERAGE_COLUMNS,
                                build=build, justify=dict.fromkeys(COVERAGE_COLUMNS[4:],
                                                                   "right")))
    if not quiet:
        message(_coverage_summary(rows, y.id))


def _coverage_summary(rows: list[dict[str, Any]], year_id: str) -> str:
    if not rows:
        return f"no required pairs in {year_id}: no school lies in an agency's jurisdiction"
    full = sum(1 for r in rows if r["gap_days"] == 0)
    never = sum(1 for r in rows if r["covered_days"] == 0)
    n = len(rows)
    return (f"{year_id}: {n} required pair{'s' if n != 1 else ''}: {full} covered all year, "
            f"{n - full - never} partly, {never} never")


def _matrix(rows: list[dict[str, Any]], patterns: list[str], agencies: list[str],
            names: dict[str, str], title: str) -> Any:
    """The pattern x agency matrix as a Rich table (imported here: table/HTML/SVG only)."""
    from rich.table import Table
    from rich.text import Text

    from crotool.render import clean

    cells = {(r["feeder_pattern"], r["agency"]): r for r in rows}
    if not cells:
        return Text(f"{title}: no required pairs (no school lies in an agency's jurisdiction)",
                    style="dim")
    table = Table(title=Text(title), title_justify="left", header_style="bold",
                  show_lines=True, caption=Text("green: covered all year · amber: partly · "
                                                "red: never · —: not required"),
                  caption_justify="left")
    table.add_column(Text("feeder pattern"))
    for agency in agencies:
        table.add_column(Text(clean(agency)), overflow="fold")
    for pattern in patterns:
        line: list[Any] = [Text(clean(pattern), style="bold")]
        for agency in agencies:
            r = cells.get((pattern, agency))
            if r is None:
                line.append(Text("—", style="dim"))
                continue
            if r["gap_days"] == 0:
                style = "green"
            elif r["covered_days"] == 0:
                style = "bold red"
            else:
                style = "dark_orange"
            who = [f"{b} {names[b]}" if b in names else b for b in r["officers"]] or ["no CRO"]
            cell = Text("\n".join(clean(w) for w in who), style=style)
            cell.append(f"\n{r['covered_days']}/{r['days']} days covered", style=style)
            cell.append(f"\n{r['covered_school_days']}/{r['school_days']} school days",
                        style=style)
            if r["gap_days"]:
                cell.append(f"\n{r['gap_days']} gap days, {r['gap_school_days']} school days",
                            style=style)
            line.append(cell)
        table.add_row(*line)
    return table


def register(app: typer.Typer) -> None:
    app.command("gaps")(gaps)
    # `report coverage` registered itself on report_app above (report.py adds the group).
