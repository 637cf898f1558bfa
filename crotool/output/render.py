"""Rows -> table, JSON, CSV, Markdown, HTML or SVG; the only module (with `views`, `charts`
and `document` next to it) that formats output.

Rows are plain dicts. A command describes how its rows look with a `View`; every format comes
out of the same rows, so JSON and CSV always carry what the table shows.

**Writing a new report (the API).** Build the rows in the domain, then in the command:

    out(rows, fmt, output, View(
        title="Training due",                   # <title>, the heading, the table's title
        columns=[...], justify={"hours": "right"},
        summary="12 officers: 2 overdue, ...",  # the summary line (the command also prints it)
        period=period_of(year),                  # "school year 2023-24 (2023-09-05 to ...)"
        tone=lambda r: {"overdue": "bad", "due_soon": "partial"}.get(r["status"]),
        chart=lambda rows: charts.bars(...),     # optional inline SVG; also `-f svg`
        extra=[("Missing topics", other_rows, View(...))],  # more tables after the main one
    ), context=...)                              # out() in commands/options.py fills it

- HTML (`document.html`) is a self-contained page: district name, title, period, summary,
  "made on <date> by crotool X.Y", the chart, then semantic tables. Ids get their names
  beside them for the columns in `View.names` (default `NAME_COLUMNS`: feeder_pattern,
  agency, officer(s), school(s), category, connectors), looked up by `out()`. `tone` gives a
  row a colour class (`ok`, `partial`, `bad`, `conflict`, `muted`) that always comes with a
  mark; the words must be in the row already (a status or kind column).
- Charts: `charts.timeline` (bars over a year's days, with gap kinds, hand-overs and optional
  closures), `charts.bars` (horizontal bars), `charts.heat_map` (a grid of counts). Each
  returns an `<svg>` element as text, every data value escaped; `-f svg` wraps it as a
  standalone document. A view without a chart (a list) gets its rows drawn as a text grid.
- Markdown (`document.markdown`): `# title`, the summary, then GitHub tables, with every
  character that could make a link, an image or HTML escaped.
- Terminal tables (`rich_tables`): `build(rows, colour)` may return a custom Rich renderable
  for the main table (`views.py` holds the matrix, the bars and the heat map); the `extra`
  tables always come from the view, after it, as in every document, so a builder never draws
  them. Plain tables never break a date, an id or a number at any width from 80 up: columns
  get at least their longest word, lists wrap between items, and `View.secondary` columns are
  dropped first, in order, when the table cannot fit (the caption says which, under the last
  group of a grouped table). Off a terminal, no line ends in a space.

Rich is imported only for table output and Jinja2 only for HTML: JSON and CSV for cron never
pay for either. Data is never read as Rich markup (cells are `Text`), and control characters,
terminal escape sequences included, are stripped before anything reaches a terminal or a
document. `--output` files are written atomically (temporary file in the same folder, fsync,
rename) with the user's umask, or 0600 when `private` (notes); a character device or a FIFO
is written in place.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from crotool.csvguard import guard
from crotool.errors import EXIT_USAGE, CroError

FORMATS = ("table", "json", "csv", "markdown", "html", "svg")
# `-o FILE` without --format: the format the file's extension names (anything else: table).
EXTENSIONS = {".html": "html", ".htm": "html", ".svg": "svg", ".md": "markdown",
              ".markdown": "markdown", ".csv": "csv", ".json": "json"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# In CSV, tab, CR and LF are data (a multi-line note), quoted by the csv module; the other
# control characters (ESC above all) would reach a terminal that `cat`s the file.
_CSV_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_C1 = re.compile(r"[\x7f-\x9f]")  # only ever inside JSON strings: the rest is ASCII

# Columns whose values are ids of a section with names: documents show the name beside the id.
NAME_COLUMNS = {
    "feeder_pattern": "feeder_patterns", "pattern": "feeder_patterns",
    "also_feeds": "feeder_patterns", "agency": "agencies", "officer": "officers",
    "officers": "officers", "school": "schools", "schools": "schools",
    "category": "duty_categories", "connectors": "connectors",
}
TONES = ("ok", "partial", "bad", "conflict", "muted")


@dataclass
class View:
    """How rows look in a table and a document. Everything is optional."""

    title: str | None = None
    columns: Sequence[str] | None = None  # keys, in order; default: the first row's keys
    # Columns the table (and documents) leave out because a title already says them (the
    # school year of a gaps report); machine formats keep every column.
    table_hide: frozenset[str] = frozenset()
    headers: dict[str, str] = field(default_factory=dict)
    group_by: str | None = None  # one table per value of this key, in row order
    row_style: Callable[[dict], str | None] | None = None  # Rich style (terminal only)
    cell_style: Callable[[str, dict], str | None] | None = None
    justify: dict[str, str] = field(default_factory=dict)
    build: Callable[[list[dict], bool], Any] | None = None  # (rows, colour) -> Rich renderable
    caption: str | None = None
    empty: str = "no records"
    summary: str | None = None  # the summary line documents carry
    period: str | None = None  # what the report covers, e.g. a school year and its dates
    chart: Callable[[list[dict]], str] | None = None  # an inline <svg> (charts.py)
    names: Mapping[str, str] | None = None  # column -> section; None: NAME_COLUMNS
    secondary: Sequence[str] = ()  # columns a narrow terminal drops first, in this order
    tone: Callable[[dict], str | None] | None = None  # a row's colour class (TONES)
    tone_words: Mapping[str, str] = field(default_factory=dict)  # tone -> meaning, the legend
    extra: Sequence[tuple[list[dict], View]] = ()  # more tables after the main one
    heading: str | None = None  # the main table's heading in a document (default "Details")
    ids: frozenset[str] = frozenset({"id"})  # numbers that are ids: no thousands separator
    level: int = 2  # an extra table's heading level: 3 = it belongs to the part before it
    # Titled lists of sentences after the tables, in documents (the annual report's warnings).
    lists: Sequence[tuple[str, Sequence[str]]] = ()
    # What an empty cell of a column says in tables and documents ("never" for no date);
    # JSON and CSV keep the empty value.
    blanks: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """What a document says around the rows: looked up by the command (out()), not here."""

    district: str | None = None
    period: str | None = None  # used when the view has none (lists: the current year)
    year: str | None = None  # the current school year's id, and its dates in words
    year_span: str | None = None  # ("school year 2023-24 (2023-09-05 to 2024-06-21)")
    made_on: date | None = None
    names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # section -> id -> name


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


_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?Z?)$")


def shown(value: Any, column: str = "", view: View | None = None) -> str:
    """A cell for people: like `clean`, with thousands separators in large numbers, and a
    date-time as its date and its time (two words, so a narrow table wraps between them,
    never inside the date)."""
    if (isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000
            and column not in (view.ids if view else {"id"})):
        return f"{value:,}"
    text = clean(value)
    if isinstance(value, str):
        text = _DATETIME.sub(r"\1 \2", text)
    if not text and view is not None and view.blanks:
        return view.blanks.get(column, "")
    return text


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


def format_for(fmt: str | None, output: str | None) -> str:
    """An explicit --format wins; else `-o FILE`'s extension; else table."""
    if fmt is not None:
        return fmt
    if output is None or output == "-":
        return "table"
    return EXTENSIONS.get(Path(output).suffix.lower(), "table")


