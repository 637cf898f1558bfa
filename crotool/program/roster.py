"""The roster: officers, their leave, and their assignments to feeder patterns.

Every change typed at the command line is checked by exactly the rules that `load` and
`import` apply to the same section: the options become one `fields.Record` of text, and
`checker.Checker` converts it by `schema.SECTIONS` (types, references with did-you-mean hints)
and applies the rules of these record types, kept at the end of this module (an assignment
inside its school year, a leave that does not end before it starts). It is then written by
`store.upsert` with its audit rows, in one `db.transaction`. So there is one set of rules, and
a change either applies whole or not at all.

What only a single typed change needs is added here:

- `officers add` refuses a badge that exists (an import would update it; a typo at a terminal
  should not silently rewrite another officer), and `officers update` refuses one that does not.
- `officers update` changes only the options it is given; `none` clears an optional field.
- `assign` records what it is told, even when that breaks the coverage rule (the data must
  show reality, and `crotool gaps` lists it); it then runs the coverage engine on the year it
  wrote to and returns the conflict rows that involve the new assignment (a second CRO for the
  pair, an officer out of jurisdiction, an untrained additional officer) as warnings, and the
  gaps the assignment leaves open as notes. `unassign` and `officers leave` return the gaps they
  open the same way.
- `unassign` deletes one assignment, named by id or, when that is unambiguous, by badge,
  pattern and year; the audit row (action `delete`) keeps every value the row held.

Nothing here prints: commands format the returned rows and messages.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from crotool.errors import CroError, Problem
from crotool.program import officer_kinds, years
from crotool.program.checker import Checker, Label, Rules, check_options
from crotool.program.coverage import analyse_year
from crotool.program.coverage_rule import Row
from crotool.program.years import SchoolYearRules
from crotool.store import db, reads
from crotool.store.audit import Auditor
from crotool.store.fields import Record
from crotool.store.schema import SECTIONS, Section
from crotool.store.writes import upsert

OFFICERS = SECTIONS["officers"]
LEAVES = SECTIONS["leaves"]
ASSIGNMENTS = SECTIONS["assignments"]

# Words that clear an optional field in `officers update` (e.g. `--trained-on none`).
CLEAR_WORDS = frozenset({"none", "null", "-"})
# The officer's fields that can be cleared: neither required nor with a default.
_CLEARABLE = tuple(f.name for f in OFFICERS.fields if not f.required and not f.default_from)

# How a field is spelt at the command line, for messages (a problem names the option the user
# typed, not a file and line).
_OPTION = {
    "badge": "BADGE",
    "officer": "BADGE",
    "feeder_pattern": "PATTERN",
    "school_year": "--year",
    "school_trained_on": "--trained-on",
    "first_on_campus": "--first-on-campus",
}

_CONFLICT_WARNINGS = {
    "duplicate": "two or more CRO assignments of {agency} to {pattern} at once (the rule is one)",
    "out_of_jurisdiction": "{agency} has no school in {pattern}: out of jurisdiction",
    "untrained_additional": "additional officer not school-trained on the assignment's first day",
}
GAP_NOTES = ("inactive", "untrained", "on_leave", "unassigned")


def _check(conn: sqlite3.Connection, section: Section, values: dict[str, Any], subject: str
           ) -> dict[str, Any]:
    return check_options(conn, section, values, subject, options=_OPTION)


def _clear(text: str | None) -> str | None:
    """`none` (or `null`, `-`, an empty value) -> no value; anything else as typed."""
    if text is not None and (not text.strip() or text.strip().lower() in CLEAR_WORDS):
        return None
    return text


@dataclass(slots=True)
class Change:
    """What one command did: `action` is insert, update, unchanged or delete; `changes` the
    values written (insert) or [old, new] per changed field (update); `record` the stored row
    afterwards (before, for a delete)."""

    action: str
    key: str
    record: dict[str, Any]
    changes: dict[str, Any] = field(default_factory=dict)
    warnings: list[Row] = field(default_factory=list)  # conflicts this change is part of
    notes: list[Row] = field(default_factory=list)  # gaps it leaves open or opens
    advice: list[str] = field(default_factory=list)  # other warnings, as sentences


def _write(conn: sqlite3.Connection, section: Section, values: dict[str, Any]
           ) -> tuple[str, dict[str, Any]]:
    """upsert one record with its audit row, inside the caller's transaction."""
    changes: list[tuple[str, str, dict[str, Any]]] = []
    counts = upsert(conn, section, [values], Auditor(conn), changes_out=changes)
    if counts.inserted:
        return "insert", changes[0][2]
    if counts.updated:
        return "update", changes[0][2]
    return "unchanged", {}


