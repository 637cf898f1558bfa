"""Per-topic training rules and officer kinds through the commands (SPEC §5.2): a small
district whose rule pack has officer kinds, hours, a refresher, applies_to, a deadline from
the first assignment and topics required to cover; the bundled seed, whose packs mark none,
answers as before (tests/test_training.py, tests/test_gaps_cli.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import dump

PACK = """\
pack:
  id: tp
  name: Test pack for per-topic training rules
  jurisdiction: Testland
  source: hand-written for tests
officer_kinds:
  - {id: sro, name: School resource officer, source: test}
  - {id: guardian, name: School guardian, source: test}
training_topics:
  - {id: firearms, name: Firearms, kind: classroom, hours: 16, applies_to: [guardian],
     required_to_cover: true, source: test}
  - {id: qualify, name: Annual qualification, kind: classroom, refresh_every_months: 12,
     applies_to: [guardian], required_to_cover: true, source: test}
  - {id: crisis, name: Crisis intervention, kind: classroom, due_within_months: 6,
     applies_to: [sro], source: test}
  - {id: orientation, name: Orientation, kind: classroom, due_within_months: 1,
     due_from: assignment_start, source: test}
"""

# G1, a guardian, is assigned to east all year. Its firearms hours reach 16 on 2024-10-15
# (two 8-hour sessions), its qualification was done on 2024-09-01: it counts for coverage
# from 2024-10-15. S1 is of the first kind listed (sro, given no kind), assigned to west from
# 2024-09-03; the guardian topics do not apply to it, so it covers west though it has no
# school_trained_on.
SEED = """\
district: {name: Test District, short_name: TD, rule_packs: [tp]}
school_years:
  - {id: 2024-25, start: 2024-08-15, end: 2025-06-13}
agencies:
  - {id: town-pd, name: Town Police, kind: city, jurisdiction: [Town]}
feeder_patterns:
  - {id: east, name: East, high_school: east-hs}
  - {id: west, name: West, high_school: west-hs}
schools:
  - {id: east-hs, name: East HS, level: high, feeder_pattern: east, agency: town-pd}
  - {id: west-hs, name: West HS, level: high, feeder_pattern: west, agency: town-pd}
officers:
  - {badge: G1, name: Gale Guardian, agency: town-pd, kind: guardian,
     first_on_campus: 2024-08-15}
  - {badge: S1, name: Sam Sro, agency: town-pd, first_on_campus: 2024-08-15}
assignments:
  - {officer: G1, feeder_pattern: east, school_year: 2024-25}
  - {officer: S1, feeder_pattern: west, school_year: 2024-25, start: 2024-09-03}
trainings:
  - {officer: G1, topic: firearms, completed_on: 2024-10-08, hours: 8}
  - {officer: G1, topic: firearms, completed_on: 2024-10-15, hours: 8}
  - {officer: G1, topic: qualify, completed_on: 2024-09-01}
  - {officer: G1, topic: orientation, completed_on: 2024-08-20}
  - {officer: S1, topic: orientation, completed_on: 2024-09-10}