def name_sections(view: View) -> set[str]:
    """The sections whose names a document of this view shows (extra tables included)."""
    found: set[str] = set()
    for v in (view, *(v for _, v in view.extra)):
        names = NAME_COLUMNS if v.names is None else v.names
        cols = v.columns or list(names)
        found.update(names[c] for c in cols if c in names)
    return found


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


def _terminal_width(terminal: bool) -> int | None:
    """$COLUMNS when set (a cron mail, `COLUMNS=80 crotool ... | less`), the terminal's width
    on a terminal, else None: a file gets the table at its natural width."""
    raw = os.environ.get("COLUMNS", "")
    if raw.isdigit() and int(raw) >= 20:
        return int(raw)
    if terminal:
        import shutil

        return shutil.get_terminal_size().columns
    return None


def fit_widths(spans: Sequence[tuple[int, int]], width: int) -> list[int] | None:
    """Column widths (min, max each) that fit `width`: every column its minimum, the room left
    shared out in proportion to what each still wants. None when the minimums do not fit."""
    need = sum(lo for lo, _ in spans)
    if need > width:
        return None
    widths = [lo for lo, _ in spans]
    room = width - need
    want = [hi - lo for lo, hi in spans]
    total = sum(want)
    if total <= room:
        return [hi for _, hi in spans]
    for i, w in enumerate(want):
        widths[i] += room * w // total
    return widths


