"""`crotool import TABLE FILE` and `crotool imports list`: one-off imports and their history."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from crotool.cli import common
from crotool.cli.options import MAX_INT, Fmt, FormatOpt, OutputOpt, out
from crotool.errors import EXIT_USAGE, CroError
from crotool.intake import importer
from crotool.intake.history import history
from crotool.output.messages import message
from crotool.output.view import View
from crotool.store.schema import IMPORTABLE

MAX_WARNINGS = 20  # a large file's warnings: the first ones by line, then a count

imports_app = typer.Typer(help="""The history of imports and loads: file, SHA-256, counts.

Examples:

\b
  crotool imports list
  crotool imports list -f csv -o imports.csv
""", no_args_is_help=True)

# The tables `import` takes: its help and its completion list them.
_TABLES = IMPORTABLE


class InputFormat(StrEnum):
    csv = "csv"
    json = "json"
    yaml = "yaml"
    xlsx = "xlsx"


class SummaryFormat(StrEnum):
    """--format: the summary's format (as on every command), or, for stdin, the input's
    (csv/json/yaml)."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    html = "html"
    svg = "svg"
    yaml = "yaml"


def _formats(file: str, fmt: SummaryFormat | None, input_format: InputFormat | None,
             output_format: Fmt | None) -> tuple[str | None, Fmt | None]:
    """(the input's format or None for "by extension", the summary's format or None for
    "by -o's extension").

    --format is the summary's format as on every command. Where the input's format
    cannot come from the file name (stdin, an odd extension) and --input-format is not given,
    --format csv|json|yaml names the input instead: `crotool import officers - --format csv`.
    """
    telling = file != "-" and Path(file).suffix.lower() in (".csv", ".json", ".yaml", ".yml",
                                                            ".xlsx", ".xlsm")
    source = input_format.value if input_format else None
    summary = output_format
    if fmt is not None:
        if source is None and not telling and fmt.value in ("csv", "json", "yaml"):
            source = fmt.value
        elif fmt is SummaryFormat.yaml:
            raise CroError("--format yaml: YAML is an input format here; give --input-format "
                           "yaml", code=EXIT_USAGE)
        elif summary is None:
            summary = Fmt(fmt.value)
    importer.input_format(file, source)  # refuses stdin or an odd extension with no format, now
    return source, summary


def _complete_table(incomplete: str) -> list[str]:
    return [t for t in _TABLES if t.startswith(incomplete)]


