"""Excel workbooks in: one sheet's rows as records of text, read by CSV's rules.

openpyxl reads the sheet in read-only mode (a stream of rows, not the whole workbook in
memory) with `data_only=True`, so a formula cell gives the value Excel saved with it. A value
becomes the text the CSV reader would give: a date cell `2023-09-05`, a whole number `3` (also
when stored as 3.0), a boolean `true`; validation then converts it by its field's type, so a
workbook and a CSV of the same data import as the same records.

Two things openpyxl does not say are found by one pass over the sheet's XML first (streamed
from the zip, a chunk at a time): which formula cells have no saved value (openpyxl gives
None for them, the same as an empty cell; a workbook written by a program and never opened in
Excel has none), and the last row that holds a value. Reading stops at that row: a sheet with
formatting applied to a million empty rows ends where its data ends, instead of the parser
building a million row records.

Whole-file problems (not a zip, an encrypted workbook, a damaged zip, no such sheet) are one
line each and exit 1 before anything is read; a cell's problem names it: `Roster!C7`.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from crotool.errors import CroError, Problem, did_you_mean
from crotool.intake.header import check_header
from crotool.intake.readers import open_binary
from crotool.intake.validator import Validator
from crotool.store.fields import CONTROL, Record
from crotool.store.schema import Section

# An encrypted .xlsx (a password to open) is not a zip but an OLE compound file, as an old
# .xls is: the first bytes tell.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_CHUNK = 1 << 20
_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                     "#GETTING_DATA", "#SPILL!", "#CALC!"})
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})(\d{1,7})"')
_SAVED_VALUE = re.compile(rb"<v>[^<]")
_NO_LINES: dict[str, int] = {}


class CellRecord(Record):
    """A row of a sheet: a problem names the cell (`roster.xlsx:Roster!C7`) or the row."""

    __slots__ = ("sheet", "letters")
    sheet: str
    letters: dict[str, str]

    def where(self, field_name: str | None = None) -> str:
        letter = self.letters.get(field_name) if field_name else None
        if letter is None:
            return f"{self.source}:{self.sheet} row {self.line}"
        return f"{self.source}:{self.sheet}!{letter}{self.line}"


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class _Unreadable(Exception):
    pass


def read_workbook(path: Path, source: str, sheet: str | None, section: Section,
                  validator: Validator, warnings: list[str], progress: Any = None) -> str:
    """Every row of one sheet into `validator`; returns the file's SHA-256. CroError for a
    file that is not a readable workbook or has no such sheet."""
    sha256 = _check_file(path, source)
    try:
        import openpyxl

        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises a dozen types for a damaged file
        raise _damaged(source, exc) from None
    try:
        ws = _sheet(workbook, source, sheet)
        name = ws.title
        scan = _scan(workbook, ws, source)
        _read_rows(ws, name, scan, source, section, validator, warnings, progress)
    except _Unreadable as exc:
        raise _damaged(source, exc.__cause__ or exc) from None
    finally:
        workbook.close()
    return sha256


def _damaged(source: str, exc: BaseException) -> CroError:
    reason = str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__
    return CroError(f"{source}: a damaged or truncated .xlsx workbook ({reason}); nothing was "
                    "written", hint="open it in Excel and save it again, or export CSV")


def _check_file(path: Path, source: str) -> str:
    """The file's SHA-256, once its first bytes say it is a zip (an .xlsx is one)."""
    sha = hashlib.sha256()
    with open_binary(path, source) as fh:
        head = fh.read(8)
        sha.update(head)
        if head.startswith(OLE_MAGIC[:4]):
            raise CroError(f"{source}: a password-protected (encrypted) workbook or an old .xls "
                           "file, which crotool cannot read; nothing was written",
                           hint="in Excel remove the password (File > Info > Protect Workbook) "
                           "and save as .xlsx, or export CSV")
        if not head.startswith(ZIP_MAGIC):
            raise CroError(f"{source}: not an .xlsx workbook (an .xlsx file is a zip archive, "
                           "and this one is not); nothing was written",
                           hint="save it from Excel as .xlsx, or import a CSV with a .csv name")
        _hash_rest(fh, sha)
    return sha.hexdigest()


