"""Agreements: the check on the seed, input from engagements, bad input, and the
`assign` warning for an officer from whom no training deadline can run."""

from __future__ import annotations

import json
from datetime import date

import pytest
from conftest import dump

from crotool.program.agreements import Requirements, assess, groups_reached, review_window

REQ = Requirements(("a", "b"), {"parents": frozenset({"parents"}),
                                "students": frozenset({"students"}),
                                "community": frozenset({"faith", "business"})})
AGENCY = {"id": "x-pd", "name": "X Police"}


def agreement(**kw) -> dict:
    return {"adopted_on": "2023-09-01", "reviewed_on": "2023-08-20", "elements": ["a", "b"],
            "input_from": ["parents", "students", "community"], **kw}


def test_each_problem_in_spec_order():
    assert assess(AGENCY, "2023-24", None, REQ, [])["problem"] == "no_agreement"
    assert assess(AGENCY, "2023-24", agreement(adopted_on=None, elements=[]), REQ, [])[
        "problem"] == "not_adopted"
    row = assess(AGENCY, "2023-24", agreement(elements=["b"], input_from=["parents"]), REQ, [])
    assert (row["problem"], row["missing_elements"], row["missing_input"]) == (
        "incomplete", ["a"], ["community", "students"])
    assert assess(AGENCY, "2023-24", agreement(), REQ, [])["problem"] is None


def test_no_agreement_lacks_everything():
    row = assess(AGENCY, "2023-24", None, REQ, ["students"])
    assert (row["missing_elements"], row["missing_input"]) == (["a", "b"],
                                                               ["community", "parents", "students"])


def test_engagement_input_fills_a_group_the_agreement_does_not_name():
    row = assess(AGENCY, "2023-24", agreement(input_from=["parents", "community"]), REQ,
                 ["parents", "students"])
    assert row["problem"] is None
    assert row["input_from_engagements"] == ["students"]


def test_sectors_map_to_groups_ignoring_case_and_space():
    assert groups_reached(REQ, [" Faith ", "STUDENTS", None, "unknown"]) == ["community",
                                                                            "students"]


@pytest.mark.parametrize("dates,expected", [
    ({"reviewed_on": "2024-02-29", "adopted_on": "2024-03-10"}, ("2023-03-01", "2024-02-29")),
    ({"reviewed_on": None, "adopted_on": "2023-10-23"}, ("2022-10-24", "2023-10-23")),
    ({"reviewed_on": None, "adopted_on": None}, ("2023-06-22", "2024-06-21")),  # year's end
])
def test_review_window_is_the_twelve_months_up_to_the_review(dates, expected):
    first, last = review_window(dates, "2024-06-21")
    assert (first, last) == tuple(date.fromisoformat(x) for x in expected)


# ---------------------------------------------------------------- the commands, on the seed


def check_rows(cli, *args: str) -> list[dict]:
    result = cli("agreements", "check", *args, "-f", "json")
    assert result.exit_code in (0, 3), result.stderr
    return json.loads(result.stdout)


def test_agreements_check_on_the_seed_tells_its_story(cli, seeded):
    rows = check_rows(cli, "--year", "2023-24")
    # One row per agency with an assignment in the year: KCSO has none.
    assert [r["agency"] for r in rows] == ["kirkland-pd", "redmond-pd", "sammamish-pd"]
    by = {r["agency"]: r for r in rows}
    assert by["kirkland-pd"]["problem"] is None
    assert by["kirkland-pd"]["input_from_engagements"] == ["students"]  # Student Voice Council
    assert by["redmond-pd"]["problem"] is None
    assert by["sammamish-pd"] == {
        "agency": "sammamish-pd", "agency_name": "Sammamish Police Department",
        "school_year": "2023-24", "adopted_on": "2023-09-05", "reviewed_on": "2023-08-29",
        "missing_elements": [], "missing_input": ["students"], "input_from_engagements": [],
        "problem": "incomplete"}


def test_fail_on_problems_exits_3_and_0_when_none(cli, seeded, tmp_path):
    result = cli("agreements", "check", "--year", "2023-24", "--fail-on-problems")
    assert result.exit_code == 3
    assert "sammamish-pd: incomplete" in result.stderr
    fix = tmp_path / "fix.yaml"
    fix.write_text('agreements:\n  - {agency: sammamish-pd, school_year: "2023-24", '
                   "input_from: [parents, students, community]}\n")
    assert cli("load", fix).exit_code == 0
    ok = cli("agreements", "check", "--year", "2023-24", "--fail-on-problems", "-q")
    assert ok.exit_code == 0, ok.stdout


def test_no_agreement_and_not_adopted_from_the_data(cli, seeded, tmp_path):
    doc = tmp_path / "a.yaml"
    doc.write_text('agreements:\n  - {agency: redmond-pd, school_year: "2023-24", '
                   "adopted_on: null}\n")
    assert cli("load", doc).exit_code == 0
    by = {r["agency"]: r["problem"] for r in check_rows(cli, "--year", "2023-24")}
    assert by["redmond-pd"] == "not_adopted"
    assert cli("assign", "3045", "eastlake", "--year", "2023-24", "--role", "additional"
               ).exit_code == 0
    kcso = cli("officers", "update", "0923", "--status", "active")
    assert kcso.exit_code == 0
    assert cli("assign", "0923", "redmond", "--year", "2023-24").exit_code == 0
    by = {r["agency"]: r for r in check_rows(cli, "--year", "2023-24")}
    assert by["kcso"]["problem"] == "no_agreement"
    assert len(by["kcso"]["missing_elements"]) == 7


