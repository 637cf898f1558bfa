"""Rows -> table, JSON, CSV, Markdown, HTML or SVG: the one call a command makes
(`render(rows, fmt, view=..., output=...)`), which picks the module that formats each.

- view.py: the View spec (how rows look), the Context of a document, how a cell reads;
- encode.py: JSON and CSV, whole or streamed, from dicts, a cursor's tuples or JSON text;
- terminal.py: Rich tables fitted to the terminal, plain text off it, the pager;
- document.py: the HTML page and the Markdown text; charts.py and pictures.py: the pictures;
- files.py: stdout, or `--output` written atomically; messages.py: stderr for people.

Rows may be any iterable (a cursor's rows, read lazily): JSON, CSV, and a plain list's table,
Markdown and HTML then stream chunk by chunk, in bounded memory; the rest read them whole. Rich
is imported only for table output and Jinja2 only for HTML: JSON and CSV for cron never pay for
either.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TypeAlias

from crotool.errors import EXIT_USAGE, CroError
from crotool.output import charts, document, encode, terminal
from crotool.output.encode import JsonObjects, Tuples
from crotool.output.files import emit, open_output
from crotool.output.view import Context, Part, View, clean, columns_of, shown

FORMATS = ("table", "json", "csv", "markdown", "html", "svg")
# `-o FILE` without --format: the format the file's extension names (anything else: table).
EXTENSIONS = {".html": "html", ".htm": "html", ".svg": "svg", ".md": "markdown",
              ".markdown": "markdown", ".csv": "csv", ".json": "json"}
# Rows a cursor already wrote in one machine format: passed on as they are.
Encoded: TypeAlias = Tuples | JsonObjects


def format_for(fmt: str | None, output: str | None) -> str:
    """An explicit --format wins; else `-o FILE`'s extension; else table."""
    if fmt is not None:
        return fmt
    if output is None or output == "-":
        return "table"
    return EXTENSIONS.get(Path(output).suffix.lower(), "table")


def render(rows: Iterable[dict] | Encoded, fmt: str = "table", *, view: View | None = None,
           output: str | None = None, wrap: dict | None = None,
           context: Context | None = None, private: bool = False) -> None:
    """Write rows in `fmt` to stdout or (atomically) to `output`.

    `rows` may be any iterable (a cursor's rows, read lazily): JSON, CSV, and a plain list's
    table, Markdown and HTML then stream, in bounded memory, and the rest read it whole.
    `wrap`: for JSON only, reports that must carry more than rows write
    `{"rows": [...], **wrap}` (their --help says so). `private`: the output carries notes, so
    a file is 0600 whatever the umask.
    """
    view = view or View()
    if fmt not in FORMATS:
        raise CroError(f"unknown format '{fmt}'; use one of {', '.join(FORMATS)}",
                       code=EXIT_USAGE)
    streams = fmt in ("json", "csv") or _streamable(view) and (
        fmt in ("table", "markdown") or fmt == "html" and view.chart is None)
    if isinstance(rows, (Tuples, JsonObjects)) or (
            not isinstance(rows, list) and view.columns and wrap is None and streams):
        stream_rows(rows, fmt, view=view, output=output, private=private, context=context)
        return
    rows = list(rows)
    cols = columns_of(rows, view)
    context = context or Context()
    if fmt == "json":
        text = encode.to_json({"rows": rows, **wrap} if wrap is not None else rows)
    elif fmt == "csv":
        text = encode.to_csv(rows, cols)
    elif fmt == "markdown":
        text = document.markdown(rows, view, context)
    elif fmt == "html":
        text = document.html(rows, view, context)
    elif fmt == "svg":
        if view.chart is not None:
            svg = view.chart(rows)
        else:  # a list: its rows as a plain grid (a report's svg is its chart alone)
            shown_cols = [c for c in cols if c not in view.table_hide]
            svg = charts.table(clean(view.title or "crotool"),
                               [view.headers.get(c, c.replace("_", " ")) for c in shown_cols],
                               [[shown(r.get(c), c, view) for c in shown_cols] for r in rows])
        text = charts.standalone(svg)
    else:
        stream = sys.stdout
        if output is None and terminal.colour_allowed(stream):
            terminal.to_table_text(rows, view, terminal=stream)
            return
        text = terminal.to_table_text(rows, view) or ""
    emit(text, output, private=private)


def _streamable(view: View) -> bool:
    """A plain list (one table, no custom picture, no groups) can be printed chunk by chunk."""
    return view.build is None and not view.extra and not view.group_by


def stream_rows(rows: Iterable[dict] | Encoded, fmt: str, *, view: View, output: str | None,
                private: bool = False, context: Context | None = None) -> None:
    """JSON, CSV, a table, Markdown or HTML written chunk by chunk as the rows come (a
    cursor's rows are never all in memory); to `output` atomically (a temporary file renamed
    when complete). Markdown and HTML are the documents `document.markdown` / `html` make
    of the same rows (see `document.stream_html` for where their summary goes). Rows already
    encoded (`Tuples` for CSV, `JsonObjects` for JSON) are written in that format only."""
    if isinstance(rows, (Tuples, JsonObjects)):
        if fmt != ("csv" if isinstance(rows, Tuples) else "json"):
            raise ValueError(f"rows encoded as {type(rows).__name__} cannot be written as {fmt}")
        with open_output(output, private=private) as write:
            if isinstance(rows, Tuples):
                encode.stream_tuples_csv(rows, write)
            else:
                encode.write_json_objects(rows, write)
        return
    cols = list(view.columns or ())
    it = iter(rows)
    if fmt == "table" and (output is None or output == "-") and terminal.colour_allowed(
            sys.stdout):
        terminal.table_on_terminal(it, view)
        return
    with open_output(output, private=private) as write:
        if fmt == "json":
            encode.stream_json(it, write)
        elif fmt == "csv":
            encode.stream_csv(it, cols, write)
        elif fmt == "markdown":
            document.stream_markdown(it, view, context or Context(), write)
        elif fmt == "html":
            document.stream_html(it, view, context or Context(), write)
        else:
            terminal.stream_table(it, view, write, terminal.terminal_width(False))


def render_document(title: str, parts: Sequence[Part], fmt: str, output: str | None, *,
                    summary: str, period: str | None = None,
                    context: Context | None = None) -> None:
    """A report of several titled parts in a human format: the first part is the main table,
    the others follow it, in every document format."""
    def view_of(part: Part) -> View:
        return View(title=part.title, columns=list(part.columns), headers=part.headers,
                    empty=part.empty, names={})

    first, rest = parts[0], parts[1:]
    main = View(title=title, heading=first.title, columns=list(first.columns),
                headers=first.headers, empty=first.empty, names={}, summary=summary,
                period=period, caption=" · ".join(x for x in (
                    context.district if context else None, period, summary) if x)
                if fmt == "table" else None,
                extra=[(p.rows, view_of(p)) for p in rest])
    render(first.rows, fmt, view=main, output=output, context=context)
