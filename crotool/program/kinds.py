"""The kinds that rule packs give a district's records their choices from: grades (a student
row's `grade`), complaint kinds (a complaint's `about`) and agency kinds (an agency's `kind`).

Each is a rule section (rule_schema: id, name, source, versions) whose ids are the choices of
one field of a record (`Field.rule_choices` in schema.py). A district whose packs define none
keeps the fixed choices crotool had before packs (schema.GRADES, COMPLAINT_ABOUT,
AGENCY_KINDS): a seed written before packs means what it meant.

`KindRules` is the checker's rules object of those three sections: it keeps their ids, stored
(the rules of the applied packs, in their packs' order, every version) and incoming (a pack or
a section of rules in the same load), and the checker makes them the field's choices, with
its did-you-mean and the list of what is allowed. A record with a day of its own (a
complaint's `received_on`, an incident's `at`) is also held to the version in force on that
day (`not_in_force`, called by that record type's rules).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from crotool.program.checker import Checker, Rules
from crotool.store.rules import is_in_force
from crotool.store.schema import AGENCY_KINDS, COMPLAINT_ABOUT, GRADES, UNKNOWN_CATEGORY

# Each kind section: the record field whose choices it gives, and that field's choices while
# no applied pack defines any (grades without `unknown`, which is always allowed).
DEFAULTS: dict[str, tuple[str, ...]] = {
    "grades": tuple(g for g in GRADES if g != UNKNOWN_CATEGORY),
    "complaint_kinds": COMPLAINT_ABOUT,
    "agency_kinds": AGENCY_KINDS,
}


def stored_ids(conn: sqlite3.Connection, section: str) -> list[str]:
    """The ids the applied packs define for a kind section (any version), in their order."""
    return [r[0] for r in conn.execute(
        f"SELECT id FROM {section} GROUP BY id ORDER BY min(rowid)")]


def _versions(conn: sqlite3.Connection, section: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(
        f"SELECT id, name, effective_from, effective_until FROM {section} ORDER BY rowid")]


def choices(conn: sqlite3.Connection, section: str, day: str | None = None) -> list[str]:
    """A kind section's ids (those in force on `day`, when given), else its DEFAULTS."""
    if day is None:
        found = stored_ids(conn, section)
    else:
        rows = _versions(conn, section)
        found = list(dict.fromkeys(r["id"] for r in rows if is_in_force(r, day)))
        if rows and not found:
            return []
    return found or list(DEFAULTS[section])


def names(conn: sqlite3.Connection, section: str, day: str | None = None) -> dict[str, str]:
    """id -> name of a kind section's rules (in force on `day` when given); {} for none."""
    out: dict[str, str] = {}
    for r in _versions(conn, section):
        if day is None or is_in_force(r, day):
            out.setdefault(r["id"], r["name"])
    return out


def not_in_force(conn: sqlite3.Connection, section: str, value: str, day: str) -> str | None:
    """Why `value`, a rule's id that the applied packs define, cannot be used on `day`: its
    versions and the ones in force then; None when it is in force (or not defined at all:
    conversion says so)."""
    rows = _versions(conn, section)
    mine = [r for r in rows if r["id"] == value]
    if not mine or any(is_in_force(r, day) for r in mine):
        return None
    spans = "; ".join(f"{r['effective_from'] or 'always'} to {r['effective_until'] or 'no end'}"
                      for r in mine)
    now = list(dict.fromkeys(r["id"] for r in rows if is_in_force(r, day)))
    return (f"'{value}' is not in force on {day} (it is from {spans}); in force then: "
            f"{', '.join(now) if now else 'none'}")


class KindRules(Rules):
    """A kind section's ids, stored and incoming, for the checker's choices of the field
    they name (`Checker.with_rule_choices`)."""

    section = ""

    def __init__(self, checker: Checker) -> None:
        super().__init__(checker)
        self._ids = stored_ids(self.conn, self.section)

    def choices(self) -> tuple[str, ...]:
        return tuple(self._ids)

    def incoming(self, records: list[dict[str, Any]]) -> None:
        self._ids.extend(dict.fromkeys(r["id"] for r in records if r["id"] not in self._ids))


class GradeRules(KindRules):
    section = "grades"


class ComplaintKindRules(KindRules):
    section = "complaint_kinds"


class AgencyKindRules(KindRules):
    section = "agency_kinds"


RULES = {"grades": GradeRules, "complaint_kinds": ComplaintKindRules,
         "agency_kinds": AgencyKindRules}
