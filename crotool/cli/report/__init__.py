"""`crotool report ...`: the report group and its table, report name -> the module that defines
it (one module per report in this package), built only when that report runs (../lazy.py).
The order is the order of `crotool report --help`."""

from __future__ import annotations

import typer

from crotool.cli.lazy import LazyGroup

REPORTS: dict[str, str] = {
    "coverage": "crotool.cli.report.coverage",
    "duties": "crotool.cli.report.duties",
    "connectors": "crotool.cli.report.connectors",
    "annual": "crotool.cli.report.annual",
    "presence": "crotool.cli.report.presence",
}


class ReportGroup(LazyGroup):
    table = REPORTS


HELP = """Reports over the program's records, each as a table or a document;
`crotool report --help` lists them.

Examples:

\b
  crotool report coverage
  crotool report duties --by month --year 2023-24
  crotool report connectors --stale-days 90
  crotool report annual --year 2023-24 -f html -o annual-2023-24.html
"""

report_app = typer.Typer(cls=ReportGroup, help=HELP, no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
