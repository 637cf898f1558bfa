"""Hand-worked districts for every gap and conflict kind of the coverage rule (README: Coverage).

Every test uses one 30-day year, September 2024, so a day of the month is also its day number.
Expected rows are written out in full: start, end, days, kind, officer and schools.
"""

from __future__ import annotations

from datetime import date

import pytest

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
    required_pairs,
    rows_on,
)

YEAR = Year("2024-25", date(2024, 9, 1), date(2024, 9, 30))
OTHER_YEAR = "2023-24"


def d(day: int, month: int = 9) -> date:
    return date(2024, month, day)


def row(pattern: str, agency: str, kind: str, start: int, end: int, officer: str | None,
        schools: tuple[str, ...]) -> Row:
    return Row(YEAR.id, pattern, agency, kind, d(start), d(end), officer, schools)


def cro(badge: str, start: int = 1, end: int = 30, pattern: str = "p1") -> Assignment:
    return Assignment(badge, pattern, YEAR.id, "cro", d(start), d(end))


def additional(badge: str, start: int = 1, end: int = 30, pattern: str = "p1") -> Assignment:
    return Assignment(badge, pattern, YEAR.id, "additional", d(start), d(end))


def active(badge: str, agency: str = "a1", trained: date | None = date(2020, 1, 1)) -> Officer:
    return Officer(badge, agency, "active", trained)


def inactive(badge: str, agency: str = "a1", trained: date | None = date(2020, 1, 1)) -> Officer:
    return Officer(badge, agency, "inactive", trained)


# One pattern, one agency, one school: the smallest district with a required pair.
S1 = (School("s1", "p1", "a1"),)


def run(schools=S1, officers=(), assignments=(), leaves=()):
    return analyse(YEAR, list(schools), list(officers), list(assignments), list(leaves))


def test_kind_constants() -> None:
    assert GAP_KINDS == ("unassigned", "inactive", "untrained", "on_leave")
    assert CONFLICT_KINDS == ("duplicate", "out_of_jurisdiction", "untrained_additional")


# -- required pairs ---------------------------------------------------------------------------


def test_required_pairs_group_schools_by_pattern_and_agency() -> None:
    schools = [
        School("s3", "p1", "a2"),
        School("s1", "p1", "a1"),
        School("s2", "p1", "a1"),
        School("s4", "p2", "a1"),
    ]
    assert required_pairs(schools) == {
        ("p1", "a1"): ("s1", "s2"),
        ("p1", "a2"): ("s3",),
        ("p2", "a1"): ("s4",),
    }
    assert list(required_pairs(schools)) == [("p1", "a1"), ("p1", "a2"), ("p2", "a1")]


def test_split_feeder_school_creates_pair_for_its_second_pattern() -> None:
    schools = [School("s1", "p1", "a1"), School("split", "p1", "a1", also_feeds=("p2",))]
    assert required_pairs(schools) == {("p1", "a1"): ("s1", "split"), ("p2", "a1"): ("split",)}

    rows, coverage = run(schools, [active("o1")], [cro("o1")])
    # p1 is covered by o1; p2 is required only through the split feeder, and has nobody.
    assert rows == [row("p2", "a1", "unassigned", 1, 30, None, ("split",))]
    assert [(c.feeder_pattern, c.agency, c.schools, c.covered_days) for c in coverage] == [
        ("p1", "a1", ("s1", "split"), 30),
        ("p2", "a1", ("split",), 0),
    ]


def test_no_schools_means_no_required_pairs() -> None:
    assert run(schools=()) == ([], [])


# -- gap kinds ----------------------------------------------------------------------------------


def test_fully_covered_pair_has_no_rows() -> None:
    rows, coverage = run(officers=[active("o1")], assignments=[cro("o1")])
    assert rows == []
    assert coverage == [PairCoverage(YEAR.id, "p1", "a1", ("o1",), 30, 30, 0, ("s1",))]


def test_unassigned_whole_year() -> None:
    rows, coverage = run()
    assert rows == [row("p1", "a1", "unassigned", 1, 30, None, ("s1",))]
    assert rows[0].days == 30
    assert coverage == [PairCoverage(YEAR.id, "p1", "a1", (), 30, 0, 30, ("s1",))]