def _hash_rest(fh: BinaryIO, sha: Any) -> None:
    while chunk := fh.read(_CHUNK):
        sha.update(chunk)


def _sheet(workbook: Any, source: str, sheet: str | None) -> Any:
    names = list(workbook.sheetnames)
    if not names:
        raise CroError(f"{source}: the workbook has no sheets; nothing was written")
    if sheet is None:
        sheet = names[0]
    if sheet not in names:
        close = did_you_mean(sheet, names)
        listed = ", ".join(repr(n) for n in names)
        raise CroError(f"{source}: no sheet {sheet!r}; the sheets are {listed}; nothing was "
                       "written", hint=f"did you mean --sheet {close!r}?" if close else
                       f"give --sheet {names[0]!r}")
    ws = workbook[sheet]
    if not hasattr(ws, "iter_rows"):
        raise CroError(f"{source}: sheet {sheet!r} is a chart, not a sheet of rows; nothing "
                       "was written")
    return ws


class _Scan:
    """What one pass over the sheet's XML found."""

    def __init__(self) -> None:
        self.last_row: int | None = None  # the last row with a value (or a formula)
        self.unnumbered = False  # a cell without r="A1": row numbers cannot be trusted
        self.unsaved: list[str] = []  # cells ("C7") of formulas with no saved value
        self.unsaved_rows: set[int] = set()


