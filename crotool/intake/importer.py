"""One-off imports: one table's records from a CSV, JSON or YAML file, all or nothing.

The flow is `load`'s (readers -> checker -> store), built to stream:

1. Read. CSV is streamed: its bytes pass through `readers.CheckedInput`, which hashes them
   (the provenance SHA-256), counts them (the progress bar) and checks them on whole chunks at
   C speed (strict UTF-8, no NUL or other control bytes) instead of cell by cell. Its first
   line is read by `header.check_header`, as a workbook's header row is (`workbooks`). JSON
   (an array of objects) and YAML (a list) are read whole, with the line of every record and
   field.
2. Validate every row (`validator.Validator`) by `load`'s rules: the same `fields.convert` per
   field (`converters.RowConverter`), `fields.convert_record`'s messages for a bad row and
   `Checker.check_rules` for references and cross-field rules, so a table has one set of rules
   whether it comes in by `load` or by `import`. Good rows wait in a TEMP table
   (`store.writes.Staging`), so memory stays flat for a million rows, and duplicate keys
   within the file are found there with one sort. Problems are counted in full; the 50 with
   the lowest lines are kept for the message.

   A CSV of a table with a fast path (duties: `prescreen`) is staged cell by cell as it
   stands, and SQLite picks out the rows it cannot vouch for (anything the checker would
   refuse or rewrite); only those go through the steps above. A file with no other problem leaves
   its repeated keys to the write, which tells them from its counts (`bulk_upsert`).

   One difference from `load`: only the key's fields must be given. A row that leaves out
   other required fields (a CSV of badge and status) can update a stored record, never create
   one (`Staging.new_without` finds those whose key is not stored).
3. Write, only if no row has a problem: one BEGIN IMMEDIATE transaction that upserts from the
   TEMP table (`store.writes.bulk_upsert`), writes the audit and records the import's
   provenance (read back by `history`).

Staging happens before the write lock is taken, so a long validation does not hold other
writers (a coordinator logging a duty) off the database; a reference that disappears in
between is still caught, by the deferred foreign keys at COMMIT, and then nothing is written.

Audit: an import of up to `SMALL_IMPORT` rows writes one audit row per inserted or updated
record (as `load` does); a larger one writes one row per updated record (old and new values)
and one summary row for the rest (file, SHA-256, counts). Neither ever holds the text of duty
notes.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from crotool.errors import EXIT_USAGE, CroError, Problem, ValidationFailed, did_you_mean
from crotool.intake import prescreen
from crotool.intake.header import check_header
from crotool.intake.readers import (
    MAX_JSON_BYTES,
    MAX_YAML_BYTES,
    CsvReader,
    blank_cells,
    decode_text,
    iter_json_records,
    open_binary,
    read_bytes,
    record_of,
)
from crotool.intake.rule_load import import_rules
from crotool.intake.validator import ImportFailed, Validator, line_of
from crotool.intake.workbooks import read_workbook
from crotool.intake.yaml_reader import YList, YMap, parse_yaml, yaml_record
from crotool.store import db
from crotool.store.audit import Auditor
from crotool.store.fields import Reading
from crotool.store.rule_schema import RULE_SECTIONS
from crotool.store.schema import IMPORTABLE, SECTIONS, Section
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
        validator = Validator(conn, section, staging, source, reading, batch_size=BATCH)
        if kind == "csv":
            sha256 = _read_csv(file, source, stdin, section, validator, progress)
        elif kind == "xlsx":
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
                              [*warnings, *sorted(validator.checker.warnings, key=line_of)])
        if table in RULE_SECTIONS:  # into the rule pack `local` (rule_load.py)
            result.counts = import_rules(conn, staging, source, sha256, dry_run=dry_run,
                                         on_change=on_change)
            return result
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


# ---------------------------------------------------------------- CSV


def _read_csv(file: str, source: str, stdin: BinaryIO | None, section: Section,
              validator: Validator, progress: Progress | None) -> str:
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
                    validator: Validator, progress: Progress | None, total: int | None) -> int:
    """The fast path (see `prescreen`): every row's cells staged as they stand, then the rows
    SQLite cannot vouch for taken back out and put through the checker's own path. Returns the
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
            # row all the same, which the checker refuses, not a blank line. Marked by -mask.
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


def _yaml_list(text: str, source: str, table: str, validator: Validator) -> None:
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
