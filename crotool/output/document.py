"""Documents for people: the HTML page and the Markdown text of any View (view.py), whole or
streamed chunk by chunk for a long list.

HTML comes from one Jinja2 template (templates/document.html.j2) with autoescaping on: every
value from data is escaped by the template; the only markup passed through is the chart, which
charts.py builds with every value escaped. Jinja2 (and markupsafe) are imported only on the
HTML path. Markdown escapes every character that could make a link, an image or HTML.

What a page says around the rows (the district, the current year, names beside ids, the day
it is made) comes in the `Context` the caller hands in: nothing here reads a database or the
clock.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from crotool import __version__
from crotool.output.templates import folder
from crotool.output.view import (
    NAME_COLUMNS,
    STREAM_CHUNK,
    Context,
    View,
    clean,
    columns_of,
    grouped,
    shown,
)

MARKS = {"ok": "✓", "partial": "◐", "bad": "✕", "conflict": "!", "muted": "–"}


def _made(ctx: Context) -> str:
    """The footer's "Made on DAY by crotool X.Y.": the day the caller says (its today, which
    $CROTOOL_TODAY pins), none when it says none."""
    day = f"on {ctx.made_on.isoformat()} " if ctx.made_on is not None else ""
    return f"Made {day}by crotool {__version__}."


def _summary(rows: list[dict], view: View) -> str:
    return view.summary or _count_summary(len(rows), view)


def _count_summary(count: int, view: View) -> str:
    """The summary of a view that has none: how many rows it shows."""
    return view.empty if not count else f"{count:,} record{'s' if count != 1 else ''}"


_SHOWN_DATETIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?")  # as `shown` writes one


def said(value: Any, column: str, view: View) -> str:
    """A cell as a document says it to people: as `shown`, and a yes/no as the word (JSON
    and CSV keep true and false, for programs)."""
    if value is True or value is False:
        return "yes" if value else "no"
    return shown(value, column, view)


class _Cell:
    """One cell for the template. Objects with slots, not dicts: Jinja2 tries an attribute
    before an item, and a dict's miss (an exception) cost a third of a long page's time."""

    __slots__ = ("label", "num", "parts", "text", "nw")

    def __init__(self, label: str, num: bool, parts: list[tuple[str, str]] | None, text: str,
                 nw: bool) -> None:
        self.label, self.num, self.parts, self.text, self.nw = label, num, parts, text, nw


class _Row:
    __slots__ = ("cells", "tone", "mark")

    def __init__(self, cells: list[_Cell], tone: str | None, mark: str | None) -> None:
        self.cells, self.tone, self.mark = cells, tone, mark


class _Layout:
    """How one table's rows become template rows: its columns, their labels, the names."""

    def __init__(self, view: View, ctx: Context, cols: list[str]) -> None:
        self.view, self.ctx, self.cols = view, ctx, cols
        self.names = NAME_COLUMNS if view.names is None else view.names
        self.labels = {c: view.headers.get(c, c.replace("_", " ")) for c in cols}
        self.num = {c for c in cols if view.justify.get(c) == "right"}
        self.legend = [(MARKS[t], w) for t, w in view.tone_words.items() if t in MARKS]

    def headers(self) -> list[dict[str, Any]]:
        return [{"label": self.labels[c], "num": c in self.num} for c in self.cols]

    def row(self, row: dict) -> _Row:
        view, cells = self.view, []
        for c in self.cols:
            value = row.get(c)
            items = None
            section = self.names.get(c)
            if section is not None and value not in (None, "", [], ()):
                lookup = self.ctx.names.get(section, {})
                ids = value if isinstance(value, (list, tuple)) else [value]
                items = [(clean(i), clean(lookup.get(str(i), ""))) for i in ids]
            text = said(value, c, view)
            # A date, a date-time, an id or a number never breaks inside (a browser would,
            # at will: after each hyphen of a date).
            cells.append(_Cell(self.labels[c], c in self.num, items, text,
                               items is None and len(text) <= 32 and (
                                   " " not in text or _SHOWN_DATETIME.fullmatch(text)
                                   is not None)))
        tone = view.tone(row) if view.tone else None
        return _Row(cells, tone, MARKS.get(tone or ""))


def _tables(rows: list[dict], view: View, ctx: Context, heading: str | None) -> list[dict]:
    """The view's rows as template tables: one per group, names beside ids."""
    names = NAME_COLUMNS if view.names is None else view.names
    cols = [c for c in columns_of(rows, view) if c not in view.table_hide]
    if view.group_by:
        cols = [c for c in cols if c != view.group_by]
    groups = grouped(rows, view)
    layout = _Layout(view, ctx, cols)
    out: list[dict[str, Any]] = []
    for key, members in groups:
        body = [layout.row(row) for row in members]
        title = heading
        if key is not None:
            title = f"{heading}: {clean(key)}" if heading else clean(key)
            group_names = ctx.names.get(names.get(view.group_by or "", ""), {})
            if group_names.get(str(key)):
                title += f" ({clean(group_names[str(key)])})"
        out.append({"heading": title, "headers": layout.headers(),
                    "rows": body, "caption": _caption(view) if key is None else None,
                    "legend": layout.legend if body and (key is None or not out) else [],
                    "empty": view.empty, "level": view.level})
    return out


