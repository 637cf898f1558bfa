"""The machine formats: rows as JSON and as CSV, whole or streamed chunk by chunk.

JSON is UTF-8 with every DEL and C1 character written as a `\\u` escape (json escapes the C0
controls itself), so nothing a terminal obeys reaches it even when a script `cat`s the file.
CSV is RFC 4180 with every text cell through the formula guard (`csvguard.guard`: no spreadsheet
runs a cell as a formula) and control characters other than tab, CR and LF removed.

Rows come three ways:
- dicts (any iterable: a cursor's rows are read lazily, STREAM_CHUNK at a time);
- `Tuples`: a cursor's tuples with their column spec (`ColumnSpec`: the names, which columns
  hold 0/1 booleans, JSON arrays or identifiers), written as CSV with no dict between: the
  bytes `stream_csv` writes of the same rows as dicts (a million duties' `duty list -f csv`);
- `JsonObjects`: each row already a JSON object's text (SQLite's `json_object` over the same
  columns), written as the array `stream_json` writes.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from itertools import islice
from typing import TYPE_CHECKING, Any, Protocol

from crotool.csvguard import guard
from crotool.output.view import STREAM_CHUNK, cell_text

# In CSV, tab, CR and LF are data (a multi-line note), quoted by the csv module; the other
# control characters (ESC above all) would reach a terminal that `cat`s the file.
_CSV_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_C1 = re.compile(r"[\x7f-\x9f]")  # only ever inside JSON strings: the rest is ASCII
_GUARD_FIRST = frozenset("'=+-@\t\r\n")  # a text cell starting with one may need csvguard


if TYPE_CHECKING:  # a Protocol for the type checker only: nothing checks it at run time
    class ColumnSpec(Protocol):
        """What output reads of a query's column spec (the program hands one with its
        cursor): the columns' names in the tuples' order, and which of them hold what."""

        @property
        def names(self) -> Sequence[str]: ...
        @property
        def bools(self) -> Sequence[str]: ...  # 0/1 stored: false/true
        @property
        def json_lists(self) -> Sequence[str]: ...  # a JSON array's text: its items
        # What validation lets into an id, a code or a date: never quoted, never guarded.
        @property
        def identifiers(self) -> Sequence[str]: ...


# Plain classes, not dataclasses: every command imports this module, and a dataclass costs
# each start-up a fraction of a millisecond to build.
class Tuples:
    """A cursor's rows as tuples in `columns.names` order, written as CSV cell by cell."""

    __slots__ = ("rows", "columns")

    def __init__(self, rows: Iterable[Sequence[Any]], columns: ColumnSpec) -> None:
        self.rows, self.columns = rows, columns


class JsonObjects:
    """Rows already written as JSON objects, one text each, in the order `to_json` keeps."""

    __slots__ = ("lines",)

    def __init__(self, lines: Iterable[str]) -> None:
        self.lines = lines


# ---------------------------------------------------------------- JSON


def _json_default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _escape_c1(text: str) -> str:
    # json escapes C0 controls but writes DEL and C1 (U+0080-U+009F; CSI is U+009B) raw: as
    # \u escapes the data is the same, and nothing a terminal obeys reaches it.
    return _C1.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def to_json(rows: Any) -> str:
    return _escape_c1(json.dumps(rows, ensure_ascii=False, indent=2,
                                 default=_json_default) + "\n")


def stream_json(rows: Iterable[dict], write: Callable[[str], Any]) -> None:
    """A JSON array, one object a line: `[`, the rows joined by `,`, `]`."""
    encode = json.JSONEncoder(ensure_ascii=False, default=_json_default).encode
    write_json_objects(JsonObjects(map(encode, rows)), write)


def write_json_objects(objects: JsonObjects, write: Callable[[str], Any]) -> None:
    """The array of objects already written as JSON text, STREAM_CHUNK at a time."""
    first = True
    it = iter(objects.lines)
    while chunk := list(islice(it, STREAM_CHUNK)):
        # DEL and C1 can only be inside strings: the rest is ASCII.
        write(_escape_c1(("[\n  " if first else ",\n  ") + ",\n  ".join(chunk)))
        first = False
    write("[]\n" if first else "\n]\n")


# ---------------------------------------------------------------- CSV


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


def to_csv(rows: list[dict], cols: list[str]) -> str:
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180
    writer.writerow([csv_safe(c) for c in cols])
    for row in rows:
        writer.writerow([csv_safe(row.get(c)) for c in cols])
    return buf.getvalue()


def csv_header(cols: Sequence[str]) -> str:
    import csv

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow([csv_safe(c) for c in cols])
    return buf.getvalue()


def stream_csv(rows: Iterable[dict], cols: list[str], write: Callable[[str], Any]) -> None:
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180
    write(csv_header(cols))
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


def stream_tuples_csv(tuples: Tuples, write: Callable[[str], Any]) -> None:
    """The header, then the tuples as `csv_text` writes them."""
    write(csv_header(tuples.columns.names))
    for piece in csv_text(tuples.rows, tuples.columns):
        write(piece)


def csv_text(rows: Iterable[Sequence[Any]], columns: ColumnSpec) -> Iterator[str]:
    """Rows as SQLite returns them (tuples in `columns.names` order) as the CSV `stream_csv`
    writes of the same rows as dicts, STREAM_CHUNK rows a piece, without a dict or a call per
    cell: booleans (0/1) true/false, JSON lists their items, identifiers as they are, and any
    other text through the formula guard when its first character could start one."""
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180
    names, bools, json_lists = columns.names, columns.bools, columns.json_lists
    flags = [i for i, c in enumerate(names) if c in bools]
    lists = [i for i, c in enumerate(names) if c in json_lists]
    plain = (*bools, *json_lists, *columns.identifiers)
    texts = [i for i, c in enumerate(names) if c not in plain]
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
