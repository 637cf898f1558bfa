"""`crotool report duties`: duty counts and minutes by category, pattern, school, officer,
month or role.

Thin: `crotool.program.duty_report` counts over the range `crotool.program.duties` resolves;
the bars and the chart are drawn by `crotool.output.pictures`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from crotool.cli import common
from crotool.cli.common import ids, year_warning
from crotool.cli.options import FormatOpt, FromOpt, OutputOpt, ToOpt, YearOpt, out
from crotool.output import pictures
from crotool.output.view import View, shown
from crotool.program import duties, duty_report
from crotool.store import db


class By(StrEnum):
    category = "category"
    pattern = "pattern"
    school = "school"
    officer = "officer"
    month = "month"
    role = "role"


def report_duties(
    by: Annotated[By, typer.Option("--by", "-b", help="The key to count by.",
                                   case_sensitive=False)] = By.category,
    start: FromOpt = None,
    end: ToOpt = None,
    year: YearOpt = None,
    officer: Annotated[str | None, typer.Option(
        "--officer", autocompletion=ids("officers"), metavar="BADGE",
        help="Only this officer's duties.")] = None,
    pattern: Annotated[str | None, typer.Option(
        "--pattern", "-p", autocompletion=ids("feeder_patterns"), metavar="PATTERN",
        help="Only duties at schools of this feeder pattern (split feeders included).")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Duty counts and minutes per category, pattern, school, officer, month or role.

    By default over the current school year. Every category, feeder pattern and role is
    listed, zeros included; --by month is a timeline of every month of the range. A duty
    counts under its school's main feeder_pattern only (not also_feeds), so totals add up.
    --by role counts each duty under its category's role (a last row with role null, named
    "(no role)", holds the categories without one), so role totals equal category totals.
    --officer and --pattern narrow any --by to that officer's duties, or to duties at that
    pattern's schools. JSON rows: the key (named as --by), name where it has one, count,
    minutes.

    Examples:

      crotool report duties

      crotool report duties --by month --year 2023-24

      crotool report duties --by role --year 2023-24 --pattern redmond

      crotool report duties --by officer --from 2024-01-01 -f json
    """
    conn = common.connect(reads_only=True)
    with db.read(conn):  # the year and the counts from one snapshot
        span = duties.resolve_range(conn, year=year, start=start, end=end)
        rows = duty_report.duty_report(conn, by.value, span, officer=officer, pattern=pattern)
    year_warning(span.warning)
    narrowed = "".join(f", {label} {value}" for label, value in (
        ("officer", officer), ("pattern", pattern)) if value is not None)
    title = f"Duties by {by.value}, {span.describe()}{narrowed}"
    count, minutes = sum(r["count"] for r in rows), sum(r["minutes"] for r in rows)
    out(rows, fmt, output, View(
        title=title, columns=list(duty_report.COLUMNS[by.value]),
        build=lambda r, colour: pictures.duty_bars(r, by.value, title, colour),
        chart=lambda r: pictures.duty_chart(r, by.value, title),
        justify={"count": "right", "minutes": "right"},
        names={} if "name" in duty_report.COLUMNS[by.value] else None,
        tone=lambda r: "muted" if r["count"] == 0 else None,
        summary=f"{pictures.counted(count, 'duty', 'duties')}, {shown(minutes)} minutes"
                f" ({minutes / 60:.1f} h), {span.describe()}",
        period=span.describe(), empty="no duties in this range"))


def register(app: typer.Typer) -> None:
    app.command("duties")(report_duties)
