"""The rules in force: the rule tables rebuilt from the applied packs, and the deadlines a
change of them moves.

`materialise` makes every rule section's table hold every version of every rule of every
applied pack (district.rule_packs in order, then `local`) and nothing else. It runs inside the
caller's transaction after any change to the packs or to district.rule_packs (the tables are
small: milliseconds), and writes a table only when its rows change. A rule (section and key)
defined by two of the district's packs is refused, naming both; `local` may restate a rule of
theirs, and then its versions replace theirs (it is applied last: rules a seed or an import
gave without a pack mean what they meant).

`before_change` and `moved_deadlines` compare, for a change of the rules, the deadlines already
past: each follow-up's due time under the old and the new rules in force on its duty's day
(duties on or before now that existed before the change), and each officer's training
deadlines (today's training rule: the classroom and on-the-job deadlines).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from crotool.errors import CroError
from crotool.program import followups, training
from crotool.program.packs import applied
from crotool.store.rule_schema import RULE_SECTIONS, RULE_TABLES, TABLE_OF
from crotool.store.rules import LOCAL, joined
from crotool.store.writes import to_sql


class RuleConflicts(CroError):
    """Rules defined by two applied packs: (section, key, the packs in applied order)."""

    def __init__(self, conflicts: list[tuple[str, str, tuple[str, ...]]]):
        self.conflicts = conflicts
        section, key, packs = conflicts[0]
        super().__init__(f"{conflict_text(section, key, packs)}"
                         + (f" (and {len(conflicts) - 1} more)" if len(conflicts) > 1 else ""))


def conflict_text(section: str, key: str, packs: tuple[str, ...]) -> str:
    rule = section if section == key else f"{section}[{key}]"
    return (f"{rule} is defined by rule packs {' and '.join(packs)}, both applied; a rule may "
            "come from one applied pack only (leave one of them out of district.rule_packs, or "
            "the rule out of one pack)")


def _columns(table: str) -> tuple[str, ...]:
    section = RULE_SECTIONS[table]
    return (*(("id",) if not section.key else ()), *section.field_names, "pack")


def rule_id(section: str, key: str) -> tuple[str, str]:
    """What makes two records one rule: their table and key (a pack's `report` is the
    `annual_report` another gives)."""
    table = TABLE_OF.get(section, section)
    return (table, table if key == section else key)


def materialise(conn: sqlite3.Connection) -> list[str]:
    """Rebuild the rule tables from the applied packs; the tables that changed. Raises
    RuleConflicts (nothing rebuilt) for a rule two of the district's packs define."""
    order = applied(conn)
    chosen: dict[tuple[str, str], str] = {}  # (section, key) -> the pack whose versions apply
    defined: dict[tuple[str, str], list[str]] = {}
    rows: list[tuple[str, sqlite3.Row]] = []
    for pack in order:
        for row in conn.execute("SELECT section, key, effective_from, effective_until, source,"
                                " record FROM pack_rules WHERE pack = ? ORDER BY rowid", (pack,)):
            ident = rule_id(row["section"], row["key"])
            if pack not in defined.setdefault(ident, []):
                defined[ident].append(pack)
            rows.append((pack, row))
            chosen[ident] = pack  # `local` comes last: its versions replace another pack's
    conflicts = [(s, k, tuple(p for p in packs if p != LOCAL)) for (s, k), packs in
                 defined.items() if len([p for p in packs if p != LOCAL]) > 1]
    if conflicts:
        raise RuleConflicts(conflicts)
    wanted: dict[str, list[tuple]] = {table: [] for table in RULE_TABLES}
    for pack, row in rows:
        table, _ = ident = rule_id(row["section"], row["key"])
        if row["section"] not in RULE_SECTIONS or chosen[ident] != pack:
            continue
        section, into = RULE_SECTIONS[row["section"]], RULE_SECTIONS[table]
        values = joined(section, dict(row))
        wanted[table].append(tuple(
            pack if c == "pack" else 1 if c == "id" and not into.key
            else to_sql(into, c, values.get(c)) for c in _columns(table)))
    changed = []
    for table, new in wanted.items():
        cols = ", ".join(f'"{c}"' for c in _columns(table))
        old = [tuple(r) for r in conn.execute(f"SELECT {cols} FROM {table} ORDER BY rowid")]
        if old == new:
            continue
        conn.execute(f"DELETE FROM {table}")
        marks = ", ".join("?" * len(_columns(table)))
        conn.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", new)
        changed.append(table)
    return changed


