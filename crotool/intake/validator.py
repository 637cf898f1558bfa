"""An import's rows checked: each by the rules `load` applies, good ones staged, problems counted.

`Validator` is what every reader of an import (CSV, JSON, YAML, a workbook's sheet) hands its
records to. A row is converted by the fast path (`converters.RowConverter`) or, when that
cannot, by `fields.convert_record`, whose messages name every bad field; references and
cross-field rules are `program.checker.Checker.check_rules`, a batch at a time. Good rows wait
in the TEMP table (`store.writes.Staging`), where duplicate keys across the file are found
with one sort. Every problem is counted and the 50 with the lowest lines are kept for
`ImportFailed`.
"""

from __future__ import annotations

import heapq
import re
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

from crotool.errors import Problem, ValidationFailed
from crotool.intake.converters import RowConverter, for_updates
from crotool.program.checker import Checker
from crotool.store.fields import Reading, Record, canonical_keys, record_label
from crotool.store.schema import Section
from crotool.store.writes import Staging

_IMPORT_READING = Reading(date_hint=True)


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


class Validator:
    """Every row through the checker's rules; good rows to the staging table; problems counted.

    Conversion takes a fast path (`RowConverter`: the same `convert` per field, memoised for
    the values that repeat, such as badges, school ids and categories); a row it cannot convert
    goes through `convert_record`, whose messages name every bad field. References and
    cross-field rules are `Checker.check_rules`, a batch at a time.
    """

    def __init__(self, conn: sqlite3.Connection, section: Section, staging: Staging,
                 source: str, reading: Reading = _IMPORT_READING, *, batch_size: int):
        self.section = section
        self.batch_size = batch_size  # rows checked and staged together
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
        self.fast = (RowConverter(self.lenient, section.required_names, reading.date_format)
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
        entry = (-line_of(problem), -self._seq, problem)
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
        if len(self.batch) >= self.batch_size:
            self.flush()

    def _convert(self, record: Record) -> dict[str, Any] | None:
        """The checker's own path for one record, whose messages name every bad field."""
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


def line_of(problem: Problem) -> int:
    """The line (or a workbook's row: `Roster!C7`, `Roster row 7`) a problem is at."""
    m = _TRAILING_NUMBER.search(problem.where)
    return int(m.group(1)) if m else 0

