"""Incidents (with their students' demographic rows) and complaints: entry, rules, lists.

RCW 28A.320.1241 asks a district for each incident in which its safety staff were involved
that led to student discipline, use of force against a student, or arrest, with each
student's demographics (never a name or identifier: no such field exists), and for the number
of complaints about the staff. The rules here run for `load`, `import` and the `add` commands
alike (`program/checker.py` calls the `RULES` at the end of this module):

- an incident's `at` lies inside a school year (a report is by year: one outside every year
  would silently be in no report);
- an incident's flags (`flags`: ids of the incident flags of the report in force on its day,
  report_rules.py) are flags of that report; the booleans `discipline`, `use_of_force` and
  `arrest` (today's fields, Washington's flags) set or clear the flag of their name, so that a
  record that gives them means what it meant (`IncidentRules.values` writes both, always
  alike);
- an incident with any flag has at least one student row, given in the same input (load,
  `incidents add --student ...`) or stored; an import of incidents alone can only satisfy it
  for incidents whose students are stored already (a student row given but refused is
  reported for its own values, not as no row);
- a student's race, ethnicity and gender are ids of `student_categories` of that kind, or
  `unknown`;
- a complaint is not closed before it was received, and `closed_on` goes with status closed;
  its `about` (a complaint kind, program/kinds.py) is one in force on the day it was received.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from crotool.errors import CroError, Problem, ValidationFailed, did_you_mean
from crotool.program.checker import (
    Checker,
    Label,
    OptionRecord,
    Rules,
    check_options,
    option_problem,
)
from crotool.program.kinds import not_in_force
from crotool.program.report_rules import FlagsByDay
from crotool.program.years import SchoolYearRules
from crotool.store import db
from crotool.store.audit import Auditor
from crotool.store.fields import Record, check_choice
from crotool.store.reads import Where, dicts
from crotool.store.schema import INCIDENT_FLAGS, SECTIONS, STUDENT_CATEGORY_KINDS, UNKNOWN_CATEGORY
from crotool.store.writes import upsert

INCIDENT_OPTIONS = {"reference": "REFERENCE", "officers": "--officer",
                    "use_of_force": "--use-of-force", "flags": "--flag"}
COMPLAINT_OPTIONS = {"reference": "REFERENCE"}
# What `--student` gives: every field of a student row but its key (the incident, the seq).
STUDENT_FIELDS = tuple(n for n in SECTIONS["incident_students"].field_names
                       if n not in SECTIONS["incident_students"].key)


def parse_student(text: str, n: int) -> tuple[dict[str, Any], list[Problem]]:
    """`race=white,gender=female,grade=9,iep=yes` -> raw field values (text)."""
    where = f"--student {n}"
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        field, sep, value = part.partition("=")
        field = field.strip().replace("-", "_")
        if not sep:
            problems.append(Problem(where, f"'{part}' is not FIELD=VALUE; write e.g. "
                                    "race=white,ethnicity=not-hispanic,gender=female,grade=9,"
                                    "iep=no,plan_504=no"))
        elif field not in STUDENT_FIELDS:
            close = did_you_mean(field, STUDENT_FIELDS)
            hint = f"; did you mean '{close}'?" if close else ""
            problems.append(Problem(where, f"unknown field '{field}'; allowed: "
                                    f"{', '.join(STUDENT_FIELDS)} (no name or student id is "
                                    f"ever recorded){hint}"))
        elif field in values:
            problems.append(Problem(where, f"{field} is given twice"))
        else:
            values[field] = value.strip()
    return values, problems


def add_incident(conn: sqlite3.Connection, values: dict[str, Any], students: list[str]
                 ) -> dict[str, Any]:
    """A new incident and its student rows (seq 1, 2, ... in the order given), validated
    together with load's rules; refused when the reference exists."""
    inc, stu = SECTIONS["incidents"], SECTIONS["incident_students"]
    problems: list[Problem] = []
    raw_students = []
    for n, text in enumerate(students, start=1):
        fields, bad = parse_student(text, n)
        problems += bad
        raw_students.append(OptionRecord.of(
            f"--student {n}", {**fields, "incident": values.get("reference"), "seq": str(n)},
            {f: f"--student {n}" for f in stu.field_names}))
    checker = Checker(conn)
    inc_pairs = checker.convert_all(inc, [OptionRecord.of("incidents add", values,
                                                          INCIDENT_OPTIONS)])
    checker.note_incoming(inc, [v for _, v in inc_pairs])
    stu_pairs = checker.convert_all(stu, raw_students)
    checker.note_incoming(stu, [v for _, v in stu_pairs])
    good_inc = checker.check_rules(inc, inc_pairs)
    good_stu = checker.check_rules(stu, stu_pairs)
    problems += [option_problem(stu if p.where.startswith("--student") else inc, p)
                 for p in checker.problems]
    if problems or not good_inc or len(good_stu) != len(students):
        raise ValidationFailed(problems, subject="incidents add")
    record = good_inc[0]
    with db.transaction(conn):
        if conn.execute("SELECT 1 FROM incidents WHERE reference = ?",
                        (record["reference"],)).fetchone():
            raise CroError(f"incident '{record['reference']}' already exists",
                           hint="to change it, load or import a file with that reference")
        auditor = Auditor(conn)
        upsert(conn, inc, [record], auditor)
        upsert(conn, stu, good_stu, auditor)
    return list_incidents(conn, reference=record["reference"])[0]