class _Rows:
    """A streamed table's rows for the template: read and laid out STREAM_CHUNK at a time,
    as the template reaches them, so that only one chunk is ever held; after each chunk,
    `flush` writes the page's text so far. `count`: the rows done."""

    def __init__(self, rows: Iterator[dict], layout: _Layout,
                 flush: Callable[[], Any]) -> None:
        self._rows, self._layout, self._flush = rows, layout, flush
        self._first: list[dict] | None = list(islice(rows, STREAM_CHUNK))
        self.first_count = len(self._first)
        self.whole = self.first_count < STREAM_CHUNK  # every row is in the first chunk
        self.any = bool(self._first)
        self.count = 0

    def __bool__(self) -> bool:
        return self.any

    def __iter__(self) -> Iterator[_Row]:
        chunk, self._first = self._first or [], None
        while chunk:
            for row in chunk:
                yield self._layout.row(row)
            self.count += len(chunk)
            self._flush()
            chunk = [] if self.whole else list(islice(self._rows, STREAM_CHUNK))


def _template() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder()), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    return env.get_template("document.html.j2")


def _page(view: View, ctx: Context, summary: str | None, sections: list[list[dict]],
          chart: Any = None) -> dict[str, Any]:
    """What the template says around the tables."""
    lists = [(clean(heading), [clean(item) for item in items]) for heading, items in view.lists]
    return dict(
        title=clean(view.title or "crotool"), district=clean(ctx.district or ""),
        period=clean(view.period or ""),
        # A report over another span (engagements, a date range) still names the year.
        year=_year_line(view.period or "", ctx),
        summary=clean(summary or ""), chart=chart, sections=sections, lists=lists,
        made=_made(ctx), rules=clean(ctx.rules or ""), version=__version__)


def _caption(view: View) -> str | None:
    """A table's caption, unless it is the summary the page opens with (a terminal table,
    which has no summary box, says it under the table)."""
    if view.caption and view.summary and view.caption.rstrip(".") == view.summary.rstrip("."):
        return None
    return view.caption


def _year_line(period: str, ctx: Context) -> str:
    """The current year's line under a document's own period: none when the period names a
    school year already (the current one, by its id), and the year alone when the period
    says "as of" a day itself (a report as of another moment names its own)."""
    if "school year" in period or (ctx.year and ctx.year in period):
        return ""
    if "as of " in period and ctx.year_span:
        return clean(ctx.year_span)
    return clean(ctx.period or "")


def html(rows: list[dict], view: View, ctx: Context) -> str:
    from markupsafe import Markup

    tables = _tables(rows, view, ctx, None if view.group_by else (view.heading or "Details"))
    for extra_rows, extra_view in view.extra:
        tables += _tables(extra_rows, extra_view, ctx, clean(extra_view.title or ""))
    chart = Markup(view.chart(rows)) if view.chart else None  # noqa: S704 - built escaped
    # One <section> per part: a table of level 3 belongs to the section before it.
    sections: list[list[dict[str, Any]]] = []
    for t in tables:
        if t["level"] > 2 and sections:
            sections[-1].append(t)
        else:
            sections.append([t])
    return _template().render(**_page(view, ctx, _summary(rows, view), sections, chart))


def stream_html(rows: Iterable[dict], view: View, ctx: Context,
                write: Callable[[str], Any]) -> None:
    """The page `html` makes of a plain list (one table: no groups, extra tables or chart;
    `view.columns` given), written as the rows come: the template is rendered lazily
    (Jinja2's `generate`) over rows laid out a chunk at a time, and its text is written at
    the end of each chunk. The summary is the view's when it has one (a command knows its
    counts before its rows: duty list counts in the same read transaction); else the count
    of rows, which is known first only when they fit in one chunk: past that, the summary
    paragraph comes after the table, once every row is counted."""
    cols = [c for c in (view.columns or ()) if c not in view.table_hide]
    layout = _Layout(view, ctx, cols)
    buf = io.StringIO()

    def flush() -> None:
        write(buf.getvalue())
        buf.seek(0)
        buf.truncate()

    lazy = _Rows(iter(rows), layout, flush)
    table = {"heading": view.heading or "Details", "headers": layout.headers(), "rows": lazy,
             "caption": _caption(view), "legend": layout.legend if lazy else [],
             "empty": view.empty, "level": view.level}
    summary = view.summary or (_count_summary(lazy.first_count, view) if lazy.whole
                               else None)
    page = _page(view, ctx, summary, [[table]])
    if summary is None:
        page["summary_after"] = lambda: clean(_count_summary(lazy.count, view))
    # The template's pieces go into `buf` at C speed; the rows flush it at each chunk's end.
    buf.writelines(_template().generate(**page))
    flush()


