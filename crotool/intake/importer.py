"""One-off imports: one table's records from a CSV, JSON or YAML file, all or nothing.

The flow is `load`'s (readers -> validate -> store), built to stream:

1. Read. CSV is streamed: its bytes pass through `_CheckedInput`, which hashes them (the
   provenance SHA-256), counts them (the progress bar) and checks them on whole chunks at C
   speed (strict UTF-8, no NUL or other control bytes) instead of cell by cell. JSON (an array
   of objects) and YAML (a list) are read whole, with the line of every record and field.
2. Validate every row with `validate`'s rules: the same `convert` per field, `convert_record`'s
   messages for a bad row and `Checker.check_rules` for references and cross-field rules, so a
   table has one set of rules whether it comes in by `load` or by `import`. Good rows wait in a
   TEMP table (`store.Staging`), so memory stays flat for a million rows, and duplicate keys
   within the file are found there with one sort. Problems are counted in full; the 50 with
   the lowest lines are kept for the message.

   A CSV of a table with a fast path (duties: `prescreen`) is staged cell by cell as it
   stands, and SQLite picks out the rows it cannot vouch for (anything validate would refuse
   or rewrite); only those go through the steps above. A file with no other problem leaves
   its repeated keys to the write, which tells them from its counts (`store.bulk_upsert`).

   One difference from `load`: only the key's fields must be given. A row that leaves out
   other required fields (a CSV of badge and status) can update a stored record, never create
   one (`Staging.new_without` finds those whose key is not stored).
3. Write, only if no row has a problem: one BEGIN IMMEDIATE transaction that upserts from the
   TEMP table (`store.bulk_upsert`), writes the audit and records the import's provenance.

Staging happens before the write lock is taken, so a long validation does not hold other
writers (a coordinator logging a duty) off the database; a reference that disappears in
between is still caught, by the deferred foreign keys at COMMIT, and then nothing is written.

Audit: an import of up to `SMALL_IMPORT` rows writes one audit row per inserted or updated
record (as `load` does); a larger one writes one row per updated record (old and new values)
and one summary row for the rest (file, SHA-256, counts). Neither
ever holds the text of duty notes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import heapq
import os
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from crotool.errors import EXIT_USAGE, CroError, Problem, ValidationFailed, did_you_mean
from crotool.intake import prescreen
from crotool.intake.readers import (
    MAX_JSON_BYTES,
    MAX_YAML_BYTES,
    CsvReader,
    Record,
    YList,
    YMap,
    blank_cells,
    decode_text,
    iter_json_records,
    open_binary,
    parse_yaml,
    read_bytes,
    record_of,
    yaml_record,
)
from crotool.program.checker import Checker
from crotool.store import db
from crotool.store.audit import Auditor
from crotool.store.fields import (
    BadValue,
    Reading,
    canonical_keys,
    convert,
    normal_text,
    record_label,
    shown_name,
)
from crotool.store.schema import IMPORTABLE, SECTIONS, Field, Section
from crotool.store.writes import (
    STAGING,
    Counts,
    RepeatedKeys,
    Staging,
    bulk_changes,
    bulk_counts,
    bulk_upsert,
    record_import,
)

FORMATS = ("csv", "json", "yaml", "xlsx")
_EXTENSIONS = {".csv": "csv", ".json": "json", ".yaml": "yaml", ".yml": "yaml", ".xlsx": "xlsx",
               ".xlsm": "xlsx"}
SMALL_IMPORT = 10_000  # up to this many rows, one audit row per change; above, inserts summarised
BATCH = 2_000  # rows validated and staged together
STDIN = "stdin"  # the name an import from `-` is recorded under
_IMPORT_READING = Reading(date_hint=True)


class Progress(Protocol):
    """What the command shows while an import runs (a Rich bar on a terminal, else nothing)."""

    def read(self, done_bytes: int, total_bytes: int | None, rows: int) -> None: ...

    def phase(self, text: str) -> None: ...


Change = tuple[str, str, dict[str, Any]]  # (table, "insert KEY" / "update KEY", changes)


@dataclass(slots=True)
class ImportResult:
    table: str
    source: str  # the file as the user named it, or "stdin"
    sha256: str
    counts: Counts
    dry_run: bool
    warnings: list[Problem | str] = field(default_factory=list)  # accepted, worth a look

    def rows(self) -> list[dict[str, Any]]:
        c = self.counts
        return [{"table": self.table, "file": self.source, "rows": c.total,
                 "inserted": c.inserted, "updated": c.updated, "unchanged": c.unchanged,
                 "dry_run": self.dry_run, "sha256": self.sha256}]


class ImportFailed(ValidationFailed):
    """Bad rows: the first `MAX_SHOWN` (by line) are kept, all of them are counted."""

    def __init__(self, problems: list[Problem], total: int, *, subject: str):
        super().__init__(problems, subject=subject)
        self.total = total
        self.message = (f"{subject}: {total} problem{'s' if total != 1 else ''} found; "
                        "nothing was written")
        self.args = (self.message,)

    def lines(self) -> list[str]:
        shown = [str(p) for p in self.problems[: self.MAX_SHOWN]]
        if self.total > len(shown):
            shown.append(f"... and {self.total - len(shown)} more")
        return [*shown, self.message]


# ---------------------------------------------------------------- what and how


def importable(table: str) -> Section:
    """The section `crotool import TABLE` writes; a usage error (exit 2) for any other name."""
    if table in IMPORTABLE:
        return SECTIONS[table]
    close = did_you_mean(table, IMPORTABLE)
    hint = f"did you mean '{close}'?" if close else None
    if table in SECTIONS:
        hint = f"{table} come in through seed documents: crotool load FILE"
    raise CroError(f"cannot import into '{table}'; importable tables: {', '.join(IMPORTABLE)}",
                   code=EXIT_USAGE, hint=hint)


def input_format(file: str, fmt: str | None) -> str:
    """csv, json, yaml or xlsx: --format if given, else the file's extension."""
    if fmt is not None:
        fmt = fmt.lower()
        if fmt == "yml":
            fmt = "yaml"
        if fmt not in FORMATS:
            raise CroError(f"unknown input format '{fmt}'; use one of {', '.join(FORMATS)}",
                           code=EXIT_USAGE)
        return fmt
    if file == "-":
        raise CroError("reading stdin (-) needs --format csv, json or yaml", code=EXIT_USAGE,
                       hint="e.g. crotool import officers - --format csv < roster.csv")
    suffix = Path(file).suffix.lower()
    if suffix not in _EXTENSIONS:
        raise CroError(f"{file}: cannot tell the format from the extension '{suffix or '(none)'}'"
                       f"; name the file .csv, .json, .yaml, .yml or .xlsx, or give "
                       f"--input-format csv|json|yaml|xlsx", code=EXIT_USAGE)
    return _EXTENSIONS[suffix]