"""


@pytest.fixture
def district(cli, tmp_path: Path, isolated_db: Path) -> Path:
    (tmp_path / "tp.yaml").write_text(PACK)
    (tmp_path / "seed.yaml").write_text(SEED)
    result = cli("load", tmp_path / "tp.yaml", tmp_path / "seed.yaml")
    assert result.exit_code == 0, result.stderr
    return isolated_db


def rows(cli, *args: str) -> list[dict]:
    result = cli(*args, "-f", "json")
    assert result.exit_code in (0, 3), result.stderr
    return json.loads(result.stdout)


def due(cli, as_of: str, *more: str) -> dict[str, dict]:
    return {r["officer"]: r for r in rows(cli, "training", "due", "--as-of", as_of, *more)}


# ---------------------------------------------------------------- coverage


def test_a_required_topic_done_on_2024_10_15_leaves_an_untrained_gap_ending_the_14th(
        cli, district):
    gaps = rows(cli, "gaps")
    assert [(g["feeder_pattern"], g["kind"], g["start"], g["end"], g["officer"])
            for g in gaps] == [
        ("east", "untrained", "2024-08-15", "2024-10-14", "G1"),
        # west: before S1's assignment; from then on S1 covers it (no guardian topic applies
        # to an sro, and school_trained_on does not count where topics are required).
        ("west", "unassigned", "2024-08-15", "2024-09-02", None)]
    pairs = {r["feeder_pattern"]: r for r in rows(cli, "report", "coverage")}
    assert pairs["east"]["gap_days"] == 61  # 2024-08-15 to 2024-10-14


def test_hours_short_of_the_topic_leave_the_guardian_untrained(cli, district):
    # The session of 2024-10-15 was 4 hours, not 8: 12 of 16, never complete.
    cli("training", "record", "G1", "firearms", "--on", "2024-10-15", "--hours", "4")
    [east, _] = rows(cli, "gaps")
    assert (east["kind"], east["start"], east["end"]) == ("untrained", "2024-08-15",
                                                          "2025-06-13")
    # Four more hours on the 17th complete it.
    cli("training", "record", "G1", "firearms", "--on", "2024-10-17", "--hours", "4")
    [east, _] = rows(cli, "gaps")
    assert (east["kind"], east["end"]) == ("untrained", "2024-10-16")


def test_an_expired_qualification_opens_an_untrained_gap_until_renewed(cli, district,
                                                                      tmp_path):
    year = tmp_path / "year.yaml"
    year.write_text("school_years:\n  - {id: 2025-26, start: 2025-08-15, end: 2026-06-12}\n"
                    "assignments:\n  - {officer: G1, feeder_pattern: east, school_year: 2025-26}"
                    "\n")
    assert cli("load", year).exit_code == 0
    cli("training", "record", "G1", "qualify", "--on", "2025-09-10")
    east = [g for g in rows(cli, "gaps", "--year", "2025-26") if g["feeder_pattern"] == "east"]
    # Done 2024-09-01, it counts through 2025-09-01; renewed 2025-09-10.
    assert [(g["kind"], g["start"], g["end"]) for g in east] == [
        ("untrained", "2025-09-02", "2025-09-09")]


def test_a_district_whose_packs_mark_no_topic_keeps_school_trained_on(cli, seeded):
    """The bundled seed: no topic is required to cover; its gaps are the ones it always had."""
    kinds = {g["kind"] for g in rows(cli, "gaps", "--year", "2023-24")}
    assert "untrained" in kinds  # 2307's days before its school_trained_on (2023-10-16)
    untrained = [g for g in rows(cli, "gaps", "--year", "2023-24") if g["kind"] == "untrained"]
    assert [(g["officer"], g["end"]) for g in untrained] == [("2307", "2023-10-15")]


# ---------------------------------------------------------------- training due


def test_the_refresher_counts_on_2025_09_01_and_is_expired_on_2025_09_02(cli, district):
    last = due(cli, "2025-09-01")["G1"]
    assert (last["expired"], last["status"]) == ([], "due_soon")  # its last day
    after = due(cli, "2025-09-02")["G1"]
    assert (after["expired"], after["missing"], after["status"]) == (["qualify"], [], "expired")
    assert (after["classroom_done"], after["classroom_required"]) == (2, 3)


def test_expired_is_not_overdue_for_fail_on_overdue(cli, district):
    result = cli("training", "due", "--as-of", "2025-09-02", "--agency", "town-pd",
                 "--fail-on-overdue", "-f", "json")
    assert result.exit_code == 3  # S1's crisis training is overdue
    cli("training", "record", "S1", "crisis", "--on", "2025-01-10")
    result = cli("training", "due", "--as-of", "2025-09-02", "--fail-on-overdue")
    assert result.exit_code == 0, result.stderr  # G1 expired only
    assert "1 complete, 1 expired" in result.stderr or "1 expired, 1 complete" in result.stderr


def test_sixteen_hours_in_two_sessions_complete_the_topic_after_the_second(cli, district):
    assert "firearms" in due(cli, "2024-10-14")["G1"]["missing"]
    assert "firearms" not in due(cli, "2024-10-15")["G1"]["missing"]


def test_topics_for_guardians_do_not_apply_to_an_sro(cli, district):
    sro = due(cli, "2024-09-10")["S1"]
    assert (sro["classroom_required"], sro["missing"]) == (2, ["crisis"])
    guardian = due(cli, "2024-09-10")["G1"]
    assert guardian["classroom_required"] == 3  # firearms, qualify, orientation


def test_orientation_is_due_a_month_after_the_first_assignment(cli, district):
    cli("officers", "add", "S2", "--name", "Sky Sro", "--agency", "town-pd")
    cli("assign", "S2", "west", "--start", "2024-10-01")
    row = due(cli, "2024-11-02")["S2"]  # no first_on_campus: its row comes from the assignment
    assert (row["first_on_campus"], row["classroom_due"], row["status"]) == (
        None, "2024-11-01", "overdue")
    assert row["missing"] == ["crisis", "orientation"]


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown", "html", "svg"])
def test_training_due_with_expired_in_every_format(cli, district, fmt):
    result = cli("training", "due", "--as-of", "2025-09-02", "-f", fmt)
    assert result.exit_code == 0, result.stderr
    assert "G1" in result.stdout
    if fmt == "csv":
        header = result.stdout.splitlines()[0]
        assert header.split(",")[7:9] == ["missing", "expired"]
    if fmt == "html":
        assert "; expired: a topic" in result.stdout  # the legend says what red means


def test_training_list_names_each_topic_once(cli, district):
    listed = rows(cli, "training", "list", "--officer", "G1")
    assert [(r["topic"], r["topic_name"]) for r in listed] == [
        ("orientation", "Orientation"), ("qualify", "Annual qualification"),
        ("firearms", "Firearms"), ("firearms", "Firearms")]


# ---------------------------------------------------------------- officer kinds


def test_officers_take_the_first_kind_listed_and_show_it(cli, district):
    kinds = {r["badge"]: r["kind"] for r in rows(cli, "officers", "list")}
    assert kinds == {"G1": "guardian", "S1": "sro"}
    assert cli("officers", "add", "S3", "--name", "Sol", "--agency", "town-pd").exit_code == 0
    assert {r["badge"]: r["kind"] for r in rows(cli, "officers", "list")}["S3"] == "sro"


def test_officers_add_and_update_kind(cli, district):
    added = cli("officers", "add", "G2", "--name", "Gil", "--agency", "town-pd", "--kind",
                "guardian")
    assert added.exit_code == 0, added.stderr
    changed = cli("officers", "update", "G2", "--kind", "sro")
    assert "kind: guardian -> sro" in changed.stderr
    before = dump(district)
    bad = cli("officers", "update", "G2", "--kind", "gaurdian")
    assert bad.exit_code == 1
    assert "--kind: unknown officer kind 'gaurdian'; did you mean 'guardian'?" in bad.stderr
    assert dump(district) == before


def test_a_kind_not_in_force_today_is_refused(cli, district, tmp_path):
    later = tmp_path / "later.yaml"
    later.write_text(PACK.replace("  - {id: guardian, name: School guardian, source: test}",
                                  "  - {id: guardian, name: School guardian, source: test}\n"
                                  "  - {id: deputy, name: Deputy, source: test,"
                                  " effective_from: 2030-01-01}"))
    assert cli("rules", "load", later).exit_code == 0
    result = cli("officers", "update", "G1", "--kind", "deputy")
    assert result.exit_code == 1
    assert "officer kind 'deputy' is not in force on 2024-01-15" in result.stderr


def test_the_exported_roster_imports_as_itself_kinds_and_all(cli, district, tmp_path):
    out = tmp_path / "officers.csv"
    assert cli("officers", "list", "-f", "csv", "-o", out).exit_code == 0
    before = dump(district, data_only=True)
    result = cli("import", "officers", out, "--output-format", "json")
    assert result.exit_code == 0, result.stderr
    [row] = json.loads(result.stdout)
    assert (row["inserted"], row["updated"], row["unchanged"]) == (0, 0, 2)
    assert dump(district, data_only=True) == before
    out.write_text(out.read_text().replace("G1,Gale Guardian,,town-pd,active,guardian",
                                           "G1,Gale Guardian,,town-pd,active,sro"))
    assert cli("import", "officers", out).exit_code == 0
    assert {r["badge"]: r["kind"] for r in rows(cli, "officers", "list")}["G1"] == "sro"
    # No guardian assigned any more: east is covered all year.
    assert [g["feeder_pattern"] for g in rows(cli, "gaps")] == ["west"]


def test_an_import_without_a_kind_keeps_the_stored_one_and_gives_new_officers_the_first(
        cli, district, tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("badge,name,agency,status\nG1,Gale Guardian,town-pd,active\n"
                    "N1,New One,town-pd,active\n")
    assert cli("import", "officers", path).exit_code == 0
    kinds = {r["badge"]: r["kind"] for r in rows(cli, "officers", "list")}
    assert (kinds["G1"], kinds["N1"]) == ("guardian", "sro")


def test_a_topic_for_an_unknown_kind_is_refused_in_one_line(cli, district, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(PACK.replace("applies_to: [sro]", "applies_to: [sr0]"))
    before = dump(district)
    result = cli("rules", "load", bad)
    assert result.exit_code == 1
    assert "training_topics[crisis].applies_to: unknown officer kind 'sr0'; did you mean " \
           "'sro'?" in result.stderr
    assert dump(district) == before


def test_the_bundled_officers_are_sworn(cli, seeded):
    assert {r["kind"] for r in rows(cli, "officers", "list")} == {"sworn"}
    assert cli("officers", "update", "2350", "--kind", "security-staff").exit_code == 0
    # WA's topics apply to every kind: the same deadlines as before.
    assert due(cli, "2024-03-15")["2350"]["status"] == "overdue"


def test_a_rollover_dry_run_counts_the_required_topics_as_the_rollover_does(cli, district):
    assert cli("years", "add", "2025-26", "--start", "2025-08-15", "--end",
               "2026-06-12").exit_code == 0
    dry = cli("years", "rollover", "2024-25", "2025-26", "--dry-run")
    real = cli("years", "rollover", "2024-25", "2025-26")
    summary = "2025-26: 1 gap (284 pattern-agency days uncovered)"  # qualify lapses 2025-09-02
    assert summary in dry.stderr and summary in real.stderr


def test_db_check_names_an_officer_of_a_kind_no_applied_pack_defines(cli, district):
    import sqlite3

    conn = sqlite3.connect(str(district), isolation_level=None)
    conn.execute("UPDATE officers SET kind = 'ghost' WHERE badge = 'S1'")
    conn.execute("UPDATE training_topics SET applies_to = '[\"spectre\"]' WHERE id = 'crisis'")
    conn.close()
    result = cli("db", "check", "-f", "json")
    assert result.exit_code == 1
    failed = {(r["check"], r["detail"]) for r in json.loads(result.stdout)
              if r["status"] == "fail"}
    assert ("officer_kind", "officers[S1]: kind 'ghost' is defined by no applied rule pack"
            ) in failed
    assert any(check.endswith("applies_to") and "spectre" in detail
               for check, detail in failed), failed


def test_kind_completes_the_officer_kinds_of_the_applied_packs(seeded):
    import typer.main

    from crotool.cli.common import ids
    from crotool.cli.officers import officers_app

    class Ctx:
        def find_root(self):
            return self

        params = {"db": str(seeded)}

    assert ids("officer_kinds")(Ctx(), "") == ["security-staff", "sworn"]  # type: ignore[arg-type]
    assert ids("officer_kinds")(Ctx(), "sw") == ["sworn"]  # type: ignore[arg-type]
    group = typer.main.get_command(officers_app)
    for name in ("add", "update"):
        [kind] = [p for p in group.commands[name].params if p.name == "kind"]  # type: ignore[attr-defined]
        assert kind.opts == ["--kind"] and kind._custom_shell_complete is not None
