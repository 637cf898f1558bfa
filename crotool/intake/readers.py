"""Strict readers: CSV and JSON in; records of text values out, each with its line.

Every scalar arrives as text (or None for "no value") and keeps the line it came from, so that
validation converts it by the field's declared type and names `file:line` in every message.

Here too is what every reader shares: the limits (YAML's among them), a file's bytes opened
and read with a cap, strict UTF-8 with no control characters (`decode_text`), and the one-line
`failure`. Records are `store.fields.Record`s; YAML is read by `yaml_reader`, an Excel sheet by
`workbooks`.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from json.decoder import scanstring  # type: ignore[attr-defined]  # public, untyped
from pathlib import Path
from typing import Any, BinaryIO

from crotool.csvguard import unguard
from crotool.errors import CroError, Problem, ValidationFailed
from crotool.store.fields import CONTROL, Record

MAX_YAML_BYTES = 64 * 1024 * 1024
MAX_JSON_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 6
MAX_CSV_FIELD = 64 * 1024


def failure(source: str, line: int, what: str) -> ValidationFailed:
    """One problem at `source:line` that stops the read (the caller raises it)."""
    return ValidationFailed([Problem(f"{source}:{line}", what)], subject=source)


def open_binary(path: Path, source: str) -> BinaryIO:
    """A file opened for reading bytes, or a CroError that says why not (the caller closes)."""
    try:
        return open(path, "rb")  # noqa: SIM115 - the caller closes it
    except FileNotFoundError:
        raise CroError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise CroError(f"{source}: is a folder, not a file") from None
    except PermissionError:
        raise CroError(f"{source}: permission denied") from None
    except OSError as exc:
        # A symlink loop, a path through a file, a name too long for the file system: the
        # system's own words say which (never an internal error for a path a user typed).
        raise CroError(f"{source}: cannot open: {exc.strerror or exc}") from None


def read_bytes(path: Path, source: str, cap: int) -> bytes:
    with open_binary(path, source) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > cap:
            raise failure(source, 1, f"file is {size:,} bytes; the limit is {cap:,}")
        data = fh.read(cap + 1)
    if len(data) > cap:
        raise failure(source, 1, f"file is larger than the limit of {cap:,} bytes")
    return data


MAX_NOTE_FILE = 1024 * 1024  # far above any note's length limit, which validation applies


def read_note_file(path: str) -> str:
    """`--notes-file PATH` (`-` for stdin): the note's text, strict UTF-8 like every input.

    One trailing line break (an editor's) is dropped. A problem names the option, never the
    text: a note is private.
    """
    if path == "-":
        data = sys.stdin.buffer.read(MAX_NOTE_FILE + 1)
        if len(data) > MAX_NOTE_FILE:
            raise CroError(f"--notes-file: standard input is larger than {MAX_NOTE_FILE:,} bytes")
    else:
        try:
            data = read_bytes(Path(path), f"--notes-file {path}", MAX_NOTE_FILE)
        except ValidationFailed as exc:
            raise CroError(str(exc.problems[0])) from None
    try:
        text = decode_text(data, "--notes-file")
    except ValidationFailed as exc:
        raise CroError(str(exc.problems[0])) from None
    return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text


def decode_text(data: bytes, source: str) -> str:
    """Strict UTF-8 (a byte-order mark allowed); NUL and other control bytes refused."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise failure(
            source, line, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8"
        ) from None
    bad = CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise failure(source, line, f"control character U+{ord(bad.group()):04X} is not allowed")
    return text


# ---------------------------------------------------------------- CSV

_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # CONTROL, on bytes
_CHUNK = 1 << 20
_NO_LINES: dict[str, int] = {}  # a CSV record's fields all stand on its line (never mutated)


