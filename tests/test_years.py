"""School years over time: years list/add/update/rollover, the stale-year
warning, school days and closures."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from conftest import SEED, dump, run_installed
from hypothesis import given, settings
from hypothesis import strategies as st

from crotool.program.years import SchoolYear
from crotool.store import db

STALE = "2026-12-01"


def q(path: Path, sql: str, *params: object) -> list[tuple]:
    conn = db.connect(path)
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning:")]


# ---------------------------------------------------------------- school days


def test_hand_worked_gap_with_a_holiday():
    """Mon 2025-11-03 .. Fri 2025-11-21: 19 days, 15 weekdays, one of them (Tue 11-11) closed."""
    y = SchoolYear("2025-26", date(2025, 9, 2), date(2026, 6, 17),
                   closures=((date(2025, 11, 11), date(2025, 11, 11)),))
    lo, hi = date(2025, 11, 3), date(2025, 11, 21)
    assert (hi - lo).days + 1 == 19
    assert y.school_days(lo, hi) == 14


def test_a_gap_inside_a_closure_has_no_school_days():
    y = SchoolYear("2023-24", date(2023, 9, 5), date(2024, 6, 21),
                   closures=((date(2023, 12, 18), date(2024, 1, 1)),))
    assert y.school_days(date(2023, 12, 20), date(2023, 12, 29)) == 0
    assert y.school_days(date(2023, 12, 16), date(2023, 12, 17)) == 0  # a weekend
    assert y.school_days(date(2024, 1, 1), date(2024, 1, 2)) == 1


def test_school_days_clip_to_the_year_and_month_ends_and_leap_day():
    y = SchoolYear("2023-24", date(2023, 9, 5), date(2024, 6, 21))
    assert y.school_days(date(2023, 8, 1), date(2023, 9, 8)) == 4  # Tue 5 .. Fri 8
    assert y.school_days(date(2024, 2, 28), date(2024, 3, 1)) == 3  # Wed, leap Thu 29, Fri
    assert y.school_days(date(2024, 6, 30), date(2024, 7, 4)) == 0
    weekend = SchoolYear("w", date(2024, 2, 1), date(2024, 3, 31), weekdays=(5, 6))
    assert weekend.school_days() == 18  # Feb 2024: 8 weekend days; March (Sat 2 .. Sun 31): 10


def _reference(year: SchoolYear, lo: date, hi: date) -> int:
    return sum(year.is_school_day(lo + timedelta(n)) for n in range((hi - lo).days + 1))


@st.composite
def years_and_spans(draw):
    start = date(2020, 1, 1) + timedelta(draw(st.integers(0, 2000)))
    end = start + timedelta(draw(st.integers(1, 399)))
    weekdays = tuple(sorted(draw(st.sets(st.integers(0, 6), min_size=1))))
    cuts = sorted(draw(st.lists(st.integers(0, (end - start).days), max_size=12, unique=True)))
    closures = tuple((start + timedelta(a), start + timedelta(b))
                     for a, b in zip(cuts[::2], cuts[1::2], strict=False))
    year = SchoolYear("y", start, end, weekdays, closures)
    lo = start + timedelta(draw(st.integers(-30, (end - start).days)))
    hi = lo + timedelta(draw(st.integers(0, 420)))
    return year, lo, hi


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(years_and_spans())
def test_school_days_equal_a_day_by_day_count(case):
    year, lo, hi = case
    assert year.school_days(lo, hi) == _reference(year, lo, hi)


def test_the_seed_school_days_match_its_closures(cli, seeded_copy):
    """Every gap row's school_days is the day-by-day count over the seed's own closures."""
    doc = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    [sy] = doc["school_years"]
    closures = [(c["start"], c["end"]) for c in doc["closures"]]

    def school_day(d: date) -> bool:
        return d.weekday() < 5 and not any(a <= d <= b for a, b in closures)

    rows = json.loads(cli("gaps", "--year", "2023-24", "-f", "json").stdout)
    assert rows
    for r in rows:
        lo, hi = date.fromisoformat(r["start"]), date.fromisoformat(r["end"])
        assert r["school_days"] == sum(school_day(lo + timedelta(n))
                                       for n in range((hi - lo).days + 1))
    coverage = json.loads(cli("report", "coverage", "-f", "json").stdout)
    total = sum(school_day(sy["start"] + timedelta(n))
                for n in range((sy["end"] - sy["start"]).days + 1))
    for pair in coverage:
        assert pair["school_days"] == total
        assert pair["covered_school_days"] + pair["gap_school_days"] == total
    listed = json.loads(cli("years", "list", "-f", "json").stdout)
    assert listed == [{"id": "2023-24", "start": "2023-09-05", "end": "2024-06-21",
                       "days": 291, "school_days": total, "state": "current",
                       "assignments": 7}]


# ---------------------------------------------------------------- the stale-year warning


@pytest.mark.slow
def test_gaps_quiet_warns_on_a_stale_year_then_years_add_silences_it(seeded_copy):
    env = {"CROTOOL_DB": str(seeded_copy), "CROTOOL_TODAY": STALE}
    before = run_installed("gaps", "-q", env={**env, "CROTOOL_TODAY": "2024-01-15"})
    stale = run_installed("gaps", "-q", env=env)
    assert stale.returncode == before.returncode == 0
    assert stale.stdout == before.stdout  # it still shows 2023-24, as before
    [line] = warnings(stale.stderr)
    assert "2026-12-01" in line and "2023-24" in line and "ended on 2024-06-21" in line
    assert "crotool years add 2026-27" in line
    added = run_installed("years", "add", "2026-27", "--start", "2026-09-02",
                          "--end", "2027-06-17", env=env)
    assert added.returncode == 0, added.stderr
    now = run_installed("gaps", "-q", "-f", "json", env=env)
    assert now.returncode == 0 and warnings(now.stderr) == []
    assert {r["school_year"] for r in json.loads(now.stdout)} == {"2026-27"}
    listed = json.loads(run_installed("years", "list", "-f", "json", env=env).stdout)
    assert [(y["id"], y["state"]) for y in listed] == [("2023-24", "past"),
                                                        ("2026-27", "current")]


def test_summer_names_the_year_that_ended_and_the_one_that_starts(cli, seeded_copy):
    assert cli("years", "add", "2024-25", "--start", "2024-09-03",
               "--end", "2025-06-18").exit_code == 0
    result = cli("report", "coverage", "-q", env={"CROTOOL_TODAY": "2024-07-15"})
    assert result.exit_code == 0
    [line] = warnings(result.stderr)
    assert "2023-24 ended on 2024-06-21 and 2024-25 starts on 2024-09-03" in line
    assert "using 2023-24" in line and "--year 2024-25" in line


def test_every_fallback_warns_and_an_explicit_year_does_not(cli, seeded_copy):
    env = {"CROTOOL_TODAY": STALE}
    for args in (["gaps"], ["report", "coverage"], ["report", "duties"], ["duty", "list"],
                 ["assignments", "list"]):
        result = cli(*args, env=env)
        assert result.exit_code == 0, (args, result.stderr)
        expected = 0 if args[0] == "assignments" else 1  # every year unless --year
        assert len(warnings(result.stderr)) == expected, (args, result.stderr)
        if args[0] != "assignments":
            quiet = cli(*args, "--year", "2023-24", env=env)
            assert warnings(quiet.stderr) == [], args


def test_duty_log_on_a_day_in_no_year_says_so_and_duty_list_shows_it(cli, seeded_copy):
    env = {"CROTOOL_TODAY": STALE}
    result = cli("duty", "log", "--officer", "0417", "--school", "juanita-hs",
                 "--category", "traffic-safety", env=env)
    assert result.exit_code == 0, result.stderr
    assert len(warnings(result.stderr)) == 1
    assert "out of pattern" not in result.stderr
    assert "no school year contains 2026-12-01" in result.stderr
    listed = cli("duty", "list", "--from", STALE, "--to", STALE, "-f", "json", env=env)
    assert warnings(listed.stderr) == []
    assert [(r["officer"], r["at"][:10]) for r in json.loads(listed.stdout)] == [
        ("0417", STALE)]
    at = cli("duty", "log", "--officer", "0417", "--school", "juanita-hs",
             "--category", "traffic-safety", "--at", "2026-12-02T10:00", env=env)
    assert warnings(at.stderr) == [] and "no school year contains 2026-12-02" in at.stderr


# ---------------------------------------------------------------- years add / update


def test_years_add_refuses_everything_at_once_and_writes_nothing(cli, seeded_copy):
    before = dump(seeded_copy)
    cases = {
        ("2024-2", "2024-09-03", "2025-06-18"): ["ID: '2024-2' is not a school year"],
        ("2025-26", "2024-09-03", "2025-06-18"): ["--start: 2024-09-03 is not in 2025"],
        ("2024-25", "2024-09-03", "2024-09-03"): ["--end: 2024-09-03 is its start day"],
        ("2024-25", "2024-09-03", "2024-08-01"): ["--end: 2024-08-01 is before its start"],
        ("2024-25", "2024-09-03", "2025-12-18"): ["is 472 days, longer than"],
        ("2023-24", "2023-09-01", "2024-06-01"): ["already exists"],
        ("2024-25", "2024-06-01", "2025-06-18"): [
            "overlaps school year 2023-24 (2023-09-05 to 2024-06-21)"],
        ("2025-26", "2024-06-01", "2025-12-18"): [
            "is not in 2025", "longer than", "overlaps school year 2023-24"],
    }
    for (year_id, start, end), fragments in cases.items():
        result = cli("years", "add", year_id, "--start", start, "--end", end)
        assert result.exit_code == 1, (year_id, result.stderr)
        for fragment in fragments:
            assert fragment in result.stderr, (fragment, result.stderr)
        n = len(fragments)
        assert f"{n} problem{'s' if n > 1 else ''} found; nothing was written" in result.stderr
        assert dump(seeded_copy) == before


def test_years_update_lists_the_assignments_that_would_fall_outside(cli, seeded_copy):
    before = dump(seeded_copy)
    outside = [r[0] for r in q(seeded_copy, "SELECT id FROM assignments WHERE start < ?"
                               " ORDER BY id", "2023-10-01")]
    result = cli("years", "update", "2023-24", "--start", "2023-10-01")
    assert result.exit_code == 1
    assert f"assignments {', '.join(map(str, outside))} of 2023-24 would fall outside" in (
        result.stderr)
    assert "closures" not in result.stderr  # the first closure is in November
    assert dump(seeded_copy) == before
    late = cli("years", "update", "2023-24", "--end", "2024-06-10", "--start", "2023-09-06")
    assert late.exit_code == 1 and "closure 2024-06-19 to 2024-06-19" in late.stderr
    assert dump(seeded_copy) == before
    unknown = cli("years", "update", "2023-25", "--end", "2024-06-25")
    assert unknown.exit_code == 1 and dump(seeded_copy) == before


def test_years_update_moves_the_dates_with_an_audit_row(cli, seeded_copy):
    result = cli("years", "update", "2023-24", "--end", "2024-06-25")
    assert result.exit_code == 0, result.stderr
    assert "end: 2024-06-21 -> 2024-06-25" in result.stderr
    assert q(seeded_copy, "SELECT end FROM school_years") == [("2024-06-25",)]
    assert q(seeded_copy, "SELECT command, action FROM audit WHERE table_name ="
             " 'school_years' ORDER BY id DESC LIMIT 1") == [("crotool years update",
                                                             "update")]


def test_a_year_that_gains_days_names_the_gaps_and_how_to_close_them(cli, seeded_copy):
    assert cli("years", "add", "2024-25", "--start", "2024-09-03",
               "--end", "2025-06-18").exit_code == 0
    assert cli("years", "rollover", "2023-24", "2024-25").exit_code == 0
    before = q(seeded_copy, "SELECT * FROM assignments ORDER BY id")
    longer = cli("years", "update", "2024-25", "--end", "2025-06-20")
    assert longer.exit_code == 0, longer.stderr
    assert q(seeded_copy, "SELECT * FROM assignments ORDER BY id") == before  # left as is
    lines = longer.stderr.splitlines()
    noted = [ln for ln in lines if ln.startswith("note: now not covered: ")]
    # Every required pair: the seven the gaps report has, each over the two days gained only.
    gaps = json.loads(cli("gaps", "--year", "2024-25", "-f", "json").stdout)
    assert len(noted) == len({(g["feeder_pattern"], g["agency"]) for g in gaps}) == 7
    assert all(ln.endswith("2025-06-19 to 2025-06-20 (2 days)") for ln in noted)
    assert ("note: assignment 8 (3112 to eastlake) still ends on 2025-06-18; to run it to the "
            "new end: `crotool assign 3112 eastlake --year 2024-25 --start 2024-09-03 "
            "--end 2025-06-20`") in lines
    # The command it gives does what it says, and that pair's note is gone next time.
    assert cli("assign", "3112", "eastlake", "--year", "2024-25", "--start", "2024-09-03",
               "--end", "2025-06-20").exit_code == 0
    earlier = cli("years", "update", "2024-25", "--start", "2024-09-02")
    assert earlier.exit_code == 0, earlier.stderr
    noted = [ln for ln in earlier.stderr.splitlines() if ln.startswith("note: now not ")]
    assert noted and all(ln.endswith("2024-09-02 to 2024-09-02 (1 day)") for ln in noted)
    assert "still ends" not in earlier.stderr  # the end did not move
    # Moving back inside the assignments: nothing gained, nothing noted.
    inside = cli("years", "update", "2024-25", "--start", "2024-09-03")
    assert inside.exit_code == 0 and "note:" not in inside.stderr


# ---------------------------------------------------------------- rollover


def _in_force(path: Path, day: str) -> list[tuple]:
    return q(path, "SELECT a.officer, a.feeder_pattern, a.role FROM assignments a"
             " JOIN officers o ON o.badge = a.officer WHERE a.school_year = '2023-24'"
             " AND a.start <= ? AND a.end >= ? AND o.status = 'active' ORDER BY 1, 2",
             day, day)


def test_rollover_copies_exactly_what_is_in_force_on_the_last_day(cli, seeded_copy):
    assert cli("years", "add", "2024-25", "--start", "2024-09-03",
               "--end", "2025-06-18").exit_code == 0
    expected = _in_force(seeded_copy, "2024-06-21")
    assert expected  # the seed has assignments that run to the year's end

    before = seeded_copy.read_bytes()
    dry = cli("years", "rollover", "2023-24", "2024-25", "--dry-run", "-f", "json")
    assert dry.exit_code == 0, dry.stderr
    assert len(json.loads(dry.stdout)) == len(expected)
    assert seeded_copy.read_bytes() == before
    assert not Path(str(seeded_copy) + "-wal").exists() or q(
        seeded_copy, "SELECT count(*) FROM assignments WHERE school_year = '2024-25'") == [(0,)]

    first = cli("years", "rollover", "2023-24", "2024-25", "-f", "json")
    assert first.exit_code == 0, first.stderr
    copied = q(seeded_copy, "SELECT officer, feeder_pattern, role FROM assignments"
               " WHERE school_year = '2024-25' ORDER BY 1, 2")
    assert copied == expected
    assert q(seeded_copy, "SELECT DISTINCT start, end FROM assignments"
             " WHERE school_year = '2024-25'") == [("2024-09-03", "2025-06-18")]
    audited = q(seeded_copy, "SELECT count(*) FROM audit WHERE command ="
                " 'crotool years rollover' AND table_name = 'assignments'")
    assert audited == [(len(expected),)]
    # The summary it prints is the one `gaps --year` prints.
    gaps = cli("gaps", "--year", "2024-25", "-f", "json")
    summary = [ln for ln in gaps.stderr.splitlines() if ln.startswith("2024-25:")]
    assert summary and summary[0] in first.stderr.splitlines()
    assert "2024-25: 2 gaps" in summary[0]  # the two agencies with no CRO in 2023-24 either

    middle = dump(seeded_copy, data_only=True)
    second = cli("years", "rollover", "2023-24", "2024-25", "-f", "json")
    assert second.exit_code == 0 and json.loads(second.stdout) == []
    assert f"copied 0, {len(expected)} already in 2024-25" in second.stderr
    assert dump(seeded_copy, data_only=True) == middle


def test_rollover_leaves_out_inactive_officers_and_warns_of_conflicts(cli, seeded_copy):
    assert cli("years", "add", "2024-25", "--start", "2024-09-03",
               "--end", "2025-06-18").exit_code == 0
    assert cli("officers", "update", "2291", "--status", "inactive").exit_code == 0
    # An officer whose agency has no school in the pattern, in force on the last day.
    assert cli("assign", "2350", "juanita", "--year", "2023-24").exit_code == 0
    result = cli("years", "rollover", "2023-24", "2024-25")
    assert result.exit_code == 0, result.stderr
    assert "left out: officer 2291" in result.stderr and "inactive" in result.stderr
    assert any("juanita / redmond-pd: out_of_jurisdiction" in w
               for w in warnings(result.stderr))
    assert q(seeded_copy, "SELECT count(*) FROM assignments WHERE school_year = '2024-25'"
             " AND officer = '2291'") == [(0,)]


def test_rollover_keeps_a_place_the_new_year_already_gives_another_officer(cli, seeded_copy):
    assert cli("years", "add", "2024-25", "--start", "2024-09-03",
               "--end", "2025-06-18").exit_code == 0
    assert cli("years", "rollover", "2023-24", "2024-25").exit_code == 0
    # The hand-over of the README: eastlake back to 3045 for the new year.
    assert cli("unassign", "3112", "eastlake", "--year", "2024-25", "--yes").exit_code == 0
    assert cli("assign", "3045", "eastlake", "--year", "2024-25").exit_code == 0
    held = dump(seeded_copy, data_only=True)
    again = cli("years", "rollover", "2023-24", "2024-25", "-f", "json")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout) == []
    assert dump(seeded_copy, data_only=True) == held  # the same again adds nothing
    assert ("kept: eastlake / sammamish-pd (cro) is held in 2024-25 by officer 3045 "
            "(Morgan Placeholder-Reyes); 3112 (Riley Sampleby) was not copied") in again.stderr
    assert "copied 0, 6 already in 2024-25, 0 left out" in again.stderr
    assert not warnings(again.stderr)
    # A place taken before the first rollover is kept the same way, with no second CRO.
    assert cli("years", "add", "2025-26", "--start", "2025-09-02",
               "--end", "2026-06-17").exit_code == 0
    assert cli("assign", "1182", "juanita", "--year", "2025-26").exit_code == 0
    first = cli("years", "rollover", "2024-25", "2025-26", "-f", "json")
    assert first.exit_code == 0, first.stderr
    assert "juanita" not in {c["feeder_pattern"] for c in json.loads(first.stdout)
                             if c["officer"] == "0417"}
    assert "kept: juanita / kirkland-pd (cro) is held in 2025-26 by officer 1182" in (
        first.stderr)
    assert q(seeded_copy, "SELECT officer FROM assignments WHERE school_year = '2025-26'"
             " AND feeder_pattern = 'juanita' AND role = 'cro'") == [("1182",)]


def test_rollover_of_unknown_years_writes_nothing(cli, seeded_copy):
    before = dump(seeded_copy)
    for args in (("2023-24", "2024-25"), ("2022-23", "2023-24"), ("2023-24", "2023-24")):
        result = cli("years", "rollover", *args)
        assert result.exit_code == 1, result.stderr
    assert dump(seeded_copy) == before


# ---------------------------------------------------------------- closures as data


def test_closures_load_with_every_rule_checked(cli, seeded_copy, tmp_path):
    before = dump(seeded_copy)
    bad = tmp_path / "bad.yaml"
    bad.write_text("""closures:
  - {school_year: "2023-24", start: 2023-08-01, end: 2023-08-02}
  - {school_year: "2023-24", start: 2024-03-05, end: 2024-03-01}
  - {school_year: "2023-24", start: 2023-12-20, end: 2023-12-21}
  - {school_year: "2022-23", start: 2023-01-02, end: 2023-01-02}