def test_inactive_officer_leaves_an_inactive_gap() -> None:
    rows, coverage = run(officers=[inactive("o1")], assignments=[cro("o1")])
    assert rows == [row("p1", "a1", "inactive", 1, 30, "o1", ("s1",))]
    assert coverage[0].officers == ("o1",)
    assert (coverage[0].covered_days, coverage[0].gap_days) == (0, 30)


def test_training_inside_the_year_ends_an_untrained_gap() -> None:
    rows, coverage = run(officers=[active("o1", trained=d(11))], assignments=[cro("o1")])
    assert rows == [row("p1", "a1", "untrained", 1, 10, "o1", ("s1",))]
    assert rows[0].days == 10
    assert (coverage[0].covered_days, coverage[0].gap_days) == (20, 10)


def test_never_trained_officer_is_untrained_all_year() -> None:
    rows, _ = run(officers=[active("o1", trained=None)], assignments=[cro("o1")])
    assert rows == [row("p1", "a1", "untrained", 1, 30, "o1", ("s1",))]


def test_training_after_the_year_is_untrained_all_year() -> None:
    rows, _ = run(officers=[active("o1", trained=d(1, 10))], assignments=[cro("o1")])
    assert rows == [row("p1", "a1", "untrained", 1, 30, "o1", ("s1",))]


def test_trained_on_the_first_day_of_the_year_covers_it() -> None:
    rows, _ = run(officers=[active("o1", trained=d(1))], assignments=[cro("o1")])
    assert rows == []


def test_leave_inside_the_year_is_an_on_leave_gap() -> None:
    rows, coverage = run(
        officers=[active("o1")], assignments=[cro("o1")], leaves=[Leave("o1", d(10), d(12))]
    )
    assert rows == [row("p1", "a1", "on_leave", 10, 12, "o1", ("s1",))]
    assert rows[0].days == 3
    assert (coverage[0].covered_days, coverage[0].gap_days) == (27, 3)


def test_leave_past_either_end_of_the_year_is_clipped() -> None:
    leaves = [Leave("o1", date(2024, 8, 20), d(2)), Leave("o1", d(25), date(2024, 10, 15))]
    rows, coverage = run(officers=[active("o1")], assignments=[cro("o1")], leaves=leaves)
    assert rows == [
        row("p1", "a1", "on_leave", 1, 2, "o1", ("s1",)),
        row("p1", "a1", "on_leave", 25, 30, "o1", ("s1",)),
    ]
    assert [r.days for r in rows] == [2, 6]
    assert (coverage[0].covered_days, coverage[0].gap_days) == (22, 8)


def test_leave_entirely_outside_the_year_counts_for_nothing() -> None:
    rows, _ = run(officers=[active("o1")], assignments=[cro("o1")],
                  leaves=[Leave("o1", date(2024, 10, 1), date(2024, 10, 31))])
    assert rows == []


def test_overlapping_leaves_of_one_officer_make_one_gap() -> None:
    leaves = [Leave("o1", d(5), d(10)), Leave("o1", d(8), d(14)), Leave("o1", d(15), d(15))]
    rows, _ = run(officers=[active("o1")], assignments=[cro("o1")], leaves=leaves)
    assert rows == [row("p1", "a1", "on_leave", 5, 15, "o1", ("s1",))]


def test_one_officer_on_leave_is_covered_by_another() -> None:
    rows, _ = run(
        officers=[active("o1"), active("o2")],
        assignments=[cro("o1"), cro("o2", 5, 12)],
        leaves=[Leave("o1", d(5), d(12))],
    )
    # o2 fills o1's leave, but two CROs at once is itself a conflict.
    assert rows == [row("p1", "a1", "duplicate", 5, 12, "o1", ("s1",))]


