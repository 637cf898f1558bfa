"""The View spec (how rows look), the Context a document is set in, and how a cell reads to
people: what every output format shares.

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
    ), context=...)                              # out() in cli/options.py fills it

- HTML and Markdown (document.py): the district, title, period, summary, "made on <date> by
  crotool X.Y", the chart, then the tables. Ids get their names beside them for the columns in
  `View.names` (default `NAME_COLUMNS`), looked up by the caller into `Context.names`. `tone`
  gives a row a colour class (`TONES`) that always comes with a mark; the words must be in the
  row already (a status or kind column).
- Terminal tables (terminal.py): `build(rows, colour)` may return a custom Rich renderable for
  the main table (pictures.py holds the matrix, the bars and the heat map); `secondary`
  columns are dropped first when a table cannot fit.

`Context` is what a document says around the rows: the caller looks it up (the district, the
current year, the names, the day it is made); nothing in output reads a database or the clock.
Control characters, terminal escape sequences included, are stripped (`clean`) before any text
reaches a terminal or a document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

STREAM_CHUNK = 500  # rows formatted (and a table's widths planned) at a time, in every format

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
    """What a document says around the rows: looked up by the caller (cli `out()`), not here."""

    district: str | None = None
    period: str | None = None  # used when the view has none (lists: the current year)
    year: str | None = None  # the current school year's id, and its dates in words
    year_span: str | None = None  # ("school year 2023-24 (2023-09-05 to 2024-06-21)")
    # The day the document is made (the caller's today, $CROTOOL_TODAY included); without
    # one the footer names no day.
    made_on: date | None = None
    # The rules the figures follow, said once under the footer: each applied rule pack's
    # name and source (program.packs.rules_line), so that a reader can check them.
    rules: str | None = None
    names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # section -> id -> name


@dataclass
class Part:
    """One titled section of a document report: a table of rows (render.render_document)."""

    title: str
    rows: list[dict]
    columns: Sequence[str]
    headers: dict[str, str] = field(default_factory=dict)
    empty: str = "none"


def columns_of(rows: list[dict], view: View) -> list[str]:
    if view.columns:
        return list(view.columns)
    return list(rows[0]) if rows else []


def name_sections(view: View) -> set[str]:
    """The sections whose names a document of this view shows (extra tables included)."""
    found: set[str] = set()
    for v in (view, *(v for _, v in view.extra)):
        names = NAME_COLUMNS if v.names is None else v.names
        cols = v.columns or list(names)
        found.update(names[c] for c in cols if c in names)
    return found


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


# ---------------------------------------------------------------- a cell for people

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?Z?)$")


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


def clean(value: Any) -> str:
    """Text for a terminal or document: lists joined, control characters removed."""
    return _CONTROL.sub("", cell_text(value))


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
