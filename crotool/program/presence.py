"""`report presence`: which schools have seen their officers, to the day.

One row per school (a split-feeder school once, under its main `feeder_pattern`): how many
duties it had in school year Y up to `as_of`, the last one's `at`, the calendar days from that
duty's date to `as_of`, and `stale` when that is more than `stale_days` or the school had no
duty at all. "In Y up to as_of": from Y's first day to the earlier of `as_of` and Y's last day,
so `last_duty_at` and `duties` describe the same duties (a visit in an earlier year does not
count: a new year starts with every school unvisited).

One SQL aggregation: schools LEFT JOIN duties on the (school, at) range, grouped by school.
duties_school_at_minutes(school, at, minutes) answers count and max(at) for each school from
the index alone (rowid is in every index), one range scan per school.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from crotool.errors import CroError
from crotool.program import years
from crotool.store import reads
from crotool.store.fields import option_date

DEFAULT_STALE_DAYS = 30
COLUMNS = ("school", "name", "feeder_pattern", "duties", "last_duty_at", "days_since", "stale")

# ?1, ?2: the half-open range on duties.at; ?3: as_of (a date); ?4: stale_days.
_SQL = """
SELECT s.id AS school, s.name AS name, s.feeder_pattern AS feeder_pattern,
       count(d.id) AS duties, max(d.at) AS last_duty_at,
       CAST(julianday(?3) - julianday(substr(max(d.at), 1, 10)) AS INTEGER) AS days_since,
       (max(d.at) IS NULL OR julianday(?3) - julianday(substr(max(d.at), 1, 10)) > ?4)
           AS stale
FROM schools s
LEFT JOIN duties d ON d.school = s.id AND d.at >= ?1 AND d.at < ?2
{where}
GROUP BY s.id
ORDER BY s.feeder_pattern, CASE s.level WHEN 'high' THEN 0 WHEN 'middle' THEN 1
         WHEN 'elementary' THEN 2 ELSE 3 END, s.id"""


@dataclass(frozen=True, slots=True)
class Presence:
    rows: list[dict[str, Any]]
    year: str
    as_of: date
    stale_days: int
    warning: str | None = None  # the stale-year warning, when it fell back to a year
    start: str = ""  # the year's first and last day
    end: str = ""

    @property
    def stale(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["stale"]]

    def summary(self) -> str:
        never = sum(1 for r in self.rows if r["last_duty_at"] is None)
        stale = len(self.stale)
        return (f"{len(self.rows) - stale} of {len(self.rows)} schools had a duty in the "
                f"{self.stale_days} days to {self.as_of}; stale: {stale} ({never} with no "
                f"duty in {self.year} yet)")


def sql(where: str = "") -> str:
    """The SELECT (bench/run.py hands it to the sqlite3 shell)."""
    return _SQL.format(where=where)


def presence(conn: sqlite3.Connection, *, year: str | None = None, as_of: str | None = None,
             stale_days: int = DEFAULT_STALE_DAYS, pattern: str | None = None) -> Presence:
    """The presence rows. Without --year, the school year that contains `as_of` (default
    today; years.current_year's rule)."""
    day = option_date(as_of, "--as-of") or years.today()
    if stale_days < 0:
        raise CroError(f"--stale-days {stale_days}: give a number of days, 0 or more")
    resolution = (years.current_year(conn) if year is None and as_of is None
                  else years.resolve_year(conn, year, on=day))
    y = resolution.year.as_dict()
    start, end = date.fromisoformat(y["start"]), date.fromisoformat(y["end"])
    last = min(day, end)
    lo, hi = start.isoformat(), (last + timedelta(days=1)).isoformat()
    where = reads.Where()
    where.ref(conn, "feeder_patterns", pattern, "--pattern", reads.SCHOOL_OF_PATTERN)
    params = [lo, hi, day.isoformat(), stale_days, *where.params]
    rows = []
    for r in conn.execute(sql(where.sql), params):
        row = dict(r)
        row["stale"] = bool(row["stale"])
        rows.append(row)
    return Presence(rows, y["id"], day, stale_days, resolution.warning, y["start"], y["end"])


def bars(rows: list[dict[str, Any]]) -> list[tuple[str, int | None]]:
    """(label, value) points for a bar chart of days since the last duty: the school's name,
    and days_since (None for a school with no duty yet, which a chart marks as such)."""
    return [(r["name"], r["days_since"]) for r in rows]