def check_date_format(fmt: str | None) -> None:
    """--date-format must read back the date it writes (day, month and year all in it)."""
    if fmt is None:
        return
    from datetime import datetime

    sample = datetime(2023, 9, 5, 14, 30)
    try:
        back = datetime.strptime(sample.strftime(fmt), fmt)
    except ValueError:
        back = None
    if back is None or back.date() != sample.date():
        raise CroError(f"--date-format {fmt!r} does not name a day, a month and a year",
                       code=EXIT_USAGE, hint="e.g. --date-format %m/%d/%Y for 9/5/2023")


# ---------------------------------------------------------------- the import


def import_file(conn: sqlite3.Connection, table: str, file: str, *, fmt: str | None = None,
                dry_run: bool = False, stdin: BinaryIO | None = None,
                on_change: Callable[[Change], None] | None = None,
                progress: Progress | None = None, sheet: str | None = None,
                date_format: str | None = None) -> ImportResult:
    """Validate every row of FILE (or stdin for "-"), then upsert them all in one transaction.

    Raises ImportFailed (every problem counted, the first 50 by line listed) before anything is
    written. With `dry_run`, counts what would change and writes nothing; `on_change` is called
    for every record that is (or would be) inserted or updated. `sheet` names a workbook's
    sheet (default: the first); `date_format` (strftime) reads the file's dates in that form.
    """
    section = importable(table)
    kind = input_format(file, fmt)
    if sheet is not None and kind != "xlsx":
        raise CroError(f"--sheet is for .xlsx workbooks; {file} is read as {kind}",
                       code=EXIT_USAGE)
    if kind == "xlsx" and file == "-":
        raise CroError("an .xlsx workbook cannot be read from stdin; name the file",
                       code=EXIT_USAGE)
    check_date_format(date_format)
    source = STDIN if file == "-" else file
    reading = Reading(date_format=date_format, date_hint=True)
    staging = Staging(conn, section, by_line=kind == "csv")
    db.for_bulk_write(conn)
    warnings: list[str] = []
    try:
        validator = _Validator(conn, section, staging, source, reading)
        if kind == "csv":
            sha256 = _read_csv(file, source, stdin, section, validator, progress)
        elif kind == "xlsx":
            from crotool.intake.workbooks import read_workbook

            sha256 = read_workbook(Path(file), source, sheet, section, validator, warnings,
                                   progress)
        else:
            data = _read_whole(file, source, stdin, MAX_JSON_BYTES if kind == "json"
                               else MAX_YAML_BYTES)
            sha256 = hashlib.sha256(data).hexdigest()
            text = decode_text(data, source)
            del data  # the text alone from here: memory stays about twice the file's size
            if kind == "json":
                for record in iter_json_records(text, source, table, validator.problem):
                    validator.add_keyed(record)
            else:
                _yaml_list(text, source, table, validator)
        validator.finish(repeats_to_the_write=validator.screened and not dry_run
                         and on_change is None)
        if progress is not None:
            progress.phase("dry run: counting" if dry_run else "writing")
        result = ImportResult(table, source, sha256, Counts(), dry_run,
                              [*warnings, *sorted(validator.checker.warnings, key=_line_of)])
        if dry_run:
            _report_changes(conn, staging, on_change)
            result.counts = bulk_counts(conn, staging)
            return result
        try:
            _write(conn, staging, result, on_change)
        except RepeatedKeys:  # rolled back: name them, as validation would have
            validator.repeats()
            raise
        return result
    finally:
        staging.drop()


