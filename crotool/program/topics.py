"""The training rule as stored: the training policy's and the topics' versions of the applied
packs (the `training_policy` and `training_topics` tables), read into the plain data of
`crotool.program.training_rule`.

Both `training due` (`program/training.py`) and coverage (`program/coverage.py`, for the
topics marked `required_to_cover`) read them here.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from typing import Any

from crotool.errors import CroError
from crotool.program.training_rule import Policy, Rule, Topic


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def topic_of(row: sqlite3.Row | dict[str, Any]) -> Topic:
    """One stored version of a topic (a training_topics row) as the rule reads it; an empty
    `applies_to` is every kind."""
    kinds = json.loads(row["applies_to"] or "[]")
    return Topic(row["id"], row["kind"], row["due_within_months"], row["due_from"],
                 row["hours"], row["refresh_every_months"], tuple(kinds) if kinds else None,
                 bool(row["required_to_cover"]), _day(row["effective_from"]),
                 _day(row["effective_until"]))


TOPIC_SQL = ("SELECT id, kind, due_within_months, due_from, hours, refresh_every_months,"
             " applies_to, required_to_cover, effective_from, effective_until"
             " FROM training_topics")


def load_rule(conn: sqlite3.Connection) -> Rule:
    """Every version of the training policy and of every topic of the applied packs."""
    policies = tuple(
        Policy(r[0], r[1], r[2], _day(r[3]), _day(r[4])) for r in conn.execute(
            "SELECT classroom_within_months, on_the_job_days, on_the_job_within_months,"
            " effective_from, effective_until FROM training_policy ORDER BY effective_from"))
    topics = tuple(topic_of(r) for r in conn.execute(TOPIC_SQL + " ORDER BY id, effective_from"))
    if not policies and not topics:
        raise CroError("no training policy is stored (section training_policy: "
                       "classroom_within_months, on_the_job_days, on_the_job_within_months), "
                       "and no training topic",
                       hint="load one, e.g. `crotool load` for the bundled seed's")
    return Rule(policies[-1] if policies else None, topics=topics, policies=policies)


def required_topics(conn: sqlite3.Connection) -> tuple[Topic, ...]:
    """Every version of a topic marked `required_to_cover` (none: coverage as before packs)."""
    return tuple(topic_of(r) for r in conn.execute(
        TOPIC_SQL + " WHERE required_to_cover = 1 ORDER BY id, effective_from"))
