"""Follow-up clocks: when a duty's follow-up is due, as SQL over a duty `d` and a rule `r`.

A `followup_rules` row has exactly one clock (SPEC §5.2 "Clocks"):

- `within_hours`: due that many hours after the duty's `at`, on the school's wall clock (as
  duties store it: no time zones, so 48 hours after 16:30 on the 15th is 16:30 on the 17th);
- `within_days` N with `days`: counted from the day after the duty's day, due at the end
  (23:59:59) of the N-th counted day, where a day counts when it is
  - `calendar`: any day (the duty's date + N days);
  - `business`: Monday to Friday (crotool knows no public holidays; the school's own, its
    closures, are what `school` skips);
  - `school`: a school day of §4.1: a weekday of a school year (its `weekdays`) in none of
    its closures.

How each is computed, all in SQL (a million duties' follow-ups are listed by one SELECT):

- calendar: `date(at, '+N days')`.
- business: arithmetic, no table. With m the duty's weekday (Monday 0 ... Sunday 6), a
  weekend day counts from the Friday before it (nothing between counts); N business days
  are (N-1) div 5 whole weeks, then r = (N-1) mod 5 + 1 more days, plus a weekend (2 days)
  when those r days pass Friday: offset = 7 (N-1) div 5 + r - max(m-4, 0) + (2 if min(m, 4)
  + r > 4). A Friday 16:00 duty with N = 5 is due the next Friday 23:59:59 (offset 7).
- school: a TEMP table `school_days(day, n)`, every school day of every stored year with
  its ordinal n (1, 2, ... across the years, in date order), built from `school_years` and
  `closures` by `prepare` when a rule in the database counts school days (a few thousand
  rows for ten years: milliseconds; a TEMP table, so a read-only database works too, and it
  is built from the data each time, never stale). The due day is the one whose n is the
  duty's day's count (the n of the last school day on or before it; 0 before the first) + N:
  two look-ups in its indexes per duty.

A duty on a day outside every school year, under `days: school`, counts the school days
that follow it: those of the next stored year (summer's duty, a 5-school-day rule: due on
the 5th school day of the autumn). That is what a school-day clock means: it stops while
school is out, and the summer is the longest time school is out. Refusing would lose the duty
record (it happened; logging it is not optional), and counting weekdays instead would set a
deadline in the middle of the break. When no stored year holds enough school days after the
duty's day (the next year is not entered yet), the due time is unknown: `due` is null, the
follow-up is `open` (never `overdue`, and it sorts first), and `duty log` says to add the
year; it gets its due time when the year is added.
"""

from __future__ import annotations

import sqlite3

from crotool.store.schema import WEEKDAYS

# SQLite's %w is 0 = Sunday; the names as school_years.weekdays stores them.
_NAMES_FROM_SUNDAY = "".join((WEEKDAYS[6], *WEEKDAYS[:6]))

HOURS_SQL = "strftime('%Y-%m-%dT%H:%M:%S', d.at, '+' || r.within_hours || ' hours')"
CALENDAR_SQL = "date(d.at, '+' || r.within_days || ' days') || 'T23:59:59'"
# m = (strftime('%w') + 6) % 7: Monday 0 ... Sunday 6 (see the module doc for the offset).
_M = "((strftime('%w', d.at) + 6) % 7)"
_R = "((r.within_days - 1) % 5 + 1)"
BUSINESS_SQL = (f"date(d.at, '+' || (7 * ((r.within_days - 1) / 5) + {_R} - max({_M} - 4, 0)"
                f" + CASE WHEN min({_M}, 4) + {_R} > 4 THEN 2 ELSE 0 END) || ' days')"
                " || 'T23:59:59'")
SCHOOL_SQL = ("(SELECT s.day FROM temp.school_days s WHERE s.n = coalesce((SELECT p.n FROM"
              " temp.school_days p WHERE p.day <= substr(d.at, 1, 10) ORDER BY p.day DESC"
              " LIMIT 1), 0) + r.within_days) || 'T23:59:59'")


def due_sql(school: bool = False) -> str:
    """The due time of rule r's follow-up of duty d, in the stored date-time form (strftime,
    not datetime(), which writes a space where duties write 'T'). `school`: with the school
    days' branch, which reads temp.school_days (`prepare`); without it a school-day rule's
    follow-up has no due time, so call `prepare` and pass what it returns."""
    school_branch = f" WHEN r.days = 'school' THEN {SCHOOL_SQL}" if school else ""
    return (f"CASE WHEN r.within_hours IS NOT NULL THEN {HOURS_SQL}"
            f" WHEN r.days = 'calendar' THEN {CALENDAR_SQL}"
            f" WHEN r.days = 'business' THEN {BUSINESS_SQL}{school_branch} END")


# The earliest `at` of a duty whose follow-up under r could be overdue at ?1 is before this:
# exact for hours and calendar days; for business and school days (each counted day is at
# least a calendar day, so their due time is no earlier than the calendar one) a bound, and
# the caller also compares the due time itself.
OVERDUE_BEFORE_SQL = ("CASE WHEN r.within_hours IS NOT NULL THEN strftime('%Y-%m-%dT%H:%M:%S',"
                      " ?1, '-' || r.within_hours || ' hours')"
                      " ELSE date(?1, '-' || r.within_days || ' days') END")
# Whether OVERDUE_BEFORE_SQL alone says overdue (no due time to compare).
EXACT_RANGE_SQL = "(r.within_hours IS NOT NULL OR r.days = 'calendar')"

# Rule r applies to duty d: r has no `when`, or d was logged with that flag. Flags are slugs
# in a JSON list (`["a", "b"]`), so the quoted id is found only as a whole item.
APPLIES_SQL = """(r."when" IS NULL OR instr(d.flags, '"' || r."when" || '"') > 0)"""


def uses_school_days(conn: sqlite3.Connection) -> bool:
    """Whether any stored follow-up rule counts school days."""
    return bool(conn.execute(
        "SELECT EXISTS (SELECT 1 FROM followup_rules WHERE days = 'school')").fetchone()[0])


_SCHOOL_DAYS = f"""
WITH RECURSIVE span(year, day, last) AS (
    SELECT id, start, end FROM school_years
    UNION ALL
    SELECT year, date(day, '+1 day'), last FROM span WHERE day < last)
INSERT INTO temp.school_days (day, n)
SELECT s.day, row_number() OVER (ORDER BY s.day)
FROM span s JOIN school_years y ON y.id = s.year
WHERE instr(y.weekdays, '"' || substr('{_NAMES_FROM_SUNDAY}', 1 + 3 * strftime('%w', s.day), 3)
            || '"') > 0
  AND NOT EXISTS (SELECT 1 FROM closures c
                  WHERE c.school_year = s.year AND s.day BETWEEN c.start AND c.end)"""


def prepare(conn: sqlite3.Connection, *, always: bool = False) -> bool:
    """Build temp.school_days when a stored rule counts school days (or `always`); returns
    whether it did (pass it to `due_sql`). Rebuilt on every call, from the years and closures
    as they are now; a TEMP table is the connection's own, so this writes nothing to the
    database."""
    if not always and not uses_school_days(conn):
        return False
    conn.execute("DROP TABLE IF EXISTS temp.school_days")
    conn.execute("CREATE TEMP TABLE school_days (day TEXT PRIMARY KEY, n INTEGER NOT NULL"
                 " UNIQUE) WITHOUT ROWID")
    conn.execute(_SCHOOL_DAYS)
    return True

