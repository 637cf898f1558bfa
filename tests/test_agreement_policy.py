"""The agreement policy (SPEC §5.2, "Agreements"): an agreement's term, its review interval and
its window of input, from the rules in force on the school year's first day.

The hand-worked district: one agency with officers assigned in 2026-27 and 2027-28, and one
agreement, adopted for 2024-25. With `term_years: 3` it covers 2024-25, 2025-26 and 2026-27,
and not 2027-28 (2027 - 2024 = 3, not below the term), so 2026-27 is in order and 2027-28 has
`no_agreement`.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from conftest import dump

from crotool.program.agreements import (
    Policy,
    Requirements,
    assess,
    covers,
    review_due,
    review_window,
)

DISTRICT = """\
district: {name: Termville School District}
school_years:
  - {id: "2024-25", start: 2024-09-03, end: 2025-06-20}
  - {id: "2025-26", start: 2025-09-02, end: 2026-06-19}
  - {id: "2026-27", start: 2026-09-01, end: 2027-06-18}
  - {id: "2027-28", start: 2027-09-01, end: 2028-06-16}
agencies:
  - {id: north-pd, name: North Police, kind: city}
feeder_patterns:
  - {id: alpha, name: Alpha, high_school: alpha-hs}
schools:
  - {id: alpha-hs, name: Alpha High, level: high, feeder_pattern: alpha, agency: north-pd}
officers:
  - {badge: A1, name: Ann One, agency: north-pd, school_trained_on: 2020-01-01}
assignments:
  - {officer: A1, feeder_pattern: alpha, school_year: "2026-27"}
  - {officer: A1, feeder_pattern: alpha, school_year: "2027-28"}
agreements:
  - {agency: north-pd, school_year: "2024-25", adopted_on: 2024-08-20, reviewed_on: 2024-08-01}
