"""Option types shared by every command (one definition each, reused through Annotated)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Optional

import typer

from crotool.commands.common import ids

# SQLite's largest integer: a bigger id or --limit cannot be bound to a query (it was an
# internal error); Click refuses it as a usage error with the allowed range.
MAX_INT = 2**63 - 1
# --stale-days: a century is more than any plausible "lately" (and far inside date's range).
MAX_DAYS = 36_500


class Fmt(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    html = "html"
    svg = "svg"


FormatOpt = Annotated[
    Fmt,
    typer.Option("--format", "-f", help="Output format. table is for people; json and csv for "
                 "scripts; html and svg are the table as a document.", case_sensitive=False),
]
OutputOpt = Annotated[
    Optional[str],  # noqa: UP045 - Typer needs the Optional spelling on 3.11
    typer.Option("--output", "-o", metavar="FILE",
                 help="Write to FILE (atomically, mode 0600) instead of stdout."),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", "-n",
                       help="Validate and report what would change; write nothing."),
]
YearOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--year", autocompletion=ids("school_years"), metavar="YEAR",
                 help="School year id, e.g. 2023-24 (default: the current one)."),
]
IncludeNotesOpt = Annotated[
    bool, typer.Option("--include-notes", help="Include duty notes (private: CPS, threat "
                       "assessments) in the output."),
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def out(rows: list[dict], fmt: Fmt, output: str | None, view=None, wrap=None) -> None:
    """Render rows in the chosen format (thin wrapper so commands need not import render)."""
    from crotool.render import render

    render(rows, fmt.value, view=view, output=output, wrap=wrap)