_LIST_SQL = """
    SELECT i.reference, i.school, s.name AS school_name, i.at, i.officers, i.discipline,
           i.use_of_force, i.arrest, i.flags,
           (SELECT count(*) FROM incident_students t WHERE t.incident = i.reference) AS students,
           i.summary{notes}
    FROM incidents i JOIN schools s ON s.id = i.school"""
INCIDENT_COLUMNS = ("reference", "school", "school_name", "at", "officers", "discipline",
                    "use_of_force", "arrest", "flags", "students", "summary")


def list_incidents(conn: sqlite3.Connection, *, year: dict | None = None,
                   school: str | None = None, reference: str | None = None,
                   include_notes: bool = False) -> list[dict[str, Any]]:
    """Incidents, oldest first; `notes` only when asked for (private)."""
    where = Where()
    if year is not None:
        where.add("i.at >= ? AND i.at < date(?, '+1 day')", year["start"], year["end"])
    where.ref(conn, "schools", school, "--school", "i.school = ?")
    if reference is not None:
        where.add("i.reference = ?", reference)
    sql = _LIST_SQL.format(notes=", i.notes" if include_notes else "")
    rows = dicts(conn.execute(sql + where.sql + " ORDER BY i.at, i.reference", where.params))
    for r in rows:
        for f in INCIDENT_FLAGS:
            r[f] = bool(r[f])
    return rows


def add_complaint(conn: sqlite3.Connection, values: dict[str, Any]) -> dict[str, Any]:
    values = {k: (None if isinstance(v, str) and not v.strip() else v) for k, v in values.items()}
    record = check_options(conn, SECTIONS["complaints"], values, "complaints add",
                           options=COMPLAINT_OPTIONS)
    with db.transaction(conn):
        if conn.execute("SELECT 1 FROM complaints WHERE reference = ?",
                        (record["reference"],)).fetchone():
            raise CroError(f"complaint '{record['reference']}' already exists",
                           hint="to change it, load or import a file with that reference")
        upsert(conn, SECTIONS["complaints"], [record], Auditor(conn))
    return list_complaints(conn, reference=record["reference"])[0]


COMPLAINT_COLUMNS = SECTIONS["complaints"].field_names


