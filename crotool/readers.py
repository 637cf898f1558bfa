"""Strict readers: YAML, CSV and JSON in; records of text values out, each with its line.

Every scalar arrives as text (or None for "no value") and keeps the line it came from, so that
validation converts it by the field's declared type and names `file:line` in every message.

YAML is read from the parser's event stream (the C parser where PyYAML has it) and composed
here, not by a PyYAML constructor: that is what lets us refuse duplicate keys with their line,
refuse anchors, aliases and explicit tags (an alias bomb of a few hundred bytes expands to tens
of millions of nodes), cap depth and size, and never let `NO`, `0123` or `12:30` become a bool,
an octal number or a base-60 integer.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crotool.errors import CroError, Problem, ValidationFailed

MAX_YAML_BYTES = 64 * 1024 * 1024
MAX_JSON_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 6
MAX_CSV_FIELD = 64 * 1024
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
# C0 controls but tab, LF and CR, plus DEL: never legitimate in a record.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(slots=True)
class Record:
    """One record as read: field -> text, None, or a list of those (YAML/JSON lists)."""

    source: str  # file name as the user gave it
    line: int  # line the record starts on (JSON: its position in the array, from 1)
    values: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict)  # field -> line

    def where(self, field_name: str | None = None) -> str:
        line = self.lines.get(field_name, self.line) if field_name else self.line
        return f"{self.source}:{line}"


class YMap(dict):
    """A YAML mapping that remembers where it and each of its keys stood."""

    __slots__ = ("line", "key_lines")


class YList(list):
    __slots__ = ("line",)


def _fail(source: str, line: int, what: str) -> ValidationFailed:
    return ValidationFailed([Problem(f"{source}:{line}", what)], subject=source)


def read_bytes(path: Path, source: str, cap: int) -> bytes:
    try:
        size = os.stat(path).st_size
        if size > cap:
            raise _fail(source, 1, f"file is {size:,} bytes; the limit is {cap:,}")
        with open(path, "rb") as fh:
            data = fh.read(cap + 1)
    except FileNotFoundError:
        raise CroError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise CroError(f"{source}: is a folder, not a file") from None
    except PermissionError:
        raise CroError(f"{source}: permission denied") from None
    if len(data) > cap:
        raise _fail(source, 1, f"file is larger than the limit of {cap:,} bytes")
    return data


def decode_text(data: bytes, source: str) -> str:
    """Strict UTF-8 (a byte-order mark allowed); NUL and other control bytes refused."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _fail(
            source, line, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8"
        ) from None
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise _fail(source, line, f"control character U+{ord(bad.group()):04X} is not allowed")
    return text


# ---------------------------------------------------------------- YAML


