"""`crotool report connectors`: where safety planning has had community input, planning
phase x climate dimension, and who has not been heard from lately.

Thin: `crotool.program.connectors` counts; the heat map and the chart are drawn by
`crotool.output.pictures`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from crotool.cli import common
from crotool.cli.options import (
    MAX_DAYS,
    EngagedFromOpt,
    EngagedToOpt,
    FormatOpt,
    OutputOpt,
    out,
)
from crotool.output import pictures
from crotool.output.view import View
from crotool.program import connectors


def report_connectors(
    start: EngagedFromOpt = None,
    end: EngagedToOpt = None,
    stale_days: Annotated[int | None, typer.Option(
        "--stale-days", metavar="N", min=0, max=MAX_DAYS,
        help="List connectors not engaged in the N days up to today (default 180 in the "
        "table view). With -f json, the output becomes {\"rows\": [...], "
        "\"stale_connectors\": [...], \"new_by_sector\": [...]}.")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Where safety planning has had community input: planning phase x climate dimension.

    Each of the 20 cells counts the engagements filed under it and the distinct connectors
    who took part; an empty cell ("none", red) is a part of planning no one has spoken to.
    The table view then lists the connectors not engaged lately (--stale-days, default 180,
    counted back from today; planned engagements dated after today do not count) and, per
    sector, how many connectors and new organizations the program has brought in.

    JSON and CSV carry one row per cell, all 20, zeros included: phase, dimension,
    engagements, connectors. CSV always carries just the 20 cells; only with --stale-days
    does JSON wrap them as {"rows": [...], "stale_connectors": [...], "new_by_sector": [...]}.
    Markdown and HTML (documents for people) carry the 20 cells, then the same two tables
    as the table view.

    Examples:

      crotool report connectors

      crotool report connectors --from 2023-09-01 --to 2024-06-30 -f json

      crotool report connectors --stale-days 90 -f json -o connectors.json
    """
    result = connectors.report(common.connect(reads_only=True), start=start, end=end,
                               stale_days=stale_days)
    counted = pictures.counted
    wrap = None
    if stale_days is not None:
        wrap = {"stale_connectors": result.stale, "new_by_sector": result.new_by_sector}
    with_input = sum(1 for c in result.cells if c["engagements"])
    span = (f"engagements from {start or 'the first'} to {end or 'the last'}"
            if start or end else "every engagement")
    title = "Community input by phase and dimension"
    days = counted(result.stale_days, "day")
    # The heat map is the main table; the stale list and the sectors follow it, in the
    # terminal as in every document, from these two views alone.
    out(result.cells, fmt, output, View(
        title=title, build=lambda cells, colour: pictures.connectors_heat_map(
            start, end, cells, colour),
        chart=lambda cells: pictures.connectors_chart(cells, title),
        columns=["phase", "dimension", "engagements", "connectors"],
        justify={"engagements": "right", "connectors": "right"}, names={},
        tone=lambda c: "bad" if c["engagements"] == 0 else None,
        tone_words={"bad": "no input in this cell"},
        summary=f"{with_input} of {len(result.cells)} cells "
                f"{'has' if with_input == 1 else 'have'} input; "
                f"{counted(len(result.stale), 'connector')} not engaged in the last {days}",
        period=f"{span}; as of {result.as_of}",
        extra=[(result.stale, View(
                    title=f"Connectors not engaged in the last {days} (as of {result.as_of})",
                    columns=["id", "name", "organization", "sector", "status",
                             "last_engaged", "days_since"],
                    justify={"days_since": "right"}, names={},
                    blanks={"last_engaged": "never"},
                    cell_style=lambda c, r: "bold red" if c == "last_engaged" and not (
                        r["last_engaged"]) else None,
                    empty=f"Every connector was engaged in the last {days}.")),
               (result.new_by_sector, View(
                    title="Connectors by sector",
                    columns=["sector", "connectors", "new_connectors", "new_organizations"],
                    justify={"connectors": "right", "new_connectors": "right",
                             "new_organizations": "right"}, names={},
                    blanks={"sector": "(no sector)"},
                    empty="No connectors yet."))]),
        wrap=wrap)


def register(app: typer.Typer) -> None:
    app.command("connectors")(report_connectors)
