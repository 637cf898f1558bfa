"""The roster through the CLI: `officers add/update/leave`, `assign`, `unassign`,
`assignments list`.

Each test starts from a small district loaded from a YAML file in tmp_path (one 30-day school
year, September 2024, so a day of the month is its day number; today pinned inside it) and
checks what a user sees (exit code, stdout, stderr), what is stored, and the audit rows.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from crotool.store import db

DISTRICT = """\
district: {name: Small District, short_name: SD}
school_years:
  - {id: "2024-25", start: 2024-09-01, end: 2024-09-30}
agencies:
  - {id: north-pd, name: North Police, kind: city, jurisdiction: [North]}
  - {id: south-pd, name: South Police, kind: city, jurisdiction: [South]}
  - {id: county-so, name: County Sheriff, kind: county}
feeder_patterns:
  - {id: alpha, name: Alpha, high_school: alpha-hs}
  - {id: beta, name: Beta, high_school: beta-hs}
schools:
  - {id: alpha-hs, name: Alpha HS, level: high, feeder_pattern: alpha, agency: north-pd}
  - {id: alpha-es, name: Alpha ES, level: elementary, feeder_pattern: alpha, agency: south-pd}
  - {id: beta-hs, name: Beta HS, level: high, feeder_pattern: beta, agency: south-pd}
officers:
  - {badge: "101", name: Nora North, agency: north-pd, school_trained_on: 2024-01-01}
  - {badge: "201", name: Sam South, agency: south-pd, school_trained_on: 2024-01-01}
  - {badge: "202", name: Sue South, agency: south-pd, school_trained_on: null}
  - {badge: "301", name: Cal County, agency: county-so, school_trained_on: 2024-01-01}
