"""Rows -> table, JSON, CSV, Markdown, HTML or SVG; the only module that formats output.

Rows are plain dicts. A command describes how its rows look in a table with a `View` (columns,
grouping, a colour per row, or a custom Rich renderable for matrices and bars); every format
comes out of the same rows, so JSON and CSV always carry what the table shows.

Rich is imported only for table, HTML and SVG output: JSON and CSV for cron never pay for it.
Data is never read as Rich markup (cells are `Text`), and control characters, terminal escape
sequences included, are stripped before anything reaches a terminal or a document.
`--output` files are written atomically (temporary file in the same folder, fsync, rename), 0600.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from crotool.csvguard import guard
from crotool.errors import CroError

FORMATS = ("table", "json", "csv", "markdown", "html", "svg")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# In CSV, tab, CR and LF are data (a multi-line note), quoted by the csv module; the other
# control characters (ESC above all) would reach a terminal that `cat`s the file.
_CSV_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_C1 = re.compile(r"[\x7f-\x9f]")  # only ever inside JSON strings: the rest is ASCII


@dataclass
class View:
    """How rows look in a table (and HTML/SVG). Everything is optional."""

    title: str | None = None
    columns: Sequence[str] | None = None  # keys, in order; default: the first row's keys
    # Columns the table (and HTML/SVG) leave out because a title already says them (the
    # school year of a gaps report); machine formats keep every column.
    table_hide: frozenset[str] = frozenset()
    headers: dict[str, str] = field(default_factory=dict)
    group_by: str | None = None  # one table per value of this key, in row order
    row_style: Callable[[dict], str | None] | None = None
    cell_style: Callable[[str, dict], str | None] | None = None
    justify: dict[str, str] = field(default_factory=dict)
    build: Callable[[list[dict]], Any] | None = None  # a custom Rich renderable
    caption: str | None = None
    empty: str = "no records"


def clean(value: Any) -> str:
    """Text for a terminal or document: lists joined, control characters removed."""
    return _CONTROL.sub("", cell_text(value))


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(cell_text(v) for v in value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def csv_safe(value: Any) -> str:
    """A CSV cell that no spreadsheet runs as a formula (a leading ' neutralises it)."""
    if isinstance(value, (list, tuple)):
        text = ";".join(cell_text(v) for v in value)
    else:
        text = cell_text(value)
    text = _CSV_CONTROL.sub("", text)
    if isinstance(value, (int, float)):
        return text
    return guard(text)


def _json_default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def columns_of(rows: list[dict], view: View) -> list[str]:
    if view.columns:
        return list(view.columns)
    return list(rows[0]) if rows else []


# ---------------------------------------------------------------- formats


def to_json(rows: Any) -> str:
    text = json.dumps(rows, ensure_ascii=False, indent=2, default=_json_default) + "\n"
    # json escapes C0 controls but writes DEL and C1 (U+0080-U+009F; CSI is U+009B) raw: as
    # \u escapes the data is the same, and nothing a terminal obeys reaches it.
    return _C1.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def to_csv(rows: list[dict], cols: list[str]) -> str:
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180
    writer.writerow([csv_safe(c) for c in cols])
    for row in rows:
        writer.writerow([csv_safe(row.get(c)) for c in cols])
    return buf.getvalue()


def to_markdown(rows: list[dict], cols: list[str], view: View) -> str:
    def esc(value: Any) -> str:
        # Markdown renderers pass inline HTML through: data must never become markup there.
        text = clean(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    out = []
    if view.title:
        out += [f"## {esc(view.title)}", ""]
    out.append("| " + " | ".join(esc(view.headers.get(c, c)) for c in cols) + " |")
    out.append("|" + "|".join(" ---: " if view.justify.get(c) == "right" else " --- "
                               for c in cols) + "|")
    for row in rows:
        out.append("| " + " | ".join(esc(row.get(c)) for c in cols) + " |")
    return "\n".join(out) + "\n"


def rich_tables(rows: list[dict], view: View) -> Any:
    """The Rich renderable for table/HTML/SVG output."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    if view.build is not None:
        return view.build(rows)
    cols = [c for c in columns_of(rows, view) if c not in view.table_hide]
    groups: list[tuple[Any, list[dict]]] = []
    if view.group_by:
        for row in rows:
            key = row.get(view.group_by)
            if not groups or groups[-1][0] != key:
                groups.append((key, []))
            groups[-1][1].append(row)
        cols = [c for c in cols if c != view.group_by]
    else:
        groups.append((None, rows))

    tables = []
    for key, members in groups:
        prefix = f"{view.title}: " if view.title else ""
        title = view.title if key is None else f"{prefix}{clean(key)}"
        heading = Text(title) if title else None
        # Rich wraps a title to its table's width: without a minimum, a narrow table broke
        # "Schools: east" over three lines.
        table = Table(title=heading, title_justify="left",
                      caption=Text(view.caption) if view.caption and key is None else None,
                      header_style="bold", expand=False,
                      min_width=heading.cell_len if heading else None)
        for c in cols:
            table.add_column(Text(view.headers.get(c, c.replace("_", " "))),
                             justify=view.justify.get(c, "left"), overflow="fold")
        for row in members:
            cells = []
            for c in cols:
                style = view.cell_style(c, row) if view.cell_style else None
                cells.append(Text(clean(row.get(c)), style=style or ""))
            table.add_row(*cells, style=view.row_style(row) if view.row_style else None)
        tables.append(table)
    if not rows:
        return Text(view.empty, style="dim")
    return tables[0] if len(tables) == 1 else Group(*tables)


def _colour_allowed(stream: Any) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def make_console(*, file: Any = None, record: bool = False, width: int | None = None,
                 colour: bool = False) -> Any:
    from rich.console import Console

    return Console(
        file=file, record=record, width=width, force_terminal=colour,
        no_color=not colour, color_system="auto" if colour else None,
        highlight=False, emoji=False, markup=False, soft_wrap=False,
        legacy_windows=False,
    )


def _natural_width(renderable: Any) -> int:
    probe = make_console(file=io.StringIO(), width=4000)
    return max(60, min(4000, probe.measure(renderable).maximum))


def to_rich_text(rows: list[dict], view: View, fmt: str, *, terminal: Any = None) -> str | None:
    """table/html/svg as a string; with `terminal`, print the table straight to it instead."""
    renderable = rich_tables(rows, view)
    if terminal is not None and fmt == "table":
        console = make_console(file=terminal, colour=True)
        console.print(renderable)
        return None
    width = _natural_width(renderable)
    console = make_console(file=io.StringIO(), record=True, width=width,
                           colour=fmt in ("html", "svg"))
    console.print(renderable)
    if fmt == "html":
        return console.export_html(inline_styles=True)
    if fmt == "svg":
        return console.export_svg(title=view.title or "crotool")
    return console.export_text(styles=False)


def render(rows: list[dict], fmt: str = "table", *, view: View | None = None,
           output: str | None = None, wrap: dict | None = None) -> None:
    """Write rows in `fmt` to stdout or (atomically) to `output`.

    `wrap`: for JSON only, reports that must carry more than rows write
    `{"rows": [...], **wrap}` (their --help says so).
    """
    view = view or View()
    if fmt not in FORMATS:
        raise CroError(f"unknown format '{fmt}'; use one of {', '.join(FORMATS)}", code=2)
    cols = columns_of(rows, view)
    if fmt == "json":
        text = to_json({"rows": rows, **wrap} if wrap is not None else rows)
    elif fmt == "csv":
        text = to_csv(rows, cols)
    elif fmt == "markdown":
        text = to_markdown(rows, cols, view)
    else:
        stream = sys.stdout
        if output is None and fmt == "table" and _colour_allowed(stream):
            to_rich_text(rows, view, fmt, terminal=stream)
            return
        text = to_rich_text(rows, view, fmt) or ""
    emit(text, output)


def emit(text: str, output: str | None) -> None:
    if output is None or output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomic(Path(output), text)


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write a whole file or nothing: a reader never sees half of it. Mode 0600."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise CroError(f"cannot write {path}: no folder {folder}")
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise CroError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        # os.replace swaps the directory entry: a symlink at `path` is replaced, not followed.
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise CroError(f"cannot write {path}: {exc.strerror}") from None
        raise


def message(text: str) -> None:
    """A human message (what changed, what to do next): stderr, never mixed with data."""
    sys.stderr.write(clean(text).rstrip("\n") + "\n") if "\n" not in text else sys.stderr.write(
        "\n".join(clean(line) for line in text.splitlines()) + "\n")
