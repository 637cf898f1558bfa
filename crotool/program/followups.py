"""Follow-ups: the clocks a logged duty starts.

A `followup_rules` row (category, id, within_hours) gives every duty of that category one
follow-up, due `within_hours` after the duty's `at`; of a rule's versions (a rule pack may
change a clock from a day on), the one applied to a duty is the version in force on the
duty's day (`IN_FORCE_FOR_DUTY`). Only DONE follow-ups are stored (the
`followups` table, keyed by the duty's natural key and the rule); an open one is a duty x rule
pair without such a row, found by an anti-join, so logging or importing a million duties
writes nothing extra and `followups list --open` reads one range of duties_category_at per
rule plus one probe of followups_category_at per duty, both in (category, at) order and from
the indexes alone (migration 10).

A follow-up's status is taken at a moment, `as_of` (default: now):
- a duty after `as_of` has no follow-ups yet (it had not happened);
- a follow-up done after `as_of` was not done then;
- not done: `overdue` when its due time is before `as_of`, else `open`;
- done: `late` when done after its due time, else `done` (done exactly at due is on time).

Times are the school's wall clock, as duties store them (no time zones), so "48 hours after
16:30 on the 15th" is 16:30 on the 17th whatever the calendar does in between.

The rules of the `followup_rules` and `followups` records (`program/checker.py` calls them for
load, import and `followups done` alike) are at the end: a done follow-up names a duty that
exists, a rule of that duty's category, and a done_at no earlier than the duty.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

from crotool.errors import CroError, Problem, did_you_mean
from crotool.program.checker import Checker, Label, Rules, check_options
from crotool.program.years import now
from crotool.store import db
from crotool.store.audit import Auditor
from crotool.store.columns import Columns, json_object_sql
from crotool.store.fields import BadValue, Record, parse_datetime
from crotool.store.rules import in_force_sql
from crotool.store.schema import SECTIONS
from crotool.store.writes import upsert

FOLLOWUPS = SECTIONS["followups"]
COLUMNS = ("duty", "at", "officer", "school", "category", "rule", "name", "due", "done_at",
           "status")
DUTY_KEY = SECTIONS["duties"].key

# A rule r's due time for a duty d, in the stored date-time form (strftime, not datetime(),
# which writes a space where duties write 'T').
DUE_SQL = "strftime('%Y-%m-%dT%H:%M:%S', d.at, '+' || r.within_hours || ' hours')"
# Rule row r is in force on duty d's day: store/rules.IN_FORCE for substr(d.at, 1, 10), said
# as a range of d.at (a rule table's effective_from is '' when open, never NULL), so that the
# duties of each rule version are one range of duties_category_at(category, at).
IN_FORCE_FOR_DUTY = ("d.at >= r.effective_from AND "
                     "d.at <= coalesce(r.effective_until, '9999-12-31') || 'T23:59:59'")
# The done follow-up of duty d under rule r, as it stood at ?1 (as_of).
_DONE_JOIN = """LEFT JOIN followups f
       ON f.officer = d.officer AND f.school = d.school AND f.category = d.category
      AND f.at = d.at AND f.rule = r.id AND f.done_at <= ?1"""

# ?1 = as_of. One range scan of duties_category_at(category, at, ...) per rule; `overdue` narrows
# the range to the duties whose due time is already past (at < as_of - within_hours).
# CROSS JOIN keeps the few rules as the outer loop: left to itself, the planner scanned
# duties_at_minutes over every duty up to as_of and looked each one's rules up.
_LIST_SQL = f"""
SELECT d.id AS duty, d.at AS at, d.officer AS officer, d.school AS school,
       d.category AS category, r.id AS rule, r.name AS name, {DUE_SQL} AS due,
       f.done_at AS done_at,
       CASE WHEN f.done_at IS NULL
            THEN CASE WHEN {DUE_SQL} < ?1 THEN 'overdue' ELSE 'open' END
            WHEN f.done_at > {DUE_SQL} THEN 'late' ELSE 'done' END AS status
