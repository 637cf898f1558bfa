"""The SQL aggregations behind `crotool report duties`: counts and minutes per key.

Every report is one SQL statement that aggregates in SQLite over a covering index (the duty
rows are never read into Python): a date range on `duties.at` plus the grouped column and
`minutes` are all in the index, so SQLite answers from the index b-tree alone, one range scan
per key, without sorting the duties. `bench/run.py --only duties` measures this
against the sqlite3 shell on a million duties; `tests/test_report_duties.py` asserts the plans.

- `category`: every category, zeros included (LEFT JOIN from duty_categories), served by
  duties_category_at(category, at, minutes): one range scan per category.
- `pattern`: every feeder pattern, zeros included. A duty counts once, under its school's main
  `feeder_pattern` (never under `also_feeds`), so the pattern totals add up to the whole.
- `school`, `officer`: only the schools and officers with duties in the range (a district's
  every school with a zero would bury the answer): LEFT JOIN ... HAVING count > 0, served by
  the (school|officer, at, minutes) indexes of migration 2.
- `month`: a timeline, every month of the range in order, zero months included: a recursive
  CTE yields each month's bounds (clipped to the range), and two correlated aggregates count
  and sum each month as a range scan of duties_at_minutes(at, minutes). Measured on 200,000
  duties this is 3x faster than `GROUP BY substr(at, 1, 7)`, which computes the key for each
  row and sorts them all in a temporary b-tree to group ten months.

- `role`: every role, zeros included (roles LEFT JOIN their categories LEFT JOIN duties: one
  range scan of duties_category_at per category, as for `category`), and a last row with
  `role` null ("no role") when some category has none, so the role totals add up to the
  category totals.

`--officer` and `--pattern` narrow every key to the duties of that officer, or at schools of
that pattern (split feeders included, as in `duty list`); the key still groups as above.

Rows are plain dicts: the key column named as the `--by` value, `name` where the key has one,
`count` and `minutes` (duties logged without minutes count, and add nothing to minutes).
Ordered by minutes, most first, then count and key, except months, which are in time order.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from crotool.program.years import Range
from crotool.store import db, reads
from crotool.store.schema import DATE_MAX, DATE_MIN

BY = ("category", "pattern", "school", "officer", "month", "role")
NO_ROLE = "(no role)"  # the name of the row of duties whose category has no role
# Each report's columns, in its SELECT's order: CSV and Markdown keep their header when no
# row comes back.
COLUMNS = {
    "category": ("category", "name", "count", "minutes"),
    "pattern": ("pattern", "name", "count", "minutes"),
    "school": ("school", "name", "pattern", "count", "minutes"),
    "officer": ("officer", "name", "agency", "count", "minutes"),
    "month": ("month", "count", "minutes"),
    "role": ("role", "name", "count", "minutes"),
}

_ORDER = " ORDER BY minutes DESC, count DESC, 1"

# Each query binds (lo, hi): the half-open text bounds of Range on duties.at.
_SQL = {
    "category": """
        SELECT c.id AS category, c.name AS name, count(d.id) AS count,
               coalesce(sum(d.minutes), 0) AS minutes
        FROM duty_categories c
        LEFT JOIN duties d
               ON d.category = c.id AND d.at >= ? AND d.at < ? {f}
        GROUP BY c.id""" + _ORDER,
    "pattern": """
        SELECT p.id AS pattern, p.name AS name, count(d.id) AS count,
               coalesce(sum(d.minutes), 0) AS minutes
        FROM feeder_patterns p
        LEFT JOIN schools s ON s.feeder_pattern = p.id
        LEFT JOIN duties d
               ON d.school = s.id AND d.at >= ? AND d.at < ? {f}
        GROUP BY p.id""" + _ORDER,
    "school": """
        SELECT s.id AS school, s.name AS name, s.feeder_pattern AS pattern,
               count(d.id) AS count, coalesce(sum(d.minutes), 0) AS minutes
        FROM schools s
        LEFT JOIN duties d ON d.school = s.id AND d.at >= ? AND d.at < ? {f}
        GROUP BY s.id
        HAVING count(d.id) > 0""" + _ORDER,
    "officer": """
        SELECT o.badge AS officer, o.name AS name, o.agency AS agency,
               count(d.id) AS count, coalesce(sum(d.minutes), 0) AS minutes
        FROM officers o
        LEFT JOIN duties d ON d.officer = o.badge AND d.at >= ? AND d.at < ? {f}
        GROUP BY o.badge
        HAVING count(d.id) > 0""" + _ORDER,
    "month": """
        WITH RECURSIVE months(month, lo, hi) AS (
            SELECT ?3, max(?1, ?3 || '-01'), min(?2, date(?3 || '-01', '+1 month'))
            UNION ALL
            SELECT strftime('%Y-%m', month || '-01', '+1 month'),
                   date(month || '-01', '+1 month'),
                   min(?2, date(month || '-01', '+2 month'))
            FROM months WHERE month < ?4
        )
        SELECT m.month AS month,
               (SELECT count(*) FROM duties d
                WHERE d.at >= m.lo AND d.at < m.hi {f}) AS count,
               (SELECT coalesce(sum(d.minutes), 0) FROM duties d
                WHERE d.at >= m.lo AND d.at < m.hi {f}) AS minutes
        FROM months m
        ORDER BY m.month""",
    # The role rows, then one for the categories without a role (only when there are any:
    # GROUP BY over no rows yields no row). ?1, ?2 bind twice: numbered.
    "role": """
        SELECT ro.id AS role, ro.name AS name, count(d.id) AS count,
               coalesce(sum(d.minutes), 0) AS minutes
        FROM roles ro
        LEFT JOIN duty_categories c ON c.role = ro.id
        LEFT JOIN duties d ON d.category = c.id AND d.at >= ?1 AND d.at < ?2 {f}
        GROUP BY ro.id
        UNION ALL
        SELECT NULL, '""" + NO_ROLE + """', count(d.id), coalesce(sum(d.minutes), 0)
        FROM duty_categories c
        LEFT JOIN duties d ON d.category = c.id AND d.at >= ?1 AND d.at < ?2 {f}
        WHERE c.role IS NULL
        GROUP BY c.role""" + _ORDER,
}
# Parameters the range takes in each query; filters bind after them (numbered, so a filter
# that appears twice, in the month subqueries or the role union, binds once).
_RANGE_PARAMS = {"month": 4}

# A duty at a school of pattern ?N (its feeder_pattern or one of its also_feeds).
_PATTERN_FILTER = ("AND d.school IN (SELECT fs.id FROM schools fs WHERE fs.feeder_pattern = ?{n}"
                   " OR EXISTS (SELECT 1 FROM json_each(fs.also_feeds) fj WHERE fj.value = ?{n}))")


def _filters(by: str, officer: str | None, pattern: str | None) -> tuple[str, list[str]]:
    """The SQL (numbered parameters after the range's) and values of --officer/--pattern."""
    n = _RANGE_PARAMS.get(by, 2)
    sql, params = [], []
    if officer is not None:
        n += 1
        sql.append(f"AND d.officer = ?{n}")
        params.append(officer)
    if pattern is not None:
        n += 1
        sql.append(_PATTERN_FILTER.format(n=n))
        params.append(pattern)
    return " ".join(sql), params


def report_sql(by: str, officer: str | None = None, pattern: str | None = None) -> str:
    return _SQL[by].replace("{f}", _filters(by, officer, pattern)[0])


def _month_bounds(conn: sqlite3.Connection, span: Range) -> tuple[str, str] | None:
    """First and last month of the timeline: the range's, or (for an open side) the data's."""
    first = span.start.isoformat()[:7] if span.start else None
    last = span.end.isoformat()[:7] if span.end else None
    if first is None or last is None:
        # min()/max() over an indexed column are single b-tree seeks.
        # Only plausible dates (schema.DATE_MIN..DATE_MAX): a duty dated 0001 or 9999 can only
        # arrive behind crotool's back, and must not stretch the timeline to 120,000 months
        # (nor hit SQLite's strftime, which writes year 300 as '0300' but reads no year < 1000
        # back, so a month series from year 1 never advanced).
        lo, hi = conn.execute("SELECT min(at), max(at) FROM duties WHERE at >= ? AND at < ?"
                              " AND at >= ? AND at < ?",
                              (span.lo, span.hi, DATE_MIN, DATE_MAX + "U")).fetchone()
        if lo is None:
            return None
        first, last = first or lo[:7], last or hi[:7]
    return first, last


def duty_report(conn: sqlite3.Connection, by: str, span: Range, *, officer: str | None = None,
                pattern: str | None = None) -> list[dict[str, Any]]:
    """Counts and minutes of the duties in `span`, per `by` key (one of BY), of one officer
    and/or at the schools of one pattern when given."""
    if by not in BY:
        raise ValueError(f"unknown report key {by!r}")
    with db.read(conn):
        return _duty_report(conn, by, span, officer, pattern)


def _duty_report(conn: sqlite3.Connection, by: str, span: Range, officer: str | None,
                 pattern: str | None) -> list[dict[str, Any]]:
    if officer is not None:
        reads.require(conn, "officers", officer, "--officer")
    if pattern is not None:
        reads.require(conn, "feeder_patterns", pattern, "--pattern")
    if by == "month":
        bounds = _month_bounds(conn, span)
        if bounds is None:
            return []
        params: tuple[str, ...] = (span.lo, span.hi, *bounds)
    else:
        params = (span.lo, span.hi)
    extra = _filters(by, officer, pattern)[1]
    return [dict(r) for r in conn.execute(report_sql(by, officer, pattern), (*params, *extra))]


def explain(conn: sqlite3.Connection, by: str, span: Range) -> list[str]:
    """SQLite's query plan for a report (what tests and the benchmark check)."""
    params = (span.lo, span.hi, "2000-01", "2000-01") if by == "month" else (span.lo, span.hi)
    return [r["detail"] for r in conn.execute("EXPLAIN QUERY PLAN " + report_sql(by), params)]


def bars(rows: list[dict[str, Any]], key: str) -> list[tuple[str, int]]:
    """(label, value) points for a bar chart of a duty report: the key's name where it has
    one (a role's, a category's), and minutes, or counts when no row has minutes."""
    measure = "minutes" if any(r["minutes"] for r in rows) else "count"
    return [(str(r.get("name") or r[key]), r[measure]) for r in rows]