""")
    result = cli("load", bad)
    assert result.exit_code == 1
    assert "closures[2023-24/2023-08-01].start: 2023-08-01 is outside school year 2023-24" in (
        result.stderr)
    assert "closures[2023-24/2024-03-05].end: 2024-03-01 is before its start" in result.stderr
    assert "overlaps the closure 2023-12-18 to 2024-01-01 of 2023-24" in result.stderr
    assert "unknown school year '2022-23'" in result.stderr
    assert dump(seeded_copy) == before

    good = tmp_path / "closures.csv"
    good.write_text("school_year,start,end,reason\n2023-24,2024-03-15,2024-03-15,Staff day\n")
    imported = cli("import", "closures", good)
    assert imported.exit_code == 0, imported.stderr
    listed = json.loads(cli("years", "list", "-f", "json").stdout)
    seed_days = json.loads(cli("years", "list", "-f", "json",
                               env={"CROTOOL_TODAY": "2024-01-15"}).stdout)
    assert listed == seed_days and listed[0]["school_days"] == 181  # one Friday fewer


# ---------------------------------------------------------------- the README stays true


def test_the_readme_new_year_example_is_real_output(cli, seeded_copy):
    import re
    import shlex

    from conftest import ROOT

    text = (ROOT / "docs" / "guide.md").read_text(encoding="utf-8")  # the README's, moved
    section = text[text.index("### Starting a new school year"):
                   text.index("<!-- /section:years -->")]
    env = {"CROTOOL_TODAY": "2024-08-20"}
    assert "export CROTOOL_TODAY=2024-08-20" in section
    ran = 0
    for block in re.findall(r"```console\n(.*?)```", section, re.S):
        steps = re.split(r"^\$ ", block, flags=re.M)[1:]
        for step in steps:
            command, *shown = step.rstrip("\n").split("\n")
            if command.startswith("export "):
                continue
            cut = None
            if " | cut " in command:
                command, _, pipe = command.partition(" | ")
                cut = re.search(r"-f(\d+)-(\d+)", pipe).groups()
            words = shlex.split(command)
            assert words[0] == "crotool"
            result = cli(*words[1:], env=env)
            assert result.exit_code == 0, (command, result.stderr)
            lines = result.stdout.splitlines() + result.stderr.splitlines()
            if cut is not None:
                lo, hi = int(cut[0]), int(cut[1])
                lines = [",".join(ln.split(",")[lo - 1:hi]) for ln in result.stdout.splitlines()]
            for line in shown:
                if line != "...":
                    assert line in lines, (command, line, lines)
            ran += 1
    assert ran == 6
