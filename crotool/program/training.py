"""Training: the deadline rule, and the trainings an officer has recorded.

The rule is data: the topics (`training_topics`, each `classroom` or `on_the_job`) and the
`training_policy` mapping (how many months from an officer's `first_on_campus` the classroom
topics are due, how many on-the-job days are needed and by when). The bundled seed carries
Washington's (RCW 28A.400.345, topics of RCW 28A.310.515(2)); nothing here knows them.

`deadline_row` is a pure function of one officer, the rule and that officer's trainings; the
functions below it read those from SQL and write a training with its audit row. The rule of a
`trainings` record (`TrainingRules`, which `program/checker.py` calls for load, import and
`training record` alike) is at the end. Nothing here prints.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Any

from crotool.errors import Problem
from crotool.program import officer_kinds
from crotool.program.checker import Label, Rules, check_options
from crotool.program.roster import OfficerRules
from crotool.program.topics import load_rule
from crotool.program.training_rule import deadline_row
from crotool.program.years import today
from crotool.store import db, reads
from crotool.store.audit import Auditor
from crotool.store.fields import Record
from crotool.store.rules import in_force_sql
from crotool.store.schema import SECTIONS
from crotool.store.writes import upsert

TRAININGS = SECTIONS["trainings"]
DUE_COLUMNS = ("officer", "officer_name", "agency", "first_on_campus", "classroom_due",
               "classroom_done", "classroom_required", "missing", "on_the_job_due",
               "on_the_job_days", "on_the_job_required", "status")
LIST_COLUMNS = ("officer", "officer_name", "topic", "topic_name", "kind", "completed_on",
                "provider", "hours")


# ---------------------------------------------------------------- from the database


def due_columns(conn: sqlite3.Connection) -> tuple[str, ...]:
    """The columns of `training due`: `expired` after `missing` where any topic of the
    applied packs has a refresher (where none has, no topic can expire: the rows are as
    before packs)."""
    if conn.execute("SELECT 1 FROM training_topics WHERE refresh_every_months IS NOT NULL"
                    " LIMIT 1").fetchone() is None:
        return DUE_COLUMNS
    at = DUE_COLUMNS.index("missing") + 1
    return (*DUE_COLUMNS[:at], "expired", *DUE_COLUMNS[at:])


def due(conn: sqlite3.Connection, *, as_of: date, warn_days: int,
        agency: str | None = None) -> list[dict[str, Any]]:
    """One row per active officer with a first_on_campus (or, where a topic counts from
    the assignment's start, with an assignment), by agency and badge."""
    with db.read(conn):
        rule = load_rule(conn)
        kinds = officer_kinds.Kinds.load(conn, as_of)
        from_assignment = any(t.counts_from == "assignment_start" for t in rule.topics)
        started = ("(o.first_on_campus IS NOT NULL OR o.badge IN (SELECT officer FROM"
                   " assignments))" if from_assignment else "o.first_on_campus IS NOT NULL")
        where = reads.Where("o.status = 'active'", started)
        where.ref(conn, "agencies", agency, "--agency", "o.agency = ?")
        officers = [dict(r) for r in conn.execute(
            "SELECT o.badge, o.name, o.agency, o.first_on_campus, o.kind,"
            " (SELECT min(a.start) FROM assignments a WHERE a.officer = o.badge)"
            " AS assignment_start FROM officers o" + where.sql
            + " ORDER BY o.agency, o.badge", where.params)]
        done: dict[str, list[tuple[str, date, float | None]]] = {}
        for badge, topic, day, hours in conn.execute(
                "SELECT t.officer, t.topic, t.completed_on, t.hours FROM trainings t"
                " JOIN officers o ON o.badge = t.officer" + where.sql
                + " AND t.completed_on <= ?", (*where.params, as_of.isoformat())):
            done.setdefault(badge, []).append((topic, date.fromisoformat(day), hours))
    for o in officers:
        o["kind"] = kinds.resolve(o["kind"])
    return [deadline_row(o, rule, done.get(o["badge"], ()), as_of, warn_days) for o in officers]


def list_trainings(conn: sqlite3.Connection, *, officer: str | None = None,
                   topic: str | None = None) -> list[dict[str, Any]]:
    """Every recorded training unless a filter narrows it; by officer, date, topic."""
    where = reads.Where()
    where.ref(conn, "officers", officer, "--officer", "t.officer = ?")
    where.ref(conn, "training_topics", topic, "--topic", "t.topic = ?")
    # A topic's name and kind: its version in force on the training's day, else its latest
    # (a topic has one row per version; one no applied pack defines any more has none).
    topic = ("coalesce((SELECT p.{col} FROM training_topics p WHERE p.id = t.topic AND "
             + in_force_sql("t.completed_on", "p") + "), (SELECT p.{col} FROM training_topics p"
             " WHERE p.id = t.topic ORDER BY p.effective_from DESC LIMIT 1))")
    return [dict(r) for r in conn.execute(
        "SELECT t.officer, o.name AS officer_name, t.topic,"
        f" {topic.format(col='name')} AS topic_name, {topic.format(col='kind')} AS kind,"
        " t.completed_on, t.provider, t.hours FROM trainings t"
        " JOIN officers o ON o.badge = t.officer"
        + where.sql + " ORDER BY t.officer, t.completed_on, t.topic", where.params)]


@dataclass(slots=True)
class Recorded:
    action: str  # insert, update or unchanged
    record: dict[str, Any]
    changes: dict[str, Any]
    warnings: list[Problem]


def record(conn: sqlite3.Connection, badge: str, topic: str, *, on: str,
           provider: str | None = None, hours: str | None = None) -> Recorded:
    """Record one training, checked by the rules `load` and `import` apply to `trainings`.

    The same officer, topic and day again updates its provider and hours. A day before the
    officer's first day on campus is a warning (the series may precede placement), and so is
    a day after today.
    """
    raw = {"officer": badge, "topic": topic, "completed_on": on, "provider": provider,
           "hours": hours}
    warnings: list[Problem] = []
    changes: list[tuple[str, str, dict[str, Any]]] = []
    with db.transaction(conn):
        values = check_options(conn, TRAININGS, raw, f"training record {badge} {topic}",
                               options={"officer": "BADGE", "topic": "TOPIC",
                                        "completed_on": "--on"}, warnings=warnings)
        # Options not given keep a stored training's values (as an import row would).
        values = {k: v for k, v in values.items()
                  if k in TRAININGS.key or raw.get(k) is not None}
        if str(values["completed_on"]) > today().isoformat():
            # Typed at the terminal, a day to come is most likely a slip (a file may well
            # hold a planned series, so load and import do not say this).
            warnings.append(Problem("--on", f"{values['completed_on']} is after today "
                                    f"({today()}); recorded, and it counts from that day: "
                                    "check the date"))
        counts = upsert(conn, TRAININGS, [values], Auditor(conn), changes_out=changes)
        stored = conn.execute(
            f"SELECT {', '.join(TRAININGS.field_names)} FROM trainings"
            " WHERE officer = ? AND topic = ? AND completed_on = ?",
            tuple(values[k] for k in TRAININGS.key)).fetchone()
    action = "insert" if counts.inserted else "update" if counts.updated else "unchanged"
    return Recorded(action, dict(stored), changes[0][2] if changes else {}, warnings)


# ---------------------------------------------------------------- the rule of a record


class TrainingRules(Rules):
    """A training dated before its officer's first day on campus is a warning, not an error:
    the series may well precede placement (RCW 28A.400.345 lets the district require it
    before assigning)."""

    def record(self, record: Record, values: dict[str, Any], label: Label) -> None:
        firsts = self.checker.rules_of("officers", OfficerRules).first_on_campus()
        first = firsts.get(values.get("officer") or "")
        done = values.get("completed_on")
        if first and done and done < first:
            self.warnings.append(Problem(record.where("completed_on"), (
                f"{label}.completed_on: {done} is before officer {values['officer']}'s "
                f"first day on campus ({first}); recorded, and it counts: check the date "
                "if the training was meant to follow placement")))


RULES = {"trainings": TrainingRules}
