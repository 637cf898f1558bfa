"""School years: today, which year a command means, and the school days in a span.

One place answers "which school year?" for every command:

- `today()` and `now()` read $CROTOOL_TODAY, so scripts, tests and README examples pin the date;
- `SchoolYear` is the one type for a year (its dates, weekdays and closures): the coverage
  engine takes it, reports print it;
- `resolve_year` turns `--year` (or nothing) into a `Resolution`: the year, plus a warning when
  the command fell back to a year that does not contain today. The warning is text
  for the command to show (`commands.common.year_warning`), never printed here;
- `resolve_range` turns `--year`, `--from`, `--to` into a `Range` of days.

School days: a weekday of the year (default Monday to Friday) in no closure. Coverage stays a
rule over calendar days; school days only count what students lost. They are counted with
arithmetic (whole weeks, then the closures' weekdays), not day by day, so a report over many
rows stays cheap.

The rules of the `school_years` and `closures` records (`program/checker.py` calls them for
load, import and `years add`/`update` alike) are at the end: a year's id names its start's
year, it ends after it starts and within 400 days, it overlaps no other year; a closure lies
inside its year and overlaps no other closure of that year. Other record types that lie in a
year (assignments, incidents) read the years' dates from `SchoolYearRules`.

This module reads the database through plain queries (every value bound) and never writes.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from crotool.errors import CroError, Problem, did_you_mean
from crotool.program.checker import Checker, Label, Rules
from crotool.store.fields import Record, option_date
from crotool.store.schema import DATE_MAX, DATE_MIN, WEEKDAYS

# Monday first, as date.weekday() counts them. The names are the stored spelling.
WEEKDAY_NAMES = WEEKDAYS
DEFAULT_WEEKDAYS = (0, 1, 2, 3, 4)


def today() -> date:
    """Today, or $CROTOOL_TODAY (YYYY-MM-DD) so scripts and tests can pin the date."""
    pinned = os.environ.get("CROTOOL_TODAY")
    if pinned:
        # Read here rather than by fields.parse_date: the messages name the variable.
        text = pinned.strip()
        try:
            day = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise CroError(f"CROTOOL_TODAY: {text[:24]!r} is not a date; write YYYY-MM-DD, e.g. "
                           "2023-09-05")
        if not DATE_MIN <= text <= DATE_MAX:
            raise CroError(f"CROTOOL_TODAY: '{text}' is outside the dates crotool accepts "
                           f"({DATE_MIN} to {DATE_MAX})")
        return day
    return date.today()


def now() -> datetime:
    """The current local time to the second; on the pinned day when $CROTOOL_TODAY is set, so
    a script that pins "today" logs its duties on that day."""
    current = datetime.now().replace(microsecond=0)
    if os.environ.get("CROTOOL_TODAY"):
        return datetime.combine(today(), current.time())
    return current


def _weekdays_between(lo: date, hi: date, weekdays: frozenset[int]) -> int:
    """How many days lo..hi (inclusive) fall on one of `weekdays`; 0 when hi < lo."""
    n = (hi - lo).days + 1
    if n <= 0:
        return 0
    weeks, rest = divmod(n, 7)
    count = weeks * len(weekdays)
    first = lo.weekday()
    count += sum(1 for i in range(rest) if (first + i) % 7 in weekdays)
    return count


@dataclass(frozen=True, slots=True)
class SchoolYear:
    """One school year: inclusive dates, its weekdays (0 = Monday) and its closures
    ((start, end) inclusive, sorted, not overlapping: validation keeps them so)."""

    id: str
    start: date
    end: date
    weekdays: tuple[int, ...] = DEFAULT_WEEKDAYS
    closures: tuple[tuple[date, date], ...] = ()
    reasons: tuple[str | None, ...] = field(default=(), compare=False)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def state(self, on: date) -> str:
        """past, current or upcoming, as seen on `on`."""
        if on > self.end:
            return "past"
        return "current" if on >= self.start else "upcoming"

    def is_school_day(self, day: date) -> bool:
        return (self.contains(day) and day.weekday() in self.weekdays
                and not any(lo <= day <= hi for lo, hi in self.closures))

    def school_days(self, lo: date | None = None, hi: date | None = None) -> int:
        """School days in lo..hi (default: the whole year), clipped to the year."""
        first = max(lo, self.start) if lo is not None else self.start
        last = min(hi, self.end) if hi is not None else self.end
        wanted = frozenset(self.weekdays)
        count = _weekdays_between(first, last, wanted)
        for c_lo, c_hi in self.closures:
            count -= _weekdays_between(max(c_lo, first), min(c_hi, last), wanted)
        return count

    def describe(self) -> str:
        return f"{self.id} ({self.start} to {self.end})"

    def as_dict(self) -> dict[str, str]:
        """id, start and end as stored (ISO dates): what SQL parameters and JSON take."""
        return {"id": self.id, "start": self.start.isoformat(), "end": self.end.isoformat()}


# ---------------------------------------------------------------- reading years


def _year_rows(conn: sqlite3.Connection, year_id: str | None = None) -> list[SchoolYear]:
    where, params = (" WHERE id = ?", (year_id,)) if year_id is not None else ("", ())
    closures: dict[str, list[tuple[date, date, str | None]]] = {}
    sql = "SELECT school_year, start, end, reason FROM closures"
    for r in conn.execute(sql + (" WHERE school_year = ?" if year_id else "")
                          + " ORDER BY school_year, start", params):
        closures.setdefault(r[0], []).append(
            (date.fromisoformat(r[1]), date.fromisoformat(r[2]), r[3]))
    years = []
    for r in conn.execute("SELECT id, start, end, weekdays FROM school_years" + where
                          + " ORDER BY start", params):
        names = json.loads(r["weekdays"]) if r["weekdays"] else []
        weekdays = tuple(sorted({WEEKDAY_NAMES.index(n) for n in names
                                 if n in WEEKDAY_NAMES})) or DEFAULT_WEEKDAYS
        own = closures.get(r["id"], [])
        years.append(SchoolYear(r["id"], date.fromisoformat(r["start"]),
                                date.fromisoformat(r["end"]), weekdays,
                                tuple((lo, hi) for lo, hi, _ in own),
                                tuple(reason for _, _, reason in own)))
    return years


def all_years(conn: sqlite3.Connection) -> list[SchoolYear]:
    """Every stored year, by start."""
    return _year_rows(conn)


def get(conn: sqlite3.Connection, year_id: str, option: str | None = "--year") -> SchoolYear:
    """One stored year, or a CroError that suggests the closest id."""
    found = _year_rows(conn, year_id)
    if found:
        return found[0]
    known = [r[0] for r in conn.execute("SELECT id FROM school_years ORDER BY start")]
    where = f"{option}: " if option else ""
    close = did_you_mean(year_id, known)
    if close:
        hint = f"did you mean '{close}'?"
    elif known:
        hint = f"known: {', '.join(known)}; add one with `crotool years add`"
    else:
        hint = "none are stored yet: run `crotool load` or `crotool years add` first"
    raise CroError(f"{where}unknown school year '{year_id}'", hint=hint)


def closures(conn: sqlite3.Connection, year_id: str) -> list[tuple[date, date]]:
    """The closures of one year as (start, end) ranges, inclusive: what a timeline shades."""
    return list(get(conn, year_id, None).closures)


def year_of(conn: sqlite3.Connection, day: date) -> SchoolYear | None:
    """The stored year that contains `day`, if any."""
    for year in all_years(conn):
        if year.contains(day):
            return year
    return None


# ---------------------------------------------------------------- resolution


@dataclass(frozen=True, slots=True)
class Resolution:
    """The year a command uses, and the warning to show when it is not today's year."""

    year: SchoolYear
    warning: str | None = None