def list_complaints(conn: sqlite3.Connection, *, year: dict | None = None,
                    status: str | None = None, agency: str | None = None,
                    reference: str | None = None) -> list[dict[str, Any]]:
    """Complaints by the day received."""
    where = Where()
    if year is not None:
        where.add("received_on BETWEEN ? AND ?", year["start"], year["end"])
    if status is not None:
        where.add("status = ?", check_choice("complaints", "status", status, "--status"))
    where.ref(conn, "agencies", agency, "--agency", "agency = ?")
    if reference is not None:
        where.add("reference = ?", reference)
    return dicts(conn.execute(
        f"SELECT {', '.join(COMPLAINT_COLUMNS)} FROM complaints{where.sql}"
        " ORDER BY received_on, reference", where.params))



# ---------------------------------------------------------------- rules of the records


class StudentCategoryRules(Rules):
    """Student categories have no rule of their own; the ids of each kind, stored and
    incoming, are kept for the student rows' rule."""

    def __init__(self, checker: Checker) -> None:
        super().__init__(checker)
        self._categories: dict[str, set[str]] | None = None

    def categories(self) -> dict[str, set[str]]:
        """kind -> the ids of student_categories (stored and incoming)."""
        if self._categories is None:
            self._categories = {}
            for kind, cid in self.conn.execute("SELECT kind, id FROM student_categories"):
                self._categories.setdefault(kind, set()).add(cid)
        return self._categories

    def incoming(self, records: list[dict[str, Any]]) -> None:
        known = self.categories()
        for r in records:
            known.setdefault(r["kind"], set()).add(r["id"])


class IncidentRules(Rules):
    """An incident's `at` lies in a school year; its flags are the report's in force on its
    day (the booleans set or clear theirs); one with any flag has a student row."""

    def __init__(self, checker: Checker) -> None:
        super().__init__(checker)
        self.flags_on = FlagsByDay(checker)

    def values(self, record: Record, values: dict[str, Any], label: Label) -> None:
        at = values.get("at")
        years = self.checker.rules_of("school_years", SchoolYearRules).years()
        if at and not any(lo <= at[:10] <= hi for lo, hi in years.values()):
            known = "; ".join(f"{y} {lo} to {hi}" for y, (lo, hi) in sorted(
                years.items())) or "none stored"
            self.problems.append(Problem(
                record.where("at"), f"{label}.at: {at} is in no school year (known: {known}); "
                "add the year first, or check the date"))
        if "flags" in values or any(b in values for b in INCIDENT_FLAGS):
            self._flags(record, values, label)

    def _stored(self, reference: Any) -> tuple[list[str], str | None]:
        row = self.conn.execute("SELECT flags, at FROM incidents WHERE reference = ?",
                                (reference,)).fetchone()
        return (json.loads(row[0]), row[1]) if row else ([], None)

    def _flags(self, record: Record, values: dict[str, Any], label: Label) -> None:
        """`flags` as the record leaves them: those it gives (else the stored ones), with
        each boolean it gives setting or clearing its own; both written alike. Each flag is
        one of the report in force on the incident's day."""
        stored, stored_at = self._stored(values.get("reference"))
        given = "flags" in values
        flags = list(dict.fromkeys(values["flags"] if given else stored))
        for name in INCIDENT_FLAGS:
            if name not in values:
                continue
            if values[name] and name not in flags:
                flags.append(name)
            elif not values[name] and name in flags:
                if given:
                    self.problems.append(Problem(record.where(name), (
                        f"{label}.{name}: false, but flags lists {name}; give one of them")))
                flags.remove(name)
        values["flags"] = flags
        values.update({name: name in flags for name in INCIDENT_FLAGS})
        at = values.get("at") or stored_at
        if not at or not flags:
            return
        day = at[:10]
        allowed = self.flags_on(day)
        for flag in flags:
            if flag in allowed:
                continue
            field = flag if flag in INCIDENT_FLAGS and flag in values and not given else "flags"
            close = did_you_mean(flag, allowed)
            hint = f" (did you mean '{close}'?)" if close else ""
            self.problems.append(Problem(record.where(field), (
                f"{label}.{field}: '{flag}' is not an incident flag of the report in force on "
                f"{day}; use one of {', '.join(allowed) or '(none: the report names no flags)'}"
                f"{hint}")))

    def record(self, record: Record, values: dict[str, Any], label: Label) -> None:
        flagged = list(values.get("flags") or ())
        ref = values.get("reference")
        # A student row given for it counts even when it is refused: its own problems are
        # reported, and "needs at least one student row" would say that none was given.
        given = self.checker.rules_of("incident_students", IncidentStudentRules).incidents
        if flagged and ref not in given and not self.conn.execute(
                "SELECT 1 FROM incident_students WHERE incident = ? LIMIT 1", (ref,)).fetchone():
            where = next((f for f in flagged if f in INCIDENT_FLAGS and f in record.values),
                         "flags")
            self.problems.append(Problem(
                record.where(where), f"{label}: an incident with {' and '.join(flagged)} "
                "needs at least one student row (race, ethnicity, gender, grade, iep, "
                "plan_504; never a name): give incident_students for it in the same seed "
                "document, or use `crotool incidents add ... --student race=...,gender=...`"))