_RELAX = object()
_DIGIT = re.compile(r"\d")
_FOLDABLE = 10  # a digit-free word of free text may fold down to this many characters


def _words(text: str, relax: bool = False) -> int:
    """The longest word: the narrowest a column can be without breaking one."""
    if relax and " " in text:
        # Folding keeps a word's first characters together: room up to its last digit
        # keeps `2024-04-16/After-incident` or `"2024-03-12",` whole where it matters.
        return max((max(m.end() for m in _DIGIT.finditer(w)) if _DIGIT.search(w)
                    else min(len(w), _FOLDABLE) for w in text.split()), default=0)
    return max((len(w) for w in text.split()), default=0)


def rich_tables(rows: list[dict], view: View, *, width: int | None = None,
                colour: bool = False, plan: Any = None, show_caption: bool = True) -> Any:
    """The Rich renderable for table output, fitted to `width` when given; the view's extra
    tables follow the main one (its `build`'s picture, or a plain table), each under its
    title: this is the one place that lays out what the terminal shows."""
    from rich.console import Group
    from rich.text import Text

    if view.extra:
        from dataclasses import replace

        main = rich_tables(rows, replace(view, extra=()), width=width, colour=colour)
        parts = [main]
        for extra_rows, extra_view in view.extra:
            parts.append(Text(""))
            if extra_rows:
                parts.append(rich_tables(extra_rows, extra_view, width=width, colour=colour))
            else:
                parts += [Text(clean(extra_view.title or ""), style="bold"),
                          Text(extra_view.empty, style="dim")]
        return Group(*parts)
    if view.build is not None:
        return view.build(rows, colour)
    if not rows:
        return Text(view.empty, style="dim")
    cols, heads, widths, dropped = plan_table(rows, view, width) if plan is None else plan
    return _tables(rows, view, cols, heads, widths, dropped, width,
                   show_caption=show_caption)


def plan_table(rows: list[dict], view: View, width: int | None
               ) -> tuple[list[str], dict[str, str], list[int] | None, list[str]]:
    """The columns a table of `rows` shows, their headers, their widths (None: natural) and
    the secondary columns dropped to fit `width`."""
    cols = [c for c in columns_of(rows, view) if c not in view.table_hide]
    if view.group_by:
        cols = [c for c in cols if c != view.group_by]
    texts = {c: [shown(r.get(c), c, view) for r in rows] for c in cols}
    heads = {c: view.headers.get(c, c.replace("_", " ")) for c in cols}
    dropped: list[str] = []
    widths: list[int] | None = None
    if width is not None:
        relax = False
        for candidate in [None, *view.secondary, _RELAX]:
            if candidate is _RELAX:
                relax = True
            elif candidate is not None and candidate in cols:
                cols.remove(candidate)
                dropped.append(heads[candidate])
            # A column is at least its longest word (a date, an id, a number, a list item)
            # and its header's longest word; borders and padding take 3 per column, plus 1.
            # Last resort (secondary columns gone): words without digits in free text (names,
            # titles) may fold; a word with a date, id or number in it never does.
            spans = [(max(_words(heads[c], relax), *(_words(x, relax) for x in texts[c]), 1),
                      max(len(heads[c]), *(len(x) for x in texts[c]), 1)) for c in cols]
            widths = fit_widths(spans, width - 3 * len(cols) - 1)
            if widths is not None:
                break
    return cols, heads, widths, dropped


def grouped(rows: list[dict], view: View) -> list[tuple[Any, list[dict]]]:
    """The rows in runs of one `view.group_by` value each (in their order), or one run of
    them all (key None) when the view has no groups."""
    if not view.group_by:
        return [(None, rows)]
    groups: list[tuple[Any, list[dict]]] = []
    for row in rows:
        key = row.get(view.group_by)
        if not groups or groups[-1][0] != key:
            groups.append((key, []))
        groups[-1][1].append(row)
    return groups


