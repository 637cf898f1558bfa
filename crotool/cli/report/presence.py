"""`crotool report presence`: which schools have seen their officers, and which not lately.
Thin: options in, `crotool.program.presence` called, rows rendered."""

from __future__ import annotations

from typing import Annotated

import typer

from crotool.cli import common
from crotool.cli.common import ids, year_warning
from crotool.cli.options import FormatOpt, OutputOpt, QuietOpt, YearOpt, out
from crotool.output import pictures
from crotool.output.messages import message
from crotool.output.view import View
from crotool.program.presence import COLUMNS, presence
from crotool.store import db, reads


def report_presence(
    year: YearOpt = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="DATE", help="The day to count to and from (YYYY-MM-DD); "
        "default: today.")] = None,
    stale_days: Annotated[int, typer.Option(
        "--stale-days", metavar="N", help="A school is stale after more than N days without a "
        "duty (or with none in the year).")] = 30,
    pattern: Annotated[str | None, typer.Option(
        "--pattern", "-p", autocompletion=ids("feeder_patterns"), metavar="PATTERN",
        help="Only the schools of this feeder pattern (split feeders included).")] = None,
    fail_on_stale: Annotated[bool, typer.Option(
        "--fail-on-stale", help="Exit 3 when any school is stale (after writing the report).")
    ] = False,
    quiet: QuietOpt = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """One row per school: its duties in the school year up to --as-of, the last one, the
    days since, and whether it is stale.

    "CROs will work with all schools": a school is stale when its last duty is more than
    --stale-days (default 30) calendar days before --as-of, or it had none in the year.
    Without --year, the school year that contains --as-of. A split-feeder school appears
    once, under its main feeder_pattern. JSON rows: school, name, feeder_pattern, duties,
    last_duty_at (or null), days_since (or null), stale.

    Examples:

      crotool report presence

      crotool report presence --year 2023-24 --as-of 2024-06-14 --pattern redmond

      crotool report presence --stale-days 14 --fail-on-stale -f csv -o stale.csv
    """
    conn = common.connect(reads_only=True)
    with db.read(conn):  # one snapshot: the year, the rows and (for a chart) the names
        report = presence(conn, year=year, as_of=as_of, stale_days=stale_days,
                          pattern=pattern)
        year_warning(report.warning)
        narrowed = f", pattern {pattern}" if pattern else ""
        title = f"Presence at schools, {report.year} to {report.as_of}{narrowed}"

        def chart(rows: list[dict]) -> str:
            # The patterns' names only for a chart (html, svg): -f json reads nothing more.
            patterns = reads.names(conn, {"feeder_patterns"}).get("feeder_patterns", {})
            return pictures.presence_chart(
                rows, patterns, report.year, report.stale_days,
                f"Days since the last duty, by feeder pattern, as of {report.as_of}")

        out(report.rows, fmt, output, View(
            title=title, columns=list(COLUMNS),
            headers={"feeder_pattern": "pattern", "last_duty_at": "last duty",
                     "days_since": "days since"},
            justify={"duties": "right", "days_since": "right"},
            row_style=lambda r: "yellow" if r["stale"] else None,
            tone=pictures.presence_tone, tone_words=pictures.PRESENCE_WORDS,
            names={"feeder_pattern": "feeder_patterns"},
            secondary=("name", "duties", "feeder_pattern"),
            summary=report.summary(), caption=report.summary(),
            period=f"school year {report.year} ({report.start} to {report.end}), as of "
                   f"{report.as_of}; stale: no duty in more than {report.stale_days} days",
            chart=chart, empty="no schools"))
    if fail_on_stale and report.stale:
        if not quiet:
            message(report.summary())
        raise typer.Exit(3)


def register(app: typer.Typer) -> None:
    app.command("presence")(report_presence)