def _write(conn: sqlite3.Connection, staging: Staging, result: ImportResult,
           on_change: Callable[[Change], None] | None) -> None:
    """The one write transaction: upsert, audit, provenance."""
    table = staging.section.name
    large = staging.count > SMALL_IMPORT
    with db.transaction(conn):
        auditor = Auditor(conn)
        changes: list[tuple[str, str, str, dict]] = []
        # Every update is audited with its old and new values, whatever the import's size:
        # a summary row alone would hide which stored record a large file changed, and how.
        # Only the inserts of a large import are summarised (by the file they came from).
        for action, key, diff in bulk_changes(conn, staging,
                                              updates_only=large and on_change is None):
            if on_change is not None:
                on_change((table, f"{action} {key}", diff))
            if not large or action == "update":
                changes.append((table, key, action, diff))
        counts = bulk_upsert(conn, staging)
        auditor.record_many(changes)
        if large and counts.inserted + counts.updated:
            auditor.record(table, result.source, "import", {
                "file": result.source, "sha256": result.sha256, "rows": counts.total,
                "inserted": counts.inserted, "updated": counts.updated,
                "unchanged": counts.unchanged})
        record_import(conn, auditor, table, result.source, result.sha256, counts)
        result.counts = counts


def _report_changes(conn: sqlite3.Connection, staging: Staging,
                    on_change: Callable[[Change], None] | None) -> None:
    if on_change is None:
        return
    for action, key, diff in bulk_changes(conn, staging):
        on_change((staging.section.name, f"{action} {key}", diff))


# ---------------------------------------------------------------- validation


