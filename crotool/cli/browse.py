"""Browsing the district: `agencies list`, `patterns list`, `schools list`, `categories list`."""

from __future__ import annotations

from typing import Annotated

import typer

from crotool.cli import common
from crotool.cli.common import choices, ids
from crotool.cli.options import FormatOpt, OutputOpt, out
from crotool.output.view import View
from crotool.store import reads
from crotool.store.schema import LEVELS

agencies_app = typer.Typer(help="""The police agencies the district partners with.

Examples:

\b
  crotool agencies list
  crotool agencies list -f json
""", no_args_is_help=True)
patterns_app = typer.Typer(help="""Feeder patterns: a comprehensive high school and the schools that
feed it.

Examples:

\b
  crotool patterns list
  crotool patterns list -f csv -o patterns.csv
""", no_args_is_help=True)
schools_app = typer.Typer(help="""The district's schools.

Examples:

\b
  crotool schools list --pattern redmond
  crotool schools list --agency kcso --level middle -f csv
""", no_args_is_help=True)
categories_app = typer.Typer(help="""Duty categories: the duties of the program text.

Examples:

\b
  crotool categories list
  crotool categories list -f json
""", no_args_is_help=True)


@agencies_app.command("list")
def agencies_list(fmt: FormatOpt = None, output: OutputOpt = None) -> None:
    """Every partner agency, with how many schools lie in its jurisdiction and its officers.

    Example:  crotool agencies list -f json
    """
    out(reads.agencies(common.connect(reads_only=True)), fmt, output, View(
        title="Agencies", columns=["id", "name", "kind", "jurisdiction", "schools", "officers"],
        justify={"schools": "right", "officers": "right"}))


@patterns_app.command("list")
def patterns_list(fmt: FormatOpt = None, output: OutputOpt = None) -> None:
    """Every feeder pattern, its high school, its schools, and the agencies they lie in.

    Example:  crotool patterns list
    """
    out(reads.patterns(common.connect(reads_only=True)), fmt, output, View(
        title="Feeder patterns", columns=["id", "name", "high_school", "schools", "agencies"],
        justify={"schools": "right"}))


@schools_app.command("list")
def schools_list(
    pattern: Annotated[str | None, typer.Option(
        "--pattern", "-p",
        autocompletion=ids("feeder_patterns"),
        help="Only schools of this feeder pattern (split feeders included).")
    ] = None,
    agency: Annotated[str | None, typer.Option(
        "--agency", "-a",
        autocompletion=ids("agencies"), help="Only schools in this agency's jurisdiction.")] = None,
    level: Annotated[str | None, typer.Option(
        "--level", "-l", autocompletion=choices("schools", "level"), metavar="LEVEL",
        help=f"Only schools of this level: {', '.join(LEVELS)}.")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Schools, grouped by feeder pattern (high, middle, elementary, choice).

    Examples:

      crotool schools list --pattern redmond

      crotool schools list --agency kcso --level middle -f csv
    """
    rows = reads.schools(common.connect(reads_only=True), pattern=pattern, agency=agency,
                         level=level)
    out(rows, fmt, output, View(title="Schools", group_by="feeder_pattern",
                                columns=["id", "name", "level", "feeder_pattern", "also_feeds",
                                         "agency", "city", "address"]))


@categories_app.command("list")
def categories_list(fmt: FormatOpt = None, output: OutputOpt = None) -> None:
    """The duty categories, and which are done only on request.

    Example:  crotool categories list
    """
    out(reads.categories(common.connect(reads_only=True)), fmt, output, View(
        title="Duty categories", columns=["id", "name", "requires_request", "description"]))


def register(app: typer.Typer) -> None:
    app.add_typer(agencies_app, name="agencies")
    app.add_typer(patterns_app, name="patterns")
    app.add_typer(schools_app, name="schools")
    app.add_typer(categories_app, name="categories")