def test_assignment_ending_mid_year_leaves_an_unassigned_gap() -> None:
    rows, coverage = run(officers=[active("o1")], assignments=[cro("o1", 1, 18)])
    assert rows == [row("p1", "a1", "unassigned", 19, 30, None, ("s1",))]
    assert rows[0].days == 12
    assert (coverage[0].covered_days, coverage[0].gap_days) == (18, 12)


def test_assignment_starting_mid_year_leaves_an_unassigned_gap_before_it() -> None:
    rows, _ = run(officers=[active("o1")], assignments=[cro("o1", 8, 30)])
    assert rows == [row("p1", "a1", "unassigned", 1, 7, None, ("s1",))]


def test_hand_over_the_next_day_leaves_no_gap() -> None:
    rows, coverage = run(
        officers=[active("o1"), active("o2")],
        assignments=[cro("o1", 1, 15), cro("o2", 16, 30)],
    )
    assert rows == []
    assert coverage == [PairCoverage(YEAR.id, "p1", "a1", ("o1", "o2"), 30, 30, 0, ("s1",))]


def test_hand_over_with_a_hole_is_a_gap_of_exactly_the_missing_days() -> None:
    rows, coverage = run(
        officers=[active("o1"), active("o2")],
        assignments=[cro("o1", 1, 15), cro("o2", 19, 30)],
    )
    assert rows == [row("p1", "a1", "unassigned", 16, 18, None, ("s1",))]
    assert rows[0].days == 3
    assert (coverage[0].covered_days, coverage[0].gap_days) == (27, 3)


# -- splitting runs -----------------------------------------------------------------------------


def test_run_is_not_split_where_only_the_officer_changes() -> None:
    rows, _ = run(
        officers=[inactive("o1"), inactive("o2"), active("o3", trained=None)],
        assignments=[cro("o1", 1, 10), cro("o2", 11, 20), cro("o3", 21, 30)],
    )
    # Days 1-20 are one inactive run (o1 then o2), named after the officer of its first day.
    assert rows == [
        row("p1", "a1", "inactive", 1, 20, "o1", ("s1",)),
        row("p1", "a1", "untrained", 21, 30, "o3", ("s1",)),
    ]


def test_on_leave_run_across_two_officers_is_one_run() -> None:
    rows, _ = run(
        officers=[active("o1"), active("o2")],
        assignments=[cro("o1", 1, 15), cro("o2", 16, 30)],
        leaves=[Leave("o1", d(10), d(15)), Leave("o2", d(16), d(20))],
    )
    assert rows == [row("p1", "a1", "on_leave", 10, 20, "o1", ("s1",))]


def test_run_is_split_where_the_kind_changes_with_the_same_officer() -> None:
    rows, _ = run(
        officers=[active("o1", trained=d(8))],
        assignments=[cro("o1")],
        leaves=[Leave("o1", d(8), d(10))],
    )
    assert rows == [
        row("p1", "a1", "untrained", 1, 7, "o1", ("s1",)),
        row("p1", "a1", "on_leave", 8, 10, "o1", ("s1",)),
    ]


def test_kinds_are_decided_in_spec_order() -> None:
    # S = {o1 inactive, o2 active untrained}: not all inactive, no active trained -> untrained;
    # the officer is the first badge of S even though that officer is the inactive one.
    rows, _ = run(
        officers=[inactive("o1"), active("o2", trained=None)],
        assignments=[cro("o1", 1, 10), cro("o2", 1, 10)],
    )
    assert rows == [
        row("p1", "a1", "duplicate", 1, 10, "o1", ("s1",)),
        row("p1", "a1", "untrained", 1, 10, "o1", ("s1",)),
        row("p1", "a1", "unassigned", 11, 30, None, ("s1",)),
    ]


def test_on_leave_needs_every_active_trained_officer_on_leave() -> None:
    # o1 untrained, o2 trained and on leave 5-9: on those days the only trained officer is away.
    rows, _ = run(
        officers=[active("o1", trained=None), active("o2")],
        assignments=[cro("o1"), cro("o2")],
        leaves=[Leave("o2", d(5), d(9)), Leave("o1", d(20), d(22))],
    )
    assert rows == [
        row("p1", "a1", "duplicate", 1, 30, "o1", ("s1",)),
        row("p1", "a1", "on_leave", 5, 9, "o1", ("s1",)),
    ]