def import_cmd(
    table: Annotated[str, typer.Argument(
        metavar="TABLE", autocompletion=_complete_table,
        help=f"What the file holds: {', '.join(_TABLES)}.")],
    file: Annotated[str, typer.Argument(
        metavar="FILE", help="A .csv, .xlsx (an Excel workbook), .json (an array of objects) or "
        ".yaml/.yml (a list) file; - reads stdin (give --format).")],
    fmt: Annotated[SummaryFormat | None, typer.Option(
        "--format", "-f", case_sensitive=False,
        help="Format of the summary on stdout, as for every command. For - (stdin) or a file "
        "without a telling extension, csv, json or yaml names the input instead (or give "
        "--input-format).")] = None,
    input_format: Annotated[InputFormat | None, typer.Option(
        "--input-format", case_sensitive=False,
        help="The input's format, for - (stdin) or a file without a telling extension.")] = None,
    sheet: Annotated[str | None, typer.Option(
        "--sheet", metavar="NAME", help="The workbook's sheet to read (.xlsx; default: the "
        "first).")] = None,
    date_format: Annotated[str | None, typer.Option(
        "--date-format", metavar="FMT", help="How the file writes dates (strftime), e.g. "
        "%m/%d/%Y for 9/5/2023; read for every date and date-time field (a date-time as the "
        "date then HH:MM[:SS]). ISO dates (2023-09-05) are read either way.")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", "-n", help="Validate every row and count what would change; write "
        "nothing.")] = False,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="List every record that changes (or would).")] = False,
    output_format: Annotated[Fmt | None, typer.Option(
        "--output-format", case_sensitive=False,
        help="Format of the summary, whatever --format says (e.g. with stdin).")] = None,
    output: OutputOpt = None,
) -> None:
    """Import one table's records from CSV, Excel, JSON or YAML: every row validated, then all
    or none.

    Every row is checked first (types, allowed values, references to what is stored,
    duplicates within the file); any bad row means nothing is written, and each one is
    listed with file:line, its key, the field and what is allowed. Records are matched by
    their natural key: new ones are inserted, changed ones updated (only the columns the file
    gives), so importing the same file again changes nothing and says so.

    CSV: a header row of field names, UTF-8 (a byte-order mark is fine); every cell is text
    converted by its field's type (badge 0123 stays 0123); an empty cell is no value; list
    fields (also_feeds, connectors) separate items with ';'. Large CSV files stream: a
    million duties import in bounded memory, with a progress bar on a terminal. A CSV that
    crotool wrote (`officers list -f csv`) imports as itself: the columns its lists add (id,
    counts) are read past, and its formula guard (a leading ') is taken off.

    Headers match field names ignoring case, spaces, '_' and '-' (`School Trained On`);
    choices ignoring case (`Active`); ids are exact.

    Excel (.xlsx): the first sheet unless --sheet; the first non-empty row names the columns.
    Date cells are dates, whole numbers integers; a formula gives the value Excel saved with
    it (one with none is an error naming its cell, e.g. Roster!C7). A badge column of
    numbers imports as text, with a warning: Excel drops leading zeros.

    Examples:

      crotool import officers roster.csv --dry-run -v

      crotool import duties duties-2023-24.csv

      crotool import engagements input.yaml

      crotool import officers roster.xlsx --sheet Roster

      crotool import duties duties.csv --date-format %m/%d/%Y

      crotool import officers - --format csv < roster.csv

      crotool import duties duties.csv --format json      # the summary as JSON
    """
    def show(change: tuple[str, str, dict[str, Any]]) -> None:
        table_name, what, changes = change
        message(f"  {table_name}: {what} {changes}")

    source_format, summary_format = _formats(file, fmt, input_format, output_format)
    conn = common.connect()
    if file == "-" and sys.stdin.isatty():
        message(f"reading {table} from the terminal: end with Ctrl-D")
    with _progress_bar() as progress:
        result = importer.import_file(
            conn, table, file, fmt=source_format,
            dry_run=dry_run, stdin=sys.stdin.buffer if file == "-" else None,
            on_change=show if verbose else None, progress=progress, sheet=sheet,
            date_format=date_format)
    for warning in result.warnings[:MAX_WARNINGS]:
        message(f"warning: {warning}")
    if len(result.warnings) > MAX_WARNINGS:
        message(f"warning: ... and {len(result.warnings) - MAX_WARNINGS:,} more like these")
    c = result.counts
    verb = "would import" if dry_run else "imported"
    tail = " (dry run: nothing written)" if dry_run else ""
    if not dry_run and c.inserted + c.updated == 0:
        tail = " (nothing changed)"
    noun = "record" if c.total == 1 else "records"
    message(f"{verb} {result.source} into {result.table}: {c.total:,} {noun}, "
            f"{c.inserted:,} new, {c.updated:,} updated, {c.unchanged:,} unchanged{tail}")
    out(result.rows(), summary_format, output, View(
        title="Import", columns=["table", "file", "rows", "inserted", "updated", "unchanged",
                                 "dry_run"],
        justify={"rows": "right", "inserted": "right", "updated": "right",
                 "unchanged": "right"}))


@imports_app.command("list")
def imports_list(
    table: Annotated[str | None, typer.Option(
        "--table", "-t", autocompletion=_complete_table,
        help="Only imports into this table ('*' for seed loads).")] = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", min=1, max=MAX_INT, help="Only the newest N.")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Every recorded import and load, newest first: when, who, file, SHA-256 and counts.

    Loads (`crotool load`) are listed with table '*'.

    Examples:

      crotool imports list

      crotool imports list --table duties -f json
    """
    rows = history(common.connect(reads_only=True), table=table, limit=limit)
    out(rows, fmt, output, View(
        title="Imports", empty="no imports yet",
        columns=["id", "at", "user", "table", "file", "rows", "inserted", "updated",
                 "unchanged", "sha256"],
        justify={c: "right" for c in ("id", "rows", "inserted", "updated", "unchanged")},
        secondary=("sha256", "user", "unchanged", "updated")))


class _NoProgress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


class _RichProgress:
    """importer.Progress as a Rich bar on stderr: bytes read of the total, rows and rows/s."""

    def __enter__(self) -> _RichProgress:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.bar = Progress(
            TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
            TextColumn("{task.fields[rows]:,} rows, {task.fields[rate]:,.0f} rows/s"),
            TimeElapsedColumn(), console=Console(stderr=True), transient=True)
        self.bar.__enter__()
        self.task = self.bar.add_task("reading", total=None, rows=0, rate=0.0)
        return self

    def read(self, done_bytes: int, total_bytes: int | None, rows: int) -> None:
        elapsed = self.bar.tasks[0].elapsed or 0.0
        self.bar.update(self.task, completed=done_bytes, total=total_bytes, rows=rows,
                        rate=rows / elapsed if elapsed > 0 else 0.0)

    def phase(self, text: str) -> None:
        self.bar.update(self.task, description=text)

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)


def _progress_bar() -> Any:
    """A progress bar on stderr when stderr is a terminal; else nothing at all.

    No animation for pipes, cron, `TERM=dumb` or `NO_COLOR`: the import stays silent there.
    """
    if not sys.stderr.isatty() or os.environ.get("TERM") == "dumb" or os.environ.get("NO_COLOR"):
        return _NoProgress()
    return _RichProgress()


def register(app: typer.Typer) -> None:
    app.command("import")(import_cmd)
    app.add_typer(imports_app, name="imports")
