"""Follow-ups: the clocks a logged duty starts.

A `followup_rules` row (category, id, a clock) gives every duty of that category one
follow-up, due when its clock says (`program/clocks.py`: `within_hours` after the duty's `at`,
or the end of the `within_days`-th calendar, business or school day after the duty's day). A
rule with `when` (a duty flag) applies only to the duties logged with that flag. Of a rule's
versions (a rule pack may change a clock from a day on), the one applied to a duty is the
version in force on the duty's day (`IN_FORCE_FOR_DUTY`). Only DONE follow-ups are stored
(the `followups` table, keyed by the duty's natural key and the rule); an open one is a duty x
rule pair without such a row, found by an anti-join, so logging or importing a million duties
writes nothing extra and `followups list --open` reads one range of duties_category_at per
rule plus one probe of followups_category_at per duty, both in (category, at) order and from
the indexes alone (migrations 10 and 12: the duties' side holds their flags too).

A follow-up's status is taken at a moment, `as_of` (default: now):
- a duty after `as_of` has no follow-ups yet (it had not happened);
- a follow-up done after `as_of` was not done then;
- not done: `overdue` when its due time is before `as_of`, else `open` (also when its due
  time is not known yet: a school-day clock past the stored school years, see clocks);
- done: `late` when done after its due time, else `done` (done exactly at due is on time).

The rules of the `followup_rules` and `followups` records (`program/checker.py` calls them for
load, import and `followups done` alike) are at the end: a rule has exactly one clock; a done
follow-up names a duty that exists, a rule of that duty's category in force on its day whose
`when` flag, if any, the duty carries, and a done_at no earlier than the duty.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from crotool.errors import CroError, Problem, did_you_mean
from crotool.program import clocks
from crotool.program.checker import Checker, Label, Rules, check_options
from crotool.program.years import now
from crotool.store import db
from crotool.store.audit import Auditor
from crotool.store.columns import Columns, json_object_sql
from crotool.store.fields import BadValue, Record, parse_datetime
from crotool.store.rule_schema import CLOCK_DAYS
from crotool.store.rules import in_force_sql
from crotool.store.schema import SECTIONS
from crotool.store.writes import upsert

FOLLOWUPS = SECTIONS["followups"]
COLUMNS = ("duty", "at", "officer", "school", "category", "rule", "name", "due", "done_at",
           "status")
DUTY_KEY = SECTIONS["duties"].key

# A rule r's due time for a duty d without the school days' branch (see clocks.due_sql).
DUE_SQL = clocks.due_sql()
# Rule row r is in force on duty d's day: store/rules.IN_FORCE for substr(d.at, 1, 10), said
# as a range of d.at (a rule table's effective_from is '' when open, never NULL), so that the
# duties of each rule version are one range of duties_category_at(category, at).
IN_FORCE_FOR_DUTY = ("d.at >= r.effective_from AND "
                     "d.at <= coalesce(r.effective_until, '9999-12-31') || 'T23:59:59'")
# Rule r applies to duty d (besides r.category = d.category): in force on its day, and with
# no `when` or one of d's flags.
APPLIES = f"{IN_FORCE_FOR_DUTY} AND {clocks.APPLIES_SQL}"
# The done follow-up of duty d under rule r, as it stood at ?1 (as_of).
_DONE_JOIN = """LEFT JOIN followups f
       ON f.officer = d.officer AND f.school = d.school AND f.category = d.category
      AND f.at = d.at AND f.rule = r.id AND f.done_at <= ?1"""

# ?1 = as_of. One range scan of duties_category_at(category, at, ...) per rule version;
# `overdue` narrows the range to the duties whose due time can be past already
# (clocks.OVERDUE_BEFORE_SQL). CROSS JOIN keeps the few rules as the outer loop: left to
# itself, the planner scanned duties_at_minutes over every duty up to as_of and looked each
# one's rules up. The due time is written out where it is compared: SQLite evaluates a CASE
# branch only for the rows that reach it, so a rule of hours costs one IS NOT NULL more than
# before clocks of days, and `when` one IS NULL.
_LIST_SQL = """
SELECT d.id AS duty, d.at AS at, d.officer AS officer, d.school AS school,
       d.category AS category, r.id AS rule, r.name AS name, {due} AS due,
       f.done_at AS done_at,
       CASE WHEN f.done_at IS NULL
            THEN CASE WHEN {due} < ?1 THEN 'overdue' ELSE 'open' END
            WHEN f.done_at > {due} THEN 'late' ELSE 'done' END AS status