# ---------------------------------------------------------------- officers


def officer(conn: sqlite3.Connection, badge: str) -> dict[str, Any] | None:
    row = conn.execute(f"SELECT {', '.join(OFFICERS.field_names)} FROM officers WHERE badge = ?",
                       (badge,)).fetchone()
    return dict(row) if row else None


def add_officer(conn: sqlite3.Connection, *, badge: str, name: str, agency: str,
                status: str | None = None, trained_on: str | None = None,
                rank: str | None = None, phone: str | None = None, email: str | None = None,
                first_on_campus: str | None = None, kind: str | None = None) -> Change:
    """A new officer; a badge that exists is refused (use update_officer). No kind: the
    first kind the applied packs list."""
    raw = {"badge": badge, "name": name, "agency": agency, "status": status,
           "school_trained_on": _clear(trained_on), "rank": rank, "phone": phone, "email": email,
           "first_on_campus": _clear(first_on_campus), "kind": kind}
    with db.transaction(conn):
        values = _check(conn, OFFICERS, raw, f"officers add {badge}")
        stored = officer(conn, values["badge"])
        if stored is not None:
            raise CroError(
                f"officer {values['badge']} already exists ({stored['name']}, "
                f"{stored['agency']}); nothing was written",
                hint=f"change it with `crotool officers update {values['badge']} ...`")
        action, changes = _write(conn, OFFICERS, values)
        record = officer(conn, values["badge"])
    assert record is not None
    return Change(action, record["badge"], record, changes)


def update_officer(conn: sqlite3.Connection, badge: str, *, name: str | None = None,
                   status: str | None = None, trained_on: str | None = None,
                   rank: str | None = None, phone: str | None = None,
                   email: str | None = None, first_on_campus: str | None = None,
                   kind: str | None = None) -> Change:
    """Change only the fields given; `none` clears trained_on, rank, phone, email or
    first_on_campus."""
    given = {"name": name, "status": status, "school_trained_on": trained_on, "rank": rank,
             "phone": phone, "email": email, "first_on_campus": first_on_campus, "kind": kind}
    given = {k: v for k, v in given.items() if v is not None}
    if not given:
        raise CroError(f"officers update {badge}: nothing to change",
                       hint="give one or more of --name, --status, --trained-on, --rank, "
                       "--phone, --email, --first-on-campus, --kind")
    for clearable in _CLEARABLE:
        if clearable in given:
            given[clearable] = _clear(given[clearable])
    with db.transaction(conn):
        reads.require(conn, "officers", badge, "BADGE")
        stored = officer(conn, badge)
        assert stored is not None
        # The stored record, with the given fields replaced: required fields (name, agency)
        # are present, and the fields not given compare equal, so only the given ones change.
        raw = {**stored, **given}
        values = _check(conn, OFFICERS, raw, f"officers update {badge}")
        action, changes = _write(conn, OFFICERS, values)
        record = officer(conn, badge)
    assert record is not None
    return Change(action, badge, record, changes)


def add_leave(conn: sqlite3.Connection, badge: str, *, start: str, end: str,
              reason: str | None = None) -> Change:
    """A leave (officer unavailable every day from start to end inclusive). The same officer
    and start again updates that leave's end and reason. Notes: the gaps it opens."""
    raw = {"officer": badge, "start": start, "end": end, "reason": reason}
    with db.transaction(conn):
        values = _check(conn, LEAVES, raw, f"officers leave {badge}")
        action, changes = _write(conn, LEAVES, values)
        row = conn.execute(f"SELECT id, {', '.join(LEAVES.field_names)} FROM leaves"
                           " WHERE officer = ? AND start = ?",
                           (values["officer"], values["start"])).fetchone()
    record = dict(row)
    change = Change(action, f"{record['officer']}/{record['start']}", record, changes)
    lo, hi = date.fromisoformat(record["start"]), date.fromisoformat(record["end"])
    for year_id, pairs in _cro_pairs_of(conn, badge, lo, hi).items():
        change.notes += _gaps_over(conn, year_id, pairs, lo, hi, ("on_leave",))
    return change


# ---------------------------------------------------------------- assignments


_ASSIGNMENT_SQL = """SELECT a.id, a.school_year, a.feeder_pattern, a.officer,
       o.name AS officer_name, o.agency, a.role, a.start, a.end, o.status AS officer_status
FROM assignments a JOIN officers o ON o.badge = a.officer"""
_ASSIGNMENT_ORDER = " ORDER BY a.school_year, a.feeder_pattern, o.agency, a.start, a.officer, a.id"
LIST_COLUMNS = ("id", "school_year", "feeder_pattern", "officer", "officer_name", "agency",
                "role", "start", "end", "officer_status")