def _next_id(years: list[SchoolYear], day: date) -> str:
    """The id of the year that would contain `day`, guessed from when stored years start."""
    latest = years[-1].start
    first_year = day.year if (day.month, day.day) >= (latest.month, latest.day) else day.year - 1
    return f"{first_year}-{(first_year + 1) % 100:02d}"


def stale_warning(years: list[SchoolYear], used: SchoolYear, day: date) -> str | None:
    """The warning for a fallback to `used` when no year contains `day`."""
    if any(y.contains(day) for y in years):
        return None
    ended = [y for y in years if y.end < day]
    coming = [y for y in years if y.start > day]
    if ended and coming:
        return (f"no school year contains today ({day}): {ended[-1].id} ended on "
                f"{ended[-1].end} and {coming[0].id} starts on {coming[0].start}; using "
                f"{used.id} (give --year {coming[0].id} for the coming one)")
    when = f"which ended on {used.end}" if used.end < day else f"which starts on {used.start}"
    return (f"no school year contains today ({day}); using {used.id}, {when} (add the current "
            f"year with `crotool years add {_next_id(years, day)} --start DATE --end DATE`, "
            "or give --year)")


def current_year(conn: sqlite3.Connection, on: date | None = None) -> Resolution:
    """The year containing `on` (default today), else the latest that has started, else the
    first to come; with the warning when none contains it."""
    years = all_years(conn)
    if not years:
        raise CroError("no school years are stored",
                       hint="run `crotool load`, or `crotool years add ID --start D --end D`")
    day = on or today()
    for y in years:
        if y.contains(day):
            return Resolution(y)
    started = [y for y in years if y.start <= day]
    used = started[-1] if started else years[0]
    return Resolution(used, stale_warning(years, used, day))