FROM followup_rules r
CROSS JOIN duties d ON d.category = r.category AND d.at <= ?1 AND {applies}
    {range}
{done_join}
{where}
ORDER BY due, d.id, r.id"""


def list_sql(*, open_only: bool = False, overdue_only: bool = False,
             school: bool = False) -> str:
    """The one SELECT behind `followups list` (bench/run.py hands it to the sqlite3 shell).
    `school`: with the school days' clock, which reads temp.school_days (`clocks.prepare`)."""
    due = clocks.due_sql(school)
    where = ""
    if open_only or overdue_only:
        where = "WHERE f.done_at IS NULL"
    if overdue_only:
        where += f" AND ({clocks.EXACT_RANGE_SQL} OR {due} < ?1)"
    return _LIST_SQL.format(
        due=due, applies=APPLIES, done_join=_DONE_JOIN, where=where,
        range=f"AND d.at < {clocks.OVERDUE_BEFORE_SQL}" if overdue_only else "")


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
    school = clocks.prepare(conn)
    sql = list_sql(open_only=open_only, overdue_only=overdue_only, school=school)
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
    school = clocks.prepare(conn)
    sql = (f"SELECT {json_object_sql(Stream.columns)}, status FROM"
           f" ({list_sql(open_only=open_only, overdue_only=overdue_only, school=school)})"
           " ORDER BY due, duty, rule")
    cursor = conn.cursor()
    cursor.row_factory = None  # (json, status) tuples
    return Stream(cursor.execute(sql, (as_of,)))


def opened_by(conn: sqlite3.Connection, duty_id: int) -> list[dict[str, Any]]:
    """The follow-ups a duty opens: each rule that applies to it (of its category, in force
    on its day, with no `when` or one of its flags), with its clock and its due time (None: a
    school-day clock with no stored school days far enough ahead, see clocks)."""
    due = clocks.due_sql(clocks.prepare(conn))
    return [dict(r) for r in conn.execute(
        f"SELECT r.id AS rule, r.name AS name, r.within_hours AS within_hours,"
        f" r.within_days AS within_days, r.days AS days, r.\"when\" AS \"when\","
        f" r.source AS source, {due} AS due FROM duties d"
        f" JOIN followup_rules r ON r.category = d.category AND {APPLIES}"
        " WHERE d.id = ? ORDER BY due, r.id", (duty_id,))]


# For `duty list`: the rule ids of duty d's follow-ups not done yet, as a JSON array.
OPEN_FOR_DUTY_SQL = f"""(SELECT json_group_array(r.id) FROM followup_rules r
    WHERE r.category = d.category AND {APPLIES} AND NOT EXISTS (
        SELECT 1 FROM followups f WHERE f.officer = d.officer AND f.school = d.school
           AND f.category = d.category AND f.at = d.at AND f.rule = r.id))"""


