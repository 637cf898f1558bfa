"""The coverage rule (README.md, "Coverage: the rule"): pure functions over plain data.

Given one school year and the district's schools, officers, assignments and leaves, `analyse`
returns the gaps and conflicts of that year as `Row`s, and one `PairCoverage` per required
(feeder pattern, agency) pair. Nothing here reads a database, prints or looks at the clock;
callers load the records, call `analyse`, and render.

Design: an interval sweep, not a day-by-day scan.

The rule is stated per day, and the obvious implementation walks every required pair over every
day of the year. A county with 100 patterns x 6 agencies over a 365-day year is 219,000 pair-days,
each re-examining that pair's assignments and leaves; repeated for ten years on a nightly cron run
that cost adds up, while almost every day looks exactly like the day before. The state of a pair
can only change on a *boundary*: the year's start, an assignment's start or the day after its end,
a leave's start or the day after its end, or the first day and the day after the last of a span
on which an officer counts as trained (from `school_trained_on` on; or, where training topics
are required to cover, the spans `training_rule.cover_spans` gives). So, for each pair:

1. gather those boundaries as events (clipped to the year) and sort them;
2. sweep them in order, keeping per-officer counters (assignments and leaves in force, trained
   or not) and a small histogram of officers by "level" (in S but inactive / active untrained /
   active trained but on leave / available), so that the kind of each elementary segment
   between two consecutive boundaries is an O(1) look-up;
3. merge adjacent segments of the same kind into maximal runs, and name a run's officer from the
   sorted set S as it stood on the run's first day.

Assignments and leaves are grouped by (pattern, agency) and by officer first, so each pair only
sees its own intervals: the whole analysis is O(n log n) in the number of intervals, independent
of the year's length. Every output is sorted on a complete key, so the result does not depend on
the order of the input records.

Defensive choices where the input would already be invalid (validation happens elsewhere):
assignments of unknown officers are skipped, assignments and leaves are clipped to the year, and
an assignment with no day inside the year yields nothing.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from crotool.program.years import SchoolYear

__all__ = [
    "CONFLICT_KINDS",
    "GAP_KINDS",
    "Assignment",
    "Leave",
    "Officer",
    "PairCoverage",
    "Row",
    "School",
    "Year",
    "analyse",
    "required_pairs",
    "rows_on",
]

GAP_KINDS: tuple[str, ...] = ("unassigned", "inactive", "untrained", "on_leave")
CONFLICT_KINDS: tuple[str, ...] = ("duplicate", "out_of_jurisdiction", "untrained_additional")

CRO = "cro"
ADDITIONAL = "additional"
ACTIVE = "active"


# The engine's year is the one SchoolYear type (id, start, end; its weekdays and closures
# only matter to school-day counts, which are not part of the coverage rule).
Year = SchoolYear


@dataclass(frozen=True, slots=True)
class School:
    id: str
    feeder_pattern: str
    agency: str
    also_feeds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Officer:
    badge: str
    agency: str
    status: str
    school_trained_on: date | None
    # The days the officer counts as trained, as sorted disjoint (first, last) spans (the
    # training topics required to cover: training_rule.cover_spans); None: from
    # school_trained_on on, as the coverage rule says when no topic is required.
    trained: tuple[tuple[date, date], ...] | None = None

    def trained_spans(self) -> tuple[tuple[date, date], ...]:
        if self.trained is not None:
            return self.trained
        return () if self.school_trained_on is None else ((self.school_trained_on, date.max),)

    def trained_on(self, day: date) -> bool:
        return any(lo <= day <= hi for lo, hi in self.trained_spans())


@dataclass(frozen=True, slots=True)
class Assignment:
    officer: str
    feeder_pattern: str
    school_year: str
    role: str
    start: date
    end: date


@dataclass(frozen=True, slots=True)
class Leave:
    officer: str
    start: date
    end: date


@dataclass(frozen=True, slots=True)
class Row:
    """One gap or conflict: a run of whole days, both ends inclusive."""

    school_year: str
    feeder_pattern: str
    agency: str
    kind: str
    start: date
    end: date
    officer: str | None
    schools: tuple[str, ...]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "school_year": self.school_year,
            "feeder_pattern": self.feeder_pattern,
            "agency": self.agency,
            "kind": self.kind,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "days": self.days,
            "officer": self.officer,
            "schools": list(self.schools),
        }


@dataclass(frozen=True, slots=True)
class PairCoverage:
    """How well one required (pattern, agency) pair is covered over one school year."""

    school_year: str
    feeder_pattern: str
    agency: str
    officers: tuple[str, ...]
    days: int
    covered_days: int
    gap_days: int
    schools: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "school_year": self.school_year,
            "feeder_pattern": self.feeder_pattern,
            "agency": self.agency,
            "officers": list(self.officers),
            "days": self.days,
            "covered_days": self.covered_days,
            "gap_days": self.gap_days,
            "schools": list(self.schools),
        }


def required_pairs(schools: Iterable[School]) -> dict[tuple[str, str], tuple[str, ...]]:
    """(pattern, agency) -> sorted school ids of that pattern in that agency's jurisdiction.

    A split-feeder school counts for its own pattern and for every pattern in `also_feeds`.
    The dict is built in sorted key order so that iterating it is deterministic.
    """
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for school in schools:
        for pattern in (school.feeder_pattern, *school.also_feeds):
            found[(pattern, school.agency)].add(school.id)
    return {pair: tuple(sorted(found[pair])) for pair in sorted(found)}


def rows_on(rows: Iterable[Row], day: date) -> list[Row]:
    """The rows whose span contains `day` (for `gaps --on DATE`), in their given order."""
    return [row for row in rows if row.start <= day <= row.end]


# An officer's level within one pair, recomputed after each event. Gap kinds follow from which
# levels are present, so the sweep keeps a histogram of levels instead of re-scanning S.
_OUT = 0  # no cro assignment to the pair spans the day: not in S
_INACTIVE = 1
_UNTRAINED = 2  # active, not trained on the day
_ON_LEAVE = 3  # active, trained, on leave
_AVAILABLE = 4  # covers the pair

_EV_ASSIGNMENT = 0
_EV_LEAVE = 1
_EV_TRAINED = 2


def _row_sort_key(row: Row) -> tuple[Any, ...]:
    # Rows are ordered by (pattern, agency, start, kind), as the README documents; the rest
    # of the key only breaks ties (e.g. two out-of-jurisdiction assignments starting the same
    # day) so input order never shows.
    return (
        row.feeder_pattern,
        row.agency,
        row.start,
        row.kind,
        row.end,
        row.officer is not None,
        row.officer or "",
        row.schools,
    )


def _gap_kind(histogram: list[int]) -> str | None:
    """The gap kind of a day, from how many officers of S sit at each level; None = covered."""
    if histogram[_AVAILABLE]:
        return None
    if not (histogram[_INACTIVE] or histogram[_UNTRAINED] or histogram[_ON_LEAVE]):
        return "unassigned"
    if not (histogram[_UNTRAINED] or histogram[_ON_LEAVE]):
        return "inactive"
    if not histogram[_ON_LEAVE]:
        return "untrained"
    return "on_leave"


def _sweep_pair(
    year: Year,
    pattern: str,
    agency: str,
    schools: tuple[str, ...],
    spans: list[tuple[int, int, str]],
    officers: dict[str, Officer],
    leaves_by_officer: dict[str, list[tuple[int, int]]],
) -> tuple[list[Row], int]:
    """Gap and duplicate rows of one required pair, and its number of covered days.

    `spans` are the pair's cro assignments as (first ordinal, last ordinal, badge), already
    clipped to the year; leaves are clipped too.
    """
    first = year.start.toordinal()
    last = year.end.toordinal()

    events: list[tuple[int, int, str, int]] = []
    badges = {badge for _, _, badge in spans}
    for lo, hi, badge in spans:
        events.append((lo, _EV_ASSIGNMENT, badge, 1))
        if hi < last:
            events.append((hi + 1, _EV_ASSIGNMENT, badge, -1))
    for badge in badges:
        for lo, hi in leaves_by_officer.get(badge, ()):
            events.append((lo, _EV_LEAVE, badge, 1))
            if hi < last:
                events.append((hi + 1, _EV_LEAVE, badge, -1))
        for trained_from, trained_until in officers[badge].trained_spans():
            lo, hi = trained_from.toordinal(), trained_until.toordinal()
            if lo <= last and hi >= first:
                events.append((max(lo, first), _EV_TRAINED, badge, 1))
                if hi < last:
                    events.append((hi + 1, _EV_TRAINED, badge, -1))
    # Only the date matters for order: all events of a date are applied before that date's
    # segment is evaluated, and applying them is commutative.
    events.sort(key=lambda event: event[0])

    assignments_in_force: dict[str, int] = dict.fromkeys(badges, 0)
    leaves_in_force: dict[str, int] = dict.fromkeys(badges, 0)
    trained: dict[str, int] = dict.fromkeys(badges, 0)  # trained spans in force (0 or 1)
    active = {badge: officers[badge].status == ACTIVE for badge in badges}
    level: dict[str, int] = dict.fromkeys(badges, _OUT)
    histogram = [0, 0, 0, 0, 0]
    in_s: list[str] = []  # S, kept sorted: a run's officer is its first badge
    total_assignments = 0  # cro assignments spanning the day, for duplicates

    def relevel(badge: str) -> None:
        old = level[badge]
        if assignments_in_force[badge] == 0:
            new = _OUT
        elif not active[badge]:
            new = _INACTIVE
        elif not trained[badge]:
            new = _UNTRAINED
        elif leaves_in_force[badge]:
            new = _ON_LEAVE
        else:
            new = _AVAILABLE
        if new == old:
            return
        histogram[old] -= 1
        histogram[new] += 1
        level[badge] = new
        if old == _OUT:
            insort(in_s, badge)
        elif new == _OUT:
            del in_s[bisect_left(in_s, badge)]

    histogram[_OUT] = len(badges)

    rows: list[Row] = []
    covered = 0
    # Open runs: (kind, first ordinal, officer) for the gap run and the duplicate run.
    gap_run: tuple[str, int, str | None] | None = None
    dup_run: tuple[int, str | None] | None = None

    def emit(kind: str, start: int, end: int, officer: str | None) -> None:
        rows.append(Row(year.id, pattern, agency, kind, date.fromordinal(start),
                        date.fromordinal(end), officer, schools))

    i = 0
    n = len(events)
    cursor = first
    while cursor <= last:
        while i < n and events[i][0] <= cursor:
            _, what, badge, delta = events[i]
            if what == _EV_ASSIGNMENT:
                assignments_in_force[badge] += delta
                total_assignments += delta
            elif what == _EV_LEAVE:
                leaves_in_force[badge] += delta
            else:
                trained[badge] += delta
            relevel(badge)
            i += 1
        segment_end = min(events[i][0] - 1, last) if i < n else last

        kind = _gap_kind(histogram)
        if kind is None:
            covered += segment_end - cursor + 1
        if gap_run is not None and gap_run[0] != kind:
            emit(gap_run[0], gap_run[1], cursor - 1, gap_run[2])
            gap_run = None
        if kind is not None and gap_run is None:
            gap_run = (kind, cursor, in_s[0] if in_s else None)

        duplicated = total_assignments >= 2
        if dup_run is not None and not duplicated:
            emit("duplicate", dup_run[0], cursor - 1, dup_run[1])
            dup_run = None
        if duplicated and dup_run is None:
            dup_run = (cursor, in_s[0])

        cursor = segment_end + 1

    if gap_run is not None:
        emit(gap_run[0], gap_run[1], last, gap_run[2])
    if dup_run is not None:
        emit("duplicate", dup_run[0], last, dup_run[1])
    return rows, covered


def analyse(
    year: Year,
    schools: Iterable[School],
    officers: Iterable[Officer],
    assignments: Iterable[Assignment],
    leaves: Iterable[Leave],
) -> tuple[list[Row], list[PairCoverage]]:
    """Gap and conflict rows ordered by (feeder_pattern, agency, start, kind), and one
    PairCoverage per required pair ordered by (feeder_pattern, agency)."""
    if year.end < year.start:
        raise ValueError(f"school year {year.id} ends ({year.end}) before it starts ({year.start})")
    first = year.start.toordinal()
    last = year.end.toordinal()
    year_days = last - first + 1

    pairs = required_pairs(schools)
    by_badge = {officer.badge: officer for officer in officers}

    leaves_by_officer: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for leave in leaves:
        # A leave that runs past either end of the year counts only inside it.
        lo = max(leave.start.toordinal(), first)
        hi = min(leave.end.toordinal(), last)
        if lo <= hi:
            leaves_by_officer[leave.officer].append((lo, hi))

    rows: list[Row] = []
    cro_spans: dict[tuple[str, str], list[tuple[int, int, str]]] = defaultdict(list)
    cro_badges: dict[tuple[str, str], set[str]] = defaultdict(set)
    for assignment in assignments:
        if assignment.school_year != year.id:
            continue
        officer = by_badge.get(assignment.officer)
        if officer is None:
            continue
        pattern = assignment.feeder_pattern
        key = (pattern, officer.agency)
        if assignment.role == CRO and key in pairs:
            cro_badges[key].add(officer.badge)
        lo = max(assignment.start.toordinal(), first)
        hi = min(assignment.end.toordinal(), last)
        if lo > hi:
            continue
        start, end = date.fromordinal(lo), date.fromordinal(hi)
        schools_of_pair = pairs.get(key, ())
        if key not in pairs:
            rows.append(
                Row(year.id, pattern, officer.agency, "out_of_jurisdiction", start, end,
                    officer.badge, ())
            )
        elif assignment.role == CRO:
            cro_spans[key].append((lo, hi, officer.badge))
        if assignment.role == ADDITIONAL and not officer.trained_on(start):
            # "Its start day" is taken inside the year, the same day the row starts on.
            rows.append(
                Row(year.id, pattern, officer.agency, "untrained_additional", start, end,
                    officer.badge, schools_of_pair)
            )

    coverage: list[PairCoverage] = []
    for (pattern, agency), schools_of_pair in pairs.items():
        pair_rows, covered = _sweep_pair(
            year, pattern, agency, schools_of_pair, cro_spans.get((pattern, agency), []),
            by_badge, leaves_by_officer,
        )
        rows.extend(pair_rows)
        coverage.append(
            PairCoverage(
                school_year=year.id,
                feeder_pattern=pattern,
                agency=agency,
                officers=tuple(sorted(cro_badges.get((pattern, agency), ()))),
                days=year_days,
                covered_days=covered,
                gap_days=year_days - covered,
                schools=schools_of_pair,
            )
        )

    rows.sort(key=_row_sort_key)
    return rows, coverage