class CheckedInput(io.RawIOBase):
    """A CSV's bytes on their way to the decoder: hashed, counted and checked.

    Checking whole chunks (strict UTF-8; no NUL or other control bytes) costs next to nothing,
    where a regular expression per cell costs more than parsing the CSV. At the first bad byte
    the stream ends at the start of its line, so every row before it is still validated, and
    `problem` says what and where (a framing problem: nothing after it can be trusted).
    """

    def __init__(self, raw: BinaryIO, source: str):
        self.raw = raw
        self.source = source
        # Only a CSV being read needs hashlib (OpenSSL): the duty commands import this module
        # for --notes-file, and their reads to stdout must not load it (tests/test_startup.py).
        import hashlib

        self.sha = hashlib.sha256()
        self.done = 0  # bytes passed on
        self.newlines = 0  # newlines passed on
        self.problem: Problem | None = None
        self._utf8 = codecs.getincrementaldecoder("utf-8")("strict")
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._ended:
            return 0
        data = self.raw.read(len(buffer))
        if not data:
            self._ended = True
            try:
                self._utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                self._stop(self.newlines + 1, "not UTF-8 text (the file ends inside a "
                           "character); save the file as UTF-8")
            return 0
        self.sha.update(data)
        bad = self._first_bad(data)
        if bad is not None:
            pos, what = bad
            line = self.newlines + data.count(b"\n", 0, pos) + 1
            self._stop(line, what)
            data = data[: data.rfind(b"\n", 0, pos) + 1]
        n = len(data)
        buffer[:n] = data
        self.done += n
        self.newlines += data.count(b"\n")
        return n

    def _first_bad(self, data: bytes) -> tuple[int, str] | None:
        found: list[tuple[int, str]] = []
        m = _CONTROL_BYTES.search(data)
        if m:
            found.append((m.start(), f"control character U+{data[m.start()]:04X} is not allowed"))
        pending = len(self._utf8.getstate()[0])
        try:
            self._utf8.decode(data[: m.start()] if m else data)
        except UnicodeDecodeError as exc:
            pos = max(0, exc.start - pending)
            found.append((pos, f"not UTF-8 text (byte 0x{data[pos]:02x} at offset "
                               f"{self.done + pos}); save the file as UTF-8"))
        return min(found) if found else None

    def _stop(self, line: int, what: str) -> None:
        self._ended = True
        if self.problem is None:
            self.problem = Problem(f"{self.source}:{line}", what)


class CsvReader:
    """A CSV stream: its header, then its rows as records of text (an empty cell is None).

    Framing problems (a ragged row, a bad byte, an over-long cell) go to the caller's
    `on_problem` instead of stopping the read, so that every row before the first bad byte is
    still read and checked: an import lists every bad row of a file, not the first one.
    """

    def __init__(self, raw: BinaryIO, source: str):
        self.source = source
        self.checked = CheckedInput(raw, source)
        text = io.TextIOWrapper(io.BufferedReader(self.checked, _CHUNK), encoding="utf-8-sig",
                                errors="strict", newline="")
        csv.field_size_limit(MAX_CSV_FIELD)
        self._reader = csv.reader(text, strict=True)
        self._line = 1

    @property
    def sha256(self) -> str:
        return self.checked.sha.hexdigest()

    @property
    def done(self) -> int:
        """Bytes read so far (for a progress bar)."""
        return self.checked.done

    def header(self) -> list[str]:
        """The column names; ValidationFailed for an empty file or a bad first line."""
        try:
            header = next(self._reader, None)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise failure(self.source, 1, f"malformed CSV header: {exc}") from None
        if header is None:
            problem = self.checked.problem or Problem(
                f"{self.source}:1", "the file is empty; the first line must name the columns")
            raise ValidationFailed([problem], subject=self.source)
        self._line = self._reader.line_num + 1
        return [h.strip() for h in header]

    def records(self, names: Sequence[str | None], on_problem: Callable[[Problem], None]
                ) -> Iterator[Record]:
        """Every row as a record of `names` (a column named None is read and left out)."""
        source = self.source
        for start, row in self.rows(len(names), on_problem):
            record = record_of(source, start, names, row)
            if record is not None:
                yield record

    def rows(self, width: int, on_problem: Callable[[Problem], None]
             ) -> Iterator[tuple[int, list[str]]]:
        """(line, cells) for every row of `width` cells as it stands; a blank line is skipped,
        and a row of another width, a bad byte or broken quoting goes to `on_problem`."""
        source, reader = self.source, self._reader
        line = self._line
        try:
            for row in reader:
                start, line = line, reader.line_num + 1
                if len(row) != width:
                    if not "".join(row).strip():
                        continue  # a blank line
                    on_problem(Problem(f"{source}:{start}", f"{len(row)} cells, but the header "
                                       f"has {width} columns; quote cells that hold commas"))
                    continue
                yield start, row
        except csv.Error as exc:
            if self.checked.problem is None:  # else: the cut at a bad byte left a quote open
                what = (f"a cell is longer than {MAX_CSV_FIELD:,} characters (a quote mark left "
                        "open?)" if "field larger" in str(exc) else f"malformed CSV: {exc}")
                on_problem(Problem(f"{source}:{line}", what))
        except UnicodeDecodeError as exc:
            if self.checked.problem is None:
                on_problem(Problem(f"{source}:{line}", f"not UTF-8 text ({exc.reason}); "
                                   "save the file as UTF-8"))
        if self.checked.problem is not None:
            on_problem(self.checked.problem)


