"""Per-topic training rules (SPEC §5.2 "Training"), pure: hand-worked cases of hours,
refreshers, applies_to, deadlines counted from an assignment, versions in force, and the
spans on which an officer counts as trained for coverage; property tests against direct,
day-by-day readings of the rule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_coverage_props import days_of, districts, full_key, runs

from crotool.program.coverage_rule import Assignment, Officer, Row, School, Year, analyse
from crotool.program.training_rule import (
    FOREVER,
    Policy,
    Rule,
    Topic,
    add_months,
    completions,
    counting_spans,
    cover_spans,
    deadline_row,
)

WA = Policy(classroom_within_months=6, on_the_job_days=2, on_the_job_within_months=12)


def d(text: str) -> date:
    return date.fromisoformat(text)


def officer(first: str | None = "2024-08-15", kind: str | None = "sworn", **more) -> dict:
    return {"badge": "7", "name": "N", "agency": "x-pd", "first_on_campus": first,
            "kind": kind, **more}


# ---------------------------------------------------------------- refreshers

QUALIFY = Topic("qualify", refresh_every_months=12)


def test_a_refresher_counts_through_the_day_twelve_months_on_and_is_expired_the_next():
    """Done 2024-09-01, every 12 months: it counts from 2024-09-01 through 2025-09-01
    inclusive (the refresher's deadline, like any deadline, is met by a training that day),
    and is `expired` on 2025-09-02."""
    rule = Rule(None, topics=(QUALIFY,))
    done = [("qualify", d("2024-09-01"))]
    assert counting_spans([d("2024-09-01")], 12) == [(d("2024-09-01"), d("2025-09-01"))]
    last = deadline_row(officer(), rule, done, d("2025-09-01"), 0)
    assert (last["expired"], last["missing"], last["classroom_done"]) == ([], [], 1)
    assert last["status"] == "due_soon"  # its last day: renew today to stay done
    after = deadline_row(officer(), rule, done, d("2025-09-02"), 0)
    assert (after["expired"], after["missing"], after["classroom_done"]) == (["qualify"], [], 0)
    assert after["status"] == "expired"
    # A month before the end, with 30 days' warning it is due soon; with 7, complete.
    assert deadline_row(officer(), rule, done, d("2025-08-10"), 30)["status"] == "due_soon"
    assert deadline_row(officer(), rule, done, d("2025-08-10"), 7)["status"] == "complete"
    # Renewed on its last day: counted without a day's break.
    renewed = [*done, ("qualify", d("2025-09-01"))]
    assert counting_spans([d("2024-09-01"), d("2025-09-01")], 12) == [
        (d("2024-09-01"), d("2026-09-01"))]
    assert deadline_row(officer(), rule, renewed, d("2025-09-02"), 0)["status"] == "complete"


def test_a_refresher_from_the_31st_counts_to_the_months_end():
    assert counting_spans([d("2024-08-31")], 6) == [(d("2024-08-31"), d("2025-02-28"))]


def test_overdue_ranks_before_expired_and_expired_before_due_soon():
    topics = (QUALIFY, Topic("late", due_within_months=1), Topic("soon", due_within_months=13))
    rule = Rule(None, topics=topics)
    done = [("qualify", d("2024-09-01"))]
    as_of = d("2025-09-02")
    # first_on_campus 2024-08-15: `late` was due 2024-09-15, `soon` is due 2025-09-15.
    assert deadline_row(officer(), rule, done, as_of, 30)["status"] == "overdue"
    done.append(("late", d("2024-09-10")))
    row = deadline_row(officer(), rule, done, as_of, 30)
    assert (row["status"], row["expired"], row["missing"]) == ("expired", ["qualify"], ["soon"])
    done.append(("qualify", d("2025-09-02")))
    assert deadline_row(officer(), rule, done, as_of, 30)["status"] == "due_soon"
    assert deadline_row(officer(), rule, done, as_of, 5)["status"] == "in_progress"


def test_expired_is_left_out_of_rows_when_no_topic_has_a_refresher():
    rule = Rule(WA, ("a",), frozenset({"job"}))
    assert "expired" not in deadline_row(officer(), rule, [], d("2024-09-01"), 30)
    assert deadline_row(officer(), rule, [], d("2024-09-01"), 30, with_expired=True)[
        "expired"] == []


# ---------------------------------------------------------------- hours


def test_sixteen_hours_in_two_eight_hour_sessions_is_complete_after_the_second():
    rule = Rule(None, topics=(Topic("pistol", hours=16),))
    done = [("pistol", d("2024-09-10"), 8.0), ("pistol", d("2024-09-17"), 8.0)]
    between = deadline_row(officer(), rule, done, d("2024-09-16"), 30)
    assert (between["missing"], between["status"]) == (["pistol"], "in_progress")
    after = deadline_row(officer(), rule, done, d("2024-09-17"), 30)
    assert (after["missing"], after["classroom_done"], after["status"]) == ([], 1, "complete")
    assert completions([(d("2024-09-10"), 8.0), (d("2024-09-17"), 8.0)], 16) == [d("2024-09-17")]


def test_hours_not_recorded_add_none_and_each_full_sum_is_one_completion():
    sessions = [(d("2024-01-01"), None), (d("2024-01-02"), 10.0), (d("2024-01-03"), 10.0),
                (d("2024-01-04"), 4.0), (d("2024-01-05"), 16.0), (d("2024-01-05"), 0.5)]
    # 10 + 10 reaches 16 on the 3rd (the sum starts again: the 4 extra hours do not carry);
    # 4 + 16 reaches it on the 5th.
    assert completions(sessions, 16) == [d("2024-01-03"), d("2024-01-05")]
    assert completions(sessions, None) == [d(f"2024-01-0{n}") for n in range(1, 6)]


def test_hours_with_a_refresher_need_the_hours_again():
    topic = Topic("annual", hours=8, refresh_every_months=12)
    rule = Rule(None, topics=(topic,))
    done = [("annual", d("2024-01-10"), 8.0), ("annual", d("2025-01-20"), 4.0)]
    row = deadline_row(officer(), rule, done, d("2025-02-01"), 0)
    assert (row["status"], row["expired"]) == ("expired", ["annual"])
    done.append(("annual", d("2025-02-01"), 4.0))
    assert deadline_row(officer(), rule, done, d("2025-02-01"), 0)["status"] == "complete"


# ---------------------------------------------------------------- applies_to, due_from


def test_a_topic_for_guardians_does_not_apply_to_an_sro():
    rule = Rule(None, topics=(Topic("guardian-firearms", hours=80, applies_to=("guardian",)),
                              Topic("crisis", applies_to=("sro", "school-safety-officer"))))
    sro = deadline_row(officer(kind="sro"), rule, [], d("2024-09-01"), 30)
    assert (sro["classroom_required"], sro["missing"]) == (1, ["crisis"])
    guardian = deadline_row(officer(kind="guardian"), rule, [], d("2024-09-01"), 30)
    assert guardian["missing"] == ["guardian-firearms"]
    nobody = deadline_row(officer(kind="sro"), Rule(None, topics=rule.topics[:1]), [],
                          d("2024-09-01"), 30)
    assert (nobody["classroom_required"], nobody["status"]) == (0, "complete")


def test_due_within_months_from_the_first_assignment_or_first_on_campus():
    rule = Rule(WA, topics=(Topic("orientation", due_within_months=1, due_from="assignment_start"),
                            Topic("law", due_within_months=3), Topic("plain")))
    who = officer("2024-08-15", assignment_start="2024-09-03")
    row = deadline_row(who, rule, [("law", d("2024-09-01"))], d("2024-10-04"), 0)
    # orientation due 2024-10-03 (overdue on the 4th), law due 2024-11-15 (done), plain due
    # 2025-02-15 (the policy's 6 months): the next deadline not met is orientation's.
    assert (row["classroom_due"], row["missing"], row["status"]) == (
        "2024-10-03", ["orientation", "plain"], "overdue")
    # No assignment yet: orientation has no deadline.
    unassigned = deadline_row(officer("2024-08-15"), rule, [("law", d("2024-09-01"))],
                              d("2024-10-04"), 0)
    assert (unassigned["classroom_due"], unassigned["status"]) == ("2025-02-15", "in_progress")


def test_a_topic_without_months_and_no_policy_has_no_deadline():
    rule = Rule(None, topics=(Topic("guardian-legal", hours=4),))
    row = deadline_row(officer(), rule, [], d("2030-01-01"), 30)
    assert (row["classroom_due"], row["on_the_job_due"], row["status"]) == (
        None, None, "in_progress")
    assert row["on_the_job_required"] == 0


def test_an_on_the_job_topic_that_says_something_is_counted_one_by_one():
    rule = Rule(WA, topics=(Topic("shadow", "on_the_job"),
                            Topic("ride", "on_the_job", hours=16)))
    done = [("shadow", d("2024-09-01")), ("ride", d("2024-09-02"), 8.0),
            ("ride", d("2024-09-03"), 8.0)]
    row = deadline_row(officer(), rule, done, d("2024-09-10"), 0)
    # shadow is counted by days (one of the policy's two); ride by its 16 hours, due at the
    # policy's on-the-job months.
    assert (row["on_the_job_days"], row["on_the_job_required"]) == (1, 2)
    assert (row["classroom_required"], row["classroom_done"], row["classroom_due"]) == (
        1, 1, "2025-08-15")


# ---------------------------------------------------------------- versions in force


def test_the_version_in_force_on_the_day_the_deadline_counts_from_applies():
    old = Topic("law", due_within_months=6, effective_until=d("2024-06-30"))
    new = Topic("law", due_within_months=3, effective_from=d("2024-07-01"))
    rule = Rule(None, topics=(old, new))
    before = deadline_row(officer("2024-06-30"), rule, [], d("2024-07-15"), 0)
    after = deadline_row(officer("2024-07-01"), rule, [], d("2024-07-15"), 0)
    assert (before["classroom_due"], after["classroom_due"]) == ("2024-12-30", "2024-10-01")
    # A topic that came into force after the officer's day does not apply to that officer.
    later = Rule(None, topics=(new,))
    assert deadline_row(officer("2024-06-30"), later, [], d("2024-09-01"), 0)[
        "classroom_required"] == 0


def test_the_policy_in_force_on_the_first_day_on_campus_sets_the_defaults():
    rule = Rule(None, topics=(Topic("a"),), policies=(
        Policy(6, 2, 12, effective_until=d("2024-06-30")),
        Policy(3, 1, 6, effective_from=d("2024-07-01"))))
    assert deadline_row(officer("2024-06-01"), rule, [], d("2024-07-01"), 0)[
        "classroom_due"] == "2024-12-01"
    row = deadline_row(officer("2024-07-10"), rule, [], d("2024-07-11"), 0)
    assert (row["classroom_due"], row["on_the_job_due"]) == ("2024-10-10", "2025-01-10")


# ---------------------------------------------------------------- coverage spans

YEAR = Year("2024-25", d("2024-09-01"), d("2025-06-20"))
FIREARMS = Topic("firearms", required_to_cover=True, applies_to=("guardian",))


def test_a_required_topic_done_on_2024_10_15_leaves_its_officer_untrained_until_the_14th():
    spans = cover_spans((FIREARMS,), "guardian", None, [("firearms", d("2024-10-15"))],
                        YEAR.start, YEAR.end)
    assert spans == ((d("2024-10-15"), YEAR.end),)
    guardian = Officer("g1", "district", "active", None, trained=spans)
    rows, [pair] = analyse(YEAR, [School("hs", "p", "district")], [guardian],
                           [Assignment("g1", "p", YEAR.id, "cro", YEAR.start, YEAR.end)], [])
    assert rows == [Row(YEAR.id, "p", "district", "untrained", d("2024-09-01"),
                        d("2024-10-14"), "g1", ("hs",))]
    assert pair.covered_days == (YEAR.end - d("2024-10-15")).days + 1


def test_a_required_topic_for_another_kind_leaves_the_officer_trained_school_trained_or_not():
    assert cover_spans((FIREARMS,), "sro", None, [], YEAR.start, YEAR.end) == (
        (YEAR.start, YEAR.end),)


def test_with_no_required_topic_in_force_school_trained_on_decides():
    later = Topic("firearms", required_to_cover=True, effective_from=d("2025-01-01"))
    spans = cover_spans((later,), None, d("2024-10-01"), [("firearms", d("2025-02-01"))],
                        YEAR.start, YEAR.end)
    assert spans == ((d("2024-10-01"), d("2024-12-31")), (d("2025-02-01"), YEAR.end))
    assert cover_spans((), None, d("2024-10-01"), [], YEAR.start, YEAR.end) == (
        (d("2024-10-01"), YEAR.end),)
    assert cover_spans((), None, None, [], YEAR.start, YEAR.end) == ()


def test_an_expired_required_refresher_is_untrained_until_renewed():
    annual = Topic("qualify", required_to_cover=True, refresh_every_months=12)
    spans = cover_spans((annual, FIREARMS), "guardian", None,
                        [("firearms", d("2023-05-01")), ("qualify", d("2023-11-30")),
                         ("qualify", d("2025-01-06"))], YEAR.start, YEAR.end)
    assert spans == ((YEAR.start, d("2024-11-30")), (d("2025-01-06"), YEAR.end))


# ---------------------------------------------------------------- properties

days = st.dates(min_value=date(2022, 1, 1), max_value=date(2026, 12, 31))


@settings(max_examples=200, deadline=None)
@given(c1=days, c2=days, months=st.integers(1, 36))
def test_expiry_is_monotonic_in_the_completion_date(c1, c2, months):
    lo, hi = sorted((c1, c2))
    assert add_months(lo, months) <= add_months(hi, months)
    [(_, end_lo)] = counting_spans([lo], months)
    [(_, end_hi)] = counting_spans([hi], months)
    assert end_lo <= end_hi
    # Done on the later day, it is done on every day the earlier completion covers from then on.
    for day in (hi, end_lo, end_lo + timedelta(days=1)):
        rule = Rule(None, topics=(Topic("t", refresh_every_months=months),))
        early = deadline_row(officer(), rule, [("t", lo)], day, 0)["expired"]
        late = deadline_row(officer(), rule, [("t", hi)], day, 0)["expired"]
        if day >= hi and not early:
            assert not late


def _counts_on(topic: Topic, sessions: list[tuple[date, float | None]], day: date) -> bool:
    """A direct reading: the hours added day by day up to `day`, each full sum a completion;
    one counts on `day` when it lies within refresh months before it."""
    done, total = [], 0.0
    for when, hours in sorted(sessions, key=lambda s: s[0]):
        if when > day:
            break
        total += hours or 0.0 if topic.hours else 1.0
        if total >= (topic.hours or 1.0) - 1e-9:
            done.append(when)
            total = 0.0
    if topic.refresh_every_months is None:
        return bool(done)
    return any(day <= add_months(c, topic.refresh_every_months) for c in done)


_TOPICS = st.builds(
    Topic, st.sampled_from(["a", "b"]), hours=st.sampled_from([None, 4.0, 8.0]),
    refresh_every_months=st.sampled_from([None, 1, 2, 12]),
    applies_to=st.sampled_from([None, ("guardian",), ("sro",)]), required_to_cover=st.booleans(),
    effective_from=st.sampled_from([None, d("2024-10-01"), d("2024-12-15")]))
YEAR_DAYS = days_of(Year("Y", d("2024-09-01"), d("2025-03-01")))


@settings(max_examples=200, deadline=None)
@given(topics=st.lists(_TOPICS, max_size=3, unique_by=lambda t: (t.id, t.effective_from)),
       kind=st.sampled_from(["guardian", "sro"]),
       school=st.sampled_from([None, d("2024-08-01"), d("2024-11-11")]),
       trainings=st.lists(st.tuples(st.sampled_from(["a", "b"]),
                                    st.dates(d("2024-06-01"), d("2025-03-01")),
                                    st.sampled_from([None, 2.0, 4.0, 8.0])), max_size=8))
def test_cover_spans_agree_with_a_day_by_day_reading(topics, kind, school, trainings):
    # Versions of one topic follow each other: each ends the day before the next begins.
    by_id: dict[str, list[Topic]] = {}
    for t in sorted(topics, key=lambda t: (t.id, t.effective_from or date.min)):
        by_id.setdefault(t.id, []).append(t)
    versions = []
    for chain in by_id.values():
        for this, after in zip(chain, [*chain[1:], None], strict=True):
            until = after.effective_from - timedelta(days=1) if after and after.effective_from \
                else None
            versions.append(Topic(**{**{f: getattr(this, f) for f in Topic.__slots__},
                                     "effective_until": until}))
    spans = cover_spans(versions, kind, school, trainings, YEAR_DAYS[0], YEAR_DAYS[-1])
    got = {day for lo, hi in spans for day in YEAR_DAYS if lo <= day <= hi}
    for day in YEAR_DAYS:
        required = [t for t in versions if t.required_to_cover and t.in_force(day)]
        if not required:
            expected = school is not None and school <= day
        else:
            expected = all(_counts_on(t, [(w, h) for i, w, h in trainings if i == t.id], day)
                           for t in required if t.applies(kind))
        assert (day in got) == expected, day
    assert all(a[1] + timedelta(days=1) < b[0] for a, b in zip(spans, spans[1:], strict=False))


def _oracle_gaps(year, schools, officers, assignments, leaves) -> list[Row]:
    """Gap rows the slow way, each day deciding trained by `Officer.trained_on`."""
    pairs: dict[tuple[str, str], set[str]] = {}
    for school in schools:
        for pattern in {school.feeder_pattern, *school.also_feeds}:
            pairs.setdefault((pattern, school.agency), set()).add(school.id)
    of = {o.badge: o for o in officers}
    mine = [a for a in assignments if a.school_year == year.id and a.officer in of]
    rows = []
    for (pattern, agency), ids in pairs.items():
        per_day = []
        for day in days_of(year):
            s = sorted({a.officer for a in mine if a.role == "cro" and a.feeder_pattern == pattern
                        and of[a.officer].agency == agency and a.start <= day <= a.end})
            act = [b for b in s if of[b].status == "active"]
            ready = [b for b in act if of[b].trained_on(day)]
            away = [b for b in ready if any(lv.officer == b and lv.start <= day <= lv.end
                                            for lv in leaves)]
            kind = (None if len(away) < len(ready) else "unassigned" if not s else
                    "inactive" if not act else "untrained" if not ready else "on_leave")
            per_day.append((day, kind, s[0] if s else None))
        rows += [Row(year.id, pattern, agency, k, lo, hi, who, tuple(sorted(ids)))
                 for k, lo, hi, who in runs(per_day) if k is not None]
    return rows


_SPANS = st.lists(st.tuples(st.integers(-5, 70), st.integers(0, 30)), max_size=3)


@settings(max_examples=200, deadline=None)
@given(district=districts(), spans=st.lists(_SPANS, min_size=5, max_size=5))
def test_the_engine_with_trained_spans_agrees_with_a_day_by_day_reading(district, spans):
    year, schools, officers, assignments, leaves = district
    with_spans = []
    for officer_, drawn in zip(officers, spans, strict=False):
        # Spans may overlap: the engine counts them, and a day inside any is trained.
        trained = tuple(sorted(
            (year.start + timedelta(days=start),
             year.start + timedelta(days=start + length) if length < 30 else FOREVER)
            for start, length in drawn))
        with_spans.append(Officer(officer_.badge, officer_.agency, officer_.status,
                                  officer_.school_trained_on, trained=trained))
    rows, _ = analyse(year, schools, with_spans, assignments, leaves)
    gaps = [r for r in rows if r.kind in ("unassigned", "inactive", "untrained", "on_leave")]
    assert sorted(gaps, key=full_key) == sorted(
        _oracle_gaps(year, schools, with_spans, assignments, leaves), key=full_key)
    for r in rows:
        if r.kind == "untrained_additional":
            assert not next(o for o in with_spans if o.badge == r.officer).trained_on(r.start)


@pytest.mark.parametrize("school", [None, d("2024-10-01")])
def test_an_officer_without_spans_is_trained_from_school_trained_on(school):
    plain = Officer("o", "a", "active", school)
    assert plain.trained_spans() == (() if school is None else ((school, date.max),))