class IncidentStudentRules(Rules):
    """A student's race, ethnicity and gender are ids of `student_categories` of that kind,
    or `unknown`. Keeps the incidents the input gives student rows for, those rows valid or
    not (a bad row is reported as such, not as no row)."""

    def __init__(self, checker: Checker) -> None:
        super().__init__(checker)
        self.incidents: set[str] = set()

    def incoming(self, records: list[dict[str, Any]]) -> None:
        self.incidents.update(r["incident"] for r in records)

    def refused(self, partial: dict[str, Any]) -> None:
        if partial.get("incident") is not None:
            self.incidents.add(partial["incident"])

    def values(self, record: Record, values: dict[str, Any], label: Label) -> None:
        categories = self.checker.rules_of("student_categories",
                                           StudentCategoryRules).categories()
        for kind in STUDENT_CATEGORY_KINDS:
            value = values.get(kind)
            if value is None or value == UNKNOWN_CATEGORY or value in categories.get(kind, ()):
                continue
            allowed = sorted(categories.get(kind, set())) + [UNKNOWN_CATEGORY]
            close = did_you_mean(value, allowed)
            hint = f" (did you mean '{close}'?)" if close else ""
            self.problems.append(Problem(
                record.where(kind), f"{label}.{kind}: '{value}' is not a {kind} of "
                f"student_categories; use one of {', '.join(allowed)}{hint}"))


class ComplaintRules(Rules):
    """A complaint's kind is one in force on the day it was received; it is not closed before
    it was received, and `closed_on` goes with status closed."""

    def values(self, record: Record, values: dict[str, Any], label: Label) -> None:
        about, day = values.get("about"), values.get("received_on")
        if about and day and (why := not_in_force(self.conn, "complaint_kinds", about, day)):
            self.problems.append(Problem(record.where("about"), f"{label}.about: {why}"))

    def record(self, record: Record, values: dict[str, Any], label: Label) -> None:
        add = self.problems.append
        received, closed = values.get("received_on"), values.get("closed_on")
        if received and closed and closed < received:
            add(Problem(record.where("closed_on"), f"{label}.closed_on: {closed} is before it "
                        f"was received ({received})"))
        if closed and values.get("status") != "closed":
            add(Problem(record.where("status"), f"{label}: closed_on is given, so status must "
                        "be closed (write status closed too)"))
        if values.get("status") == "closed" and not closed:
            add(Problem(record.where("closed_on"), f"{label}: a closed complaint needs "
                        "closed_on (the day it was closed)"))


RULES = {"student_categories": StudentCategoryRules, "incidents": IncidentRules,
         "incident_students": IncidentStudentRules, "complaints": ComplaintRules}
