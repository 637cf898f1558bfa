"""`crotool gaps` and `crotool report coverage`: the coverage rule, read out.

Thin: `crotool.program.coverage` loads the year and runs the engine (`crotool.program.coverage_rule`); the
pictures (the pattern x agency matrix, the timeline) are in `crotool.output.pictures`. Rich and Jinja2
are imported only for table and HTML output, so the cron path (`--format json`) never pays.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from crotool.cli.common import ids, views
from crotool.cli.options import FormatOpt, OutputOpt, QuietOpt, YearOpt, fmt_of, out
from crotool.cli.report import report_app

# Read by crotool.cli.commands without importing this module (see there).
WORDS = "gaps"
REPORTS = "coverage"
ORDER = 60

GAP_COLUMNS = ["school_year", "feeder_pattern", "agency", "kind", "start", "end", "days",
               "school_days", "officer", "schools"]
COVERAGE_COLUMNS = ["school_year", "feeder_pattern", "agency", "officers", "days",
                    "covered_days", "gap_days", "school_days", "covered_school_days",
                    "gap_school_days"]


def gaps(
    year: YearOpt = None,
    on: Annotated[str | None, typer.Option(
        "--on", metavar="DATE", help="Only the gaps and conflicts on this day (and, without "
        "--year, in the school year that contains it).")] = None,
    pattern: Annotated[str | None, typer.Option(
        "--pattern", "-p",
        autocompletion=ids("feeder_patterns"), metavar="PATTERN",
        help="Only this feeder pattern.")] = None,
    agency: Annotated[str | None, typer.Option(
        "--agency", "-a",
        autocompletion=ids("agencies"), metavar="AGENCY", help="Only this agency.")] = None,
    fail_on_gaps: Annotated[bool, typer.Option(
        "--fail-on-gaps", help="Exit 3 when any gap or conflict is listed (after writing the "
        "output); 0 when none.")] = False,
    quiet: QuietOpt = False,
    fmt: FormatOpt = None,
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
    from crotool.cli.common import connect, year_warning
    from crotool.output.render import View, message
    from crotool.program import coverage
    from crotool.store import reads

    day = reads.option_date(on, "--on")
    result = coverage.gaps(connect(reads_only=True), year=year, on=day, pattern=pattern,
                              agency=agency)
    year_warning(result.warning)
    rows = coverage.gap_rows(result)
    scope = result.year.id + "".join(
        f" {label} {value}" for label, value in (("for pattern", pattern),
                                                  ("for agency", agency), ("on", day))
        if value is not None)
    summary = coverage.gaps_summary(rows, scope, with_days=day is None)
    pairs = [p.as_dict() for p in result.pairs
             if (pattern is None or p.feeder_pattern == pattern)
             and (agency is None or p.agency == agency)]
    title = f"Gaps and conflicts, {result.year.id}"
    chosen = fmt_of(fmt, output)
    out(rows, chosen, output, View(
        title=title, columns=GAP_COLUMNS,
        table_hide=frozenset({"school_year"}),
        group_by="feeder_pattern", justify={"days": "right", "school_days": "right"},
        headers={"school_days": "school days"},
        row_style=lambda r: views().KIND_STYLE.get(r["kind"]),
        tone=lambda r: "conflict" if r["kind"] in _conflicts() else "bad",
        tone_words={"bad": "gap: days without a CRO who counts", "conflict": "conflict"},
        secondary=("schools", "officer"),
        summary=summary, period=reads.period_of(result.year),
        chart=lambda shown: views().coverage_chart(
            pairs, shown, result.year, result.handovers, result.names,
            title=f"Coverage timeline, {result.year.id}", closures=result.year.closures),
        empty=f"no gaps or conflicts in {scope}"))
    # An empty table already says "no gaps or conflicts" on stdout: no need to say it twice.
    if not quiet and (rows or chosen != "table" or output is not None):
        message(summary)
    if fail_on_gaps and rows:
        from crotool.errors import EXIT_GAPS

        raise typer.Exit(EXIT_GAPS)


def _conflicts() -> tuple[str, ...]:
    from crotool.program.coverage_rule import CONFLICT_KINDS

    return tuple(CONFLICT_KINDS)


@report_app.command("coverage")
def report_coverage(
    year: YearOpt = None,
    quiet: QuietOpt = False,
    fmt: FormatOpt = None,
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
    from crotool.cli.common import connect, year_warning
    from crotool.output.render import View, message
    from crotool.program import coverage
    from crotool.store import reads

    result = coverage.coverage(connect(reads_only=True), year=year)
    year_warning(result.warning)
    rows = [{k: r[k] for k in COVERAGE_COLUMNS} for r in coverage.coverage_rows(result)]
    y = result.year
    summary = _coverage_summary(rows, y.id)
    gap_rows = coverage.gap_rows(result)

    def build(flat: list[dict[str, Any]], colour: bool) -> Any:
        return views().coverage_matrix(flat, result.patterns, result.agencies, result.names,
                                     f"CRO coverage, {y.id} ({y.start} to {y.end})", colour)

    out(rows, fmt, output, View(
        title=f"CRO coverage, {y.id}", columns=COVERAGE_COLUMNS, build=build,
        table_hide=frozenset({"school_year"}),
        justify=dict.fromkeys(COVERAGE_COLUMNS[4:], "right"),
        headers={"covered_days": "days covered", "gap_days": "gap days",
                 "school_days": "school days", "covered_school_days": "school days covered",
                 "gap_school_days": "gap school days"},
        tone=lambda r: views().coverage_tone(r),
        tone_words={"ok": "covered all year", "partial": "partly covered",
                    "bad": "never covered"},
        summary=summary, period=reads.period_of(y),
        chart=lambda flat: views().coverage_chart(flat, gap_rows, y, result.handovers,
                                                result.names,
                                                title=f"Coverage timeline, {y.id}",
                                                closures=y.closures)))
    if not quiet:
        message(summary)


def _coverage_summary(rows: list[dict[str, Any]], year_id: str) -> str:
    if not rows:
        return f"no required pairs in {year_id}: no school lies in an agency's jurisdiction"
    full = sum(1 for r in rows if r["gap_days"] == 0)
    never = sum(1 for r in rows if r["covered_days"] == 0)
    n = len(rows)
    return (f"{year_id}: {n} required pair{'s' if n != 1 else ''}: {full} covered all year, "
            f"{n - full - never} partly, {never} never")


def register(app: typer.Typer) -> None:
    app.command("gaps")(gaps)
    # `report coverage` registered itself on report_app above (report.py adds the group).
