"""Property tests of the coverage rule over random small districts.

The reference is `oracle`: the README's coverage rule written the slow, obvious way, one day
at a time, with none of the interval sweep's bookkeeping. `analyse` must agree with it row for row.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from itertools import pairwise
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crotool.program.coverage_rule import (
    CONFLICT_KINDS,
    GAP_KINDS,
    Assignment,
    Leave,
    Officer,
    PairCoverage,
    Row,
    School,
    Year,
    analyse,
)

pytestmark = pytest.mark.slow

PATTERNS = ("p1", "p2", "p3")
AGENCIES = ("a1", "a2")
BADGES = ("o1", "o2", "o3", "o4", "o5")
YEAR_START = date(2024, 9, 1)
LONG_AGO = date(2020, 1, 1)
SETTINGS = settings(max_examples=200, deadline=None)

District = tuple[Year, list[School], list[Officer], list[Assignment], list[Leave]]
T = TypeVar("T")
K = TypeVar("K")

# Strategies are built once: building them inside the draw loop cost more than the tests.
_INDEX = [st.integers(0, n - 1) if n else st.nothing() for n in range(40)]
_DAY_OFFSET = st.integers(-10, 70)
_COIN = st.booleans()
_ALSO_FEEDS = st.lists(st.sampled_from(PATTERNS), max_size=2, unique=True)
_BADGE_SETS = st.lists(st.sampled_from(BADGES), min_size=1, max_size=5, unique=True)


@st.composite
def districts(draw: st.DrawFn) -> District:
    def pick(seq: Sequence[T]) -> T:
        return seq[draw(_INDEX[len(seq)])]

    length = draw(st.integers(30, 60))
    year = Year("Y", YEAR_START, YEAR_START + timedelta(days=length - 1))
    # Dates come mostly from a small palette of days, so that boundaries coincide (a training
    # date on an assignment's first day, a leave ending the day before another starts) far more
    # often than uniform dates would make them.
    palette = draw(st.lists(st.integers(-5, length + 5), min_size=2, max_size=6))

    def offset() -> int:
        return pick(palette) if draw(_COIN) else draw(_DAY_OFFSET)

    def in_year(n: int) -> int:
        return min(max(n, 0), length - 1)

    schools = []
    for n in range(draw(st.integers(1, 5))):
        # p3 is rarer, so most districts have few pairs, each with several assignments.
        pattern = pick(("p1", "p1", "p2", "p3"))
        also_feeds = tuple(p for p in draw(_ALSO_FEEDS) if p != pattern)
        schools.append(School(f"s{n}", pattern, pick(AGENCIES), also_feeds))
    # Officers mostly belong to agencies that have schools: those are the ones that cover pairs.
    school_agencies = sorted({s.agency for s in schools})

    officers = []
    for badge in draw(_BADGE_SETS):
        trained = pick((None, LONG_AGO, YEAR_START + timedelta(days=offset())))
        agency = pick(school_agencies) if draw(_COIN) else pick(AGENCIES)
        officers.append(Officer(badge, agency, pick(("active", "active", "inactive")), trained))
    officer_of = {o.badge: o for o in officers}
    patterns_of: dict[str, list[str]] = defaultdict(list)
    for school in schools:
        for pattern in (school.feeder_pattern, *school.also_feeds):
            patterns_of[school.agency].append(pattern)

    # "ghost" is an unknown badge (skipped); "X" is another year (ignored). Most assignments are
    # to a pattern the officer's agency serves, so that pairs get covered, doubled and left.
    badges = [*sorted(officer_of), "ghost"]
    assignments = []
    for _ in range(draw(st.integers(0, 12))):
        badge = pick(badges)
        own = patterns_of.get(officer_of[badge].agency) if badge in officer_of else None
        pattern = pick(own) if own and draw(_COIN) else pick(PATTERNS)
        start, end = sorted((in_year(offset()), in_year(offset())))
        assignments.append(Assignment(
            badge,
            pattern,
            pick(("Y", "Y", "Y", "X")),
            pick(("cro", "cro", "additional")),
            YEAR_START + timedelta(days=start),
            YEAR_START + timedelta(days=end),
        ))
    # Leaves go mostly to officers with assignments, where they matter; to any badge otherwise.
    assigned = sorted({a.officer for a in assignments if a.officer in officer_of})
    who = [*assigned, *assigned, *BADGES]

    leaves = []
    for _ in range(draw(st.integers(0, 6))):
        # Leaves may start before the year and run past its end: they count only inside it.
        start, end = sorted((offset(), offset()))
        leaves.append(Leave(pick(who), YEAR_START + timedelta(days=start),
                            YEAR_START + timedelta(days=end)))
    return year, schools, officers, assignments, leaves


def days_of(year: Year) -> list[date]:
    return [year.start + timedelta(days=n) for n in range((year.end - year.start).days + 1)]


def runs(per_day: list[tuple[date, K, str | None]]) -> list[tuple[K, date, date, str | None]]:
    """Group consecutive days of equal key: (key, first day, last day, officer of the first)."""
    out: list[tuple[K, date, date, str | None]] = []
    for day, key, first in per_day:
        if out and out[-1][0] == key:
            out[-1] = (key, out[-1][1], day, out[-1][3])
        else:
            out.append((key, day, day, first))
    return out


def oracle(year: Year, schools: list[School], officers: list[Officer],
           assignments: list[Assignment], leaves: list[Leave]) -> tuple[list[Row], dict]:
    """The coverage rule, evaluated naively for every pair on every day."""
    pairs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for school in schools:
        for pattern in {school.feeder_pattern, *school.also_feeds}:
            pairs[(pattern, school.agency)].add(school.id)
    officer_of = {o.badge: o for o in officers}
    mine = [a for a in assignments if a.school_year == year.id and a.officer in officer_of]

    def trained(badge: str, day: date) -> bool:
        on = officer_of[badge].school_trained_on
        return on is not None and on <= day

    def away(badge: str, day: date) -> bool:
        return any(lv.officer == badge and lv.start <= day <= lv.end for lv in leaves)

    rows: list[Row] = []
    covered: dict[tuple[str, str], int] = {}
    for (pattern, agency), school_ids in pairs.items():
        schools_t = tuple(sorted(school_ids))
        gap_days: list[tuple[date, str | None, str | None]] = []  # (day, kind, officer)
        dup_days: list[tuple[date, bool, str | None]] = []
        for day in days_of(year):
            spanning = [a for a in mine if a.role == "cro" and a.feeder_pattern == pattern
                        and officer_of[a.officer].agency == agency and a.start <= day <= a.end]
            s = sorted({a.officer for a in spanning})
            act = [b for b in s if officer_of[b].status == "active"]
            act_trained = [b for b in act if trained(b, day)]
            if any(not away(b, day) for b in act_trained):
                kind = None
            elif not s:
                kind = "unassigned"
            elif not act:
                kind = "inactive"
            elif not act_trained:
                kind = "untrained"
            else:
                kind = "on_leave"
            first = s[0] if s else None
            gap_days.append((day, kind, first))
            dup_days.append((day, len(spanning) >= 2, first))
        covered[(pattern, agency)] = sum(1 for _, k, _ in gap_days if k is None)

        for kind, start, end, first in runs(gap_days):
            if kind is not None:
                rows.append(Row(year.id, pattern, agency, kind, start, end, first, schools_t))
        for doubled, start, end, first in runs(dup_days):
            if doubled:
                rows.append(Row(year.id, pattern, agency, "duplicate", start, end, first,
                                schools_t))

    for a in mine:
        officer = officer_of[a.officer]
        key = (a.feeder_pattern, officer.agency)
        if key not in pairs:
            rows.append(Row(year.id, a.feeder_pattern, officer.agency, "out_of_jurisdiction",
                            a.start, a.end, a.officer, ()))
        if a.role == "additional" and not trained(a.officer, a.start):
            rows.append(Row(year.id, a.feeder_pattern, officer.agency, "untrained_additional",
                            a.start, a.end, a.officer, tuple(sorted(pairs.get(key, ())))))
    return rows, covered


def full_key(r: Row) -> tuple:
    return (r.feeder_pattern, r.agency, r.start, r.kind, r.end, r.officer or "", r.schools)


@SETTINGS
@given(districts())
def test_rows_match_the_day_by_day_oracle(district: District) -> None:
    rows, coverage = analyse(*district)
    expected, covered = oracle(*district)
    assert sorted(rows, key=full_key) == sorted(expected, key=full_key)
    assert {(c.feeder_pattern, c.agency): c.covered_days for c in coverage} == covered


@SETTINGS
@given(districts())
def test_covered_plus_gap_days_is_the_year(district: District) -> None:
    year = district[0]
    rows, coverage = analyse(*district)
    year_days = len(days_of(year))
    for pair in coverage:
        assert pair.days == year_days
        assert pair.covered_days + pair.gap_days == year_days
        gap_rows = [r for r in rows if r.kind in GAP_KINDS
                    and (r.feeder_pattern, r.agency) == (pair.feeder_pattern, pair.agency)]
        assert sum(r.days for r in gap_rows) == pair.gap_days


@SETTINGS
@given(districts())
def test_runs_of_a_pair_are_disjoint_and_maximal(district: District) -> None:
    year = district[0]
    rows, coverage = analyse(*district)
    assert all(year.start <= r.start <= r.end <= year.end for r in rows)
    assert all(r.kind in GAP_KINDS + CONFLICT_KINDS for r in rows)
    for pair in coverage:
        pair_key = (pair.feeder_pattern, pair.agency)
        mine = [r for r in rows if (r.feeder_pattern, r.agency) == pair_key]
        gaps = sorted((r for r in mine if r.kind in GAP_KINDS), key=lambda r: r.start)
        for before, after in pairwise(gaps):
            assert before.end < after.start  # never overlap
            if before.end + timedelta(days=1) == after.start:
                assert before.kind != after.kind  # touching runs of one kind would be one run
        dups = sorted((r for r in mine if r.kind == "duplicate"), key=lambda r: r.start)
        for before, after in pairwise(dups):
            assert before.end + timedelta(days=1) < after.start


@SETTINGS
@given(districts())
def test_rows_are_ordered_and_coverage_is_one_per_required_pair(district: District) -> None:
    rows, coverage = analyse(*district)
    keys = [(r.feeder_pattern, r.agency, r.start, r.kind) for r in rows]
    assert keys == sorted(keys)
    pairs = [(c.feeder_pattern, c.agency) for c in coverage]
    assert pairs == sorted(set(pairs))
    assert all(isinstance(c, PairCoverage) and list(c.officers) == sorted(set(c.officers))
               for c in coverage)


@SETTINGS
@given(districts(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_input_order(district: District, rnd: random.Random) -> None:
    year, *tables = district
    shuffled = []
    for table in tables:
        table = list(table)
        rnd.shuffle(table)
        shuffled.append(table)
    assert analyse(year, *shuffled) == analyse(*district)