class _Validator:
    """Every row through validate's rules; good rows to the staging table; problems counted.

    Conversion takes a fast path (`_RowConverter`: the same `convert` per field, memoised for
    the values that repeat, such as badges, school ids and categories); a row it cannot convert
    goes through `convert_record`, whose messages name every bad field. References and
    cross-field rules are `Checker.check_rules`, a batch at a time.
    """

    def __init__(self, conn: sqlite3.Connection, section: Section, staging: Staging,
                 source: str, reading: Reading = _IMPORT_READING):
        self.section = section
        self.staging = staging
        self.source = source
        # Where a row stands, for the messages made here (a workbook says sheet and row).
        self.at: Callable[[int], str] = lambda line: f"{source}:{line}"
        self.checker = Checker(conn, reading)
        # A row may leave out required fields that are not part of its key (a CSV of badge and
        # status updates statuses): it is then an update, and `finish` refuses such a row
        # whose key is not stored. A required field given with no value is always refused.
        self.lenient = for_updates(section)
        self.optional_required = tuple(n for n in section.required_names
                                       if n not in self.lenient.required_names)
        # An assignment's key needs its dates, which convert_all fills from the school year.
        self.fast = (_RowConverter(self.lenient, section.required_names, reading.date_format)
                     if section.name != "assignments" else None)
        self.batch: list[tuple[Record, dict]] = []
        self.kept: list[tuple[int, int, Problem]] = []  # heap of the lowest lines: (-line, -seq)
        self.total = 0
        self._seq = 0
        self.screened = False  # staged by the fast path (see prescreen)

    # -- problems ------------------------------------------------------------
    def problem(self, problem: Problem) -> None:
        self.total += 1
        self._seq += 1
        entry = (-_line_of(problem), -self._seq, problem)
        if len(self.kept) < ImportFailed.MAX_SHOWN:
            heapq.heappush(self.kept, entry)
        elif entry > self.kept[0]:
            heapq.heapreplace(self.kept, entry)

    def drain(self, problems: list[Problem]) -> None:
        for p in problems:
            self.problem(p)
        problems.clear()

    # -- rows ----------------------------------------------------------------
    def add(self, record: Record) -> None:
        values = self.fast(record.values) if self.fast is not None else None
        if values is None:
            values = self._convert(record)
            if values is None:
                return
        self.batch.append((record, values))
        if len(self.batch) >= BATCH:
            self.flush()

    def _convert(self, record: Record) -> dict[str, Any] | None:
        """validate's own path for one record, whose messages name every bad field."""
        pairs = self.checker.convert_all(self.lenient, [record])
        self.drain(self.checker.problems)
        values = pairs[0][1] if pairs else None
        given = values if values is not None else record.values
        for name in self.optional_required:
            if name in given and given[name] is None:
                raw = {k: v for k in self.section.key if isinstance(v := record.values.get(k), str)}
                self.problem(Problem(record.where(name), f"{record_label(self.section, raw)}: "
                                     f"missing required field '{name}'"))
                values = None
        return values

    def add_keyed(self, record: Record) -> None:
        """A JSON or YAML record: its keys read as field names first (as a CSV header is)."""
        problems: list[Problem] = []
        keyed = canonical_keys(self.section, record, problems)
        self.drain(problems)
        self.add(keyed)

    def feed(self, records: Iterable[Record]) -> None:
        for record in records:
            self.add(record)

    def flush(self) -> None:
        if not self.batch:
            return
        good = {id(v) for v in self.checker.check_rules(self.section, self.batch)}
        self.drain(self.checker.problems)
        row = self.staging.row
        self.staging.add([row(r.line, v) for r, v in self.batch if id(v) in good])
        self.batch.clear()

    def finish(self, *, repeats_to_the_write: bool = False) -> None:
        """Flush, find duplicate keys across the whole file, and raise if anything was bad.

        `repeats_to_the_write`: a file with no other problem leaves repeated keys to
        `bulk_upsert`, which tells them from its counts instead of a sort of every row (it
        raises RepeatedKeys, and `repeats` then names them)."""
        self.flush()
        # Rows that leave out a required field can only update a stored record.
        updates_only = [self._nothing_to_update(line, key, absent) for line, key, absent
                        in self.staging.new_without(self.optional_required)]
        if repeats_to_the_write and not self.total and not updates_only:
            self.staging.repeats_unchecked = True
            return
        self.repeats(raise_now=False)
        self.drain(updates_only)
        if self.total:
            self.fail()

    def _nothing_to_update(self, line: int, key: dict[str, Any], absent: list[str]) -> Problem:
        s = "s" if len(absent) > 1 else ""
        names = ", ".join(f"'{name}'" for name in absent)
        return Problem(self.at(line), f"{record_label(self.section, key)}: missing required "
                       f"field{s} {names} (nothing with this key is stored to update; a new "
                       f"{self.section.label} needs {', '.join(self.section.required_names)})")

    def repeats(self, *, raise_now: bool = True) -> None:
        """Repeats among the good rows (a bad row was never staged, so cannot be one)."""
        for line, first, key in self.staging.duplicates():
            self.problem(Problem(self.at(line),
                                 f"{record_label(self.section, key)}: duplicate record "
                                 f"(first at {self.at(first)})"))
        if raise_now and self.total:
            self.fail()

    def fail(self) -> None:
        shown = [p for _, _, p in sorted(self.kept, reverse=True)]
        raise ImportFailed(shown, self.total, subject=self.source)