"""


@pytest.fixture
def termville(cli, tmp_path: Path, isolated_db: Path) -> Path:
    path = tmp_path / "district.yaml"
    path.write_text(DISTRICT)
    result = cli("load", path)
    assert result.exit_code == 0, result.stderr
    return isolated_db


def load(cli, tmp_path: Path, text: str, name: str = "more.yaml") -> None:
    path = tmp_path / name
    path.write_text(text)
    result = cli("load", path)
    assert result.exit_code == 0, result.stderr


def check(cli, year: str) -> list[dict]:
    result = cli("agreements", "check", "--year", year, "-f", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def listed(cli, year: str) -> list[tuple[str, str]]:
    result = cli("agreements", "list", "--year", year, "-f", "json")
    assert result.exit_code == 0, result.stderr
    return [(r["agency"], r["school_year"]) for r in json.loads(result.stdout)]


def annual_agencies(cli, year: str) -> tuple[list[dict], list[str]]:
    result = cli("report", "annual", "--year", year, "-f", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    return report["agencies"], [w for w in report["warnings"] if w.startswith("agency")]


# ---------------------------------------------------------------- pure rules


def test_an_agreement_covers_its_year_and_the_next_term_minus_one():
    three = Policy(term_years=3)
    assert [covers("2024-25", y, three) for y in ("2023-24", "2024-25", "2025-26", "2026-27",
                                                   "2027-28")] == [False, True, True, True,
                                                                   False]
    assert [covers("2024-25", y, Policy()) for y in ("2024-25", "2025-26")] == [True, False]


def test_a_review_is_due_when_older_than_the_interval_at_the_years_start():
    yearly = Policy(review_every_months=12)
    # 2025-09-01 + 12 months = 2026-09-01: not older than that on 2026-09-01; a day more is.
    assert not review_due({"reviewed_on": "2025-09-01"}, "2026-09-01", yearly)
    assert review_due({"reviewed_on": "2025-08-31"}, "2026-09-01", yearly)
    # No reviewed_on: the adoption was the review. No interval: never due.
    assert review_due({"reviewed_on": None, "adopted_on": "2024-08-20"}, "2026-09-01", yearly)
    assert not review_due({"reviewed_on": "2010-01-01"}, "2026-09-01", Policy())


def test_review_due_ranks_after_not_adopted_and_before_incomplete():
    req = Requirements(("a",), {})
    agency = {"id": "x-pd", "name": "X"}
    stale = {"adopted_on": "2024-08-20", "reviewed_on": "2024-08-01", "elements": [],
             "input_from": []}
    yearly = Policy(review_every_months=12)
    row = assess(agency, "2026-27", stale, req, [], year_start="2026-09-01", policy=yearly)
    assert (row["problem"], row["missing_elements"]) == ("review_due", ["a"])
    assert assess(agency, "2026-27", {**stale, "adopted_on": None}, req, [],
                  year_start="2026-09-01", policy=yearly)["problem"] == "not_adopted"
    # Without the year's start (as before the policy), no review is due.
    assert assess(agency, "2026-27", stale, req, [])["problem"] == "incomplete"


def test_the_window_of_input_is_input_within_months():
    first, last = review_window({"reviewed_on": "2024-08-31"}, "2025-06-20", 6)
    assert (first, last) == (date(2024, 3, 1), date(2024, 8, 31))


# ---------------------------------------------------------------- the hand-worked district


def test_without_a_policy_each_year_needs_its_own_agreement(cli, termville):
    assert [r["problem"] for r in check(cli, "2026-27")] == ["no_agreement"]
    assert listed(cli, "2026-27") == []
    assert listed(cli, "2024-25") == [("north-pd", "2024-25")]


def test_a_three_year_term_covers_2026_27_and_not_2027_28(cli, termville, tmp_path):
    load(cli, tmp_path, "agreement_policy: {term_years: 3, source: District policy 1.1}\n")
    assert check(cli, "2026-27") == [{
        "agency": "north-pd", "agency_name": "North Police", "school_year": "2026-27",
        "adopted_on": "2024-08-20", "reviewed_on": "2024-08-01", "missing_elements": [],
        "missing_input": [], "input_from_engagements": [], "problem": None}]
    [late] = check(cli, "2027-28")
    assert (late["problem"], late["adopted_on"]) == ("no_agreement", None)
    # The list of a year is the agreements that cover it; the report's agencies part too.
    assert listed(cli, "2026-27") == [("north-pd", "2024-25")]
    assert listed(cli, "2027-28") == []
    assert annual_agencies(cli, "2026-27") == (
        [{"agency": "north-pd", "name": "North Police", "agreement_adopted_on": "2024-08-20"}],
        [])
    assert annual_agencies(cli, "2027-28") == (
        [{"agency": "north-pd", "name": "North Police", "agreement_adopted_on": None}],
        ["agency north-pd has no adopted agreement on record for 2027-28"])
    # A newer agreement replaces the older one from its own year on, for its own term.
    load(cli, tmp_path, 'agreements:\n  - {agency: north-pd, school_year: "2025-26", '
         "adopted_on: 2025-08-25}\n")
    assert [(r["adopted_on"], r["problem"]) for r in check(cli, "2027-28")] == [
        ("2025-08-25", None)]
    assert listed(cli, "2026-27") == [("north-pd", "2025-26")]


def test_a_review_older_than_the_interval_is_review_due(cli, termville, tmp_path):
    load(cli, tmp_path, "agreement_policy: {term_years: 3, review_every_months: 12}\n")
    # Reviewed 2024-08-01: 12 months later is 2025-08-01, before 2026-09-01.
    [row] = check(cli, "2026-27")
    assert row["problem"] == "review_due"
    failed = cli("agreements", "check", "--year", "2026-27", "--fail-on-problems")
    assert failed.exit_code == 3 and "north-pd: review_due" in failed.stderr
    assert annual_agencies(cli, "2026-27")[1] == [
        "agency north-pd's agreement for 2026-27 is due for review (last reviewed 2024-08-01);"
        " see `crotool agreements check --year 2026-27`"]
    # Reviewed again exactly 12 months before the year's start: in order.
    load(cli, tmp_path, 'agreements:\n  - {agency: north-pd, school_year: "2024-25", '
         "reviewed_on: 2025-09-01}\n", "review.yaml")
    assert [r["problem"] for r in check(cli, "2026-27")] == [None]


def test_the_policy_in_force_on_the_years_first_day_applies(cli, termville, tmp_path):
    # In force from 2026-07-01: 2026-27 (from 2026-09-01) has it; 2025-26 (from 2025-09-02)
    # has none, so each year needs its own agreement there.
    load(cli, tmp_path, "agreement_policy: {term_years: 3, effective_from: 2026-07-01}\n")
    load(cli, tmp_path, 'assignments:\n  - {officer: A1, feeder_pattern: alpha, school_year: '
         '"2025-26"}\n', "assign.yaml")
    assert [r["problem"] for r in check(cli, "2026-27")] == [None]
    assert [r["problem"] for r in check(cli, "2025-26")] == ["no_agreement"]


def test_the_window_of_input_comes_from_the_policy(cli, termville, tmp_path):
    # A parents' group whose input a connector gave 8 months before the review: inside 12
    # months, outside 6.
    load(cli, tmp_path, """\
stakeholder_groups:
  - {id: parents, name: Parents, sectors: [Parent]}
connectors:
  - {id: pat, name: Pat Parent, sector: Parent}
engagements:
  - {date: 2023-12-01, title: Listening session, connectors: [pat], phase: prevention,
     dimension: social}
agreement_policy: {term_years: 3}
""")
    [row] = check(cli, "2026-27")
    assert (row["input_from_engagements"], row["problem"]) == (["parents"], None)
    load(cli, tmp_path, "agreement_policy: {term_years: 3, input_within_months: 6}\n",
         "policy.yaml")
    [row] = check(cli, "2026-27")
    assert (row["missing_input"], row["problem"]) == (["parents"], "incomplete")


@pytest.mark.parametrize(("text", "expected"), [
    ("agreement_policy: {term_years: 0}\n",
     "agreement_policy.term_years: 0 is out of range; allowed 1 to 50"),
    ("pack: {id: town, name: Town policy}\nagreement_policy: {term_years: 0}\n",
     "agreement_policy.term_years: 0 is out of range; allowed 1 to 50"),
])
def test_a_term_below_one_year_is_refused(cli, termville, tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    before = dump(termville)
    result = cli("load", path)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert [line for line in lines if expected in line] == [lines[0]]
    assert lines[1:] == [f"crotool: {path}: 1 problem found; nothing was written"]
    assert dump(termville) == before