def record_of(source: str, line: int, names: Sequence[str | None], row: Sequence[str], *,
              others_blank: bool = True) -> Record | None:
    """A CSV row as a record of `names`: crotool's formula guard undone, a blank cell None, a
    column named None read past; None for a row of blank cells (spreadsheets export those).
    `others_blank`: whether the cells of columns already left out of `row` were blank too."""
    values: dict[str, str | None] = {}
    anything = not others_blank
    for name, cell in zip(names, row, strict=True):
        if cell and cell[0] == "'":
            cell = unguard(cell)  # crotool's formula guard, undone
        blank = not cell or cell.isspace()
        anything = anything or not blank
        if name is not None:
            values[name] = None if blank else cell
    if not anything:
        return None
    return Record(source, line, values, _NO_LINES)


def blank_cells(cells: Iterable[str]) -> bool:
    """Whether every cell reads as blank (`record_of`'s test, for cells it is not given)."""
    return all(not (c := unguard(cell) if cell[:1] == "'" else cell) or c.isspace()
               for cell in cells)


def iter_csv(path: Path | None, source: str, stream: BinaryIO | None = None
             ) -> Iterator[Record]:
    """Every row of a CSV file (or stream) as a record; ValidationFailed listing every
    problem once the file has been read."""
    own = stream is None  # a file opened here is closed here
    if stream is None:
        assert path is not None, "iter_csv needs a path or a stream"
        stream = open_binary(path, source)
    raw = stream
    try:
        reader = CsvReader(raw, source)
        names = reader.header()
        problems: list[Problem] = []
        yield from reader.records(names, problems.append)
        if problems:
            raise ValidationFailed(problems, subject=source)
    finally:
        if own:
            raw.close()


# ---------------------------------------------------------------- JSON


def json_records(data: bytes, source: str, table: str) -> list[Record]:
    """A JSON array of objects, each object and field with its line (every problem at once)."""
    problems: list[Problem] = []
    records = list(iter_json_records(decode_text(data, source), source, table, problems.append))
    if problems:
        raise ValidationFailed(problems, subject=source)
    return records


class _NonFinite(str):
    """`NaN`, `Infinity` or `-Infinity` in a JSON file: not JSON (RFC 8259), though Python's
    json module reads them; kept as a marker so that the field's message can name it."""

    __slots__ = ()