_TRAILING_NUMBER = re.compile(r"(\d+)$")


def _line_of(problem: Problem) -> int:
    """The line (or a workbook's row: `Roster!C7`, `Roster row 7`) a problem is at."""
    m = _TRAILING_NUMBER.search(problem.where)
    return int(m.group(1)) if m else 0


def for_updates(section: Section) -> Section:
    """The section with only its key fields required: how an import reads its rows."""
    return dataclasses.replace(section, fields=tuple(
        f if f.name in section.key else dataclasses.replace(f, required=False)
        for f in section.fields))


class _RowConverter:
    """A row's typed values by `validate.convert`, or None when `convert_record` must speak.

    The result is what `convert_record` returns for a good row (a test holds them equal): each
    given field converted; a field with a default that is given no value left out; every
    required field present. Values of the kinds that repeat are memoised per field. A field of
    `not_null` given with no value also sends the row to the slow path, which reports it.
    """

    _MEMO_KINDS = frozenset({"slug", "code", "year", "int", "bool", "date", "enum"})
    _MEMO_SIZE = 4_096

    def __init__(self, section: Section, not_null: tuple[str, ...] = (),
                 date_format: str | None = None):
        self.date_format = date_format
        self.converters = {f.name: self._converter(f, f.name in section.private,
                                                   f.name in section.key)
                           for f in section.fields}
        self.defaulted = tuple(f.name for f in section.fields if f.default_from)
        self.required = section.required_names
        self.not_null = tuple(n for n in not_null if n not in self.required)

    def _converter(self, f: Field, private: bool, key: bool = False) -> Callable[[Any], Any]:
        fmt = self.date_format
        if key and f.kind == "text":  # free text in a natural key: stored in normal form
            return lambda raw: None if (v := convert(f, raw)) is None else normal_text(v)
        if f.kind == "datetime":
            return _datetime_converter(f, fmt)
        if f.kind not in self._MEMO_KINDS:
            return lambda raw: convert(f, raw, private=private, date_format=fmt)
        return _memoised(lambda raw: convert(f, raw, private=private, date_format=fmt),
                         self._MEMO_SIZE)

    def __call__(self, raw: dict[str, Any]) -> dict[str, Any] | None:
        converters = self.converters
        try:
            values = {name: converters[name](value) for name, value in raw.items()}
        except (KeyError, BadValue):  # an unknown field or a bad value
            return None
        for name in self.defaulted:
            if name in values and values[name] in (None, []):
                del values[name]
        for name in self.required:
            if values.get(name) is None:
                return None
        for name in self.not_null:
            if name in values and values[name] is None:
                return None
        return values


_MISS = object()


def _memoised(function: Callable[[Any], Any], size: int) -> Callable[[Any], Any]:
    """`function` (a conversion: pure) remembered for up to `size` distinct values.

    A value that raises is not remembered: it raises again, and convert_record reports it.
    """
    memo: dict[Any, Any] = {}

    def cached(raw: Any) -> Any:
        if raw.__class__ is list:  # from YAML or JSON: not hashable, and never repeated
            return function(raw)
        value = memo.get(raw, _MISS)
        if value is _MISS:
            value = function(raw)
            if len(memo) < size:
                memo[raw] = value
        return value

    return cached


# The canonical form that `convert` returns for a date-time, and that exports and most files
# hold. Such a value converts to itself exactly when its date, hour, minute and second are each
# valid, and those repeat across a duty log (a year has 366 dates, a day 24 hours): so each is
# checked once, by `convert` itself, and a canonical value is then accepted as it stands.
# Anything else (a space for the T, no seconds, an offset, a bad value) goes to `convert` whole.
_CANONICAL_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


def _datetime_converter(f: Field, date_format: str | None = None) -> Callable[[Any], Any]:
    def valid(template: str) -> Callable[[str], bool]:
        def check(part: str) -> bool:
            text = template.format(part)
            try:
                return convert(f, text) == text
            except BadValue:
                return False

        return _memoised(check, 4_096)

    day = valid("{}T00:00:00")
    hour, minute, second = valid("2000-01-01T{}:00:00"), valid("2000-01-01T00:{}:00"), valid(
        "2000-01-01T00:00:{}")
    canonical = _CANONICAL_DATETIME.fullmatch

    def fast(raw: Any) -> Any:
        if (raw.__class__ is str and canonical(raw) and day(raw[:10]) and hour(raw[11:13])
                and minute(raw[14:16]) and second(raw[17:19])):
            return raw
        return convert(f, raw, date_format=date_format)

    return fast