def parse_yaml(text: str, source: str) -> list[Any]:
    """Every document of a YAML stream, as YMap / YList / str / None, strictly."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    docs: list[Any] = []
    stack: list[Any] = []  # containers being built
    pending_key: list[Any] = []  # per mapping on the stack: the key awaiting its value
    nodes = 0

    def add(value: Any, line: int) -> None:
        if not stack:
            docs.append(value)
            return
        top = stack[-1]
        if isinstance(top, YList):
            top.append(value)
            return
        key = pending_key[-1]
        if key is _NO_KEY:
            if not isinstance(value, str) and value is not None:
                raise _fail(source, line, "a mapping key must be a plain name")
            name = "" if value is None else value
            if name in top:
                raise _fail(
                    source, line,
                    f"duplicate key '{name}' (first at line {top.key_lines[name]}); "
                    "each key may appear once in a mapping",
                )
            top.key_lines[name] = line
            pending_key[-1] = name
        else:
            top[key] = value
            pending_key[-1] = _NO_KEY

    try:
        for event in yaml.parse(text, Loader=loader):
            kind = type(event).__name__
            if kind in ("StreamStartEvent", "StreamEndEvent", "DocumentEndEvent"):
                continue
            line = event.start_mark.line + 1
            if kind == "DocumentStartEvent":
                continue
            if kind == "AliasEvent":
                raise _fail(source, line,
                            "YAML aliases (*name) are not allowed; write the value out")
            if getattr(event, "anchor", None) is not None:
                raise _fail(source, line,
                            "YAML anchors (&name) are not allowed; write the value out")
            if getattr(event, "tag", None) is not None:
                raise _fail(source, line,
                            f"YAML tags ({event.tag}) are not allowed; remove the tag")
            nodes += 1
            if kind == "ScalarEvent":
                bad = _CONTROL.search(event.value)
                if bad:
                    # decode_text saw the file's bytes; a double-quoted escape ("\e", "\0")
                    # makes a control character only here, and it is no more legitimate.
                    raise _fail(source, line, f"control character U+{ord(bad.group()):04X} "
                                "(written as an escape) is not allowed")
                plain = not event.style  # None (Python parser) or "" (C parser)
                value = None if plain and event.value in _NULLS else event.value
                add(value, line)
            elif kind in ("MappingStartEvent", "SequenceStartEvent"):
                if len(stack) >= MAX_DEPTH:
                    raise _fail(source, line, f"nested deeper than {MAX_DEPTH} levels")
                container: Any = YMap() if kind == "MappingStartEvent" else YList()
                container.line = line
                if isinstance(container, YMap):
                    container.key_lines = {}
                add(container, line)
                stack.append(container)
                pending_key.append(_NO_KEY)
            elif kind in ("MappingEndEvent", "SequenceEndEvent"):
                stack.pop()
                pending_key.pop()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "cannot be read"
        if exc.context and exc.problem and exc.context_mark is not None:
            # "found unexpected end of stream" alone points past the end of the file; the
            # context says where the unclosed quote or bracket began.
            problem = f"{exc.context} (from line {exc.context_mark.line + 1}), {exc.problem}"
        raise _fail(source, line, f"malformed YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise _fail(source, 1, f"malformed YAML: {exc}") from None
    return docs


class _NoKey:
    __slots__ = ()


_NO_KEY = _NoKey()


def yaml_records(items: Any, source: str, what: str) -> list[Record]:
    """A YAML list of mappings -> records (fields as text, None, or lists of text)."""
    if not isinstance(items, YList):
        line = getattr(items, "line", 1)
        raise _fail(source, line, f"{what} must be a list of records (- field: value)")
    records: list[Record] = []
    problems: list[Problem] = []
    for item in items:
        if not isinstance(item, YMap):
            line = getattr(item, "line", items.line)
            problems.append(Problem(f"{source}:{line}", f"{what}: each entry must be a mapping "
                                    "of field: value"))
            continue
        values: dict[str, Any] = {}
        for key, value in item.items():
            if isinstance(value, YMap):
                problems.append(Problem(f"{source}:{item.key_lines[key]}",
                                        f"{what}.{key}: a mapping is not allowed here"))
                continue
            if isinstance(value, YList):
                if any(isinstance(v, (YMap, YList)) for v in value):
                    problems.append(Problem(f"{source}:{item.key_lines[key]}",
                                            f"{what}.{key}: a list may only hold plain values"))
                    continue
                value = list(value)
            values[key] = value
        records.append(Record(source, item.line, values, dict(item.key_lines)))
    if problems:
        raise ValidationFailed(problems, subject=source)
    return records


# ---------------------------------------------------------------- CSV


def iter_csv(path: Path | None, source: str, stream: io.BufferedIOBase | None = None,
             on_progress=None) -> Iterator[Record]:
    """Stream a CSV file's rows as records; the header names the fields.

    Cells are text; an empty cell is None. The first problem in the file's framing (encoding,
    NUL, an over-long field) stops the read: no later line can be trusted.
    """
    import csv

    csv.field_size_limit(MAX_CSV_FIELD)
    try:
        raw = stream if stream is not None else open(path, "rb")  # noqa: SIM115
    except FileNotFoundError:
        raise CroError(f"{source}: no such file") from None
    except (IsADirectoryError, PermissionError) as exc:
        raise CroError(f"{source}: {exc.strerror}") from None
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")
    reader = csv.reader(text, strict=True)
    line = 1
    try:
        try:
            header = next(reader)
        except StopIteration:
            raise _fail(source, 1,
                        "the file is empty; the first line must name the columns") from None
        names = [h.strip() for h in header]
        line = reader.line_num + 1
        for row in reader:
            start = line
            line = reader.line_num + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if len(row) != len(names):
                raise _fail(source, start, f"{len(row)} cells, but the header has {len(names)} "
                            "columns; quote cells that hold commas")
            values: dict[str, Any] = {}
            for name, cell in zip(names, row, strict=True):
                if _CONTROL.search(cell):
                    raise _fail(source, start, f"{name}: control character is not allowed")
                values[name] = cell if cell.strip() else None
            if on_progress is not None:
                on_progress(raw)
            yield Record(source, start, values)
    except csv.Error as exc:
        raise _fail(source, line, f"malformed CSV: {exc}") from None
    except UnicodeDecodeError as exc:
        raise _fail(source, line,
                    f"not UTF-8 text ({exc.reason}); save the file as UTF-8") from None
    finally:
        if stream is None:
            raw.close()


def csv_header(path: Path, source: str) -> list[str]:
    """The column names of a CSV file (for checking them before streaming the rows)."""
    import csv

    try:
        with open(path, encoding="utf-8-sig", errors="strict", newline="") as fh:
            first = next(csv.reader(fh), None)
    except FileNotFoundError:
        raise CroError(f"{source}: no such file") from None
    except UnicodeDecodeError:
        raise _fail(source, 1, "not UTF-8 text; save the file as UTF-8") from None
    if first is None:
        raise _fail(source, 1, "the file is empty; the first line must name the columns")
    return [h.strip() for h in first]


# ---------------------------------------------------------------- JSON


def json_records(data: bytes, source: str, what: str) -> list[Record]:
    """A JSON array of objects -> records; numbers and booleans become their text."""
    import json

    text = decode_text(data, source)

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out:
                raise ValueError(f"duplicate key '{k}'")
            out[k] = v
        return out

    try:
        doc = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise _fail(source, exc.lineno, f"malformed JSON: {exc.msg}") from None
    except ValueError as exc:
        raise _fail(source, 1, f"malformed JSON: {exc}") from None
    except RecursionError:
        raise _fail(source, 1, "malformed JSON: nested too deeply") from None
    if not isinstance(doc, list):
        raise _fail(source, 1, f"{what}: the file must hold one JSON array of objects")
    records: list[Record] = []
    problems: list[Problem] = []
    for index, item in enumerate(doc, start=1):
        where = f"{source}:record {index}"
        if not isinstance(item, dict):
            problems.append(Problem(where, "each entry must be a JSON object"))
            continue
        values: dict[str, Any] = {}
        for key, value in item.items():
            converted = _json_text(value)
            if converted is _BAD:
                problems.append(Problem(where, f"{key}: an object or nested list is not allowed"))
                continue
            # A "\u001b" escape makes a control character that decode_text could not see.
            bad = next((m for v in (converted if isinstance(converted, list) else [converted])
                        if isinstance(v, str) and (m := _CONTROL.search(v))), None)
            if bad:
                problems.append(Problem(where, f"{key}: control character "
                                        f"U+{ord(bad.group()):04X} is not allowed"))
                continue
            values[key] = converted
        records.append(Record(f"{source}:record", index, values))
    if problems:
        raise ValidationFailed(problems, subject=source)
    return records


_BAD = object()


def _json_text(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, list):
        items = [_json_text(v) for v in value]
        return _BAD if any(i is _BAD or isinstance(i, list) for i in items) else items
    return _BAD