def mark_done(conn: sqlite3.Connection, duty_id: int, rule: str, at: str | None
              ) -> dict[str, Any]:
    """Record that duty `duty_id`'s follow-up `rule` was done at `at` (default now).

    Refused, with nothing written: an unknown duty; a rule its category does not have (in
    force on its day); a rule whose `when` flag the duty was not logged with; a follow-up
    already done; a done time before the duty. The record goes through the same Checker as a
    `followups` row of a seed document or an import.
    """
    done_at = as_of_moment(at, "--at")
    with db.transaction(conn):
        duty = conn.execute("SELECT id, officer, school, category, at, flags FROM duties"
                            " WHERE id = ?", (duty_id,)).fetchone()
        if duty is None:
            raise CroError(f"no duty {duty_id}", hint="see the ids with `crotool duty list`")
        rules = {r[0]: r[1] for r in conn.execute(
            f"SELECT r.id, r.\"when\" FROM duties d JOIN followup_rules r"
            f" ON r.category = d.category AND {IN_FORCE_FOR_DUTY} WHERE d.id = ? ORDER BY r.id",
            (duty_id,))}
        if rule not in rules:
            known = (f"its rules: {', '.join(rules)}" if rules else "it has no follow-up rules")
            raise CroError(f"RULE: duty {duty_id} is of category {duty['category']}, which has "
                           f"no follow-up rule '{rule}'; {known}; nothing was written",
                           hint="see `crotool followups list --open`")
        flag = rules[rule]
        if flag is not None and flag not in json.loads(duty["flags"]):
            raise CroError(f"RULE: follow-up rule '{rule}' applies only to duties logged with "
                           f"the flag '{flag}', and duty {duty_id} was not; nothing was written",
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
        due = clocks.due_sql(clocks.prepare(conn))
        row = conn.execute(
            f"SELECT r.name AS name, {due} AS due FROM duties d JOIN followup_rules r"
            f" ON r.category = d.category AND r.id = ? AND {IN_FORCE_FOR_DUTY} WHERE d.id = ?",
            (rule, duty_id)).fetchone()
    # A due time not known yet (a school-day clock past the stored years) cannot be missed.
    status = "late" if row["due"] is not None and done_at > row["due"] else "done"
    return {"duty": duty_id, "rule": rule, "name": row["name"], "due": row["due"],
            "done_at": done_at, "status": status}


def open_duty_ids(conn: sqlite3.Connection, prefix: str, limit: int = 200) -> list[str]:
    """Ids (as text, newest first) of duties with a follow-up not done, for tab completion."""
    return [str(r[0]) for r in conn.execute(
        f"SELECT d.id FROM followup_rules r CROSS JOIN duties d ON d.category = r.category"
        f" AND {APPLIES} {_DONE_JOIN.replace('AND f.done_at <= ?1', '')}"
        " WHERE f.id IS NULL"
        " AND substr(CAST(d.id AS TEXT), 1, ?) = ? GROUP BY d.id ORDER BY d.id DESC LIMIT ?",
        (len(prefix), prefix, limit))]


def dues(conn: sqlite3.Connection, *, rules: str = "followup_rules", until: str,
         last_duty: int) -> dict[tuple[int, str], str | None]:
    """(duty id, rule id) -> due time of every follow-up of the duties with an id up to
    `last_duty` and an `at` up to `until`, under the rules of the table `rules` (a copy of
    followup_rules taken before a change: `program/packs.py` compares the two). The school
    days are built whatever either table says (a change may add or drop a school-day rule)."""
    clocks.prepare(conn, always=True)
    return {(r[0], r[1]): r[2] for r in conn.execute(
        f"SELECT d.id, r.id, {clocks.due_sql(True)} FROM {rules} r CROSS JOIN duties d"
        f" ON d.category = r.category AND d.at <= ? AND {APPLIES} WHERE d.id <= ?",
        (until, last_duty))}


# ---------------------------------------------------------------- rules of the records


class FollowupRuleRules(Rules):
    """A follow-up rule has exactly one clock: `within_hours`, or `within_days` with the
    `days` it counts (an import row that updates a stored rule may leave both out, and keeps
    its clock; a record that gives one clock clears the other). Each category's rule ids and
    `when`, stored and incoming, are kept for the follow-ups rule."""

    def __init__(self, checker: Checker) -> None:
        super().__init__(checker)
        self._incoming: dict[str, dict[str, str | None]] = {}

    def incoming(self, records: list[dict[str, Any]]) -> None:
        for r in records:
            self._incoming.setdefault(r["category"], {})[r["id"]] = r.get("when")

    def record(self, record: Record, values: dict[str, Any], label: Label) -> None:
        add = self.problems.append
        hours, days_n, days = (values.get(k) for k in ("within_hours", "within_days", "days"))
        if hours is not None and days_n is not None:
            add(Problem(record.where("within_days"), f"{label}: give within_hours or "
                        "within_days, not both (a rule has one clock)"))
        elif days_n is not None and days is None:
            add(Problem(record.where("days"), f"{label}.days: within_days needs days: "
                        f"{', '.join(CLOCK_DAYS)} (how the days are counted)"))
        elif days is not None and days_n is None:
            add(Problem(record.where("days"), f"{label}.days: days goes with within_days "
                        "(give within_days, or leave days out)"))
        elif hours is None and days_n is None and not self._stored(values):
            add(Problem(record.where("within_hours"), f"{label}: give within_hours, or "
                        f"within_days with days ({', '.join(CLOCK_DAYS)})"))
        elif hours is not None:
            values.update(within_days=None, days=None)  # the clock it gives replaces the other
        elif days_n is not None:
            values["within_hours"] = None

    def _stored(self, values: dict[str, Any]) -> bool:
        """A record that leaves its clock out updates a stored rule's other fields."""
        return self.checker.reading.updates and self.conn.execute(
            "SELECT 1 FROM followup_rules WHERE category = ? AND id = ?",
            (values.get("category"), values.get("id"))).fetchone() is not None

    def ids(self, category: str, day: str | None = None) -> dict[str, str | None]:
        """The follow-up rule ids of a category (in force on `day`, when given), stored and in
        this input, each with its `when` (a flag id, or None)."""
        in_force = f" AND {in_force_sql('?')}" if day else ""
        stored = {r[0]: r[1] for r in self.conn.execute(
            f"SELECT id, \"when\" FROM followup_rules r WHERE category = ?{in_force}",
            (category, *([day, day] if day else [])))}
        return {**stored, **self._incoming.get(category, {})}


class DutyFlags(Rules):
    """What the follow-ups rule needs of the duties an input brings: the flags of each that
    gives them (`program/duties.py`'s DutyRules is one of these)."""

    def __init__(self, checker: Checker) -> None:
        super().__init__(checker)
        self.flags: dict[tuple, list[str]] = {}

    def incoming(self, records: list[dict[str, Any]]) -> None:
        for r in records:
            if "flags" in r:
                self.flags[tuple(r.get(k) for k in DUTY_KEY)] = r["flags"] or []


class FollowupRules(Rules):
    """A done follow-up names a duty that exists (stored or in the input), a rule of that
    duty's category in force on its day whose `when` flag, if any, the duty carries, and a
    done_at no earlier than the duty itself."""

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
            close = did_you_mean(rule, list(rules))
            hint = f" (did you mean '{close}'?)" if close else ""
            add(Problem(record.where("rule"), f"{label}.rule: duty category '{category}' has no "
                        f"follow-up rule '{rule}'{hint}; {known}"))
        elif rule is not None and (flag := rules[rule]) is not None and flag not in (
                self._flags(key, stored is not None)):
            add(Problem(record.where("rule"), f"{label}.rule: follow-up rule '{rule}' applies "
                        f"only to duties logged with the flag '{flag}', and this duty was not"))
        done_at = values.get("done_at")
        if done_at is not None and done_at < at:
            add(Problem(record.where("done_at"), f"{label}.done_at: {done_at} is before the duty "
                        f"itself ({at})"))

    def _flags(self, key: tuple, stored: bool) -> list[str]:
        """The flags of the duty a follow-up names: as this input gives them, else stored."""
        duties = self.checker.rules_of("duties", DutyFlags)
        if key in duties.flags:
            return duties.flags[key]
        if not stored:
            return []
        row = self.conn.execute("SELECT flags FROM duties WHERE officer = ? AND school = ? AND"
                                " category = ? AND at = ?", key).fetchone()
        return json.loads(row[0]) if row else []


RULES = {"followup_rules": FollowupRuleRules, "followups": FollowupRules}