def list_assignments(conn: sqlite3.Connection, *, year: str | None = None,
                     pattern: str | None = None, agency: str | None = None,
                     officer: str | None = None) -> list[dict[str, Any]]:
    """Every assignment, unless a filter narrows it; by year, pattern, agency, start."""
    where = reads.Where()
    where.ref(conn, "school_years", year, "--year", "a.school_year = ?")
    where.ref(conn, "feeder_patterns", pattern, "--pattern", "a.feeder_pattern = ?")
    where.ref(conn, "agencies", agency, "--agency", "o.agency = ?")
    where.ref(conn, "officers", officer, "--officer", "a.officer = ?")
    sql = _ASSIGNMENT_SQL + where.sql + _ASSIGNMENT_ORDER
    return [dict(r) for r in conn.execute(sql, where.params)]


def _assignment(conn: sqlite3.Connection, assignment_id: int) -> dict[str, Any] | None:
    row = conn.execute(_ASSIGNMENT_SQL + " WHERE a.id = ?", (assignment_id,)).fetchone()
    return dict(row) if row else None


def assign(conn: sqlite3.Connection, badge: str, pattern: str, *, year: str | None = None,
           role: str | None = None, start: str | None = None, end: str | None = None
           ) -> Change:
    """Write one assignment (start and end default to the school year's), then return the
    conflicts it is part of as warnings and the gaps left over its span as notes.

    The same officer, pattern, year and start again updates that assignment's role and end.
    """
    year_id = year if year is not None else years.current_year(conn).year.id
    raw = {"officer": badge, "feeder_pattern": pattern, "school_year": year_id, "role": role,
           "start": start, "end": end}
    with db.transaction(conn):
        values = _check(conn, ASSIGNMENTS, raw, f"assign {badge} {pattern}")
        action, changes = _write(conn, ASSIGNMENTS, values)
        row = conn.execute(
            "SELECT id FROM assignments WHERE officer = ? AND feeder_pattern = ?"
            " AND school_year = ? AND start = ?",
            (values["officer"], values["feeder_pattern"], values["school_year"],
             values["start"])).fetchone()
        record = _assignment(conn, row["id"])
    assert record is not None
    change = Change(action, _assignment_key(record), record, changes)
    # After the commit: the write lock is not held while the year is analysed.
    change.warnings, change.notes = _involving(conn, record)
    stored = officer(conn, record["officer"])
    if stored and not stored["school_trained_on"] and not stored["first_on_campus"]:
        # Neither date: coverage cannot count the officer, and the training deadlines
        # (first_on_campus + the policy's months) have nothing to run from.
        change.advice.append(
            f"officer {record['officer']} has neither school_trained_on nor first_on_campus: "
            "no training deadline runs; record the first day on school property with "
            f"`crotool officers update {record['officer']} --first-on-campus DATE`")
    return change


def _assignment_key(record: dict[str, Any]) -> str:
    return "/".join(str(record[k]) for k in ASSIGNMENTS.key)


def _involving(conn: sqlite3.Connection, a: dict[str, Any]) -> tuple[list[Row], list[Row]]:
    return involving(analyse_year(conn, a["school_year"]).rows, a)


def involving(rows: list[Row], a: dict[str, Any]) -> tuple[list[Row], list[Row]]:
    """Of a year's rows, the conflicts that involve assignment `a` (a dict with officer,
    agency, feeder_pattern, role, start, end), and the gaps of its pair over its span (a cro
    assignment that does not cover: officer inactive, untrained, on leave)."""
    lo, hi = date.fromisoformat(a["start"]), date.fromisoformat(a["end"])
    own = (a["officer"], a["feeder_pattern"], lo, hi)
    warnings, notes = [], []
    for r in rows:
        overlaps = r.start <= hi and r.end >= lo
        same_pair = r.feeder_pattern == a["feeder_pattern"] and r.agency == a["agency"]
        if r.kind in ("out_of_jurisdiction", "untrained_additional"):
            if (r.officer, r.feeder_pattern, r.start, r.end) == own:
                warnings.append(r)
        elif r.kind == "duplicate":
            if a["role"] == "cro" and same_pair and overlaps:
                warnings.append(r)
        elif a["role"] == "cro" and same_pair and overlaps and r.kind != "unassigned":
            notes.append(r)
    return warnings, notes