# -- conflicts ----------------------------------------------------------------------------------


def test_duplicate_over_the_overlap_even_when_one_officer_is_inactive() -> None:
    rows, coverage = run(
        officers=[inactive("101"), active("102")],
        assignments=[cro("102"), cro("101", 10, 20)],
    )
    # 102 covers every day; the overlap is still a duplicate, named after the first badge.
    assert rows == [row("p1", "a1", "duplicate", 10, 20, "101", ("s1",))]
    assert rows[0].days == 11
    assert coverage == [PairCoverage(YEAR.id, "p1", "a1", ("101", "102"), 30, 30, 0, ("s1",))]


def test_duplicate_run_is_maximal_across_changing_officers() -> None:
    rows, _ = run(
        officers=[active("o1"), active("o2"), active("o3")],
        assignments=[cro("o2", 1, 30), cro("o3", 5, 12), cro("o1", 13, 20)],
    )
    assert rows == [row("p1", "a1", "duplicate", 5, 20, "o2", ("s1",))]


def test_two_cro_assignments_of_one_officer_overlapping_are_a_duplicate() -> None:
    rows, coverage = run(officers=[active("o1")], assignments=[cro("o1", 1, 20), cro("o1", 15, 30)])
    assert rows == [row("p1", "a1", "duplicate", 15, 20, "o1", ("s1",))]
    assert coverage[0].officers == ("o1",)


def test_out_of_jurisdiction_assignment() -> None:
    schools = [School("s1", "p1", "a1"), School("s2", "p2", "a2")]
    officers = [active("o1", "a1"), active("o2", "a2")]
    assignments = [
        cro("o1", pattern="p1"),
        cro("o2", pattern="p2"),
        cro("o2", 5, 20, pattern="p1"),  # a2 has no school in p1
        additional("o2", 3, 4, pattern="p1"),  # any role
    ]
    rows, coverage = run(schools, officers, assignments)
    assert rows == [
        row("p1", "a2", "out_of_jurisdiction", 3, 4, "o2", ()),
        row("p1", "a2", "out_of_jurisdiction", 5, 20, "o2", ()),
    ]
    assert [r.days for r in rows] == [2, 16]
    # An out-of-jurisdiction CRO neither creates a pair nor covers one.
    assert [(c.feeder_pattern, c.agency, c.officers) for c in coverage] == [
        ("p1", "a1", ("o1",)),
        ("p2", "a2", ("o2",)),
    ]


def test_out_of_jurisdiction_cro_does_not_cover_the_pattern() -> None:
    schools = [School("s1", "p1", "a1"), School("s2", "p2", "a2")]
    rows, _ = run(schools, [active("o2", "a2")], [cro("o2", pattern="p2"), cro("o2", pattern="p1")])
    assert rows == [
        row("p1", "a1", "unassigned", 1, 30, None, ("s1",)),
        row("p1", "a2", "out_of_jurisdiction", 1, 30, "o2", ()),
    ]


def test_untrained_additional_assignment() -> None:
    officers = [active("o1"), active("late", trained=d(15)), active("never", trained=None)]
    assignments = [
        cro("o1"),
        additional("late", 10, 25),  # trained after its start: conflict over its whole span
        additional("late", 15, 30),  # trained on its start day: fine
        additional("never", 2, 3),
    ]
    rows, coverage = run(officers=officers, assignments=assignments)
    assert rows == [
        row("p1", "a1", "untrained_additional", 2, 3, "never", ("s1",)),
        row("p1", "a1", "untrained_additional", 10, 25, "late", ("s1",)),
    ]
    assert [r.days for r in rows] == [2, 16]
    # Additional officers are not CROs: they appear neither in officers nor in duplicates.
    assert coverage[0].officers == ("o1",)


def test_additional_assignment_does_not_cover_the_pair() -> None:
    rows, _ = run(officers=[active("o1")], assignments=[additional("o1")])
    assert rows == [row("p1", "a1", "unassigned", 1, 30, None, ("s1",))]


