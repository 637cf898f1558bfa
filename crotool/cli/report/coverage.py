"""`crotool report coverage`: who covers each required feeder pattern x agency pair, as a
matrix (the gaps themselves: `crotool gaps`, ../gaps.py).

Thin: `crotool.program.coverage` runs the coverage rule; the matrix and the timeline are drawn
by `crotool.output.pictures`.
"""

from __future__ import annotations

from typing import Any

import typer

from crotool.cli import common
from crotool.cli.common import year_warning
from crotool.cli.options import FormatOpt, OutputOpt, QuietOpt, YearOpt, out
from crotool.output import pictures
from crotool.output.messages import message
from crotool.output.view import View
from crotool.program import coverage
from crotool.program.coverage_rule import GAP_KINDS
from crotool.store import reads

COVERAGE_COLUMNS = ["school_year", "feeder_pattern", "agency", "officers", "days",
                    "covered_days", "gap_days", "school_days", "covered_school_days",
                    "gap_school_days"]


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
    result = coverage.coverage(common.connect(reads_only=True), year=year)
    year_warning(result.warning)
    rows = [{k: r[k] for k in COVERAGE_COLUMNS} for r in coverage.coverage_rows(result)]
    y = result.year
    summary = _coverage_summary(rows, y.id)
    gap_rows = coverage.gap_rows(result)

    def build(flat: list[dict[str, Any]], colour: bool) -> Any:
        return pictures.coverage_matrix(flat, result.patterns, result.agencies, result.names,
                                        f"CRO coverage, {y.id} ({y.start} to {y.end})", colour)

    out(rows, fmt, output, View(
        title=f"CRO coverage, {y.id}", columns=COVERAGE_COLUMNS, build=build,
        table_hide=frozenset({"school_year"}),
        justify=dict.fromkeys(COVERAGE_COLUMNS[4:], "right"),
        headers={"covered_days": "days covered", "gap_days": "gap days",
                 "school_days": "school days", "covered_school_days": "school days covered",
                 "gap_school_days": "gap school days"},
        tone=pictures.coverage_tone,
        tone_words={"ok": "covered all year", "partial": "partly covered",
                    "bad": "never covered"},
        summary=summary, period=reads.period_of(y),
        chart=lambda flat: pictures.coverage_chart(flat, gap_rows, y, result.handovers,
                                                   result.names,
                                                   title=f"Coverage timeline, {y.id}",
                                                   gap_kinds=GAP_KINDS, closures=y.closures)))
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
    app.command("coverage")(report_coverage)