def _tables(rows: list[dict], view: View, cols: list[str], heads: dict[str, str],
            widths: list[int] | None, dropped: list[str], width: int | None, *,
            show_caption: bool = True) -> Any:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    groups = grouped(rows, view)

    caption = view.caption if show_caption else None
    if dropped and show_caption:
        caption = ((caption + " ") if caption else "") + (
            f"Left out to fit: {', '.join(dropped)} (a wider terminal or -f csv shows them).")
    tables = []
    for n, (key, members) in enumerate(groups, 1):
        prefix = f"{view.title}: " if view.title else ""
        title = view.title if key is None else f"{prefix}{clean(key)}"
        heading = Text(title) if title else None
        # Rich wraps a title to its table's width: without a minimum, a narrow table broke
        # "Schools: east" over three lines.
        min_width = heading.cell_len if heading else None
        if min_width and width:
            min_width = min(min_width, width)
        table = Table(title=heading, title_justify="left",
                      caption=Text(caption) if caption and n == len(groups) else None,
                      caption_justify="left", header_style="bold", expand=False,
                      min_width=min_width)
        for i, c in enumerate(cols):
            table.add_column(Text(heads[c]),
                             justify=view.justify.get(c, "left"),  # type: ignore[arg-type]
                             overflow="fold", width=widths[i] if widths else None)
        for row in members:
            cells = []
            for c in cols:
                style = view.cell_style(c, row) if view.cell_style else None
                cells.append(Text(shown(row.get(c), c, view), style=style or ""))
            table.add_row(*cells, style=view.row_style(row) if view.row_style else None)
        tables.append(table)
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


def to_table_text(rows: list[dict], view: View, *, terminal: Any = None) -> str | None:
    """The table as plain text (no trailing spaces); with `terminal`, printed straight to it
    in colour instead."""
    if terminal is not None:
        width = _terminal_width(True)
        make_console(file=terminal, colour=True, width=width).print(
            rich_tables(rows, view, width=width, colour=True))
        return None
    width = _terminal_width(False)
    renderable = rich_tables(rows, view, width=width)
    console = make_console(file=io.StringIO(), record=True,
                           width=width or _natural_width(renderable))
    console.print(renderable)
    text = console.export_text(styles=False)
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


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
    if isinstance(rows, Encoded) or not isinstance(rows, list) and view.columns and (
            wrap is None) and (fmt in ("json", "csv") or (fmt in ("table", "markdown") or (
                fmt == "html" and view.chart is None)) and _streamable(view)):
        stream_rows(rows, fmt, view=view, output=output, private=private, context=context)
        return
    assert not isinstance(rows, Encoded)
    rows = list(rows)
    cols = columns_of(rows, view)
    context = context or Context()
    if fmt == "json":
        text = to_json({"rows": rows, **wrap} if wrap is not None else rows)
    elif fmt == "csv":
        text = to_csv(rows, cols)
    elif fmt == "markdown":
        from crotool.output import document

        text = document.markdown(rows, view, context)
    elif fmt == "html":
        from crotool.output import document

        text = document.html(rows, view, context)
    elif fmt == "svg":
        from crotool.output import charts

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
        if output is None and _colour_allowed(stream):
            to_table_text(rows, view, terminal=stream)
            return
        text = to_table_text(rows, view) or ""
    emit(text, output, private=private)


# ---------------------------------------------------------------- streaming

STREAM_CHUNK = 500  # rows formatted (and a table's widths planned) at a time


@dataclass
class Encoded:
    """Rows already written as text in `fmt`: a row's JSON object each (SQLite's, by the
    expression `json_sql` gives), or pieces of CSV (`csv_text`). Render passes them on."""

    fmt: str
    lines: Iterable[str]


def json_sql(columns: Sequence[str], *, bools: Sequence[str] = (),
             json_columns: Sequence[str] = ()) -> str:
    """The SQL expression that writes a row of `columns` (names of the query's columns, never
    user input) as the JSON object `to_json` would: `bools` (0/1) as true/false,
    `json_columns` (JSON text, e.g. json_group_array) as their JSON, the rest as values. Keys
    keep the order given; DEL and C1 characters are escaped as the chunks are written."""
    parts = []
    for c in columns:
        value = f'"{c}"'
        if c in bools:
            value = f"json(CASE WHEN {value} THEN 'true' ELSE 'false' END)"
        elif c in json_columns:
            value = f"json({value})"
        parts.append(f"'{c}', {value}")
    return f"json_object({', '.join(parts)})"


