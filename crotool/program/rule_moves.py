"""The deadlines a change of the rules moves (SPEC §5.1: `rules load` lists every deadline
already past that the change would move, and writes only with --yes).

`before_change` keeps, inside the caller's transaction and before anything is written, what
the deadlines depend on; `moved_deadlines`, after the change, compares: each follow-up's due
time under the old and the new rules in force on its duty's day (duties on or before now that
existed before the change), and each officer's training deadlines (today's training rule: the
classroom and on-the-job deadlines). A deadline moved is one whose time differs (or that is
gone, or new) where at least one of the two times is already past.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from crotool.errors import CroError
from crotool.program import followups, training

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