def iter_json_records(text: str, source: str, table: str,
                      on_problem: Callable[[Problem], None]) -> Iterator[Record]:
    """The records of a JSON array of objects, one at a time, each field with its line.

    The json module gives no line numbers, so the array and its objects are walked here and
    each value is decoded by the json module; a message names the line of the field. Numbers
    stay their exact text (`parse_int=str`: a 5,000-digit number is a bad value, not Python's
    int-size limit), booleans become their text (validation converts them by the field's
    type). Records are yielded as they are read, so an import holds the file's text and one
    batch, never every record (a 95 MB file once took 1 GB as a list of records). A bad entry
    goes to `on_problem`; a malformed file raises ValidationFailed at once.
    """
    decoder = json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=_NonFinite)
    ws = re.compile(r"[ \t\n\r]*")
    counted = [0, 0]  # (position, newlines before it): positions only move forward

    def line_at(pos: int) -> int:
        counted[1] += text.count("\n", counted[0], pos)
        counted[0] = pos
        return counted[1] + 1

    def skip(pos: int) -> int:
        return ws.match(text, pos).end()  # type: ignore[union-attr]  # `*` always matches

    def expect(pos: int, what: str) -> None:
        raise json.JSONDecodeError(what, text, pos)

    try:
        pos = skip(0)
        if text[pos:pos + 1] != "[":
            raise ValidationFailed([Problem(f"{source}:{line_at(pos)}", f"{table}: the file must "
                                        "hold one JSON array of objects")], subject=source)
        pos = skip(pos + 1)
        if text[pos:pos + 1] == "]":
            pos = skip(pos + 1)
        else:
            while True:
                line = line_at(pos)
                if text[pos:pos + 1] != "{":
                    start = pos
                    value, pos = decoder.raw_decode(text, pos)
                    kind = type(value).__name__
                    if isinstance(value, str) and text[start] != '"':  # a number, kept as text
                        kind = "int" if re.fullmatch(r"-?\d+", value) else "float"
                    on_problem(Problem(f"{source}:{line}", "each entry must be a JSON "
                                       f"object, not {kind}"))
                else:
                    values: dict[str, Any] = {}
                    lines: dict[str, int] = {}
                    pos = skip(pos + 1)
                    if text[pos:pos + 1] == "}":
                        pos += 1
                    else:
                        while True:
                            if text[pos:pos + 1] != '"':
                                expect(pos, "Expecting property name enclosed in double quotes")
                            key_line = line_at(pos)
                            key, pos = scanstring(text, pos + 1)
                            pos = skip(pos)
                            if text[pos:pos + 1] != ":":
                                expect(pos, "Expecting ':' delimiter")
                            value, pos = decoder.raw_decode(text, skip(pos + 1))
                            if key in values or key in lines:
                                on_problem(Problem(f"{source}:{key_line}", f"duplicate key "
                                                   f"'{key}' (first at line {lines[key]})"))
                            else:
                                lines[key] = key_line
                                _json_field(values, key, value, f"{source}:{key_line}",
                                            on_problem)
                            pos = skip(pos)
                            if text[pos:pos + 1] == ",":
                                pos = skip(pos + 1)
                                continue
                            if text[pos:pos + 1] != "}":
                                expect(pos, "Expecting ',' delimiter")
                            pos += 1
                            break
                    yield Record(source, line, values, lines)
                pos = skip(pos)
                if text[pos:pos + 1] == ",":
                    pos = skip(pos + 1)
                    continue
                if text[pos:pos + 1] != "]":
                    expect(pos, "Expecting ',' delimiter")
                pos = skip(pos + 1)
                break
        if pos != len(text):
            expect(pos, "Extra data")
    except json.JSONDecodeError as exc:
        raise failure(source, exc.lineno, f"malformed JSON: {exc.msg}") from None
    except RecursionError:
        raise failure(source, 1, "malformed JSON: nested too deeply") from None


def _json_field(values: dict[str, Any], key: str, value: Any, where: str,
                on_problem: Callable[[Problem], None]) -> None:
    """One JSON value as text (or None, or a list of text), like every other reader gives."""
    items = value if isinstance(value, list) else [value]
    out: list[Any] = []
    for item in items:
        if isinstance(item, (dict, list)):
            on_problem(Problem(where, f"{key}: an object or nested list is not allowed"))
            return
        if isinstance(item, _NonFinite):
            on_problem(Problem(where, f"{key}: {item} is not allowed (JSON has no NaN or "
                               "Infinity); write a number, or null for no value"))
            return
        if item is None or isinstance(item, str):
            text = item
        elif isinstance(item, bool):
            text = "true" if item else "false"
        else:
            text = str(item)
        # A "\u0000" escape makes a control character that the byte check could not see.
        if text is not None and (bad := CONTROL.search(text)):
            on_problem(Problem(where, f"{key}: control character "
                               f"U+{ord(bad.group()):04X} is not allowed"))
            return
        out.append(text)
    values[key] = out if isinstance(value, list) else out[0]