def _cro_pairs_of(conn: sqlite3.Connection, badge: str, lo: date, hi: date
                  ) -> dict[str, set[tuple[str, str]]]:
    """year -> the (pattern, agency) pairs `badge` holds a cro assignment to, in the school
    years that overlap lo..hi."""
    found: dict[str, set[tuple[str, str]]] = {}
    for r in conn.execute(
        "SELECT a.school_year, a.feeder_pattern, o.agency FROM assignments a"
        " JOIN officers o ON o.badge = a.officer JOIN school_years y ON y.id = a.school_year"
        " WHERE a.officer = ? AND a.role = 'cro' AND y.start <= ? AND y.end >= ?"
        " ORDER BY y.start", (badge, hi.isoformat(), lo.isoformat())):
        found.setdefault(r[0], set()).add((r[1], r[2]))
    return found


def _gaps_over(conn: sqlite3.Connection, year_id: str, pairs: set[tuple[str, str]], lo: date,
               hi: date, kinds: tuple[str, ...]) -> list[Row]:
    """Gap rows of `kinds` for `pairs` in one year that overlap lo..hi."""
    return [r for r in analyse_year(conn, year_id).rows
            if r.kind in kinds and (r.feeder_pattern, r.agency) in pairs
            and r.start <= hi and r.end >= lo]


def find_assignment(conn: sqlite3.Connection, target: str, pattern: str | None = None,
                    year: str | None = None) -> dict[str, Any]:
    """`unassign`'s arguments -> one assignment, or a CroError that says what to type.

    One argument is an assignment id; two are a badge and a pattern, in `year` (default: the
    current one), when exactly one assignment matches. Badges are digits too, so the number
    of arguments decides; and an id is written without leading zeros (as `assignments list`
    prints it), so `unassign 0417` is refused with a hint rather than deleting assignment 417.
    """
    if pattern is None:
        is_badge = conn.execute("SELECT 1 FROM officers WHERE badge = ?", (target,)).fetchone()
        badge_hint = (f"'{target}' is a badge: give the pattern too, e.g. "
                      f"`crotool unassign {target} PATTERN`") if is_badge else None
        if year is not None:
            raise CroError("--year goes with BADGE PATTERN, not with an assignment id",
                           hint=badge_hint or f"crotool unassign {target}")
        is_id = re.fullmatch(r"[1-9][0-9]{0,17}", target) is not None
        found = _assignment(conn, int(target)) if is_id else None
        if found is None:
            what = f"no assignment {target}" if is_id else f"'{target}' is not an assignment id"
            raise CroError(what, hint=badge_hint or "see the ids with `crotool assignments list`")
        return found
    badge = target
    reads.require(conn, "officers", badge, "BADGE")
    reads.require(conn, "feeder_patterns", pattern, "PATTERN")
    year_id = years.resolve_year(conn, year).year.id
    matches = [dict(r) for r in conn.execute(
        _ASSIGNMENT_SQL + " WHERE a.officer = ? AND a.feeder_pattern = ? AND a.school_year = ?"
        + _ASSIGNMENT_ORDER, (badge, pattern, year_id))]
    if not matches:
        raise CroError(f"officer {badge} has no assignment to {pattern} in {year_id}",
                       hint=f"see `crotool assignments list --officer {badge}`")
    if len(matches) > 1:
        listed = ", ".join(f"{m['id']} ({m['role']}, {m['start']} to {m['end']})"
                           for m in matches)
        raise CroError(f"officer {badge} has {len(matches)} assignments to {pattern} in "
                       f"{year_id}: {listed}",
                       hint=f"name one by its id, e.g. `crotool unassign {matches[0]['id']}`")
    return matches[0]


def delete_assignment(conn: sqlite3.Connection, record: dict[str, Any]) -> Change:
    """Delete one assignment found by find_assignment, with an audit row (action 'delete')
    that keeps every value it held. Notes: the gaps its pair has over its span afterwards."""
    with db.transaction(conn):
        stored = conn.execute(
            f"SELECT {', '.join(ASSIGNMENTS.field_names)} FROM assignments WHERE id = ?",
            (record["id"],)).fetchone()
        if stored is None:
            raise CroError(f"assignment {record['id']} was removed meanwhile; nothing to do")
        values = dict(stored)
        conn.execute("DELETE FROM assignments WHERE id = ?", (record["id"],))
        Auditor(conn).record("assignments", _assignment_key(values), "delete",
                             {"id": record["id"], **values})
    change = Change("delete", _assignment_key(values), record, {"id": record["id"], **values})
    if values["role"] == "cro":
        lo, hi = date.fromisoformat(values["start"]), date.fromisoformat(values["end"])
        change.notes = _gaps_over(conn, values["school_year"],
                                  {(values["feeder_pattern"], record["agency"])}, lo, hi,
                                  GAP_NOTES)
    return change


