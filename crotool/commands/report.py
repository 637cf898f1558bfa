"""`crotool report ...`: the report group. Each report registers itself here from its own
module (`report coverage` in gaps.py, `report duties` in duty.py, `report connectors` in
connectors.py), so this module stays a name and a help text."""

from __future__ import annotations

import typer

report_app = typer.Typer(
    help="Reports: coverage (pattern x agency), duties (counts and minutes), connectors "
    "(phase x dimension), presence (days since each school's last duty).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