def _scan(workbook: Any, ws: Any, source: str) -> _Scan:
    """The last row with data, and every formula without a saved value, in bounded memory.

    Cells never contain `<c ` (text is escaped), so the XML is cut after the last cell start
    of each chunk and every cell is seen whole once.
    """
    scan = _Scan()
    archive: zipfile.ZipFile = workbook._archive  # openpyxl's own open zip
    try:
        with archive.open(ws._worksheet_path) as member:
            carry = b""
            while chunk := member.read(_CHUNK):
                data = carry + chunk
                cut = data.rfind(b"<c ")
                if cut <= 0 and len(data) <= 8 * _CHUNK:
                    carry = data  # one cell so far (a long inline string): read on
                    continue
                if cut <= 0:
                    cut = len(data)  # a cell of over 8 MiB: seen in parts, still bounded
                _scan_segment(data[:cut], scan)
                carry = data[cut:]
            if carry:
                _scan_segment(carry, scan)
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, ValueError) as exc:
        raise _Unreadable(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - zlib.error and the like: a damaged member
        raise _Unreadable(str(exc)) from exc
    return scan


def _scan_segment(seg: bytes, scan: _Scan) -> None:
    last = max(seg.rfind(b"<v>"), seg.rfind(b"<is>"), seg.rfind(b"<f>"), seg.rfind(b"<f "))
    if last >= 0:
        start = seg.rfind(b"<c ", 0, last)
        m = _CELL_REF.search(seg, start, start + 200) if start >= 0 else None
        if m:
            scan.last_row = int(m.group(2))
        else:
            scan.unnumbered = True
    pos = seg.find(b"<f")
    while pos >= 0:
        if seg[pos + 2:pos + 3] in (b">", b" ", b"/"):
            start = max(0, seg.rfind(b"<c ", 0, pos))
            end = seg.find(b"</c>", pos)
            cell = seg[start:end if end >= 0 else len(seg)]
            if not _SAVED_VALUE.search(cell):
                m = _CELL_REF.search(cell, 0, 200)
                if m:
                    row = int(m.group(2))
                    scan.unsaved_rows.add(row)
                    scan.unsaved.append(f"{m.group(1).decode()}{row}")
            pos = end if end >= 0 else len(seg)
        pos = seg.find(b"<f", pos + 2)


def _read_rows(ws: Any, sheet: str, scan: _Scan, source: str, section: Section,
               validator: Validator, warnings: list[str], progress: Any) -> None:
    for ref in scan.unsaved:
        validator.problem(Problem(f"{source}:{sheet}!{ref}", "a formula with no saved value "
                                  "(the workbook was written by a program and never "
                                  "recalculated); open it in Excel and save it, or type the "
                                  "value instead of the formula"))
    if scan.last_row is None and not scan.unnumbered:
        raise CroError(f"{source}: sheet {sheet!r} is empty; its first row must name the "
                       "columns; nothing was written")
    validator.at = lambda line: f"{source}:{sheet} row {line}"
    ws.reset_dimensions()  # a stated size of A1:XFD1048576 would pad every row to 16,384 cells
    rows = ws.iter_rows(values_only=True, max_row=None if scan.unnumbered else scan.last_row)
    header_row = 0
    fields: list[str | None] = []
    letters: dict[str, str] = {}
    numbers_in: dict[str, int] = {}  # code columns (badges) that held numbers: first row
    line = 0
    try:
        for line, values in enumerate(rows, start=1):
            if not header_row:
                if not any(v is not None and str(v).strip() for v in values):
                    continue
                header_row = line
                names = [("" if v is None else str(v)).strip() for v in values]
                while names and not names[-1]:
                    names.pop()
                fields = check_header(section, names, source, _header_cell(source, sheet, line))
                letters = {f: column_letter(i) for i, f in enumerate(fields, 1) if f}
                continue
            if line in scan.unsaved_rows:
                continue  # its formula cells are reported; the rest would only add noise
            record = _record(values, line, sheet, source, section, fields, letters, validator,
                             numbers_in)
            if record is not None:
                validator.add(record)
            if progress is not None and not line % 4096:
                progress.read(0, None, line - header_row)
    except CroError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet part part-way through
        raise _Unreadable(str(exc)) from exc
    if not header_row:
        raise CroError(f"{source}: sheet {sheet!r} is empty; its first row must name the "
                       "columns; nothing was written")
    for name, first in numbers_in.items():
        warnings.append(f"{source}: {sheet}!{letters[name]} ({name}) holds numbers (first at "
                        f"row {first}); they were imported as text, but a leading zero that "
                        f"Excel dropped (0123 shown as 123) cannot be restored: check them, and "
                        f"format the column as Text in Excel")


def _header_cell(source: str, sheet: str, row: int) -> Callable[[int], str]:
    """Where header cell i stands (0: the header row itself)."""
    def where(i: int) -> str:
        return f"{source}:{sheet}!{column_letter(i)}{row}" if i else f"{source}:{sheet} row {row}"

    return where


def _record(values: tuple, line: int, sheet: str, source: str, section: Section,
            fields: list[str | None], letters: dict[str, str], validator: Validator,
            numbers_in: dict[str, int]) -> CellRecord | None:
    """One row's cells as text by field; None for an empty row or one with a bad cell."""
    out: dict[str, Any] = {}
    bad = False
    width = len(fields)
    for i, value in enumerate(values):
        if value is None:
            blank = fields[i] if i < width else None
            if blank:
                out[blank] = None
            continue
        if i >= width:
            if str(value).strip():
                letter = column_letter(i + 1)
                validator.problem(Problem(f"{source}:{sheet}!{letter}{line}", f"a value in "
                                          f"column {letter}, which has no header; give the "
                                          "column a name, or delete the value"))
                bad = True
            continue
        name = fields[i]
        if name is None:
            continue  # a column crotool's own export adds
        try:
            text = cell_text(value)
        except ValueError as exc:
            validator.problem(Problem(f"{source}:{sheet}!{letters[name]}{line}", str(exc)))
            bad = True
            continue
        if (isinstance(value, (int, float)) and not isinstance(value, bool)
                and section.field(name).kind == "code"):
            numbers_in.setdefault(name, line)
        out[name] = text
    for name in fields:
        if name and name not in out:
            out[name] = None
    if bad or all(v is None for v in out.values()):
        return None
    record = CellRecord(source, line, out, _NO_LINES)
    record.sheet, record.letters = sheet, letters
    return record


def cell_text(value: Any) -> str | None:
    """A cell's value as the text a CSV would hold; ValueError for an error cell or a
    control character."""
    if isinstance(value, str):
        if not value.strip():
            return None
        if value in _ERRORS:
            raise ValueError(f"the cell holds the error {value}; fix the formula or type the "
                             "value")
        bad = CONTROL.search(value)
        if bad:
            raise ValueError(f"control character U+{ord(bad.group()):04X} is not allowed")
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        # A time typed in Excel is a fraction of a day: 09:30 may come back 09:29:59.999999.
        value = (value + timedelta(microseconds=500_000)).replace(microsecond=0)
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.replace(microsecond=0).isoformat()
    return str(value)