# ---------------------------------------------------------------- words for people


def describe_row(row: Row) -> str:
    """One gap or conflict row as a sentence fragment, for warnings and notes on stderr."""
    span = f"{row.start} to {row.end} ({row.days} day{'s' if row.days != 1 else ''})"
    who = f", officer {row.officer}" if row.officer else ""
    text = f"{row.feeder_pattern} / {row.agency}: {row.kind} {span}{who}"
    if row.kind in _CONFLICT_WARNINGS:
        text += " — " + _CONFLICT_WARNINGS[row.kind].format(agency=row.agency,
                                                           pattern=row.feeder_pattern)
    return text


# ---------------------------------------------------------------- rules of the records


class OfficerRules(Rules):
    """An officer's kind is one in force today; a new officer given none gets the first kind
    the applied packs list (program/officer_kinds.py). Its first day on campus is kept,
    stored and incoming, for the trainings rule (training.TrainingRules)."""

    def __init__(self, checker: Checker) -> None:
        super().__init__(checker)
        self._first_on_campus: dict[str, str | None] | None = None
        self._kinds: officer_kinds.Kinds | None = None

    def kinds(self) -> officer_kinds.Kinds:
        if self._kinds is None:
            self._kinds = officer_kinds.Kinds.load(self.conn)
        return self._kinds

    def values(self, record: Record, values: dict[str, Any], label: Label) -> None:
        kind = values.get("kind")
        kinds = self.kinds()
        # A kind no applied pack defines is an unknown reference (reported as such); one
        # that is defined, but not in force today, is reported here.
        if (kind is not None and kind not in kinds.ids and kind in self.checker.stored_keys(
                "officer_kinds")):
            self.problems.append(Problem(record.where("kind"), (
                f"{label}.kind: officer kind '{kind}' is not in force on {kinds.day}; in "
                f"force: {', '.join(kinds.ids) or 'none'}")))

    def record(self, record: Record, values: dict[str, Any], label: Label) -> None:
        if "kind" in values or values.get("badge") in self.checker.stored_keys("officers"):
            return
        # The kinds this input brings (its packs are written after its records), else the
        # kinds in force.
        brought = self.checker.rules_of("officer_kinds", officer_kinds.OfficerKindRules).brought
        default = brought[0] if brought else self.kinds().default
        if default is not None:
            values["kind"] = default

    def first_on_campus(self) -> dict[str, str | None]:
        """badge -> first day on school property (None when not recorded)."""
        if self._first_on_campus is None:
            self._first_on_campus = {
                r[0]: r[1] for r in self.conn.execute("SELECT badge, first_on_campus FROM officers")
            }
        return self._first_on_campus

    def incoming(self, records: list[dict[str, Any]]) -> None:
        firsts = self.first_on_campus()
        for r in records:
            if "first_on_campus" in r:
                firsts[r["badge"]] = r["first_on_campus"]


class LeaveRules(Rules):
    """A leave does not end before it starts."""

    def record(self, record: Record, values: dict[str, Any], label: Label) -> None:
        self.ends_before_start(record, values, label)


class AssignmentRules(Rules):
    """An assignment's dates default to its school year's; given, they lie inside that year,
    the end no earlier than the start."""

    def _year(self, year_id: str | None) -> tuple[str, str] | None:
        return self.checker.rules_of("school_years", SchoolYearRules).years().get(year_id or "")

    def converted(self, values: dict[str, Any]) -> None:
        """Start and end left out are the school year's (an unknown year is reported by the
        reference check)."""
        span = self._year(values.get("school_year"))
        if span is not None:
            for i, name in enumerate(("start", "end")):
                if values.get(name) is None:
                    values[name] = span[i]

    def record(self, record: Record, values: dict[str, Any], label: Label) -> None:
        # A date left out defaults to its year's; a given date outside the year is reported
        # below, and a defaulted one must not be blamed for it.
        if all(record.values.get(f) for f in ("start", "end")):
            self.ends_before_start(record, values, label)
        span = self._year(values.get("school_year"))
        if span:
            for f in ("start", "end"):
                if values.get(f) and not span[0] <= values[f] <= span[1]:
                    self.problems.append(Problem(
                        record.where(f), f"{label}.{f}: {values[f]} is outside school year "
                        f"{values['school_year']} ({span[0]} to {span[1]})"))


RULES = {"officers": OfficerRules, "leaves": LeaveRules, "assignments": AssignmentRules}