def csv_text(rows: Iterable[Sequence[Any]], columns: Sequence[str], *,
             bools: Sequence[str] = (), json_lists: Sequence[str] = (),
             identifiers: Sequence[str] = ()) -> Iterator[str]:
    """Rows as SQLite returns them (tuples in `columns` order) as the CSV `stream_csv` writes
    of the same rows as dicts, STREAM_CHUNK rows a piece, without a dict or a call per cell:
    `bools` (0/1) true/false, `json_lists` (JSON text) their items, `identifiers` (what
    validation lets into an id, a code or a date: never quoted, never guarded) as they are,
    and any other text through the formula guard when its first character could start one."""
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180
    flags = [i for i, c in enumerate(columns) if c in bools]
    lists = [i for i, c in enumerate(columns) if c in json_lists]
    texts = [i for i, c in enumerate(columns) if c not in (*bools, *json_lists, *identifiers)]
    cell, trigger = _csv_cell, _GUARD_FIRST
    it = iter(rows)
    while chunk := list(islice(it, STREAM_CHUNK)):
        out = []
        for row in chunk:
            r = list(row)
            for i in flags:
                r[i] = "true" if r[i] else "false"
            for i in lists:
                r[i] = "" if r[i] == "[]" else cell(json.loads(r[i]))
            for i in texts:
                v = r[i]
                if v is not None and v.__class__ is not int and (
                        v.__class__ is not str or v[:1] in trigger or not v.isprintable()):
                    r[i] = cell(v)
            out.append(r)
        writer.writerows(out)
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()


def _streamable(view: View) -> bool:
    """A plain list (one table, no custom picture, no groups) can be printed chunk by chunk."""
    return view.build is None and not view.extra and not view.group_by


def stream_rows(rows: Iterable[dict] | Encoded, fmt: str, *, view: View, output: str | None,
                private: bool = False, context: Context | None = None) -> None:
    """JSON, CSV, a table, Markdown or HTML written chunk by chunk as the rows come (a
    cursor's rows are never all in memory); to `output` atomically (a temporary file renamed
    when complete). Markdown and HTML are the documents `document.markdown` / `html` make
    of the same rows (see `document.stream_html` for where their summary goes)."""
    cols = list(view.columns or ())
    if isinstance(rows, Encoded):
        if rows.fmt != fmt or fmt not in ("json", "csv"):
            raise ValueError(f"rows encoded as {rows.fmt} cannot be written as {fmt}")
        with open_output(output, private=private) as write:
            if fmt == "json":
                _write_json_lines(rows.lines, write)
            else:  # pieces of CSV text (csv_text), after the header
                write(_csv_header(cols))
                for piece in rows.lines:
                    write(piece)
        return
    it = iter(rows)
    if fmt == "table" and (output is None or output == "-") and _colour_allowed(sys.stdout):
        _table_on_terminal(it, view)
        return
    with open_output(output, private=private) as write:
        if fmt == "json":
            stream_json(it, write)
        elif fmt == "csv":
            stream_csv(it, cols, write)
        elif fmt == "markdown":
            from crotool.output import document

            document.stream_markdown(it, view, context or Context(), write)
        elif fmt == "html":
            from crotool.output import document

            document.stream_html(it, view, context or Context(), write)
        else:
            stream_table(it, view, write, _terminal_width(False))


def stream_json(rows: Iterable[dict], write: Callable[[str], Any]) -> None:
    """A JSON array, one object a line: `[`, the rows joined by `,`, `]`."""
    encode = json.JSONEncoder(ensure_ascii=False, default=_json_default).encode
    _write_json_lines(map(encode, rows), write)


def _write_json_lines(lines: Iterable[str], write: Callable[[str], Any]) -> None:
    first = True
    it = iter(lines)
    while chunk := list(islice(it, STREAM_CHUNK)):
        text = ("[\n  " if first else ",\n  ") + ",\n  ".join(chunk)
        # DEL and C1 (CSI is U+009B) as \u escapes: the same data, and nothing a terminal
        # obeys reaches it (they can only be inside strings: the rest is ASCII).
        write(_C1.sub(lambda m: f"\\u{ord(m.group()):04x}", text))
        first = False
    write("[]\n" if first else "\n]\n")


def _csv_header(cols: Sequence[str]) -> str:
    import csv

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow([csv_safe(c) for c in cols])
    return buf.getvalue()


