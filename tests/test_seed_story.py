"""The bundled seed tells the story it was arranged to tell.

data/seed.yaml's comment block above `officers:` describes the 2023-24 coverage story; these
tests spell out the rows `crotool gaps` must print for it, check the coverage report's numbers,
and read the comment block itself so that the data and its description cannot drift apart.
"""

from __future__ import annotations

import json
import re

from conftest import SEED

from crotool.program.coverage_rule import CONFLICT_KINDS

LAKE_WASHINGTON_REDMOND = ["audubon-es", "rose-hill-ms", "rush-es", "stella-schola"]
EASTLAKE_KCSO = ["alcott-es", "evergreen-ms", "tesla-stem-hs", "timberline-ms"]
EASTLAKE_SAMMAMISH = ["blackwell-es", "carson-es", "eastlake-hs", "inglewood-ms",
                      "mcauliffe-es", "mead-es", "renaissance-school", "smith-es"]
REDMOND_KCSO = ["baker-es", "dickinson-es", "evergreen-ms", "explorer-community-school",
                "rosa-parks-es", "timberline-ms", "wilder-es"]


def gap(pattern, agency, kind, start, end, days, officer, schools):
    return {"school_year": "2023-24", "feeder_pattern": pattern, "agency": agency,
            "kind": kind, "start": start, "end": end, "days": days, "officer": officer,
            "schools": schools}


STORY = [
    gap("eastlake", "kcso", "unassigned", "2023-09-05", "2024-06-21", 291, None, EASTLAKE_KCSO),
    gap("eastlake", "sammamish-pd", "on_leave", "2023-10-30", "2023-11-26", 28, "3045",
        EASTLAKE_SAMMAMISH),
    gap("lake-washington", "redmond-pd", "untrained", "2023-09-05", "2023-10-15", 41, "2307",
        LAKE_WASHINGTON_REDMOND),
    gap("lake-washington", "redmond-pd", "on_leave", "2024-04-08", "2024-04-21", 14, "2307",
        LAKE_WASHINGTON_REDMOND),
    gap("redmond", "kcso", "unassigned", "2023-09-05", "2024-06-21", 291, None, REDMOND_KCSO),
]

COVERAGE = [  # pattern, agency, officers, covered days (of 291)
    ("eastlake", "kcso", [], 0),
    ("eastlake", "sammamish-pd", ["3045", "3112"], 291 - 28),
    ("juanita", "kirkland-pd", ["0417"], 291),
    ("lake-washington", "kirkland-pd", ["1182"], 291),  # 1260 is additional: not listed
    ("lake-washington", "redmond-pd", ["2307"], 291 - 41 - 14),
    ("redmond", "kcso", [], 0),
    ("redmond", "redmond-pd", ["2291"], 291),
]


def gaps_json(cli, *args: str) -> list[dict]:
    result = cli("gaps", "-f", "json", *args)
    assert result.exit_code == 0, result.stderr
    # The calendar-day story; the seed's school days are checked in tests/test_years.py.
    return [{k: v for k, v in r.items() if k != "school_days"} for r in json.loads(result.stdout)]


def test_gaps_tell_the_seed_story(cli, seeded_copy):
    assert gaps_json(cli, "--year", "2023-24") == STORY
    assert not [r for r in STORY if r["kind"] in CONFLICT_KINDS]  # "Expected conflicts: none"


def test_the_current_year_is_2023_24_today(cli, seeded_copy):
    assert gaps_json(cli) == STORY  # today is pinned to 2024-01-15


def test_fail_on_gaps_on_the_seed_exits_3(cli, seeded_copy):
    result = cli("gaps", "--fail-on-gaps", "-q")
    assert result.exit_code == 3
    assert "Gaps and conflicts, 2023-24: lake-washington" in result.stdout


def test_hand_over_from_3045_to_3112_leaves_no_gap(cli, seeded_copy):
    for day in ("2024-01-28", "2024-01-29"):
        assert gaps_json(cli, "--on", day, "--pattern", "eastlake",
                         "--agency", "sammamish-pd") == []
    on_leave = gaps_json(cli, "--on", "2023-11-26", "--agency", "sammamish-pd")
    assert [(r["kind"], r["officer"]) for r in on_leave] == [("on_leave", "3045")]
    assert gaps_json(cli, "--on", "2023-11-27", "--agency", "sammamish-pd") == []


def test_2307_is_untrained_until_2023_10_15_then_covers(cli, seeded_copy):
    args = ("--pattern", "lake-washington", "--agency", "redmond-pd")
    assert [r["kind"] for r in gaps_json(cli, "--on", "2023-10-15", *args)] == ["untrained"]
    assert gaps_json(cli, "--on", "2023-10-16", *args) == []
    assert [r["kind"] for r in gaps_json(cli, "--on", "2024-04-21", *args)] == ["on_leave"]
    assert gaps_json(cli, "--on", "2024-04-22", *args) == []


def test_the_coverage_report_on_the_seed(cli, seeded_copy):
    result = cli("report", "coverage", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert [{k: v for k, v in r.items() if "school_days" not in k}
            for r in json.loads(result.stdout)] == [
        {"school_year": "2023-24", "feeder_pattern": p, "agency": a, "officers": o,
         "days": 291, "covered_days": c, "gap_days": 291 - c} for p, a, o, c in COVERAGE]
    assert "2023-24: 7 required pairs: 3 covered all year, 2 partly, 2 never" in result.stderr


def test_the_seed_comment_describes_the_same_rows():
    """Every `kind start .. end (N days[, officer B])` line of the comment block, under its
    `pattern / agency` heading, is a row of STORY, and every row of STORY is described."""
    text = SEED.read_text(encoding="utf-8")
    block = text[text.index("# The intended 2023-24 story"):text.index("\nofficers:")]
    assert "291 days; 7 required pattern/agency pairs" in block
    described = []
    pair = None
    for line in block.splitlines():
        heading = re.match(r"#\s+([a-z-]+)\s+/\s+([a-z-]+)\s", line)
        if heading:
            pair = heading.groups()
        run = re.match(r"#\s+(unassigned|inactive|untrained|on_leave)\s+(\S+) \.\. (\S+)\s+"
                       r"\((\d+) days(?:, officer (\w+))?\)", line)
        if run:
            kind, start, end, days, officer = run.groups()
            described.append((*pair, kind, start, end, int(days), officer))
    # The comment tells it pair by pair in its own order; gaps orders by pattern, agency, start.
    assert sorted(described, key=lambda d: (d[0], d[1], d[3], d[2])) == [
        (r["feeder_pattern"], r["agency"], r["kind"], r["start"], r["end"], r["days"],
         r["officer"]) for r in STORY]
    headings = {m.groups() for m in re.finditer(r"#\s+([a-z-]+)\s+/\s+([a-z-]+)\s", block)}
    assert headings == {(p, a) for p, a, _, _ in COVERAGE}