# ---------------------------------------------------------------- Markdown

# Every ASCII punctuation character that Markdown (CommonMark, GitHub) can read as syntax:
# a backslash makes it text. `@`, `://` and `www.` too, so that GitHub's bare-URL and e-mail
# autolinks (https://..., www...., a@b.example) never form from data.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()!|~@])")
_MD_LINE_START = re.compile(r"^([-+#=>]|\d+(?=[.)]))")  # a list, a heading, a quote


# Text Markdown reads as itself wherever it stands (letters, digits, spaces, dates, times, ids
# like `R-12` or `juanita-hs`): md_escape would return it unchanged, so it skips the work.
_MD_PLAIN = re.compile(r"[A-Za-z0-9 ,:'-]*")


def md_escape(value: Any) -> str:
    if (type(value) is str and _MD_PLAIN.fullmatch(value)
            and not value.startswith(("-", "+", "#", "=", ">"))):
        return value
    text = clean(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = re.sub(r"(?i)\bwww\.", lambda m: m.group()[:-1] + "\\.", text)
    text = text.replace("://", "\\://")
    text = re.sub(r"\s*[\r\n]+\s*", " ", text)
    # "1." starts a list: escape the dot after the digits; "-", "#", ... escape themselves.
    return _MD_LINE_START.sub(lambda m: m.group() + "\\" if m.group()[0].isdigit()
                              else "\\" + m.group(), text)


def _md_header(cols: list[str], view: View) -> list[str]:
    heads = (view.headers.get(c, c.replace("_", " ")) for c in cols)  # as the HTML's labels
    return ["| " + " | ".join(md_escape(h) for h in heads) + " |",
            "|" + "|".join(" ---: " if view.justify.get(c) == "right" else " --- "
                           for c in cols) + "|"]


def _md_row(row: dict, cols: list[str], view: View) -> str:
    return "| " + " | ".join(md_escape(said(row.get(c), c, view)) for c in cols) + " |"


def _md_table(rows: list[dict], view: View) -> list[str]:
    cols = columns_of(rows, view)
    return _md_header(cols, view) + [_md_row(row, cols, view) for row in rows]


def _md_head(view: View, ctx: Context, summary: str | None) -> list[str]:
    """The lines before the main table: title, district, period, summary, heading."""
    out = [f"# {md_escape(view.title or 'crotool')}", ""]
    period = view.period or ctx.period
    if ctx.district:
        out += [md_escape(ctx.district), ""]
    if period:
        out += [md_escape(period), ""]
    if summary is not None:
        out += [md_escape(summary), ""]
    if view.heading:
        out += [f"## {md_escape(view.heading)}", ""]
    return out


def _md_tail(view: View, ctx: Context) -> list[str]:
    """The lines after the tables: the view's lists, then the footer."""
    out: list[str] = []
    for heading, items in view.lists:
        out += ["", f"## {md_escape(heading)}", ""]
        out += [f"- {md_escape(item)}" for item in items]
    return out + ["", _made(ctx)] + (["", md_escape(ctx.rules)] if ctx.rules else [])


def markdown(rows: list[dict], view: View, ctx: Context) -> str:
    """`# title`, the summary (and what the report covers), then GitHub tables."""
    out = _md_head(view, ctx, _summary(rows, view))
    out += _md_table(rows, view)
    for extra_rows, extra_view in view.extra:
        out += ["", f"{'#' * extra_view.level} {md_escape(extra_view.title or '')}", ""]
        out += _md_table(extra_rows, extra_view) if extra_rows else [md_escape(extra_view.empty)]
    out += _md_tail(view, ctx)
    return "\n".join(out) + "\n"


def stream_markdown(rows: Iterable[dict], view: View, ctx: Context,
                    write: Callable[[str], Any]) -> None:
    """The text `markdown` makes of a plain list (one table, `view.columns` given), written
    STREAM_CHUNK rows at a time. The summary as in `stream_html`: the view's, else the count
    when the rows fit in one chunk, else a line after the table."""
    cols = list(view.columns or ())
    it = iter(rows)
    chunk = list(islice(it, STREAM_CHUNK))
    summary = view.summary or (_count_summary(len(chunk), view) if len(chunk) < STREAM_CHUNK
                               else None)
    write("\n".join(_md_head(view, ctx, summary) + _md_header(cols, view)) + "\n")
    count = 0
    while chunk:
        write("".join(_md_row(row, cols, view) + "\n" for row in chunk))
        count += len(chunk)
        chunk = list(islice(it, STREAM_CHUNK))
    tail = [] if summary is not None else ["", md_escape(_count_summary(count, view))]
    write("\n".join(tail + _md_tail(view, ctx)) + "\n")
