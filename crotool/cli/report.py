"""`crotool report ...`: the report group. Each report registers itself on `report_app` from
its own module, which names it in its REPORTS line (see crotool/commands/__init__.py), so
this module stays a name and a help text that lists nothing by hand."""

from __future__ import annotations

import typer

# Read by crotool.cli.commands without importing this module (see there).
WORDS = "report"
ORDER = 100

report_app = typer.Typer(help="""Reports over the program's records, each as a table or a document;
`crotool report --help` lists them.

Examples:

\b
  crotool report coverage
  crotool report duties --by month --year 2023-24
  crotool report connectors --stale-days 90
  crotool report annual --year 2023-24 -f html -o annual-2023-24.html
""", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