def stream_csv(rows: Iterable[dict], cols: list[str], write: Callable[[str], Any]) -> None:
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180
    write(_csv_header(cols))
    it = iter(rows)
    cell, trigger = _csv_cell, _GUARD_FIRST
    while chunk := list(islice(it, STREAM_CHUNK)):
        # The cells that need nothing (a number, no value, printable text that no spreadsheet
        # would run) pass as they are, without a call each: csv writes None as "".
        writer.writerows([v if v is None or v.__class__ is int or (
            v.__class__ is str and v[:1] not in trigger and v.isprintable()) else cell(v)
            for v in map(row.get, cols)] for row in chunk)
        write(buf.getvalue())
        buf.seek(0)
        buf.truncate()
    write(buf.getvalue())


def stream_table(rows: Iterator[dict], view: View, write: Callable[[str], Any],
                 width: int | None) -> None:
    """A table as plain text, STREAM_CHUNK rows at a time. Up to one chunk it is the table
    `to_table_text` draws; past that, a chunk plans the columns (what fits `width`, or their
    natural widths), Rich draws it with those widths, and the later rows are laid out in the
    same columns and box, their cells wrapped between words as Rich wraps them. A row with a
    word too long for its column (an id past the first chunk's longest) closes the box and
    starts a new one planned from its chunk: a word is never broken."""
    first = list(islice(rows, STREAM_CHUNK))
    if len(first) < STREAM_CHUNK:
        write(to_table_text(first, view) or "")
        return
    from dataclasses import replace

    chunk: list[dict] = first
    segment_view = view
    dropped: list[str] = []
    total = 20
    while chunk:
        cols, heads, widths, dropped = plan_table(chunk, segment_view, width)
        if widths is None:  # natural widths: the chunk's longest cells
            widths = [max(len(heads[c]), *(len(shown(r.get(c), c, view)) for r in chunk), 1)
                      for c in cols]
        total = sum(widths) + 3 * len(cols) + 1
        renderable = _tables(chunk, segment_view, cols, heads, widths, dropped, total,
                             show_caption=False)
        console = make_console(file=io.StringIO(), record=True, width=max(total, 20))
        console.print(renderable)
        lines = [line.rstrip() for line in console.export_text(styles=False).splitlines()]
        bottom = lines.pop()  # the box's last line: it closes the table, after every row
        write("".join(line + "\n" for line in lines))
        justify = [view.justify.get(c, "left") for c in cols]
        chunk = []
        while batch := list(islice(rows, STREAM_CHUNK)):
            out: list[str] = []
            for n, row in enumerate(batch):
                texts = [shown(row.get(c), c, view) for c in cols]
                if any(len(t) > w and _words(t) > w for t, w in zip(texts, widths, strict=True)):
                    chunk = batch[n:]  # re-plan from here
                    break
                cells = [_wrap_cell(t, w) for t, w in zip(texts, widths, strict=True)]
                for i in range(max(len(c) for c in cells)):
                    parts = []
                    for cell, w, j in zip(cells, widths, justify, strict=True):
                        text = cell[i] if i < len(cell) else ""
                        parts.append(text.rjust(w) if j == "right" else
                                     text.center(w) if j == "center" else text.ljust(w))
                    out.append("│ " + " │ ".join(parts) + " │\n")
            write("".join(out))
            if chunk:
                chunk += list(islice(rows, STREAM_CHUNK - len(chunk)))
                break
        write(bottom + "\n")
        segment_view = replace(view, title=None)
    caption = view.caption
    if dropped:
        caption = ((caption + " ") if caption else "") + (
            f"Left out to fit: {', '.join(dropped)} (a wider terminal or -f csv shows them).")
    if caption:
        import textwrap

        write("".join(line.rstrip() + "\n" for line in textwrap.wrap(
            clean(caption), max(total, 20), break_on_hyphens=False)))


_GUARD_FIRST = frozenset("'=+-@\t\r\n")  # a text cell starting with one may need csvguard


def _csv_cell(value: Any) -> str:
    """`csv_safe`, with fast paths for the common cells (a million rows have ten million)."""
    kind = type(value)
    if kind is str:
        # printable: no control character to strip, so only the formula guard is left
        return guard(value) if value.isprintable() else csv_safe(value)
    if kind is int:
        return str(value)
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    if kind is list and not value:
        return ""
    return csv_safe(value)


def _wrap_cell(text: str, width: int) -> list[str]:
    if len(text) <= width and "\n" not in text:
        return [text]
    import textwrap

    lines: list[str] = []
    for part in text.split("\n"):
        lines += textwrap.wrap(part, width, break_on_hyphens=False) or [""]
    return lines


