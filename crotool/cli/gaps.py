"""`crotool gaps`: the coverage rule's gaps and conflicts, read out (`crotool report coverage`,
the same rule as a matrix, is in report/coverage.py).

Thin: `crotool.program.coverage` loads the year and runs the engine
(`crotool.program.coverage_rule`); the pictures (the coverage timeline) are in
`crotool.output.pictures`, which imports Rich only when it draws, so the cron path
(`--format json`) never pays for it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from crotool.cli import common
from crotool.cli.common import ids, year_warning
from crotool.cli.options import FormatOpt, OutputOpt, QuietOpt, YearOpt, fmt_of, out
from crotool.errors import EXIT_GAPS
from crotool.output import pictures
from crotool.output.messages import message
from crotool.output.view import View
from crotool.program import coverage
from crotool.program.coverage_rule import CONFLICT_KINDS, GAP_KINDS
from crotool.store import reads
from crotool.store.fields import option_date

GAP_COLUMNS = ["school_year", "feeder_pattern", "agency", "kind", "start", "end", "days",
               "school_days", "officer", "schools"]


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
    day = option_date(on, "--on")
    result = coverage.gaps(common.connect(reads_only=True), year=year, on=day, pattern=pattern,
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
        row_style=lambda r: pictures.KIND_STYLE.get(r["kind"]),
        tone=lambda r: "conflict" if r["kind"] in CONFLICT_KINDS else "bad",
        tone_words={"bad": "gap: days without a CRO who counts", "conflict": "conflict"},
        secondary=("schools", "officer"),
        summary=summary, period=reads.period_of(result.year),
        chart=lambda shown: pictures.coverage_chart(
            pairs, shown, result.year, result.handovers, result.names,
            title=f"Coverage timeline, {result.year.id}", gap_kinds=GAP_KINDS,
            closures=result.year.closures),
        empty=f"no gaps or conflicts in {scope}"))
    # An empty table already says "no gaps or conflicts" on stdout: no need to say it twice.
    if not quiet and (rows or chosen != "table" or output is not None):
        message(summary)
    if fail_on_gaps and rows:
        raise typer.Exit(EXIT_GAPS)


def register(app: typer.Typer) -> None:
    app.command("gaps")(gaps)