# ---------------------------------------------------------------- deadlines a change moves

_BEFORE = "followup_rules_before"


@dataclass(slots=True)
class Before:
    """What the deadlines were computed from before a change."""

    now: str
    today: date
    last_duty: int
    training: dict[str, dict[str, str]] | None = field(default_factory=dict)


def _training_dues(conn: sqlite3.Connection, today: date) -> dict[str, dict[str, str]] | None:
    """officer -> {classroom, on_the_job: due day}; None when no training policy is in force."""
    try:
        rows = training.due(conn, as_of=today, warn_days=0)
    except CroError:  # no training policy in force: no deadlines
        return None
    return {r["officer"]: {"classroom": r["classroom_due"], "on_the_job": r["on_the_job_due"]}
            for r in rows}


def before_change(conn: sqlite3.Connection, now: str, today: date) -> Before:
    """Keep what the deadlines depend on before a change (inside the caller's transaction):
    a copy of the follow-up rules, the last duty, the training deadlines."""
    conn.execute(f"DROP TABLE IF EXISTS temp.{_BEFORE}")
    conn.execute(f"CREATE TEMP TABLE {_BEFORE} AS SELECT * FROM main.followup_rules")
    last = conn.execute("SELECT coalesce(max(id), 0) FROM duties").fetchone()[0]
    return Before(now, today, last, _training_dues(conn, today))


def moved_deadlines(conn: sqlite3.Connection, before: Before) -> list[dict[str, Any]]:
    """Every deadline already past (as of `before.now`) that the change moved: a follow-up of
    a duty that existed before, due at another time (or no longer, or newly), and an officer's
    training deadline on another day; at least one of the two times is past."""
    moved: list[dict[str, Any]] = []
    same = not conn.execute(
        f"SELECT 1 FROM (SELECT * FROM main.followup_rules EXCEPT SELECT * FROM temp.{_BEFORE})"
        f" UNION ALL SELECT 1 FROM (SELECT * FROM temp.{_BEFORE} EXCEPT SELECT * FROM"
        " main.followup_rules) LIMIT 1").fetchone()
    if not same:
        old = followups.dues(conn, rules=f"temp.{_BEFORE}", until=before.now,
                             last_duty=before.last_duty)
        new = followups.dues(conn, until=before.now, last_duty=before.last_duty)
        for duty, rule in sorted(old.keys() | new.keys()):
            was, now = old.get((duty, rule)), new.get((duty, rule))
            if was != now and any(t is not None and t < before.now for t in (was, now)):
                moved.append({"deadline": "follow-up", "of": f"duty {duty}", "rule": rule,
                              "due": was, "moves_to": now})
    conn.execute(f"DROP TABLE IF EXISTS temp.{_BEFORE}")
    today = before.today.isoformat()
    after = _training_dues(conn, before.today)
    for officer, dues in sorted((before.training or {}).items()):
        if after is not None and officer not in after:
            continue  # no longer active, or no first day on campus: not the rules' doing
        for part, was in dues.items():
            now = after[officer][part] if after is not None else None
            if was != now and any(t is not None and t < today for t in (was, now)):
                moved.append({"deadline": "training", "of": f"officer {officer}",
                              "rule": part, "due": was, "moves_to": now})
    return moved


def moved_text(row: dict[str, Any]) -> str:
    what = "follow-up" if row["deadline"] == "follow-up" else "training deadline"
    to = row["moves_to"] if row["moves_to"] is not None else "(none: no rule in force)"
    was = row["due"] if row["due"] is not None else "(none)"
    return f"{what} {row['rule']} of {row['of']}: due {was}, would be {to}"



class DeadlinesMoved(CroError):
    """A change of the rules would move deadlines already past: refused without --yes."""

    def __init__(self, moved: list[dict[str, Any]]):
        self.moved = moved
        n = len(moved)
        super().__init__(f"the change would move {n} deadline{'s' if n != 1 else ''} already "
                         "past; nothing was written",
                         hint="check them, then run again with --yes to write it")

    def lines(self) -> list[str]:
        return [*(moved_text(r) for r in self.moved), *super().lines()]
