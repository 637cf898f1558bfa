"""Officer kinds (SPEC §5.2): the kinds of officer a pack names (`officer_kinds`: a sworn
officer, a guardian, a security guard...), and an officer's `kind`.

An officer's kind is one of the kinds in force (today, for a record being written); an officer
given none gets the first kind the applied packs list (the district's packs in order, each in
its file's order: the rule table keeps that order), written with the record, so that what
`officers list` shows is what is stored and an exported list imports as itself. A load that
brings rule packs with kinds (the bundled `crotool load`: wa.yaml, then the seed's officers)
gives its new officers the first kind it brings: its packs are written after its records. An officer
stored with no kind (written before the packs named any, or where none is named) is of that
first kind wherever a rule asks (a topic's `applies_to`). A district whose packs name no kind
has officers of no kind: every topic applies to them.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Any

from crotool.program.checker import Checker, Rules
from crotool.program.years import today
from crotool.store.rules import in_force_sql, is_in_force


@dataclass(frozen=True, slots=True)
class Kinds:
    """The officer kinds in force on a day, in the order the applied packs list them."""

    ids: tuple[str, ...]
    day: date

    @classmethod
    def load(cls, conn: sqlite3.Connection, day: date | None = None) -> Kinds:
        day = day or today()
        return cls(tuple(r[0] for r in conn.execute(
            "SELECT r.id FROM officer_kinds r WHERE " + in_force_sql("?1")
            + " ORDER BY r.rowid", (day.isoformat(),))), day)

    @property
    def default(self) -> str | None:
        return self.ids[0] if self.ids else None

    def resolve(self, kind: str | None) -> str | None:
        """An officer's kind: the one stored, else the default."""
        return kind if kind is not None else self.default


class OfficerKindRules(Rules):
    """Officer kinds have no rule of their own; the ones an input brings are kept, in order,
    for the default kind of the officers it adds (roster.OfficerRules)."""

    def __init__(self, checker: Checker) -> None:
        super().__init__(checker)
        self.brought: list[str] = []

    def incoming(self, records: list[dict[str, Any]]) -> None:
        day = today()
        self.brought += [r["id"] for r in records
                         if is_in_force(r, day) and r["id"] not in self.brought]


RULES = {"officer_kinds": OfficerKindRules}
