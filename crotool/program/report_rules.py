"""What the annual report is, as the rules in force say it (SPEC §5.2, "The annual report").

A pack's `report` mapping (rule_schema.REPORT) says the report's title and source, its
`parts` (of staff, agencies, incidents, complaints, training: a part not listed is not in the
report), each part's letter and title, the `incident_flags` an incident may carry (ids and
names) and the `student_fields` its student rows are shown and counted by. A seed written
before packs gives `annual_report` instead (a title, a source and four parts' letters and
titles): it means what it meant, the four parts with Washington's flags and every student
field. With neither, the report has plain titles and the same defaults (`DEFAULT`).

Both sections are one rule (`annual_report` holds the title, source and letters of either,
rule_schema.TABLE_OF); the rest of a `report` stays in `pack_rules`, read here from the pack
whose version `annual_report` holds. The version that applies is the one in force on the day
asked about: the school year's first day for the report, an incident's own day for the flags
it may carry (`definition`).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from crotool.program.checker import Checker
from crotool.store.rule_schema import ANNUAL_PARTS, REPORT_PARTS, STUDENT_FIELDS
from crotool.store.rules import in_force_sql, is_in_force

# Plain titles, used when no rule in force names the report (or leaves a part's title out).
TITLES: dict[str, str | None] = {
    "title": "Annual report", "source": None,
    "staff_letter": None, "staff_title": "Staff by building",
    "agencies_letter": None, "agencies_title": "Agencies with officers or an agreement",
    "incidents_letter": None,
    "incidents_title": "Incidents with discipline, use of force or arrest",
    "complaints_letter": None, "complaints_title": "Complaints about the staff",
    "training_letter": None, "training_title": "Training of the staff"}
# The flags of a report that names none: Washington's three (RCW 28A.320.1241(1)(c)), whose
# ids are the booleans that set them (schema.INCIDENT_FLAGS).
DEFAULT_FLAGS: tuple[dict[str, str], ...] = (
    {"id": "discipline", "name": "Student discipline"},
    {"id": "use_of_force", "name": "Use of force against a student"},
    {"id": "arrest", "name": "Student arrest"})


@dataclass(frozen=True, slots=True)
class Definition:
    """The report in force on a day: its words, its parts, its flags and student fields."""

    titles: dict[str, str | None] = field(default_factory=lambda: dict(TITLES))
    parts: tuple[str, ...] = ANNUAL_PARTS
    flags: tuple[dict[str, str], ...] = DEFAULT_FLAGS
    student_fields: tuple[str, ...] = STUDENT_FIELDS

    @property
    def flag_ids(self) -> tuple[str, ...]:
        return tuple(f["id"] for f in self.flags)

    @property
    def flag_names(self) -> dict[str, str]:
        return {f["id"]: f["name"] for f in self.flags}

    def has(self, part: str) -> bool:
        return part in self.parts


DEFAULT = Definition()


def definition(conn: sqlite3.Connection, day: str) -> Definition:
    """The report in force on `day` (YYYY-MM-DD): the applied packs' `report` (or
    `annual_report`) version in force then, else DEFAULT."""
    return stored_definition(conn, day) or DEFAULT


def stored_definition(conn: sqlite3.Connection, day: str) -> Definition | None:
    """The applied packs' report in force on `day`; None when none is."""
    row = conn.execute(
        "SELECT pack, effective_from FROM annual_report r WHERE "
        f"{in_force_sql(':day')} ORDER BY r.effective_from DESC LIMIT 1", {"day": day}
    ).fetchone()
    if row is None:
        return None
    rule = conn.execute(
        "SELECT section, source, record FROM pack_rules WHERE pack = ? AND section IN"
        " ('report', 'annual_report') AND effective_from = ?", (row[0], row[1])).fetchone()
    if rule is None:  # the table and pack_rules disagree (a hand edit): the table's words
        return _from_table(conn, day)
    record: dict[str, Any] = json.loads(rule["record"])
    return of_record(rule["section"], {**record, "source": rule["source"]})


def of_record(section: str, record: dict[str, Any]) -> Definition:
    """A `report` or `annual_report` record's values as the report it defines."""
    titles = {k: record.get(k) or v for k, v in TITLES.items()}
    if section == "annual_report":
        return Definition(titles=titles)
    parts = tuple(p for p in REPORT_PARTS if p in (record.get("parts") or ANNUAL_PARTS))
    flags = tuple(record.get("incident_flags") or DEFAULT_FLAGS)
    fields = record.get("student_fields")
    return Definition(titles=titles, parts=parts, flags=flags,
                      student_fields=tuple(fields) if fields else STUDENT_FIELDS)


def _from_table(conn: sqlite3.Connection, day: str) -> Definition:
    names = [n for n in TITLES if not n.startswith("training_")]
    row = conn.execute(f"SELECT {', '.join(names)} FROM annual_report r WHERE "
                       f"{in_force_sql(':day')} ORDER BY r.effective_from DESC LIMIT 1",
                       {"day": day}).fetchone()
    stored = dict(zip(names, tuple(row), strict=True)) if row else {}
    return Definition(titles={k: stored.get(k) or v for k, v in TITLES.items()})


class FlagsByDay:
    """The incident flags an incident of a day may carry (cached by day): those of the
    stored report in force then and of the reports an input brings in force then (a pack or
    a seed's section loaded with the incidents: the checker's `incoming_mappings`);
    DEFAULT's when neither names one."""

    def __init__(self, checker: Checker) -> None:
        self.checker = checker
        self.conn = checker.conn
        self._by_day: dict[str, tuple[str, ...]] = {}
        self._versions: bool | None = None

    def __call__(self, day: str) -> tuple[str, ...]:
        if self._versions is None:  # one version and no dates: the same flags every day
            self._versions = bool(self.conn.execute(
                "SELECT 1 FROM annual_report WHERE effective_from <> '' OR effective_until IS"
                " NOT NULL LIMIT 1").fetchone())
        key = day if self._versions else ""
        if key not in self._by_day:
            stored = stored_definition(self.conn, day)
            self._by_day[key] = stored.flag_ids if stored is not None else ()
        incoming = [of_record(name, r) for name in ("report", "annual_report")
                    for r in self.checker.incoming_mappings.get(name, ())
                    if is_in_force(r, day)]
        found = tuple(dict.fromkeys((*self._by_day[key],
                                     *(f for d in incoming for f in d.flag_ids))))
        return found or DEFAULT.flag_ids