FROM followup_rules r
CROSS JOIN duties d ON d.category = r.category AND d.at <= ?1 AND {IN_FORCE_FOR_DUTY}
    {{range}}
{_DONE_JOIN}
{{where}}
ORDER BY due, d.id, r.id"""

_OVERDUE_RANGE = ("AND d.at < strftime('%Y-%m-%dT%H:%M:%S', ?1, '-' || r.within_hours "
                  "|| ' hours')")


def list_sql(*, open_only: bool = False, overdue_only: bool = False) -> str:
    """The one SELECT behind `followups list` (bench/run.py hands it to the sqlite3 shell)."""
    return _LIST_SQL.format(range=_OVERDUE_RANGE if overdue_only else "",
                            where="WHERE f.done_at IS NULL" if open_only or overdue_only
                            else "")


def as_of_moment(text: str | None, option: str = "--as-of") -> str:
    """An --as-of DATETIME (a date alone is its midnight) as stored text; default now."""
    if text is None:
        return now().isoformat(timespec="seconds")
    try:
        return parse_datetime(text.strip()).isoformat(timespec="seconds")
    except BadValue as exc:
        raise CroError(f"{option}: {exc}") from None


def list_followups(conn: sqlite3.Connection, *, as_of: str, open_only: bool = False,
                   overdue_only: bool = False) -> list[dict[str, Any]]:
    """Every follow-up of every duty up to `as_of`, by due time; `open_only`: not done by
    then (open or overdue); `overdue_only`: not done and past due."""
    sql = list_sql(open_only=open_only, overdue_only=overdue_only)
    return [dict(r) for r in conn.execute(sql, (as_of,))]


class Stream:
    """`followups list -f json`'s rows as SQLite writes them (one JSON object's text each, of
    `columns`), with their statuses tallied in `counts` as they pass: read the rows first,
    then the counts (for --fail-on-overdue), and no second query is needed."""

    columns = Columns(COLUMNS)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        from collections import Counter

        self.counts: Counter[str] = Counter()
        self.rows = self._lines(cursor)

    def _lines(self, cursor: sqlite3.Cursor) -> Iterator[str]:
        counts = self.counts
        for line, status in cursor:
            counts[status] += 1
            yield line


def stream_json(conn: sqlite3.Connection, *, as_of: str, open_only: bool = False,
                overdue_only: bool = False) -> Stream:
    """`list_followups` with each row written as JSON by SQLite (`columns.json_object_sql`):
    the same SELECT, the same order, no Python dict or encoder per row."""
    sql = (f"SELECT {json_object_sql(Stream.columns)}, status FROM"
           f" ({list_sql(open_only=open_only, overdue_only=overdue_only)})"
           " ORDER BY due, duty, rule")
    cursor = conn.cursor()
    cursor.row_factory = None  # (json, status) tuples
    return Stream(cursor.execute(sql, (as_of,)))


def opened_by(conn: sqlite3.Connection, duty_id: int) -> list[dict[str, Any]]:
    """The follow-ups a duty opens: each rule of its category with its due time."""
    return [dict(r) for r in conn.execute(
        f"SELECT r.id AS rule, r.name AS name, r.within_hours AS within_hours,"
        f" r.source AS source, {DUE_SQL} AS due FROM duties d"
        f" JOIN followup_rules r ON r.category = d.category AND {IN_FORCE_FOR_DUTY}"
        " WHERE d.id = ? ORDER BY due, r.id",
        (duty_id,))]


# For `duty list`: the rule ids of duty d's follow-ups not done yet, as a JSON array.
OPEN_FOR_DUTY_SQL = f"""(SELECT json_group_array(r.id) FROM followup_rules r
    WHERE r.category = d.category AND {IN_FORCE_FOR_DUTY} AND NOT EXISTS (
        SELECT 1 FROM followups f WHERE f.officer = d.officer AND f.school = d.school
           AND f.category = d.category AND f.at = d.at AND f.rule = r.id))"""


def mark_done(conn: sqlite3.Connection, duty_id: int, rule: str, at: str | None
              ) -> dict[str, Any]:
    """Record that duty `duty_id`'s follow-up `rule` was done at `at` (default now).

    Refused, with nothing written: an unknown duty; a rule its category does not have; a
    follow-up already done; a done time before the duty. The record goes through the same
    Checker as a `followups` row of a seed document or an import.
    """
    done_at = as_of_moment(at, "--at")
    with db.transaction(conn):
        duty = conn.execute("SELECT id, officer, school, category, at FROM duties WHERE id = ?",
                            (duty_id,)).fetchone()
        if duty is None:
            raise CroError(f"no duty {duty_id}", hint="see the ids with `crotool duty list`")
        rules = [r[0] for r in conn.execute(
            f"SELECT r.id FROM duties d JOIN followup_rules r ON r.category = d.category"
            f" AND {IN_FORCE_FOR_DUTY} WHERE d.id = ? ORDER BY r.id", (duty_id,))]
        if rule not in rules:
            known = (f"its rules: {', '.join(rules)}" if rules else "it has no follow-up rules")
            raise CroError(f"RULE: duty {duty_id} is of category {duty['category']}, which has "
                           f"no follow-up rule '{rule}'; {known}; nothing was written",
                           hint="see `crotool followups list --open`")
        raw = {**{k: duty[k] for k in DUTY_KEY}, "rule": rule, "done_at": done_at}
        values = check_options(conn, FOLLOWUPS, raw, "followups done",
                               options={"done_at": "--at", "rule": "RULE", "at": "DUTY"})
        done = conn.execute(
            "SELECT done_at FROM followups WHERE officer = ? AND school = ? AND category = ?"
            " AND at = ? AND rule = ?", tuple(values[k] for k in FOLLOWUPS.key)).fetchone()
        if done is not None:
            raise CroError(f"follow-up {rule} of duty {duty_id} is already done "
                           f"({done['done_at']}); nothing was written")
        upsert(conn, FOLLOWUPS, [values], Auditor(conn))
        row = conn.execute(
            f"SELECT r.name AS name, {DUE_SQL} AS due FROM duties d JOIN followup_rules r"
            f" ON r.category = d.category AND r.id = ? AND {IN_FORCE_FOR_DUTY} WHERE d.id = ?",
            (rule, duty_id)).fetchone()
    status = "late" if done_at > row["due"] else "done"
    return {"duty": duty_id, "rule": rule, "name": row["name"], "due": row["due"],
            "done_at": done_at, "status": status}


def open_duty_ids(conn: sqlite3.Connection, prefix: str, limit: int = 200) -> list[str]:
    """Ids (as text, newest first) of duties with a follow-up not done, for tab completion."""
    return [str(r[0]) for r in conn.execute(
        f"SELECT d.id FROM followup_rules r CROSS JOIN duties d ON d.category = r.category"
        f" AND {IN_FORCE_FOR_DUTY} {_DONE_JOIN.replace('AND f.done_at <= ?1', '')}"
        " WHERE f.id IS NULL"
        " AND substr(CAST(d.id AS TEXT), 1, ?) = ? GROUP BY d.id ORDER BY d.id DESC LIMIT ?",
        (len(prefix), prefix, limit))]


def dues(conn: sqlite3.Connection, *, rules: str = "followup_rules", until: str,
         last_duty: int) -> dict[tuple[int, str], str | None]:
    """(duty id, rule id) -> due time of every follow-up of the duties with an id up to
    `last_duty` and an `at` up to `until`, under the rules of the table `rules` (a copy of
    followup_rules taken before a change: `program/packs.py` compares the two)."""
    return {(r[0], r[1]): r[2] for r in conn.execute(
        f"SELECT d.id, r.id, {DUE_SQL} FROM {rules} r CROSS JOIN duties d"
        f" ON d.category = r.category AND d.at <= ? AND {IN_FORCE_FOR_DUTY} WHERE d.id <= ?",
        (until, last_duty))}


# ---------------------------------------------------------------- rules of the records


class FollowupRuleRules(Rules):
    """A follow-up rule gives its clock one way: `within_hours`, or `within_days` with the
    `days` it counts. The ids of each category's rules, stored and incoming, are kept for the
    follow-ups rule."""

    def __init__(self, checker: Checker) -> None:
        super().__init__(checker)
        self._incoming: dict[str, set[str]] = {}

    def incoming(self, records: list[dict[str, Any]]) -> None:
        for r in records:
            self._incoming.setdefault(r["category"], set()).add(r["id"])

    def record(self, record: Record, values: dict[str, Any], label: Label) -> None:
        add = self.problems.append
        hours, days, counted = (values.get(k) for k in ("within_hours", "within_days", "days"))
        if hours is not None and days is not None:
            add(Problem(record.where("within_days"), f"{label}: give within_hours or "
                        "within_days (with days), not both"))
        elif days is not None and counted is None:
            add(Problem(record.where("within_days"), f"{label}: within_days needs days "
                        "(calendar, business or school): how the days are counted"))
        elif counted is not None and days is None:
            add(Problem(record.where("days"), f"{label}: days is how within_days are counted; "
                        "give within_days too"))
        elif hours is None and days is None and not self._stored(values):
            add(Problem(record.where(), f"{label}: missing required field 'within_hours' (or "
                        "within_days with days)"))

    def _stored(self, values: dict[str, Any]) -> bool:
        """A record that leaves its clock out updates a stored rule's other fields."""
        return self.checker.reading.updates and self.conn.execute(
            "SELECT 1 FROM followup_rules WHERE category = ? AND id = ?",
            (values.get("category"), values.get("id"))).fetchone() is not None

    def ids(self, category: str, day: str | None = None) -> set[str]:
        """The follow-up rule ids of a category (in force on `day`, when given): stored and in
        this input."""
        when = f" AND {in_force_sql('?')}" if day else ""
        stored = {r[0] for r in self.conn.execute(
            f"SELECT id FROM followup_rules r WHERE category = ?{when}",
            (category, *([day, day] if day else [])))}
        return stored | self._incoming.get(category, set())


