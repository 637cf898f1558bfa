"""`crotool officers ...`: the roster."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer

from crotool.options import FormatOpt, Fmt, OutputOpt, out

officers_app = typer.Typer(help="Officers each agency selects, their training and leave.",
                           no_args_is_help=True)


class Status(str, Enum):
    active = "active"
    inactive = "inactive"


@officers_app.command("list")
def officers_list(
    agency: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--agency", "-a", help="Only this agency's officers.")] = None,
    status: Annotated[Optional[Status], typer.Option(  # noqa: UP045
        "--status", "-s", help="Only active or inactive officers.")] = None,
    fmt: FormatOpt = Fmt.table,
    output: OutputOpt = None,
) -> None:
    """Officers, by agency and badge.

    Examples:

      crotool officers list --agency kirkland-pd

      crotool officers list --status inactive -f json
    """
    from crotool.commands.common import connect
    from crotool.queries import officers
    from crotool.render import View

    rows = officers(connect(), agency=agency, status=status.value if status else None)
    out(rows, fmt, output, View(
        title="Officers",
        row_style=lambda r: "dim" if r["status"] == "inactive" else None))


def register(app: typer.Typer) -> None:
    app.add_typer(officers_app, name="officers")
