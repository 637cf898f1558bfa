"""Duties and scheduled safety assessments: log, list, schedule, complete, cancel.

A duty logged at the command line goes through the same `checker.Checker` as a duty in a
seed document or an import (fields converted by `schema.SECTIONS['duties']`, references with
did-you-mean hints, `requires_request`), and is written by `store.upsert` with its audit row, so
`duty log`, `load` and `import` apply one set of rules. What only a single logged duty needs (a
clear refusal of an exact repeat, completing an assessment in the same transaction) is added
here.

"Out of pattern" is computed when the log is read, never stored: a duty is out of pattern when
its officer has no assignment (any role) in the school year that contains the duty's day to a
pattern its school belongs to (`feeder_pattern` or `also_feeds`). A duty on a day that no
school year contains is therefore out of pattern in `duty list`; `duty log` says the real
reason (no school year contains the day) instead. Computing it keeps it true
after an assignment is added or corrected later; it costs one indexed look-up per listed row.

Safety assessments are completed by a duty of the safety-assessment category at the same
school. The category comes from data: the one whose id is `safety-assessment`, else (a district
that names it differently) any category whose id contains `assessment`.

Date ranges (`--from`, `--to`, `--year`) resolve the same way for `duty list` and
`report duties` (see `years.resolve_range`), and become half-open text bounds on `duties.at`
(`at >= lo AND at < hi`), which the `at`-led indexes serve directly.

The rules of the `duty_categories`, `duties` and `assessments` records (which
`program/checker.py` calls for load, import and these commands alike) are at the end: a duty
of a category done only on request names who asked for it; an assessment completed by a duty
is not set back to scheduled or cancelled.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from crotool.errors import CroError, Problem
from crotool.program import years
from crotool.program.checker import Checker, Label, Rules, check_options
from crotool.program.followups import OPEN_FOR_DUTY_SQL, DutyFlags, opened_by
from crotool.program.years import Range, resolve_range
from crotool.store import db, reads
from crotool.store.audit import Auditor
from crotool.store.columns import Columns, json_object_sql
from crotool.store.fields import Record
from crotool.store.rules import in_force
from crotool.store.schema import SECTIONS, Section
from crotool.store.writes import key_text, upsert

__all__ = ["Range", "resolve_range"]  # the date ranges of `duty list` live in years.py

SAFETY_CATEGORY = "safety-assessment"
DUTIES = SECTIONS["duties"]
ASSESSMENTS = SECTIONS["assessments"]

# A duty's school is "of" an assignment's pattern when the pattern is the school's main
# feeder_pattern or one of its also_feeds; the assignment must belong to the school year that
# contains the duty's day. Expects the aliases d (duties) and s (schools).
OUT_OF_PATTERN_SQL = """NOT EXISTS (
    SELECT 1 FROM assignments a JOIN school_years y ON y.id = a.school_year
    WHERE a.officer = d.officer
      AND substr(d.at, 1, 10) BETWEEN y.start AND y.end
      AND (a.feeder_pattern = s.feeder_pattern
           OR a.feeder_pattern IN (SELECT j.value FROM json_each(s.also_feeds) j)))"""

LIST_COLUMNS = ("id", "at", "officer", "school", "category", "minutes", "requested_by",
                "reference", "flags", "out_of_pattern", "open_followups")
# The columns of a listing that hold a JSON list (written as lists in every format).
_JSON_LISTS = ("flags", "open_followups")


def _check(conn: sqlite3.Connection, section: Section, values: dict[str, Any], subject: str
           ) -> dict[str, Any]:
    return check_options(conn, section, values, subject)


# ---------------------------------------------------------------- duties


@dataclass(frozen=True, slots=True)
class Logged:
    """What `log_duty` wrote."""

    id: int
    values: dict[str, Any]
    out_of_pattern: bool
    school_patterns: tuple[str, ...]
    assessment: int | None = None
    school_year: str | None = None  # the year that contains the duty's day, if any
    warning: str | None = None  # the stale-year warning, when --at fell back to now
    followups: tuple[dict[str, Any], ...] = ()  # what it opens: rule, name, source, due


def assessment_categories(conn: sqlite3.Connection) -> list[str]:
    """The category ids whose duties complete a safety assessment (see the module doc)."""
    ids = [r[0] for r in conn.execute("SELECT id FROM duty_categories ORDER BY id")]
    if SAFETY_CATEGORY in ids:
        return [SAFETY_CATEGORY]
    return [i for i in ids if "assessment" in i]


def find_duty(conn: sqlite3.Connection, officer: str, school: str, category: str, at: str
              ) -> int | None:
    row = conn.execute(
        "SELECT id FROM duties WHERE officer = ? AND school = ? AND category = ? AND at = ?",
        (officer, school, category, at)).fetchone()
    return row[0] if row else None


def log_duty(conn: sqlite3.Connection, *, officer: str, school: str, category: str,
             at: str | None = None, minutes: str | None = None, requested_by: str | None = None,
             reference: str | None = None, notes: str | None = None,
             assessment: int | None = None, flags: list[str] | None = None) -> Logged:
    """Validate and write one duty (and, with `assessment`, complete that assessment) in one
    transaction. Raw option text in; every problem raised before anything is written.

    An exact repeat (same officer, school, category and `at`) is refused, naming the stored
    duty: a duty logged twice by mistake would double its minutes in every report. `flags`:
    duty_flags ids (`--flag`), which follow-up rules with `when` ask for.
    """
    raw: dict[str, Any] = {
        "officer": officer, "school": school, "category": category,
        "at": at if at is not None else years.now().isoformat(timespec="seconds"),
        "minutes": minutes, "requested_by": requested_by, "reference": reference,
        "notes": notes, "flags": flags or None,
    }
    with db.transaction(conn):
        target = None
        if assessment is not None:
            target = _scheduled_assessment(conn, assessment)
            # The assessment already says who asked for it: the duty need not repeat it.
            if raw["requested_by"] is None:
                raw["requested_by"] = target["requested_by"]
        values = check_options(conn, DUTIES, raw, "duty log", options={"flags": "--flag"})
        existing = find_duty(conn, values["officer"], values["school"], values["category"],
                             values["at"])
        if existing is not None:
            raise CroError(
                f"duty {existing} is already logged for officer {values['officer']} at "
                f"{values['school']}, {values['category']}, {values['at']}; nothing was written",
                hint="a different duty needs a different --at; see `crotool duty list`")
        if target is not None:
            _check_completion(conn, target, values["school"], values["category"], None)
        auditor = Auditor(conn)
        upsert(conn, DUTIES, [values], auditor)
        duty_id = find_duty(conn, values["officer"], values["school"], values["category"],
                            values["at"])
        assert duty_id is not None
        if target is not None:
            _complete(conn, auditor, target, duty_id)
        out = bool(conn.execute(
            f"SELECT {OUT_OF_PATTERN_SQL} FROM duties d JOIN schools s ON s.id = d.school"
            " WHERE d.id = ?", (duty_id,)).fetchone()[0])
        school_row = conn.execute("SELECT feeder_pattern, also_feeds FROM schools WHERE id = ?",
                                  (values["school"],)).fetchone()
        opened = tuple(opened_by(conn, duty_id))
    patterns = (school_row["feeder_pattern"], *json.loads(school_row["also_feeds"]))
    day = date.fromisoformat(values["at"][:10])
    year = years.year_of(conn, day)
    warning = None
    if at is None and year is None:
        # No --at: "now" is the fallback, and a day outside every year needs saying.
        every = years.all_years(conn)
        if every:
            warning = years.stale_warning(every, years.current_year(conn, day).year, day)
    return Logged(duty_id, values, out, patterns, target["id"] if target is not None else None,
                  year.id if year else None, warning, opened)


@dataclass
class DutyList:
    """What `duty list` shows: how many duties matched, how many (and how many minutes) the
    listing holds, and its rows, read lazily from the cursor (inside the caller's snapshot,
    `db.read`, so that the counts and the rows are of the same database): dicts, or as the
    `shape` asked, the cursor's tuples or each row's JSON object, of `columns`."""

    total: int
    count: int
    minutes: int
    rows: Iterator[Any]
    columns: Columns


def list_duties(conn: sqlite3.Connection, *, span: Range, officer: str | None = None,
                school: str | None = None, pattern: str | None = None,
                category: str | None = None, limit: int | None = None,
                include_notes: bool = False) -> tuple[list[dict[str, Any]], int]:
    """Duties in `span` that match every filter, oldest first; and how many matched.

    With `limit`, the latest `limit` of them (still oldest first, like `tail`). Notes are not
    even read unless `include_notes`.
    """
    with db.read(conn):
        found = stream_duties(conn, span=span, officer=officer, school=school,
                              pattern=pattern, category=category, limit=limit,
                              include_notes=include_notes)
        return list(found.rows), found.total


def stream_duties(conn: sqlite3.Connection, *, span: Range, officer: str | None = None,
                  school: str | None = None, pattern: str | None = None,
                  category: str | None = None, limit: int | None = None,
                  include_notes: bool = False,
                  shape: Literal["dicts", "tuples", "json"] = "dicts") -> DutyList:
    """`list_duties` as a DutyList whose rows come one by one from the cursor: call it inside
    `db.read(conn)` and read the rows before the block ends. For a million rows without a
    dict each: `shape="tuples"`, the cursor's tuples as stored (in `columns` order, which says
    what their values are); `"json"`, each row's JSON object as SQLite writes it
    (`columns.json_object_sql`)."""
    where = reads.Where("d.at >= ?", "d.at < ?", params=(span.lo, span.hi))
    where.ref(conn, "officers", officer, "--officer", "d.officer = ?")
    where.ref(conn, "schools", school, "--school", "d.school = ?")
    where.ref(conn, "feeder_patterns", pattern, "--pattern", reads.SCHOOL_OF_PATTERN)
    where.ref(conn, "duty_categories", category, "--category", "d.category = ?")
    if limit is not None and limit < 1:
        raise CroError(f"--limit {limit}: give a number of duties, 1 or more")
    params = where.params
    base = "FROM duties d JOIN schools s ON s.id = d.school" + where.sql
    total, minutes = conn.execute("SELECT count(*), coalesce(sum(d.minutes), 0) " + base,
                                  params).fetchone()
    count = total
    if limit is not None and limit < total:
        count = limit
        minutes = conn.execute(
            f"SELECT coalesce(sum(minutes), 0) FROM (SELECT d.minutes {base}"
            " ORDER BY d.at DESC, d.id DESC LIMIT ?)", [*params, limit]).fetchone()[0]
    cols = ", ".join(f"d.{c}" for c in LIST_COLUMNS[:-2])
    select = (f"SELECT {cols}, {OUT_OF_PATTERN_SQL} AS out_of_pattern,"
              f" {OPEN_FOR_DUTY_SQL} AS open_followups")
    if include_notes:
        select += ", d.notes"
    if limit is None:
        sql = f"{select} {base} ORDER BY d.at, d.id"
        args = params
    else:
        sql = (f"SELECT * FROM ({select} {base} ORDER BY d.at DESC, d.id DESC LIMIT ?)"
               " ORDER BY at, id")
        args = [*params, limit]
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: zip with the names is cheaper than Row
    columns = Columns((*LIST_COLUMNS, *(("notes",) if include_notes else ())),
                      bools=("out_of_pattern",), json_lists=_JSON_LISTS,
                      identifiers=_IDENTIFIERS)
    if shape == "json":
        # The outer SELECT is flattened into the inner one: the same plan, the same order.
        sql = f"SELECT {json_object_sql(columns)} FROM ({sql})"
        return DutyList(total, count, minutes,
                        (r[0] for r in cursor.execute(sql, args)), columns)
    if shape == "tuples":
        return DutyList(total, count, minutes, _tuples(cursor.execute(sql, args)), columns)
    return DutyList(total, count, minutes, _duty_rows(cursor.execute(sql, args)), columns)


# The duty fields whose kind admits only an id, a code or a date-time (schema.py): nothing in
# them is ever quoted or guarded in a CSV.
_IDENTIFIERS = tuple(f.name for f in SECTIONS["duties"].fields
                     if f.kind in ("slug", "code", "date", "datetime"))


def _tuples(cursor: sqlite3.Cursor) -> Iterator[tuple]:
    while batch := cursor.fetchmany(1000):
        yield from batch


def _duty_rows(cursor: sqlite3.Cursor) -> Iterator[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    loads = json.loads
    while batch := cursor.fetchmany(1000):
        for r in batch:
            row = dict(zip(names, r, strict=True))
            row["out_of_pattern"] = bool(row["out_of_pattern"])
            for name in _JSON_LISTS:
                text = row[name]
                row[name] = [] if text == "[]" else loads(text)  # most have none
            yield row


# ---------------------------------------------------------------- assessments


def _assessment(conn: sqlite3.Connection, assessment_id: int) -> sqlite3.Row:
    row = conn.execute("SELECT id, school, due, requested_by, status, duty FROM assessments"
                       " WHERE id = ?", (assessment_id,)).fetchone()
    if row is None:
        raise CroError(f"no safety assessment {assessment_id}",
                       hint="see the ids with `crotool assessments list`")
    return row


def _scheduled_assessment(conn: sqlite3.Connection, assessment_id: int) -> sqlite3.Row:
    row = _assessment(conn, assessment_id)
    if row["status"] == "done":
        by = f" by duty {row['duty']}" if row["duty"] is not None else ""
        raise CroError(f"safety assessment {assessment_id} ({row['school']}, due {row['due']}) "
                       f"is already done{by}; nothing was written")
    if row["status"] == "cancelled":
        raise CroError(f"safety assessment {assessment_id} ({row['school']}, due {row['due']}) "
                       "was cancelled; nothing was written",
                       hint="schedule a new one with `crotool assessments schedule`")
    return row


def _check_completion(conn: sqlite3.Connection, target: sqlite3.Row, school: str,
                      category: str, duty_id: int | None) -> None:
    """A duty completes an assessment only at its school and in a safety-assessment category."""
    name = f"duty {duty_id}" if duty_id is not None else "the duty"
    if school != target["school"]:
        raise CroError(f"{name} is at {school}, but safety assessment {target['id']} is at "
                       f"{target['school']}; nothing was written",
                       hint=f"use a duty at {target['school']}")
    allowed = assessment_categories(conn)
    if category not in allowed:
        wanted = " or ".join(allowed) if allowed else SAFETY_CATEGORY
        raise CroError(f"{name} is of category {category}, but a safety assessment is completed "
                       f"only by a {wanted} duty; nothing was written",
                       hint="log one with `crotool duty log --category "
                            f"{allowed[0] if allowed else SAFETY_CATEGORY} ...`")
    if duty_id is not None:
        other = conn.execute("SELECT id FROM assessments WHERE duty = ? AND id != ?",
                             (duty_id, target["id"])).fetchone()
        if other is not None:
            raise CroError(f"duty {duty_id} already completed safety assessment {other[0]}; "
                           "nothing was written", hint="each assessment needs its own duty")


def _complete(conn: sqlite3.Connection, auditor: Auditor, target: sqlite3.Row, duty_id: int
              ) -> None:
    conn.execute("UPDATE assessments SET status = 'done', duty = ? WHERE id = ?",
                 (duty_id, target["id"]))
    auditor.record("assessments", f"{target['school']}/{target['due']}", "update",
                   {"status": [target["status"], "done"], "duty": [target["duty"], duty_id]})


def schedule_assessment(conn: sqlite3.Connection, *, school: str, due: str,
                        requested_by: str | None) -> int:
    """A new scheduled assessment; refuses a second one for the same school and day."""
    raw = {"school": school, "due": due, "requested_by": requested_by, "status": "scheduled"}
    with db.transaction(conn):
        values = _check(conn, ASSESSMENTS, raw, "assessments schedule")
        existing = conn.execute("SELECT id, status FROM assessments WHERE school = ? AND due = ?",
                                (values["school"], values["due"])).fetchone()
        if existing is not None:
            raise CroError(f"safety assessment {existing['id']} is already on record for "
                           f"{values['school']} on {values['due']} ({existing['status']}); "
                           "nothing was written", hint="choose another --due day")
        upsert(conn, ASSESSMENTS, [values], Auditor(conn))
        return conn.execute("SELECT id FROM assessments WHERE school = ? AND due = ?",
                            (values["school"], values["due"])).fetchone()[0]


def complete_assessment(conn: sqlite3.Connection, assessment_id: int, duty_id: int
                        ) -> dict[str, Any]:
    """Mark a scheduled assessment done by an already logged duty."""
    with db.transaction(conn):
        target = _scheduled_assessment(conn, assessment_id)
        duty = conn.execute("SELECT id, school, category, at FROM duties WHERE id = ?",
                            (duty_id,)).fetchone()
        if duty is None:
            raise CroError(f"no duty {duty_id}",
                           hint="see the ids with `crotool duty list --school "
                                f"{target['school']}`")
        _check_completion(conn, target, duty["school"], duty["category"], duty_id)
        _complete(conn, Auditor(conn), target, duty_id)
    return {"id": assessment_id, "school": target["school"], "due": target["due"],
            "duty": duty_id, "at": duty["at"]}


def cancel_assessment(conn: sqlite3.Connection, assessment_id: int) -> bool:
    """Cancel a scheduled assessment; False when it already was (nothing to do)."""
    with db.transaction(conn):
        target = _assessment(conn, assessment_id)
        if target["status"] == "cancelled":
            return False
        if target["status"] == "done":
            raise CroError(f"safety assessment {assessment_id} is already done; a done "
                           "assessment cannot be cancelled")
        conn.execute("UPDATE assessments SET status = 'cancelled' WHERE id = ?",
                     (assessment_id,))
        Auditor(conn).record("assessments", key_text(ASSESSMENTS, dict(target)), "update",
                             {"status": [target["status"], "cancelled"]})
    return True


def list_assessments(conn: sqlite3.Connection, *, overdue: bool = False,
                     status: str | None = None, school: str | None = None
                     ) -> list[dict[str, Any]]:
    """Assessments by due day. Overdue: due before today, still scheduled (neither done nor
    cancelled)."""
    today = years.today().isoformat()
    # The first parameter (today) is the one in the select list: bindings follow text order.
    where = reads.Where(params=(today,))
    where.choice("assessments", "status", status, "--status", "status = ?")
    where.ref(conn, "schools", school, "--school", "school = ?")
    if overdue:
        where.add("status = 'scheduled' AND due < ?", today)
    sql = ("SELECT id, school, due, requested_by, status, duty,"
           " (status = 'scheduled' AND due < ?) AS overdue FROM assessments" + where.sql)
    rows = []
    for r in conn.execute(sql + " ORDER BY due, id", where.params):
        row = dict(r)
        row["overdue"] = bool(row["overdue"])
        rows.append(row)
    return rows


# ---------------------------------------------------------------- rules of the records


class DutyCategoryRules(Rules):
    """Duty categories have no rule of their own; whether each is done only on request is
    kept, stored and incoming, for the duties rule."""

    def __init__(self, checker: Checker) -> None:
        super().__init__(checker)
        self._requires_request: dict[str, bool] | None = None

    def requires_request(self) -> dict[str, bool]:
        """category id -> done only on request."""
        if self._requires_request is None:
            self._requires_request = {
                r[0]: bool(r[1])
                for r in self.conn.execute("SELECT id, requires_request FROM duty_categories")
            }
        return self._requires_request

    def incoming(self, records: list[dict[str, Any]]) -> None:
        rr = self.requires_request()
        for r in records:
            if "requires_request" in r or r["id"] not in rr:
                rr[r["id"]] = bool(r.get("requires_request", False))


class DutyRules(DutyFlags):
    """A duty of a category done only on request names who asked for it (requested_by); a
    duty's flags are duty flags in force on its day (that each is a flag at all is the
    reference check's). The flags of the duties an input brings are kept (`DutyFlags`) for
    the follow-ups rule."""

    def __init__(self, checker: Checker) -> None:
        super().__init__(checker)
        self._flag_versions: dict[str, list[dict[str, Any]]] | None = None

    def record(self, record: Record, values: dict[str, Any], label: Label) -> None:
        self._flags_in_force(record, values, label)
        category = values.get("category") or ""
        rr = self.checker.rules_of("duty_categories", DutyCategoryRules).requires_request()
        if rr.get(category) and not values.get("requested_by") and (
                "requested_by" in values or not self._stored_requested_by(values)):
            # A row that leaves requested_by out (an import updating minutes) keeps the
            # stored duty's; only a new duty, or one that clears it, is refused.
            self.problems.append(Problem(record.where("category"), f"{label}: category "
                                         f"'{category}' is done only on request: give "
                                         "requested_by (who asked for it)"))

    def _flags_in_force(self, record: Record, values: dict[str, Any], label: Label) -> None:
        flags, at = values.get("flags"), values.get("at")
        if not flags or at is None:
            return
        if self._flag_versions is None:
            self._flag_versions = {}
            for r in self.conn.execute(
                    "SELECT id, effective_from, effective_until FROM duty_flags"):
                self._flag_versions.setdefault(r[0], []).append(dict(r))
        day = at[:10]
        for flag in flags:
            versions = self._flag_versions.get(flag)
            if versions and not in_force(versions, day):
                spans = "; ".join(f"{v['effective_from'] or 'always'} to "
                                  f"{v['effective_until'] or 'no end'}" for v in versions)
                self.problems.append(Problem(record.where("flags"), f"{label}.flags: duty flag "
                                             f"'{flag}' is not in force on {day} (in force: "
                                             f"{spans})"))

    def _stored_requested_by(self, values: dict[str, Any]) -> bool:
        row = self.conn.execute(
            "SELECT requested_by FROM duties WHERE officer = ? AND school = ? AND category = ?"
            " AND at = ?", tuple(values.get(k) for k in DUTIES.key)).fetchone()
        return bool(row and row[0])


class AssessmentRules(Rules):
    """An assessment that a duty completed is done for good: not set back to another
    status."""

    def record(self, record: Record, values: dict[str, Any], label: Label) -> None:
        if values.get("status") in (None, "done"):
            return
        done = self.conn.execute(
            "SELECT id, duty FROM assessments WHERE school = ? AND due = ? AND duty IS NOT NULL",
            (values.get("school"), values.get("due"))).fetchone()
        if done:
            self.problems.append(Problem(
                record.where("status"), f"{label}.status: safety assessment {done[0]} was "
                f"completed by duty {done[1]}; it cannot be set back to '{values['status']}' "
                "(leave status out, or write done)"))


RULES = {"duty_categories": DutyCategoryRules, "duties": DutyRules,
         "assessments": AssessmentRules}
