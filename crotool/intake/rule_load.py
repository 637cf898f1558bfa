"""The write of a load or an import that touches rules: rule packs stored whole, rules without
a pack merged into `local`, the rule tables rebuilt, and the deadlines already past that the
change would move refused unless --yes.

`Write` is the write half of `seed.load_files` (its records by file, as before, and its packs);
`import_rules` the write of `crotool import` for a rule section (its rows go to `local`, like a
seed's). Both run inside one transaction with the audit and the import history.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crotool.errors import Problem, ValidationFailed
from crotool.program import years
from crotool.program.packs import (
    Pack,
    PackChange,
    RuleConflicts,
    conflict_text,
    district_packs,
    materialise,
    merge_local,
    replace_pack,
    rule_id,
)
from crotool.program.rule_moves import DeadlinesMoved, before_change, moved_deadlines
from crotool.store import db
from crotool.store.audit import Auditor
from crotool.store.rule_schema import RULE_SECTIONS
from crotool.store.schema import section
from crotool.store.writes import STAGING, Counts, Staging, from_sql, record_import, upsert

Change = tuple[str, str, dict[str, Any]]


class DryRun(Exception):
    """Raised at the end of a dry run's transaction: it did everything, and is rolled back."""


@dataclass(slots=True)
class LoadResult:
    """What a load did (or, dry, would do): its records' counts by section and by file, the
    rule packs it stored, the deadlines already past that it moved."""

    counts: dict[str, Counts] = field(default_factory=dict)
    files: list[tuple[str, str]] = field(default_factory=list)  # (name, sha256), seeds
    changes: list[tuple[str, str, dict]] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # accepted, worth a look
    by_file: dict[str, Counts] = field(default_factory=dict)  # source -> its own counts
    packs: list[PackChange] = field(default_factory=list)  # the rule packs stored
    moved: list[dict] = field(default_factory=list)  # deadlines already past that moved

    def rows(self) -> list[dict]:
        return [
            {"section": name, "inserted": c.inserted, "updated": c.updated,
             "unchanged": c.unchanged}
            for name, c in self.counts.items()
        ]

    @property
    def total(self) -> Counts:
        total = Counts()
        for c in self.counts.values():
            total.add(c)
        return total


class Write:
    """What a load writes, in order: its records, its packs, its rules without a pack (into
    `local`), then the rule tables rebuilt and the moved deadlines checked."""

    def __init__(self, conn: sqlite3.Connection, packs: list[Pack], ready: dict[str, list[dict]],
                 origin: dict[str, list[str]], result: LoadResult,
                 district: list[tuple[Any, dict[str, Any]]] | None = None):
        self.conn, self.packs, self.ready, self.origin, self.result = (conn, packs, ready,
                                                                       origin, result)
        self.district = district[0] if district else None
        given = self.district[1].get("rule_packs") if self.district else None
        self.guarded = bool(packs) or (given is not None and given != district_packs(conn))
        self.touches_rules = self.guarded or any(n in RULE_SECTIONS for n in ready)

    def records(self, auditor: Auditor | None, *, dry_run: bool, rules: bool | None = None
                ) -> None:
        """Every record, file by file in the order given (a record a later file changes again
        is that file's update); a rule section's go to the pack `local`. `rules`: only the
        rule sections (True), only the others (False), or all (None)."""
        result = self.result
        for name, records in self.ready.items():
            if rules is not None and (name in RULE_SECTIONS) != rules:
                continue
            sources = self.origin[name] if len(self.origin[name]) == len(records) else (
                [""] * len(records))
            total = Counts()
            for source in dict.fromkeys(sources):
                part = [r for r, s in zip(records, sources, strict=True) if s == source]
                if name in RULE_SECTIONS:
                    counts = merge_local(self.conn, RULE_SECTIONS[name], part, auditor,
                                         dry_run=dry_run, changes_out=result.changes)
                else:
                    counts = upsert(self.conn, section(name), part, auditor, dry_run=dry_run,
                                    changes_out=result.changes)
                total.add(counts)
                result.by_file.setdefault(source, Counts()).add(counts)
            result.counts[name] = total
        # In the order of the sections, whichever pass wrote them.
        result.counts = {n: result.counts[n] for n in self.ready if n in result.counts}

    def all(self, auditor: Auditor, *, yes: bool) -> None:
        conn = self.conn
        before = before_change(conn, years.now().isoformat(timespec="seconds"),
                               years.today()) if self.guarded else None
        # The records first (the district names the packs applied), then the packs, then the
        # rules given without one, which are counted against the packs' rules in force.
        self.records(auditor, dry_run=False, rules=False)
        for pack in self.packs:
            change = replace_pack(conn, pack, auditor)
            self.result.packs.append(change)
            self.result.changes += [("pack_rules", f"{r['change']} {pack.id}/{r['section']}/"
                                     f"{r['key']}", r["changes"]) for r in change.rows]
        self.records(auditor, dry_run=False, rules=True)
        if self.touches_rules:
            try:
                materialise(conn)
            except RuleConflicts as exc:
                raise ValidationFailed([self._conflict(*c) for c in exc.conflicts],
                                       subject="rule packs") from None
        if before is not None:
            self.result.moved = moved_deadlines(conn, before)
            if self.result.moved and not yes:
                raise DeadlinesMoved(self.result.moved)

    def _conflict(self, section_name: str, key: str, packs: tuple[str, ...]) -> Problem:
        """Where to point at: the rule in a pack of this load, else the district's list."""
        for pack in self.packs:
            if pack.id in packs:
                for rule in pack.rules:
                    if rule_id(rule.section, rule.key) == (section_name, key):
                        return Problem(rule.where, conflict_text(section_name, key, packs))
        where = self.district[0].where("rule_packs") if self.district else ""
        return Problem(where, conflict_text(section_name, key, packs))


def import_rules(conn: sqlite3.Connection, staging: Staging, source: str, sha256: str, *,
                 dry_run: bool, on_change: Callable[[Change], None] | None) -> Counts:
    """`crotool import` of a rule section: its validated rows (staged) into the pack `local`,
    the rule tables rebuilt, audited and recorded; or, with dry_run, counted only."""
    sec = staging.section
    given = [(mask, staging.given(mask)) for mask in sorted(staging.masks)]
    cols = ", ".join(f'"{c}"' for c in sec.field_names)
    records = []
    for row in conn.execute(f"SELECT mask, {cols} FROM temp.{STAGING} ORDER BY rowid"):
        names = dict(given)[row[0]]
        values = dict(zip(sec.field_names, tuple(row)[1:], strict=True))
        records.append({n: from_sql(sec, n, values[n]) for n in names})
    changes: list[Change] = []
    if dry_run:
        counts = merge_local(conn, sec, records, None, dry_run=True, changes_out=changes)
    else:
        with db.transaction(conn):
            auditor = Auditor(conn)
            counts = merge_local(conn, sec, records, auditor, changes_out=changes)
            materialise(conn)
            record_import(conn, auditor, sec.name, source, sha256, counts)
    if on_change is not None:
        for change in changes:
            on_change(change)
    return counts