class FollowupRules(Rules):
    """A done follow-up names a duty that exists (stored or in the input), a rule of that
    duty's category, and a done_at no earlier than the duty itself."""

    def record(self, record: Record, values: dict[str, Any], label: Label) -> None:
        add = self.problems.append
        key = tuple(values.get(k) for k in DUTY_KEY)
        if None in key:
            return  # a missing key field is already reported
        officer, school, category, at = key
        stored = self.conn.execute(
            "SELECT 1 FROM duties WHERE officer = ? AND school = ? AND category = ? AND at = ?",
            key).fetchone()
        if stored is None and key not in self.checker.incoming_keys.get("duties", ()):
            add(Problem(record.where("at"), f"{label}: no duty of officer {officer} at {school}, "
                        f"{category}, {at} is stored or in this input (a follow-up names its "
                        "duty by officer, school, category and at)"))
            return
        rule = values.get("rule")
        rules = self.checker.rules_of("followup_rules", FollowupRuleRules).ids(
            str(category), str(at)[:10])
        if rule is not None and rule not in rules:
            known = (f"its rules: {', '.join(sorted(rules))}" if rules else
                     "it has no follow-up rules (add them under followup_rules)")
            close = did_you_mean(rule, rules)
            hint = f" (did you mean '{close}'?)" if close else ""
            add(Problem(record.where("rule"), f"{label}.rule: duty category '{category}' has no "
                        f"follow-up rule '{rule}'{hint}; {known}"))
        done_at = values.get("done_at")
        if done_at is not None and done_at < at:
            add(Problem(record.where("done_at"), f"{label}.done_at: {done_at} is before the duty "
                        f"itself ({at})"))


RULES = {"followup_rules": FollowupRuleRules, "followups": FollowupRules}
