"""Option types shared by every command (one definition each, reused through Annotated), and
`out`, the one way a command hands its rows to the render layer."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated, Any

import typer

from crotool.cli.common import ids
from crotool.errors import CroError
from crotool.output import render
from crotool.output.view import Context, View, name_sections
from crotool.program import packs, years
from crotool.store import db, reads

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
    Fmt | None,
    typer.Option("--format", "-f", help="Output format: table for people; json and csv for "
                 "scripts; html (a page with its chart), markdown, svg (the chart alone). "
                 "Default: from -o FILE's extension, else table.", case_sensitive=False,
                 show_default=False),
]
OutputOpt = Annotated[
    str | None,
    typer.Option("--output", "-o", metavar="FILE",
                 help="Write to FILE (atomically; mode from your umask, 0600 with notes) "
                 "instead of stdout. Its extension (.html .htm .svg .md .csv .json) picks the "
                 "format when --format is not given."),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", "-n",
                       help="Validate and report what would change; write nothing."),
]
YearOpt = Annotated[
    str | None,
    typer.Option("--year", autocompletion=ids("school_years"), metavar="YEAR",
                 help="School year id, e.g. 2023-24 (default: the current one)."),
]
IncludeNotesOpt = Annotated[
    bool, typer.Option("--include-notes", help="Include duty notes (private: CPS, threat "
                       "assessments) in the output; a file written with them is 0600."),
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No summary line on stderr "
                                        "(for cron, which mails any output); warnings stay.")]
# A range of days: the duty log and its report (engagements say theirs in their own words).
FromOpt = Annotated[str | None, typer.Option(
    "--from", metavar="DATE", help="First day (YYYY-MM-DD), inclusive.")]
ToOpt = Annotated[str | None, typer.Option(
    "--to", metavar="DATE", help="Last day (YYYY-MM-DD), inclusive.")]
# The days of engagements: Community Connectors' list and report.
EngagedFromOpt = Annotated[str | None, typer.Option(
    "--from", metavar="DATE", help="Only engagements on or after DATE (YYYY-MM-DD).")]
EngagedToOpt = Annotated[str | None, typer.Option(
    "--to", metavar="DATE", help="Only engagements on or before DATE (YYYY-MM-DD).")]


def fmt_of(fmt: Fmt | None, output: str | None) -> str:
    """The format a command line asks for: --format, else -o FILE's extension, else table."""
    return render.format_for(fmt.value if fmt is not None else None, output)


def out(rows: Iterable[dict] | Any, fmt: Fmt | str | None, output: str | None, view: Any = None,
        wrap: Any = None, *, private: bool = False) -> None:
    """Render rows in the chosen format (commands need not import render); rows read lazily
    (a cursor's) stream in JSON, CSV and a list's table. For documents
    (html, markdown), look up what they say around the rows: the district, the current school
    year, the names beside ids."""
    chosen = fmt if isinstance(fmt, str) else fmt_of(fmt, output)
    if output not in (None, "-"):
        _refuse_database(output)
    view = view or View()
    context = _context(view) if chosen in ("html", "markdown") else None
    render.render(rows, chosen, view=view, output=output, wrap=wrap, context=context,
                  private=private)


def _refuse_database(output: str) -> None:
    """`-o` onto the database (or its -wal/-shm/-journal) would replace it with a report."""
    database = db.resolve_path()
    target = os.path.realpath(output)
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = f"{database}{suffix}"
        same = os.path.realpath(path) == target
        if not same:
            try:
                same = os.path.samefile(path, output)
            except OSError:
                same = False
        if same:
            what = f"the database's {suffix[1:]} file" if suffix else "the database"
            raise CroError(f"-o {output}: that is {what} ({database}); writing there would "
                           "destroy it",
                           hint="give another file name for the report")


def _context(view: Any) -> Any:
    """District name, the current school year and the names a document shows. A database
    that cannot say them (none loaded yet) gives a document without them, not an error."""
    if db.absent_named_file() is not None:  # the command itself said so
        return Context(made_on=years.today())
    try:
        conn = db.connect()
        district = reads.district_name(conn)
        names = reads.names(conn, name_sections(view))
        rules = packs.rules_line(conn)
        try:
            year = years.current_year(conn).year
        except CroError:
            year = None
    except (CroError, sqlite3.Error):
        return Context(made_on=years.today())
    span = reads.period_of(year) if year else None
    return Context(district=district, period=span and f"as of {years.today()}: {span}",
                          year=year.id if year else None, year_span=span,
                          made_on=years.today(), names=names, rules=rules)