def _table_on_terminal(rows: Iterator[dict], view: View) -> None:
    """On a terminal: a table that fits one chunk in colour, as always; a longer one through
    $PAGER (`less -FRX` when unset, as git does; an empty $PAGER or `cat` streams it)."""
    first = list(islice(rows, STREAM_CHUNK))
    if len(first) < STREAM_CHUNK:
        to_table_text(first, view, terminal=sys.stdout)
        return
    import itertools
    import shlex
    import subprocess

    width = _terminal_width(True)
    pager = os.environ.get("PAGER", "less -FRX").strip()
    everything = itertools.chain(first, rows)
    if not pager or pager == "cat":
        stream_table(everything, view, _stdout_write, width)
        return
    try:
        proc = subprocess.Popen(shlex.split(pager), stdin=subprocess.PIPE,
                                env={**os.environ, "LESSCHARSET": "utf-8"})
    except (OSError, ValueError):
        stream_table(everything, view, _stdout_write, width)
        return
    assert proc.stdin is not None
    pipe = io.TextIOWrapper(proc.stdin, encoding="utf-8")
    try:
        stream_table(everything, view, pipe.write, width)
        pipe.close()
    except BrokenPipeError:
        pass  # the reader quit the pager before the end: nothing more to show
    finally:
        try:
            pipe.close()
        except BrokenPipeError:
            pass
        proc.wait()


def _stdout_write(text: str) -> None:
    sys.stdout.write(text)


@contextmanager
def open_output(output: str | None, *, private: bool = False
                ) -> Iterator[Callable[[str], Any]]:
    """A `write(text)` for stdout, or for `output` written atomically: the text goes to a
    temporary file in the same folder, renamed over `output` only once complete (see
    `write_atomic`); an error or Ctrl-C on the way leaves `output` as it was."""
    if output is None or output == "-":
        yield _stdout_write
        sys.stdout.flush()
        return
    path = Path(output)
    in_place, folder = _target(path)
    if in_place:
        try:
            with open(path, "w", encoding="utf-8", newline="") as fh:
                yield fh.write
        except OSError as exc:
            raise CroError(f"cannot write {path}: {exc.strerror}") from None
        return
    import tempfile  # here: it imports random (and its seeding), which stdout never needs

    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise CroError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh.write
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600 if private else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise CroError(f"cannot write {path}: {exc.strerror}") from None
        raise


def _target(path: Path) -> tuple[bool, Path]:
    """(write in place, the folder of the temporary file) for an -o path, or a CroError."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise CroError(f"cannot write {path}: {exc.strerror}") from None
    if st is not None and (stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        return True, path.parent
    if st is not None and not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        raise CroError(f"cannot write {path}: not a regular file",
                       hint="give a file name, or - for stdout")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise CroError(f"cannot write {path}: no folder {folder}")
    return False, folder


def emit(text: str, output: str | None, *, private: bool = False) -> None:
    if output is None or output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomic(Path(output), text, private=private)


def _umask() -> int:
    mask = os.umask(0o077)  # reading the umask means setting it; set it straight back
    os.umask(mask)
    return mask


def write_atomic(path: Path, text: str, *, private: bool = False) -> None:
    """Write a whole file or nothing: a reader never sees half of it.

    The mode follows the umask, as any tool's output does (a web server can read a nightly
    report); `private` (notes) makes it 0600. A character device or a FIFO (`/dev/null`, a
    pipe a script reads) is written in place: replacing it would put a regular file there.
    The one mechanism is `open_output`, which streams; this is its whole-text form.
    """
    with open_output(str(path), private=private) as write:
        write(text)


def message(text: str) -> None:
    """A human message (what changed, what to do next): stderr, never mixed with data."""
    sys.stderr.write(clean(text).rstrip("\n") + "\n") if "\n" not in text else sys.stderr.write(
        "\n".join(clean(line) for line in text.splitlines()) + "\n")


# ---------------------------------------------------------------- titled documents


@dataclass
class Part:
    """One titled section of a document report: a table of rows."""

    title: str
    rows: list[dict]
    columns: Sequence[str]
    headers: dict[str, str] = field(default_factory=dict)
    empty: str = "none"


def render_document(title: str, parts: Sequence[Part], fmt: str, output: str | None, *,
                    summary: str, period: str | None = None,
                    context: Context | None = None) -> None:
    """A report of several titled parts (the annual report) in a human format: the first
    part is the main table, the others follow it, in every document format."""
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