"""


@pytest.fixture(autouse=True)
def district(cli, isolated_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CROTOOL_TODAY", "2024-09-10")
    doc = tmp_path / "district.yaml"
    doc.write_text(DISTRICT)
    result = cli("load", doc)
    assert result.exit_code == 0, result.stderr
    return isolated_db


def query(path: Path, sql: str, *params: object) -> list[sqlite3.Row]:
    conn = db.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def audit_rows(path: Path, table: str) -> list[dict]:
    rows = query(path, "SELECT command, row_key, action, changes FROM audit"
                       " WHERE table_name = ? AND command != 'crotool load' ORDER BY id", table)
    return [{**dict(r), "changes": json.loads(r["changes"])} for r in rows]


def officer(path: Path, badge: str) -> dict | None:
    rows = query(path, "SELECT * FROM officers WHERE badge = ?", badge)
    return dict(rows[0]) if rows else None


def assignments(path: Path) -> list[tuple]:
    return [tuple(r) for r in query(
        path, "SELECT officer, feeder_pattern, school_year, role, start, end FROM assignments"
              " ORDER BY id")]


# ---------------------------------------------------------------- officers add


def test_add_stores_every_field_and_audits_it(cli, district):
    result = cli("officers", "add", "0123", "--name", "Lee Leading-Zero", "--agency", "north-pd",
                 "--trained-on", "2024-08-20", "--rank", "Officer", "--phone", "555-0100",
                 "--email", "lee@example.org", "--first-on-campus", "2024-09-03")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "added officer 0123 (Lee Leading-Zero, north-pd, active, school-trained on " \
           "2024-08-20)" in result.stderr
    assert officer(district, "0123") == {
        "badge": "0123", "name": "Lee Leading-Zero", "agency": "north-pd", "status": "active",
        "school_trained_on": "2024-08-20", "rank": "Officer", "phone": "555-0100",
        "email": "lee@example.org", "first_on_campus": "2024-09-03",
        "kind": None}  # m013's column (SPEC 5.2): this district's packs name no officer kind
    [row] = audit_rows(district, "officers")
    assert (row["command"], row["row_key"], row["action"]) == (
        "crotool officers add", "0123", "insert")
    assert row["changes"]["school_trained_on"] == "2024-08-20"


def test_add_without_training_date_is_not_trained_and_inactive_is_kept(cli, district):
    result = cli("officers", "add", "401", "--name", "Ina Active", "--agency", "south-pd",
                 "--status", "inactive")
    assert result.exit_code == 0, result.stderr
    assert "not school-trained yet" in result.stderr
    stored = officer(district, "401")
    assert (stored["status"], stored["school_trained_on"]) == ("inactive", None)


def test_add_refuses_a_badge_that_exists_and_changes_nothing(cli, district):
    before = officer(district, "101")
    result = cli("officers", "add", "101", "--name", "Someone Else", "--agency", "south-pd")
    assert result.exit_code == 1
    assert "officer 101 already exists (Nora North, north-pd)" in result.stderr
    assert "crotool officers update 101" in result.stderr
    assert officer(district, "101") == before
    assert audit_rows(district, "officers") == []


def test_add_lists_every_bad_option_and_writes_nothing(cli, district):
    result = cli("officers", "add", "40 2", "--name", "Bad Input", "--agency", "north-pd",
                 "--trained-on", "2024-02-30")
    assert result.exit_code == 1
    assert "BADGE: '40 2' is not a valid code" in result.stderr
    assert "--trained-on: '2024-02-30' is not a real date" in result.stderr
    assert "2 problems found; nothing was written" in result.stderr
    assert "Traceback" not in result.stderr
    assert query(district, "SELECT count(*) FROM officers")[0][0] == 4


def test_add_with_an_unknown_agency_suggests_the_right_one(cli, district):
    result = cli("officers", "add", "402", "--name", "Bad Input", "--agency", "nort-pd")
    assert result.exit_code == 1
    assert "--agency: unknown agency 'nort-pd'; did you mean 'north-pd'?" in result.stderr
    assert officer(district, "402") is None


# ---------------------------------------------------------------- officers update


def test_update_changes_only_the_given_fields_and_audits_old_and_new(cli, district):
    before = officer(district, "202")
    result = cli("officers", "update", "202", "--trained-on", "2024-09-16", "--phone", "555-0202")
    assert result.exit_code == 0, result.stderr
    assert "updated officer 202: trained_on: none -> 2024-09-16, phone: none -> 555-0202" \
        in result.stderr
    after = officer(district, "202")
    assert after == {**before, "school_trained_on": "2024-09-16", "phone": "555-0202"}
    [row] = audit_rows(district, "officers")
    assert (row["command"], row["row_key"], row["action"]) == (
        "crotool officers update", "202", "update")
    assert row["changes"] == {"school_trained_on": [None, "2024-09-16"],
                              "phone": [None, "555-0202"]}


@pytest.mark.parametrize("word", ["none", "None", "null", "-"])
def test_update_none_clears_the_training_date(cli, district, word):
    result = cli("officers", "update", "101", "--trained-on", word)
    assert result.exit_code == 0, result.stderr
    assert officer(district, "101")["school_trained_on"] is None
    assert audit_rows(district, "officers")[-1]["changes"] == {
        "school_trained_on": ["2024-01-01", None]}


def test_update_status_then_the_same_again_changes_nothing(cli, district):
    assert cli("officers", "update", "201", "--status", "inactive").exit_code == 0
    assert officer(district, "201")["status"] == "inactive"
    again = cli("officers", "update", "201", "--status", "inactive")
    assert again.exit_code == 0
    assert "already says so; nothing changed" in again.stderr
    assert len(audit_rows(district, "officers")) == 1


def test_update_refusals(cli, district):
    unknown = cli("officers", "update", "1011", "--rank", "Sergeant")
    assert unknown.exit_code == 1
    assert "BADGE: unknown officer '1011' (did you mean '101'?)" in unknown.stderr
    nothing = cli("officers", "update", "101")
    assert nothing.exit_code == 1
    assert "nothing to change" in nothing.stderr and "--trained-on" in nothing.stderr
    bad = cli("officers", "update", "101", "--trained-on", "next week")
    assert bad.exit_code == 1
    assert "--trained-on: 'next week' is not a date; write YYYY-MM-DD" in bad.stderr
    bad_status = cli("officers", "update", "101", "--status", "retired")
    assert bad_status.exit_code == 1  # checked as a load checks it, not a usage error
    assert "--status: 'retired' is not allowed; use one of active, inactive" in bad_status.stderr
    assert officer(district, "101")["school_trained_on"] == "2024-01-01"
    assert audit_rows(district, "officers") == []


# ---------------------------------------------------------------- officers leave


def test_leave_is_stored_audited_and_names_the_gap_it_opens(cli, district):
    assert cli("assign", "101", "alpha").exit_code == 0
    result = cli("officers", "leave", "101", "--start", "2024-09-20", "--end", "2024-09-22",
                 "--reason", "Scheduled leave")
    assert result.exit_code == 0, result.stderr
    assert "recorded leave of officer 101, 2024-09-20 to 2024-09-22" in result.stderr
    assert "gap: alpha / north-pd: on_leave 2024-09-20 to 2024-09-22 (3 days), officer 101" \
        in result.stderr
    assert [tuple(r) for r in query(district, "SELECT officer, start, end, reason FROM leaves")
            ] == [("101", "2024-09-20", "2024-09-22", "Scheduled leave")]
    [row] = audit_rows(district, "leaves")
    assert (row["command"], row["row_key"], row["action"]) == (
        "crotool officers leave", "101/2024-09-20", "insert")


def test_leave_same_start_again_updates_its_end(cli, district):
    args = ["officers", "leave", "201", "--start", "2024-09-20"]
    assert cli(*args, "--end", "2024-09-22").exit_code == 0
    result = cli(*args, "--end", "2024-09-25")
    assert result.exit_code == 0, result.stderr
    assert "updated leave of officer 201, 2024-09-20 to 2024-09-25" in result.stderr
    assert [tuple(r) for r in query(district, "SELECT start, end FROM leaves")] == [
        ("2024-09-20", "2024-09-25")]
    assert [r["action"] for r in audit_rows(district, "leaves")] == ["insert", "update"]


def test_leave_that_ends_before_it_starts_is_refused(cli, district):
    result = cli("officers", "leave", "101", "--start", "2024-09-20", "--end", "2024-09-19")
    assert result.exit_code == 1
    assert "--end: 2024-09-19 is before its start 2024-09-20" in result.stderr
    assert "nothing was written" in result.stderr
    assert query(district, "SELECT * FROM leaves") == []


def test_leave_of_an_unknown_officer_is_refused(cli, district):
    result = cli("officers", "leave", "999", "--start", "2024-09-20", "--end", "2024-09-21")
    assert result.exit_code == 1
    assert "BADGE: unknown officer '999'" in result.stderr


# ---------------------------------------------------------------- assign


def test_assign_defaults_to_the_current_year_its_dates_and_cro(cli, district):
    result = cli("assign", "101", "alpha")
    assert result.exit_code == 0, result.stderr
    assert ("assigned officer 101 (Nora North, north-pd) to alpha for 2024-25 as cro, "
            "2024-09-01 to 2024-09-30 (assignment 1)") in result.stderr
    assert "warning" not in result.stderr and "note" not in result.stderr
    assert assignments(district) == [
        ("101", "alpha", "2024-25", "cro", "2024-09-01", "2024-09-30")]
    [row] = audit_rows(district, "assignments")
    assert (row["command"], row["row_key"], row["action"]) == (
        "crotool assign", "101/alpha/2024-25/2024-09-01", "insert")


def test_assign_outside_the_school_year_is_refused(cli, district):
    early = cli("assign", "101", "alpha", "--start", "2024-08-26")
    assert early.exit_code == 1
    assert ("--start: 2024-08-26 is outside school year 2024-25 (2024-09-01 to 2024-09-30)"
            in early.stderr)
    late = cli("assign", "101", "alpha", "--year", "2024-25", "--end", "2024-10-01")
    assert late.exit_code == 1
    assert "--end: 2024-10-01 is outside school year 2024-25" in late.stderr
    backwards = cli("assign", "101", "alpha", "--start", "2024-09-20", "--end", "2024-09-10")
    assert backwards.exit_code == 1
    assert "--end: 2024-09-10 is before its start 2024-09-20" in backwards.stderr
    assert assignments(district) == []
    assert audit_rows(district, "assignments") == []


def test_assign_unknown_ids_get_did_you_mean(cli, district):
    result = cli("assign", "1011", "alfa")
    assert result.exit_code == 1
    assert "BADGE: unknown officer '1011'; did you mean '101'?" in result.stderr
    assert "PATTERN: unknown feeder pattern 'alfa'; did you mean 'alpha'?" in result.stderr
    assert "2 problems found; nothing was written" in result.stderr
    year = cli("assign", "101", "alpha", "--year", "2025-26")
    assert year.exit_code == 1
    assert "--year: unknown school year '2025-26'" in year.stderr
    malformed = cli("assign", "101", "alpha", "--year", "2024-26")
    assert malformed.exit_code == 1
    assert "--year: '2024-26' is not a school year; write it like 2023-24" in malformed.stderr
    assert assignments(district) == []


def test_assign_warns_about_a_second_cro_but_records_it(cli, district):
    assert cli("assign", "201", "beta").exit_code == 0
    result = cli("assign", "202", "beta", "--start", "2024-09-15")
    assert result.exit_code == 0, result.stderr
    assert ("warning: beta / south-pd: duplicate 2024-09-15 to 2024-09-30 (16 days), "
            "officer 201") in result.stderr
    assert "the rule is one" in result.stderr
    assert "undo with `crotool unassign 2`" in result.stderr
    assert len(assignments(district)) == 2


def test_assign_warns_out_of_jurisdiction(cli, district):
    result = cli("assign", "301", "alpha")
    assert result.exit_code == 0, result.stderr
    assert ("warning: alpha / county-so: out_of_jurisdiction 2024-09-01 to 2024-09-30 "
            "(30 days), officer 301") in result.stderr
    assert "county-so has no school in alpha" in result.stderr


def test_assign_warns_untrained_additional(cli, district):
    result = cli("assign", "202", "alpha", "--role", "additional", "--start", "2024-09-05")
    assert result.exit_code == 0, result.stderr
    assert ("warning: alpha / south-pd: untrained_additional 2024-09-05 to 2024-09-30 "
            "(26 days), officer 202") in result.stderr
    assert assignments(district) == [
        ("202", "alpha", "2024-25", "additional", "2024-09-05", "2024-09-30")]


def test_assign_of_an_untrained_cro_notes_the_gap_it_leaves(cli, district):
    assert cli("officers", "update", "202", "--trained-on", "2024-09-11").exit_code == 0
    result = cli("assign", "202", "alpha")
    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr
    assert ("note: not covered: alpha / south-pd: untrained 2024-09-01 to 2024-09-10 "
            "(10 days), officer 202") in result.stderr


def test_assign_same_key_again_is_unchanged_then_updates_its_end(cli, district):
    assert cli("assign", "101", "alpha").exit_code == 0
    again = cli("assign", "101", "alpha")
    assert again.exit_code == 0
    assert "assignment 1 already says so" in again.stderr
    shorter = cli("assign", "101", "alpha", "--end", "2024-09-20")
    assert shorter.exit_code == 0, shorter.stderr
    assert "updated assignment 1: end: 2024-09-30 -> 2024-09-20" in shorter.stderr
    assert assignments(district) == [
        ("101", "alpha", "2024-25", "cro", "2024-09-01", "2024-09-20")]
    assert [r["action"] for r in audit_rows(district, "assignments")] == ["insert", "update"]


# ---------------------------------------------------------------- unassign


def test_unassign_without_a_terminal_or_yes_is_refused(cli, district):
    assert cli("assign", "101", "alpha").exit_code == 0
    result = cli("unassign", "1")
    assert result.exit_code == 1
    assert "refused without --yes (no terminal to ask on)" in result.stderr
    assert len(assignments(district)) == 1
    assert [r["action"] for r in audit_rows(district, "assignments")] == ["insert"]


def test_unassign_by_id_with_yes_deletes_and_audits_every_value(cli, district):
    assert cli("assign", "101", "alpha").exit_code == 0
    result = cli("unassign", "1", "--yes")
    assert result.exit_code == 0, result.stderr
    assert ("deleted assignment 1: officer 101 (Nora North) to alpha, 2024-25, cro, "
            "2024-09-01 to 2024-09-30") in result.stderr
    assert ("note: now not covered: alpha / north-pd: unassigned 2024-09-01 to 2024-09-30 "
            "(30 days)") in result.stderr
    assert assignments(district) == []
    row = audit_rows(district, "assignments")[-1]
    assert (row["command"], row["row_key"], row["action"]) == (
        "crotool unassign", "101/alpha/2024-25/2024-09-01", "delete")
    assert row["changes"] == {"id": 1, "officer": "101", "feeder_pattern": "alpha",
                              "school_year": "2024-25", "role": "cro", "start": "2024-09-01",
                              "end": "2024-09-30"}


def test_unassign_by_badge_and_pattern(cli, district):
    assert cli("assign", "201", "beta").exit_code == 0
    assert cli("assign", "202", "beta", "--start", "2024-09-15").exit_code == 0
    result = cli("unassign", "201", "beta", "--year", "2024-25", "--yes")
    assert result.exit_code == 0, result.stderr
    # 202 is not trained: removing 201 leaves beta without a working CRO.
    assert "note: now not covered: beta / south-pd: untrained 2024-09-15 to 2024-09-30" \
        in result.stderr
    assert [a[0] for a in assignments(district)] == ["202"]


def test_unassign_by_badge_and_pattern_when_ambiguous_lists_the_ids(cli, district):
    assert cli("assign", "201", "beta", "--end", "2024-09-10").exit_code == 0
    assert cli("assign", "201", "beta", "--start", "2024-09-20").exit_code == 0
    result = cli("unassign", "201", "beta", "--yes")
    assert result.exit_code == 1
    assert ("officer 201 has 2 assignments to beta in 2024-25: 1 (cro, 2024-09-01 to "
            "2024-09-10), 2 (cro, 2024-09-20 to 2024-09-30)") in result.stderr
    assert "crotool unassign 1" in result.stderr
    assert len(assignments(district)) == 2


def test_unassign_refusals_say_what_to_type(cli, district):
    missing = cli("unassign", "7", "--yes")
    assert missing.exit_code == 1
    assert "no assignment 7" in missing.stderr and "assignments list" in missing.stderr
    badge_alone = cli("unassign", "0101", "--yes")
    assert badge_alone.exit_code == 1
    assert "'0101' is not an assignment id" in badge_alone.stderr
    just_badge = cli("unassign", "101", "--year", "2024-25", "--yes")
    assert just_badge.exit_code == 1
    assert "'101' is a badge: give the pattern too" in just_badge.stderr
    none_there = cli("unassign", "101", "beta", "--yes")
    assert none_there.exit_code == 1
    assert "officer 101 has no assignment to beta in 2024-25" in none_there.stderr


# ---------------------------------------------------------------- assignments list


def _list(cli, *args: str) -> list[dict]:
    result = cli("assignments", "list", "-f", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_assignments_list_columns_order_and_filters(cli, district):
    for args in (["202", "beta", "--start", "2024-09-15"], ["201", "beta"], ["101", "alpha"],
                 ["301", "alpha", "--role", "additional"]):
        assert cli("assign", *args).exit_code == 0
    assert cli("officers", "update", "201", "--status", "inactive").exit_code == 0
    rows = _list(cli)
    assert list(rows[0]) == ["id", "school_year", "feeder_pattern", "officer", "officer_name",
                             "agency", "role", "start", "end", "officer_status"]
    # By year, pattern, agency, start.
    assert [(r["feeder_pattern"], r["agency"], r["officer"]) for r in rows] == [
        ("alpha", "county-so", "301"), ("alpha", "north-pd", "101"),
        ("beta", "south-pd", "201"), ("beta", "south-pd", "202")]
    assert rows[2] == {"id": 2, "school_year": "2024-25", "feeder_pattern": "beta",
                       "officer": "201", "officer_name": "Sam South", "agency": "south-pd",
                       "role": "cro", "start": "2024-09-01", "end": "2024-09-30",
                       "officer_status": "inactive"}
    assert [r["officer"] for r in _list(cli, "--pattern", "beta")] == ["201", "202"]
    assert [r["officer"] for r in _list(cli, "--agency", "north-pd")] == ["101"]
    assert [r["officer"] for r in _list(cli, "--officer", "301")] == ["301"]
    assert len(_list(cli, "--year", "2024-25")) == 4
    table = cli("assignments", "list")
    assert "officer status" in table.stdout and "Sam South" in table.stdout


def test_assignments_list_unknown_filter_and_empty(cli, district):
    unknown = cli("assignments", "list", "--agency", "south")
    assert unknown.exit_code == 1
    assert "--agency: unknown agency 'south'" in unknown.stderr
    assert _list(cli) == []
    assert "no assignments match" in cli("assignments", "list").stdout