def test_untrained_additional_out_of_jurisdiction_is_both() -> None:
    schools = [School("s1", "p1", "a1"), School("s2", "p2", "a2")]
    rows, _ = run(schools, [active("o2", "a2", trained=None)],
                  [cro("o1", pattern="p1"), additional("o2", 4, 6, pattern="p1")])
    # cro("o1") names an unknown officer: skipped, so p1/a1 is unassigned.
    assert rows == [
        row("p1", "a1", "unassigned", 1, 30, None, ("s1",)),
        row("p1", "a2", "out_of_jurisdiction", 4, 6, "o2", ()),
        row("p1", "a2", "untrained_additional", 4, 6, "o2", ()),
        row("p2", "a2", "unassigned", 1, 30, None, ("s2",)),
    ]


# -- scope of the year --------------------------------------------------------------------------


def test_assignments_of_other_years_do_not_count() -> None:
    other = Assignment("o1", "p1", OTHER_YEAR, "cro", d(1), d(30))
    rows, coverage = run(officers=[active("o1")], assignments=[other])
    assert rows == [row("p1", "a1", "unassigned", 1, 30, None, ("s1",))]
    assert coverage[0].officers == ()


def test_assignment_running_past_the_year_is_clipped() -> None:
    long = Assignment("o1", "p1", YEAR.id, "cro", date(2024, 8, 1), d(10))
    rows, _ = run(officers=[active("o1")], assignments=[long])
    assert rows == [row("p1", "a1", "unassigned", 11, 30, None, ("s1",))]


def test_officers_of_other_agencies_do_not_cover() -> None:
    schools = [School("s1", "p1", "a1"), School("s2", "p1", "a2")]
    rows, coverage = run(schools, [active("o1", "a1")], [cro("o1")])
    assert rows == [row("p1", "a2", "unassigned", 1, 30, None, ("s2",))]
    assert [(c.agency, c.covered_days, c.gap_days) for c in coverage] == [
        ("a1", 30, 0),
        ("a2", 0, 30),
    ]


def test_year_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="ends"):
        analyse(Year("bad", d(10), d(9)), S1, [], [], [])


def test_one_day_year() -> None:
    one = Year("y", d(5), d(5))
    rows, coverage = analyse(one, S1, [active("o1")], [], [])
    assert rows == [Row("y", "p1", "a1", "unassigned", d(5), d(5), None, ("s1",))]
    assert rows[0].days == 1
    assert coverage[0].days == 1


# -- ordering, coverage numbers and output shapes ----------------------------------------------


def district() -> tuple[list[School], list[Officer], list[Assignment], list[Leave]]:
    schools = [
        School("lake-hs", "lake", "city"),
        School("lake-es", "lake", "county"),
        School("ridge-hs", "ridge", "city", also_feeds=("lake",)),
        School("ridge-ms", "ridge", "county"),
    ]
    officers = [
        active("c1", "city"),
        active("c2", "city", trained=d(6)),
        inactive("c3", "city"),
        active("k1", "county"),
        active("k2", "county"),
    ]
    assignments = [
        cro("c1", 1, 20, pattern="lake"),
        cro("c3", 15, 30, pattern="lake"),
        cro("c2", pattern="ridge"),
        cro("k1", 1, 10, pattern="lake"),
        cro("k2", 14, 30, pattern="lake"),
        cro("k1", pattern="ridge"),
        additional("k2", 3, 9, pattern="ridge"),
    ]
    leaves = [Leave("k1", d(20), d(25)), Leave("c2", d(28), date(2024, 10, 3))]
    return schools, officers, assignments, leaves