# ---------------------------------------------------------------- CSV


def _read_csv(file: str, source: str, stdin: BinaryIO | None, section: Section,
              validator: _Validator, progress: Progress | None) -> str:
    """Stream a CSV into the validator; returns its SHA-256."""
    raw, total = _open_binary(file, source, stdin)
    try:
        reader = CsvReader(raw, source)
        try:
            names = reader.header()
        except ValidationFailed as exc:
            raise ImportFailed(exc.problems, len(exc.problems), subject=source) from None
        fields = check_header(section, names, source, lambda i: f"{source}:1")
        given = tuple(f for f in fields if f is not None)
        plan = prescreen.plan(validator.checker.conn, section, given, STAGING)
        if plan is None:
            rows = 0
            for record in reader.records(fields, validator.problem):
                validator.add(record)
                rows += 1
                if progress is not None and not rows % 4096:
                    progress.read(reader.done, total, rows)
        else:
            rows = _stage_screened(reader, fields, plan, validator, progress, total)
        if progress is not None:
            progress.read(reader.done, total, rows)
    finally:
        if file != "-":
            raw.close()
    return reader.sha256


def _stage_screened(reader: CsvReader, fields: list[str | None], plan: prescreen.Plan,
                    validator: _Validator, progress: Progress | None, total: int | None) -> int:
    """The fast path (see `prescreen`): every row's cells staged as they stand, then the rows
    SQLite cannot vouch for taken back out and put through validate's own path. Returns the
    rows read."""
    width, mask = len(fields), plan.mask
    kept = [i for i, name in enumerate(fields) if name is not None]
    left_out = [i for i, name in enumerate(fields) if name is None]
    read = 0

    def cells() -> Iterable[tuple]:
        nonlocal read
        for line, row in reader.rows(width, validator.problem):
            read += 1
            if progress is not None and not read % 4096:
                progress.read(reader.done, total, read)
            if not left_out:
                yield (line, mask, *row)
                continue
            given = [row[i] for i in kept]
            joined = "".join(given)
            if joined.strip() and "'" not in joined:
                yield (line, mask, *given)
                continue
            # Blank in every column it gives, but not in one read past (an export's id): a
            # row all the same, which validate refuses, not a blank line. Marked by -mask.
            marked = blank_cells(given) and not blank_cells(row[i] for i in left_out)
            yield (line, -mask if marked else mask, *given)

    staging, source = validator.staging, validator.source
    validator.screened = True
    staging.load(plan.insert, cells(), mask)
    for batch in staging.flagged(plan.ok, plan.given):
        for line, row_mask, *values in batch:
            raw = ["" if v is None else str(v) for v in values]
            record = record_of(source, line, plan.given, raw, others_blank=row_mask > 0)
            if record is not None:
                validator.add(record)
    staging.settle(plan.settle)
    return read


def check_header(section: Section, names: list[str], subject: str,
                 where: Callable[[int], str]) -> list[str | None]:
    """The field each column names (None: a column crotool's own export adds, read past).

    Headers match ignoring case, surrounding space and `_`/space/`-`. Every column
    a known field, named once; every required key field a column (other required fields may
    be left out by a file that updates stored records). `where(i)` names column i's header.
    A header is quoted only as a short prefix: a file without its header row has a data row
    there, and that may hold a duty's notes.
    """
    known = section.field_names
    problems: list[Problem] = []
    first: dict[str, int] = {}
    fields: list[str | None] = []
    matched = [section.match(n) if n else None for n in names]
    if names and not any(matched) and not all(n.strip() in section.derived for n in names):
        problems.append(Problem(where(0), f"the first row is not a header: none of its "
                                f"{len(names)} cells names a field of {section.name}; the "
                                f"first row must name the columns: {', '.join(known)}"))
        raise ImportFailed(problems, 1, subject=subject)
    for i, (name, matched_field) in enumerate(zip(names, matched, strict=True), start=1):
        fields.append(matched_field)
        if matched_field is None:
            if name and name.strip() in section.derived:
                continue
            if not name:
                problems.append(Problem(where(i), f"column {i} has no name; allowed: "
                                        f"{', '.join(known)}"))
                continue
            close = did_you_mean(name, known)
            hint = f"; did you mean '{close}'?" if close else ""
            problems.append(Problem(where(i), f"unknown column {shown_name(name)}; allowed: "
                                    f"{', '.join(known)}{hint}"))
            continue
        if matched_field in first:
            j = first[matched_field]
            what = (f"column {shown_name(name)} appears twice" if names[j - 1] == name else
                    f"column {shown_name(name)} names the field '{matched_field}', as column "
                    f"{shown_name(names[j - 1])} does")
            problems.append(Problem(where(i), f"{what} (columns {j} and {i}); name each column "
                                    "once"))
            continue
        first[matched_field] = i
    missing = [n for n in section.key if section.field(n).required and n not in first]
    if missing:
        s = "s" if len(missing) > 1 else ""
        problems.append(Problem(where(0), f"missing required column{s} {', '.join(missing)}; "
                                f"{section.name} are matched by {', '.join(section.key)}, and "
                                f"a new one needs {', '.join(section.required_names)}"))
    if problems:
        raise ImportFailed(problems, len(problems), subject=subject)
    return fields