def resolve_year(conn: sqlite3.Connection, year_id: str | None = None, *,
                 on: date | None = None) -> Resolution:
    """`--year` when given (no warning: the user chose it), else the year of `on`, else the
    current year (with the stale-year warning when it had to fall back)."""
    if year_id is not None:
        return Resolution(get(conn, year_id))
    if on is not None:
        # An explicit day is not a fallback: the caller says when it lies outside the year.
        return Resolution(current_year(conn, on).year)
    return current_year(conn)


# ---------------------------------------------------------------- ranges of days


@dataclass(frozen=True, slots=True)
class Range:
    """Inclusive days; None = open on that side. `year` when the range came from one."""

    start: date | None
    end: date | None
    year: str | None = None
    warning: str | None = None

    @property
    def lo(self) -> str:
        # Every stored `at` (YYYY-MM-DDTHH:MM:SS) sorts at or after '' and its own date.
        return self.start.isoformat() if self.start else ""

    @property
    def hi(self) -> str:
        # 'A' sorts after every digit: an open end lets every date-time through.
        return (self.end + timedelta(days=1)).isoformat() if self.end else "A"

    def describe(self) -> str:
        if self.start and self.end:
            span = f"{self.start} to {self.end}"
        elif self.start:
            span = f"from {self.start}"
        elif self.end:
            span = f"to {self.end}"
        else:
            span = "all dates"
        return f"{self.year}, {span}" if self.year else span


def resolve_range(conn: sqlite3.Connection, *, year: str | None = None,
                  start: str | None = None, end: str | None = None) -> Range:
    """--year, --from, --to -> a Range.

    No option: the current school year (with the stale-year warning when it fell back).
    --year: that year, with --from/--to (when given) replacing its first/last day.
    --from/--to alone: exactly those days, open on a side not given.
    """
    first, last = option_date(start, "--from"), option_date(end, "--to")
    resolution = None
    if year is not None or (first is None and last is None):
        resolution = resolve_year(conn, year)
        first = first or resolution.year.start
        last = last or resolution.year.end
    y = resolution.year if resolution else None
    if first and last and last < first:
        if end is None and y is not None:
            raise CroError(f"--from {first} is after the end of school year {y.id} ({last})",
                           hint="give --to as well, or another --year")
        if start is None and y is not None:
            raise CroError(f"--to {last} is before the start of school year {y.id} ({first})",
                           hint="give --from as well, or another --year")
        raise CroError(f"--to {last} is before --from {first}",
                       hint="give the earlier day to --from")
    return Range(first, last, y.id if y else None, resolution.warning if resolution else None)


# ---------------------------------------------------------------- rules of the records

# A school year longer than this is a typo in a date, not a year.
MAX_YEAR_DAYS = 400