def test_ordering_and_coverage_numbers_of_a_small_district() -> None:
    schools, officers, assignments, leaves = district()
    rows, coverage = analyse(YEAR, schools, officers, assignments, leaves)
    lake_city = ("lake-hs", "ridge-hs")
    assert rows == [
        Row(YEAR.id, "lake", "city", "duplicate", d(15), d(20), "c1", lake_city),
        Row(YEAR.id, "lake", "city", "inactive", d(21), d(30), "c3", lake_city),
        Row(YEAR.id, "lake", "county", "unassigned", d(11), d(13), None, ("lake-es",)),
        Row(YEAR.id, "ridge", "city", "untrained", d(1), d(5), "c2", ("ridge-hs",)),
        Row(YEAR.id, "ridge", "city", "on_leave", d(28), d(30), "c2", ("ridge-hs",)),
        Row(YEAR.id, "ridge", "county", "on_leave", d(20), d(25), "k1", ("ridge-ms",)),
    ]
    keys = [(r.feeder_pattern, r.agency, r.start, r.kind) for r in rows]
    assert keys == sorted(keys)
    assert coverage == [
        PairCoverage(YEAR.id, "lake", "city", ("c1", "c3"), 30, 20, 10, lake_city),
        PairCoverage(YEAR.id, "lake", "county", ("k1", "k2"), 30, 27, 3, ("lake-es",)),
        PairCoverage(YEAR.id, "ridge", "city", ("c2",), 30, 22, 8, ("ridge-hs",)),
        PairCoverage(YEAR.id, "ridge", "county", ("k1",), 30, 24, 6, ("ridge-ms",)),
    ]
    for pair in coverage:
        assert pair.covered_days + pair.gap_days == pair.days
        pair_key = (pair.feeder_pattern, pair.agency)
        gap_rows = [
            r for r in rows if (r.feeder_pattern, r.agency) == pair_key and r.kind in GAP_KINDS
        ]
        assert sum(r.days for r in gap_rows) == pair.gap_days


def test_same_start_rows_are_ordered_by_kind() -> None:
    rows, _ = run(officers=[inactive("o1"), inactive("o2")], assignments=[cro("o2"), cro("o1")])
    assert [(r.kind, r.start, r.end, r.officer) for r in rows] == [
        ("duplicate", d(1), d(30), "o1"),
        ("inactive", d(1), d(30), "o1"),
    ]


def test_result_does_not_depend_on_input_order() -> None:
    schools, officers, assignments, leaves = district()
    forward = analyse(YEAR, schools, officers, assignments, leaves)
    backward = analyse(YEAR, schools[::-1], officers[::-1], assignments[::-1], leaves[::-1])
    assert forward == backward


def test_row_as_dict() -> None:
    r = row("p1", "a1", "on_leave", 10, 12, "o1", ("s1", "s2"))
    assert r.as_dict() == {
        "school_year": "2024-25",
        "feeder_pattern": "p1",
        "agency": "a1",
        "kind": "on_leave",
        "start": "2024-09-10",
        "end": "2024-09-12",
        "days": 3,
        "officer": "o1",
        "schools": ["s1", "s2"],
    }
    assert row("p1", "a1", "unassigned", 1, 1, None, ()).as_dict()["officer"] is None


def test_pair_coverage_as_dict() -> None:
    c = PairCoverage(YEAR.id, "p1", "a1", ("o1", "o2"), 30, 27, 3, ("s1",))
    assert c.as_dict() == {
        "school_year": "2024-25",
        "feeder_pattern": "p1",
        "agency": "a1",
        "officers": ["o1", "o2"],
        "days": 30,
        "covered_days": 27,
        "gap_days": 3,
        "schools": ["s1"],
    }


def test_records_are_frozen() -> None:
    r = row("p1", "a1", "unassigned", 1, 1, None, ())
    with pytest.raises(AttributeError):
        r.kind = "inactive"  # type: ignore[misc]


def test_rows_on_a_day() -> None:
    schools, officers, assignments, leaves = district()
    rows, _ = analyse(YEAR, schools, officers, assignments, leaves)
    assert [(r.feeder_pattern, r.agency, r.kind) for r in rows_on(rows, d(20))] == [
        ("lake", "city", "duplicate"),
        ("ridge", "county", "on_leave"),
    ]
    assert [r.kind for r in rows_on(rows, d(13))] == ["unassigned"]
    assert rows_on(rows, d(31, 8)) == []
    assert rows_on(iter(rows), d(5)) == [rows[3]]