def _open_binary(file: str, source: str, stdin: BinaryIO | None) -> tuple[BinaryIO, int | None]:
    """The input's bytes and, for a file, its size."""
    if file == "-":
        if stdin is None:
            raise CroError("no standard input to read")
        return stdin, None
    fh = open_binary(Path(file), source)
    return fh, os.fstat(fh.fileno()).st_size


def _read_whole(file: str, source: str, stdin: BinaryIO | None, cap: int) -> bytes:
    if file != "-":
        return read_bytes(Path(file), source, cap)
    if stdin is None:
        raise CroError("no standard input to read")
    data = stdin.read(cap + 1)
    if len(data) > cap:
        raise ImportFailed([Problem(f"{source}:1", f"input is larger than the limit of {cap:,} "
                                    "bytes")], 1, subject=source)
    return data


# ---------------------------------------------------------------- YAML


def _yaml_list(text: str, source: str, table: str, validator: _Validator) -> None:
    """A YAML list of records (one document), each field with its line, into the validator
    one record at a time (the tree of a large file is many times its size)."""
    state = {"docs": 0, "entries": 0}

    def entry(item: Any, line: int) -> None:
        state["entries"] += 1
        record = yaml_record(item, line, source, table, validator.problem)
        if record is not None:
            validator.add_keyed(record)

    docs = [d for d in parse_yaml(text, source, on_item=entry) if d is not None]
    if not docs:
        raise ImportFailed([Problem(f"{source}:1", f"the file holds no records; write a YAML "
                                    f"list of {table} (- field: value)")], 1, subject=source)
    if len(docs) > 1:
        raise ImportFailed([Problem(f"{source}:{getattr(docs[1], 'line', 1)}", "more than one "
                                    "YAML document; an import file holds one list")], 1,
                           subject=source)
    doc = docs[0]
    if not isinstance(doc, YList):
        what = f"an import file must be a YAML list of {table} (- field: value)"
        if isinstance(doc, YMap):
            what += "; a mapping of sections is a seed document: crotool load FILE"
        raise ImportFailed([Problem(f"{source}:{getattr(doc, 'line', 1)}", what)], 1,
                           subject=source)


# ---------------------------------------------------------------- JSON


# ---------------------------------------------------------------- history


def history(conn: sqlite3.Connection, table: str | None = None, limit: int | None = None
            ) -> list[dict[str, Any]]:
    """Recorded imports and loads, newest first (`crotool imports list`)."""
    where, params = "", list[Any]()
    if table is not None:
        if table != "*" and table not in IMPORTABLE:
            close = did_you_mean(table, IMPORTABLE)
            raise CroError(f"--table: '{table}' is not an importable table; use one of "
                           f"{', '.join(IMPORTABLE)}, or '*' for seed loads", code=EXIT_USAGE,
                           hint=f"did you mean '{close}'?" if close else None)
        where, params = "WHERE table_name = ?", [table]
    sql = ("SELECT id, at, os_user AS user, command, table_name AS \"table\", file, rows, "
           f"inserted, updated, unchanged, sha256 FROM imports {where} ORDER BY id DESC")
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [dict(r) for r in conn.execute(sql, params)]