class SchoolYearRules(Rules):
    """A year's id names its start's year; it ends after it starts, within 400 days, and
    overlaps no other year (each named). Keeps every year's dates, stored and incoming, for
    the records that must lie in a year."""

    def __init__(self, checker: Checker) -> None:
        super().__init__(checker)
        self._years: dict[str, tuple[str, str]] | None = None
        # Spans seen so far, for the overlap rule: stored ones first, then each incoming year
        # that passes (so two overlapping years of one input are reported once, at the later).
        self._spans: dict[str, tuple[str, str]] | None = None

    def years(self) -> dict[str, tuple[str, str]]:
        """id -> (start, end): the stored years and those the input brings."""
        if self._years is None:
            self._years = {
                r["id"]: (r["start"], r["end"])
                for r in self.conn.execute("SELECT id, start, end FROM school_years")
            }
        return self._years

    def _spans_seen(self) -> dict[str, tuple[str, str]]:
        if self._spans is None:
            self._spans = {r[0]: (r[1], r[2]) for r in self.conn.execute(
                "SELECT id, start, end FROM school_years")}
        return self._spans

    def incoming(self, records: list[dict[str, Any]]) -> None:
        years = self.years()
        for r in records:
            years[r["id"]] = (r["start"], r["end"])

    def record(self, record: Record, values: dict[str, Any], label: Label) -> None:
        add = self.problems.append
        start, end, year_id = values.get("start"), values.get("end"), values.get("id")
        if start and year_id and start[:4] != year_id[:4]:
            add(Problem(record.where("start"), f"{label}.start: {start} is not in "
                        f"{year_id[:4]}, the year the id {year_id} names"))
        if not (start and end):
            return
        length = (date.fromisoformat(end) - date.fromisoformat(start)).days + 1
        if self.ends_before_start(record, values, label):
            return
        if end == start:
            add(Problem(record.where("end"), f"{label}.end: {end} is its start day; a school "
                        "year ends after it starts"))
            return
        if length > MAX_YEAR_DAYS:
            add(Problem(record.where("end"), f"{label}.end: {start} to {end} is {length} days, "
                        f"longer than a school year can be ({MAX_YEAR_DAYS} days at most)"))
        spans = self._spans_seen()
        for other, (lo, hi) in sorted(spans.items(), key=lambda item: item[1]):
            if other != year_id and lo <= end and start <= hi:
                add(Problem(record.where("start"), f"{label}: {start} to {end} overlaps school "
                            f"year {other} ({lo} to {hi})"))
        if year_id:
            spans[year_id] = (start, end)


class ClosureRules(Rules):
    """A closure ends no earlier than it starts, lies inside its school year and overlaps no
    other closure of that year."""

    def __init__(self, checker: Checker) -> None:
        super().__init__(checker)
        # school year -> closure start -> end: stored, then each incoming closure checked.
        self._spans: dict[str, dict[str, str]] | None = None

    def _spans_seen(self) -> dict[str, dict[str, str]]:
        if self._spans is None:
            self._spans = {}
            for r in self.conn.execute("SELECT school_year, start, end FROM closures"):
                self._spans.setdefault(r[0], {})[r[1]] = r[2]
        return self._spans

    def record(self, record: Record, values: dict[str, Any], label: Label) -> None:
        self.ends_before_start(record, values, label)
        add = self.problems.append
        year_id: str = values.get("school_year") or ""
        start: str = values.get("start") or ""
        seen = self._spans_seen().setdefault(year_id, {})
        end = values.get("end") or seen.get(start)  # an import row may leave its end out
        span = self.checker.rules_of("school_years", SchoolYearRules).years().get(year_id)
        if span and start and end:
            for f, value in (("start", start), ("end", end)):
                if not span[0] <= value <= span[1]:
                    add(Problem(record.where(f), f"{label}.{f}: {value} is outside school year "
                                f"{year_id} ({span[0]} to {span[1]})"))
        if not (start and end) or end < start:
            return
        for lo, hi in sorted(seen.items()):
            if lo != start and lo <= end and start <= hi:
                add(Problem(record.where("start"), f"{label}: {start} to {end} overlaps the "
                            f"closure {lo} to {hi} of {year_id}"))
        seen[start] = end


RULES = {"school_years": SchoolYearRules, "closures": ClosureRules}