def test_agreements_list_and_every_format(cli, seeded):
    rows = json.loads(cli("agreements", "list", "--year", "2023-24", "-f", "json").stdout)
    assert [r["agency"] for r in rows] == ["kirkland-pd", "redmond-pd", "sammamish-pd"]
    assert rows[0]["input_from"] == ["parents", "community"]
    assert len(rows[0]["elements"]) == 7
    for fmt in ("table", "csv", "markdown", "html", "svg"):
        for command in ("list", "check"):
            result = cli("agreements", command, "--year", "2023-24", "-f", fmt)
            assert result.exit_code == 0, (fmt, result.stderr)
            assert "sammamish-pd" in result.stdout


@pytest.mark.parametrize("record,expected", [
    ('{agency: nowhere-pd, school_year: "2023-24"}',
     "agreements[nowhere-pd/2023-24].agency: unknown agency 'nowhere-pd'"),
    ('{agency: kcso, school_year: "2031-32"}',
     "agreements[kcso/2031-32].school_year: unknown school year '2031-32'"),
    ('{agency: kcso, school_year: "2023-24", elements: [hiring-placement, hiring]}',
     "agreements[kcso/2023-24].elements: unknown agreement element 'hiring'"),
    ('{agency: kcso, school_year: "2023-24", input_from: [teachers]}',
     "agreements[kcso/2023-24].input_from: unknown stakeholder group 'teachers'"),
])
def test_bad_agreement_is_refused_and_writes_nothing(cli, seeded, tmp_path, record, expected):
    doc = tmp_path / "bad.yaml"
    doc.write_text(f"agreements:\n  - {record}\n")
    before = dump(seeded)
    result = cli("load", doc)
    assert result.exit_code == 1
    assert f"{doc}:2: {expected}" in result.stderr
    assert dump(seeded) == before


def test_import_agreements_csv_with_list_cells(cli, seeded, tmp_path):
    data = tmp_path / "a.csv"
    data.write_text("agency,school_year,adopted_on,elements,input_from\n"
                    "kcso,2023-24,2023-09-01,hiring-placement;performance-evaluation,parents\n")
    result = cli("import", "agreements", data)
    assert result.exit_code == 0, result.stderr
    [row] = json.loads(cli("agreements", "list", "--agency", "kcso", "-f", "json").stdout)
    assert row["elements"] == ["hiring-placement", "performance-evaluation"]
    bad = tmp_path / "b.csv"
    bad.write_text("agency,school_year,elements\nkcso,2023-24,nope\n")
    before = dump(seeded)
    refused = cli("import", "agreements", bad)
    assert refused.exit_code == 1
    assert "unknown agreement element 'nope'" in refused.stderr
    assert dump(seeded) == before


def test_db_check_finds_an_unknown_element_behind_the_tools_back(cli, seeded):
    from crotool.store import db

    conn = db.connect(seeded)
    with db.transaction(conn):
        conn.execute("UPDATE agreements SET elements = '[\"gone\"]' WHERE agency = 'kcso' OR "
                     "agency = 'redmond-pd'")
    conn.close()
    result = cli("db", "check", "-f", "json")
    assert result.exit_code == 1
    found = [r for r in json.loads(result.stdout) if r["check"] == "agreement_elements"]
    assert found[0]["status"] == "fail"
    assert "agreements[redmond-pd/2023-24]: elements names unknown agreement element 'gone'" \
        in found[0]["detail"]


# ---------------------------------------------------------------- assign


def test_assign_warns_when_no_training_deadline_can_run(cli, seeded):
    cleared = cli("officers", "update", "2350", "--first-on-campus", "none")
    assert cleared.exit_code == 0, cleared.stderr
    result = cli("assign", "2350", "redmond", "--year", "2023-24", "--role", "additional")
    assert result.exit_code == 0, result.stderr
    assert ("warning: officer 2350 has neither school_trained_on nor first_on_campus") \
        in result.stderr
    # With a first day on campus, no such warning.
    cli("officers", "update", "2350", "--first-on-campus", "2023-08-31")
    again = cli("assign", "2350", "redmond", "--year", "2023-24", "--role", "additional",
                "--end", "2024-06-01")
    assert "neither school_trained_on" not in again.stderr


def test_the_annual_report_warns_of_an_incomplete_agreement_as_check_finds_it(cli, seeded):
    checked = json.loads(cli("agreements", "check", "--year", "2023-24", "-f", "json").stdout)
    incomplete = [r for r in checked if r["problem"] == "incomplete"]
    assert [r["agency"] for r in incomplete] == ["sammamish-pd"]
    report = json.loads(cli("report", "annual", "--year", "2023-24", "-f", "json").stdout)
    assert ("agency sammamish-pd's agreement for 2023-24 is incomplete (no input from: "
            "students); see `crotool agreements check --year 2023-24`") in report["warnings"]
    assert not any("kirkland-pd's agreement" in w for w in report["warnings"])
