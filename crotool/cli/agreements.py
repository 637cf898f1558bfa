"""`crotool agreements list|check`: the yearly agreement with each agency.

Thin: `crotool.program.agreements` reads the agreements and decides what each lacks; this module
parses and prints.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from crotool.cli import common
from crotool.cli.common import ids, school_year
from crotool.cli.options import FormatOpt, OutputOpt, QuietOpt, out
from crotool.output import pictures
from crotool.output.messages import message
from crotool.output.view import View
from crotool.program.agreements import CHECK_COLUMNS, LIST_COLUMNS, check, list_agreements
from crotool.store.reads import period_of

agreements_app = typer.Typer(help="""Yearly agreements with the agencies that supply officers.

Examples:

\b
  crotool agreements list --year 2023-24
  crotool agreements check --year 2023-24
  crotool agreements check -f json -o agreements.json
""", no_args_is_help=True)

PROBLEM_STYLE = {"no_agreement": "bold red", "not_adopted": "yellow",
                 "incomplete": "dark_orange"}

YearFilter = Annotated[str | None, typer.Option(
    "--year", autocompletion=ids("school_years"), metavar="YEAR",
    help="Only this school year, e.g. 2023-24.")]


@agreements_app.command("list")
def agreements_list(
    year: YearFilter = None,
    agency: Annotated[str | None, typer.Option(
        "--agency", "-a", metavar="AGENCY", autocompletion=ids("agencies"),
        help="Only this agency's agreements.")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Stored agreements, by school year and agency: every one unless a filter narrows it.

    Columns: agency, agency_name, school_year, reviewed_on, adopted_on, document, elements
    (agreement element ids), input_from (stakeholder group ids).

    Examples:

      crotool agreements list --year 2023-24

      crotool agreements list --agency kirkland-pd -f json
    """
    rows = list_agreements(common.connect(reads_only=True), year=year, agency=agency)
    adopted = sum(1 for r in rows if r["adopted_on"])
    out(rows, fmt, output, View(
        title="Agreements" + (f", {year}" if year else "") + (f", {agency}" if agency else ""),
        columns=LIST_COLUMNS,
        headers={"agency_name": "name", "school_year": "year", "reviewed_on": "reviewed",
                 "adopted_on": "adopted", "input_from": "input from"},
        tone=lambda r: None if r["adopted_on"] else "partial",
        tone_words={"partial": "not adopted"},
        names={"elements": "agreement_elements", "input_from": "stakeholder_groups"},
        secondary=("document", "agency_name", "elements"),
        summary=f"{pictures.counted(len(rows), 'agreement')}, {adopted} adopted",
        empty="no agreements stored"))


@agreements_app.command("check")
def agreements_check(
    year: Annotated[str | None, typer.Option(
        "--year", autocompletion=ids("school_years"), metavar="YEAR",
        help="School year id, e.g. 2023-24 (default: the current one).")] = None,
    fail_on_problems: Annotated[bool, typer.Option(
        "--fail-on-problems", help="Exit 3 when any agency's row has a problem (after "
        "writing the output); 0 when none.")] = False,
    quiet: QuietOpt = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """What each agency's agreement for the year lacks: one row per agency with any
    assignment in the year (default: the current one).

    problem: no_agreement (none stored), not_adopted (no adopted_on), incomplete (an element
    of agreement_elements missing, or a stakeholder group not consulted), else empty.
    A group counts as consulted when the agreement's input_from names it, or when a
    Community Connectors engagement in the twelve months up to the review (reviewed_on, else
    adopted_on) had a connector whose sector is in the group's sectors
    (input_from_engagements lists those).

    JSON rows: agency, agency_name, school_year, adopted_on, reviewed_on, missing_elements,
    missing_input, input_from_engagements, problem (null when none).

    Examples:

      crotool agreements check --year 2023-24

      crotool agreements check --fail-on-problems -f json -o agreements.json
    """
    conn = common.connect(reads_only=True)
    y, rows = check(conn, year=school_year(conn, year)["id"])
    out(rows, fmt, output, View(
        title=f"Agreements, {y['id']} ({y['start']} to {y['end']})", columns=CHECK_COLUMNS,
        table_hide=frozenset({"school_year"}),  # the title says it
        headers={"agency_name": "name", "adopted_on": "adopted", "reviewed_on": "reviewed",
                 "missing_elements": "elements missing", "missing_input": "input missing",
                 "input_from_engagements": "input via engagements"},
        cell_style=lambda c, r: PROBLEM_STYLE.get(r["problem"]) if c == "problem" else None,
        tone=pictures.agreement_tone, tone_words=pictures.AGREEMENT_WORDS,
        names={"missing_elements": "agreement_elements", "missing_input": "stakeholder_groups",
               "input_from_engagements": "stakeholder_groups"},
        secondary=("agency_name", "input_from_engagements", "reviewed_on"),
        summary=_summary(rows, y["id"]), period=period_of(y),
        empty=f"no agency has an assignment in {y['id']}"))
    if not quiet:
        message(_summary(rows, y["id"]))
    if fail_on_problems and any(r["problem"] for r in rows):
        raise typer.Exit(3)


def _summary(rows: list[dict[str, Any]], year_id: str) -> str:
    bad = [r for r in rows if r["problem"]]
    n = len(rows)
    listed = "; ".join(f"{r['agency']}: {r['problem']}" for r in bad)
    return (f"{year_id}: {n} agenc{'ies' if n != 1 else 'y'} with officers assigned, "
            f"{n - len(bad)} in order, {len(bad)} with a problem" + (f" ({listed})" if bad else ""))


def register(app: typer.Typer) -> None:
    app.add_typer(agreements_app, name="agreements")
