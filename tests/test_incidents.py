"""Incidents, complaints, schedules and `report annual`, on a hand-worked district.

The district (3 schools, 2 agencies, 4 officers, 5 incidents, 3 complaints, schedules) is
written out below, and so is the report it must give, worked out by hand from it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from conftest import dump

from crotool.store import db

DISTRICT = """\
district: {name: Testville School District}
school_years:
  - {id: "2022-23", start: 2022-09-01, end: 2023-06-30}
  - {id: "2023-24", start: 2023-09-01, end: 2024-06-30}
agencies:
  - {id: north-pd, name: North Police, kind: city}
  - {id: south-so, name: South Sheriff, kind: county}
feeder_patterns:
  - {id: alpha, name: Alpha, high_school: alpha-hs}
  - {id: beta, name: Beta, high_school: beta-hs}
  - {id: gamma, name: Gamma}
schools:
  - {id: alpha-hs, name: Alpha High, level: high, feeder_pattern: alpha, agency: north-pd}
  - {id: beta-hs, name: Beta High, level: high, feeder_pattern: beta, agency: south-so}
  - {id: gamma-es, name: Gamma Elementary, level: elementary, feeder_pattern: gamma,
     agency: south-so}
officers:
  - {badge: A1, name: Ann One, agency: north-pd, school_trained_on: 2020-01-01}
  - {badge: A2, name: Al Two, agency: north-pd, school_trained_on: 2020-01-01}
  - {badge: B1, name: Bea One, agency: south-so, school_trained_on: 2020-01-01}
  - {badge: B2, name: Bo Two, agency: south-so, status: inactive}
assignments:
  - {officer: A1, feeder_pattern: alpha, school_year: "2023-24", role: cro}
  - {officer: A2, feeder_pattern: alpha, school_year: "2023-24", role: additional}
  - {officer: B1, feeder_pattern: beta, school_year: "2023-24", role: cro}
  - {officer: B2, feeder_pattern: beta, school_year: "2023-24", role: additional}
student_categories:
  - {kind: race, id: white, name: White}
  - {kind: race, id: asian, name: Asian}
  - {kind: race, id: hispanic-latino, name: Hispanic/Latino of any race}
  - {kind: ethnicity, id: hispanic-latino, name: Hispanic or Latino}
  - {kind: ethnicity, id: not-hispanic-latino, name: Not Hispanic or Latino}
  - {kind: gender, id: female, name: Female}
  - {kind: gender, id: male, name: Male}
  - {kind: gender, id: gender-x, name: Gender X}
schedules:
  - {officer: A1, school: alpha-hs, school_year: "2023-24", days_per_week: 3}
  - {officer: A2, school: alpha-hs, school_year: "2023-24", days_per_week: 0.5}
  - {officer: B2, school: gamma-es, school_year: "2023-24", days_per_week: 1}
incidents:
  - {reference: I1, school: alpha-hs, at: 2023-10-02T09:00, officers: [A1], discipline: true,
     summary: Fight in the cafeteria, notes: SECRET-NOTE-I1}
  - {reference: I2, school: beta-hs, at: 2023-12-01T14:00, officers: [B1, B2],
     discipline: true, arrest: true, summary: Arrest after a threat}
  - {reference: I3, school: gamma-es, at: 2024-03-15T10:30, use_of_force: true}
  - {reference: I4, school: alpha-hs, at: 2024-01-10T08:00, summary: Welfare check}
  - {reference: I5, school: beta-hs, at: 2023-05-10T12:00, discipline: true}
incident_students:
  - {incident: I1, seq: 1, race: white, ethnicity: not-hispanic-latino, gender: female,
     grade: "9", iep: true, plan_504: false}
  - {incident: I1, seq: 2, race: asian, ethnicity: not-hispanic-latino, gender: male,
     grade: "10", iep: false, plan_504: true}
  - {incident: I2, seq: 1, race: hispanic-latino, ethnicity: hispanic-latino,
     gender: gender-x, grade: "12", iep: false, plan_504: false}
  - {incident: I3, seq: 1, grade: "3"}
  - {incident: I5, seq: 1, race: white, gender: male}
complaints:
  - {reference: C1, received_on: 2023-09-20, agency: north-pd, officer: A1, school: alpha-hs,
     about: student_interaction, filed_with: school, status: closed, closed_on: 2023-10-01}
  - {reference: C2, received_on: 2024-02-01, agency: south-so, about: job_duties,
     filed_with: agency}
  - {reference: C3, received_on: 2024-06-20, agency: north-pd, about: job_duties,
     filed_with: school, status: closed, closed_on: 2024-07-15}
"""

STUDENT = {"race": "unknown", "ethnicity": "unknown", "gender": "unknown", "grade": "unknown",
           "iep": None, "plan_504": None}
EXPECTED = {
    "school_year": "2023-24",
    "staff": [
        {"school": "alpha-hs", "name": "Alpha High", "officers": ["A1", "A2"],
         "staff_count": 2, "days_per_week": {"A1": 3, "A2": 0.5}},
        {"school": "beta-hs", "name": "Beta High", "officers": ["B1", "B2"],
         "staff_count": 2, "days_per_week": {"B1": None, "B2": None}},
        {"school": "gamma-es", "name": "Gamma Elementary", "officers": [], "staff_count": 0,
         "days_per_week": {}},
    ],
    "staff_total": 4,
    "agencies": [
        {"agency": "north-pd", "name": "North Police", "agreement_adopted_on": None},
        {"agency": "south-so", "name": "South Sheriff", "agreement_adopted_on": None},
    ],
    "incidents": [
        {"reference": "I1", "school": "alpha-hs", "at": "2023-10-02T09:00:00",
         "discipline": True, "use_of_force": False, "arrest": False,
         "summary": "Fight in the cafeteria", "students": [
             {"seq": 1, "race": "white", "ethnicity": "not-hispanic-latino",
              "gender": "female", "grade": "9", "iep": True, "plan_504": False},
             {"seq": 2, "race": "asian", "ethnicity": "not-hispanic-latino", "gender": "male",
              "grade": "10", "iep": False, "plan_504": True}]},
        {"reference": "I2", "school": "beta-hs", "at": "2023-12-01T14:00:00",
         "discipline": True, "use_of_force": False, "arrest": True,
         "summary": "Arrest after a threat", "students": [
             {"seq": 1, "race": "hispanic-latino", "ethnicity": "hispanic-latino",
              "gender": "gender-x", "grade": "12", "iep": False, "plan_504": False}]},
        {"reference": "I3", "school": "gamma-es", "at": "2024-03-15T10:30:00",
         "discipline": False, "use_of_force": True, "arrest": False, "summary": None,
         "students": [{"seq": 1, **STUDENT, "grade": "3"}]},
    ],
    "complaints": {"job_duties": 2, "student_interaction": 1},
    "warnings": [
        "buildings with assigned officers but no schedule in 2023-24 (days per week "
        "unknown): beta-hs",
        "officer B2 (Bo Two) has a schedule at gamma-es in 2023-24 but no assignment to its "
        "feeder patterns",
        "complaint C2 (received 2024-02-01) was not closed by the end of 2023-24 "
        "(2024-06-30): still open",
        "complaint C3 (received 2024-06-20) was not closed by the end of 2023-24 "
        "(2024-06-30): closed 2024-07-15",
        "incident I3 is at gamma-es, a school no officer assigned in 2023-24 serves",
        "agency north-pd has no adopted agreement on record for 2023-24",
        "agency south-so has no adopted agreement on record for 2023-24",
    ],
}

# The same report as CSV rows (part, key, field, value), by hand.
EXPECTED_CSV = [
    ["school_year", "", "school_year", "2023-24"],
    ["staff", "alpha-hs", "name", "Alpha High"],
    ["staff", "alpha-hs", "officers", "A1;A2"],
    ["staff", "alpha-hs", "staff_count", "2"],
    ["staff", "alpha-hs", "days_per_week.A1", "3"],
    ["staff", "alpha-hs", "days_per_week.A2", "0.5"],
    ["staff", "beta-hs", "name", "Beta High"],
    ["staff", "beta-hs", "officers", "B1;B2"],
    ["staff", "beta-hs", "staff_count", "2"],
    ["staff", "beta-hs", "days_per_week.B1", ""],
    ["staff", "beta-hs", "days_per_week.B2", ""],
    ["staff", "gamma-es", "name", "Gamma Elementary"],
    ["staff", "gamma-es", "officers", ""],
    ["staff", "gamma-es", "staff_count", "0"],
    ["staff_total", "", "staff_total", "4"],
    ["agencies", "north-pd", "name", "North Police"],
    ["agencies", "north-pd", "agreement_adopted_on", ""],
    ["agencies", "south-so", "name", "South Sheriff"],
    ["agencies", "south-so", "agreement_adopted_on", ""],
    *[["incidents", "I1", f, v] for f, v in (
        ("school", "alpha-hs"), ("at", "2023-10-02T09:00:00"), ("discipline", "true"),
        ("use_of_force", "false"), ("arrest", "false"), ("summary", "Fight in the cafeteria"),
        ("students.1.race", "white"), ("students.1.ethnicity", "not-hispanic-latino"),
        ("students.1.gender", "female"), ("students.1.grade", "9"), ("students.1.iep", "true"),
        ("students.1.plan_504", "false"), ("students.2.race", "asian"),
        ("students.2.ethnicity", "not-hispanic-latino"), ("students.2.gender", "male"),
        ("students.2.grade", "10"), ("students.2.iep", "false"),
        ("students.2.plan_504", "true"))],
    *[["incidents", "I2", f, v] for f, v in (
        ("school", "beta-hs"), ("at", "2023-12-01T14:00:00"), ("discipline", "true"),
        ("use_of_force", "false"), ("arrest", "true"), ("summary", "Arrest after a threat"),
        ("students.1.race", "hispanic-latino"), ("students.1.ethnicity", "hispanic-latino"),
        ("students.1.gender", "gender-x"), ("students.1.grade", "12"),
        ("students.1.iep", "false"), ("students.1.plan_504", "false"))],
    *[["incidents", "I3", f, v] for f, v in (
        ("school", "gamma-es"), ("at", "2024-03-15T10:30:00"), ("discipline", "false"),
        ("use_of_force", "true"), ("arrest", "false"), ("summary", ""),
        ("students.1.race", "unknown"), ("students.1.ethnicity", "unknown"),
        ("students.1.gender", "unknown"), ("students.1.grade", "3"), ("students.1.iep", ""),
        ("students.1.plan_504", ""))],
    ["complaints", "job_duties", "count", "2"],
    ["complaints", "student_interaction", "count", "1"],
    *[["warnings", str(i), "text", w] for i, w in enumerate(EXPECTED["warnings"], start=1)],
]


@pytest.fixture
def district(cli, tmp_path: Path, isolated_db: Path) -> Path:
    path = tmp_path / "district.yaml"
    path.write_text(DISTRICT)
    result = cli("load", path)
    assert result.exit_code == 0, result.stderr
    return isolated_db


def annual(cli, *args: str):
    result = cli("report", "annual", "--year", "2023-24", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_annual_report_json_is_the_hand_worked_object(cli, district):
    assert json.loads(annual(cli, "-f", "json")) == EXPECTED


def test_annual_report_csv_is_the_hand_worked_rows(cli, district):
    rows = list(csv.reader(io.StringIO(annual(cli, "-f", "csv"))))
    assert rows[0] == ["part", "key", "field", "value"]
    assert rows[1:] == EXPECTED_CSV


def test_agreement_dates_come_from_the_agreements_table(cli, district, tmp_path):
    # North's agreement is adopted; South's is on file for the year but not adopted.
    doc = tmp_path / "agreements.yaml"
    doc.write_text("agreements:\n"
                   "  - {agency: north-pd, school_year: 2023-24, adopted_on: 2023-08-15}\n"
                   "  - {agency: south-so, school_year: 2023-24}\n")
    assert cli("load", doc).exit_code == 0
    report = json.loads(annual(cli, "-f", "json"))
    assert report["agencies"] == [
        {"agency": "north-pd", "name": "North Police", "agreement_adopted_on": "2023-08-15"},
        {"agency": "south-so", "name": "South Sheriff", "agreement_adopted_on": None}]
    assert [w for w in report["warnings"] if w.startswith("agency")] == [
        "agency south-so has no adopted agreement on record for 2023-24"]


PARTS = """\
annual_report:
  title: Report to the state
  source: Statute 1.2.3
  staff_letter: (a)
  staff_title: Staff by building
  agencies_letter: (b)
  agencies_title: Agencies
  incidents_letter: (c)
  incidents_title: Incidents
  complaints_letter: (d)
  complaints_title: Complaints
"""


def test_every_human_format_has_each_part_and_never_the_notes(cli, district, tmp_path):
    doc = tmp_path / "parts.yaml"
    doc.write_text(PARTS)
    assert cli("load", doc).exit_code == 0
    assert "<svg" in annual(cli, "-f", "svg")[:200]
    for fmt in ("table", "markdown", "html"):
        text = annual(cli, "-f", fmt)
        assert "Report to the state, 2023-24 (Statute 1.2.3)" in text.replace("\\", "")
        for letter in "abcd":
            mark = f"\\({letter}\\)" if fmt == "markdown" else f"({letter})"
            assert mark in text, (fmt, letter)
        assert "Testville School District" in text and "2023-09-01" in text
        assert "SECRET-NOTE" not in text
    html = annual(cli, "-f", "html")
    assert html.startswith("<!DOCTYPE html>") and "<title>" in html and "<pre" not in html
    # One section per part (the students table is inside (c)), then the warnings as a list.
    assert html.count("<section>") == 5 and "Data-quality warnings" in html
    for heading in ("(a) Staff by building", "(b) Agencies", "(c) Incidents",
                    "(d) Complaints"):
        assert f"<h2>{heading}</h2>" in html
    assert "<h3>Students in those incidents" in html
    warnings = html[html.index("Data-quality warnings"):]
    assert warnings.count("<li>") == len(EXPECTED["warnings"])
    # The chart of incidents by flag: I1 and I2 discipline, I3 force, I2 arrest.
    assert "Incidents by flag" in html and "2 incidents" in html and "<svg" in html


def test_without_titles_in_the_data_the_parts_have_plain_titles(cli, district):
    html = annual(cli, "-f", "html")
    assert "<title>Annual report, 2023-24 · Testville" in html
    for heading in ("Staff by building", "Agencies with officers or an agreement",
                    "Incidents with discipline, use of force or arrest",
                    "Complaints about the staff"):
        assert f"<h2>{heading}</h2>" in html
    assert "(a)" not in html and "RCW" not in html


def test_suppressed_document_has_no_chart_and_no_incident_rows(cli, district):
    html = annual(cli, "--suppress-under", "10", "-f", "html")
    assert "Incidents by flag" not in html and "<svg" not in html
    assert "&lt;10" in html and "I1" not in html


def _counts_ok(value, n: int) -> bool:
    return value == f"<{n}" or (isinstance(value, int) and value >= n)


@pytest.mark.parametrize("db_fixture", ["district", "seeded"])
def test_suppress_under_10_hides_small_counts_and_incident_rows(cli, db_fixture, request):
    request.getfixturevalue(db_fixture)
    refs = re.compile(r"\bI[1-5]\b|EXAMPLE-(KPD|RPD|SPD)")
    report = json.loads(annual(cli, "--suppress-under", "10", "-f", "json"))
    assert all(_counts_ok(r["staff_count"], 10) for r in report["staff"])
    assert _counts_ok(report["staff_total"], 10)
    assert all(_counts_ok(v, 10) for v in report["complaints"].values())
    assert report["incidents"] and all(set(r) == {"group", "value", "count"} and
                                       _counts_ok(r["count"], 10) for r in report["incidents"])
    rows = list(csv.DictReader(io.StringIO(annual(cli, "--suppress-under", "10", "-f", "csv"))))
    counted = [r for r in rows if r["field"] in ("staff_count", "staff_total", "count")
               or r["part"] == "incident_counts"]
    assert counted and all(r["value"] == "<10" or int(r["value"]) >= 10 for r in counted)
    assert not any(r["part"] == "incidents" for r in rows)
    for fmt in ("json", "csv", "table", "markdown", "html"):
        text = annual(cli, "--suppress-under", "10", "-f", fmt)
        assert not refs.search(text), fmt
        assert "Fight in the cafeteria" not in text and "Invented example" not in text


def test_suppressed_counts_by_hand(cli, district):
    report = json.loads(annual(cli, "--suppress-under", "2", "-f", "json"))
    counts = {(r["group"], r["value"]): r["count"] for r in report["incidents"]}
    assert counts[("incidents", "total")] == 3
    assert counts[("incidents", "discipline")] == 2
    assert counts[("incidents", "arrest")] == "<2"
    assert counts[("students", "total")] == 4
    assert counts[("race", "white")] == "<2" and counts[("race", "unknown")] == "<2"
    assert counts[("ethnicity", "not-hispanic-latino")] == 2
    assert counts[("iep", "no")] == 2 and counts[("iep", "unknown")] == "<2"
    assert report["staff_total"] == 4 and report["staff"][2]["staff_count"] == "<2"
    assert report["complaints"] == {"job_duties": 2, "student_interaction": "<2"}
    assert "incidents at schools no officer assigned in 2023-24 serves: gamma-es" in (
        report["warnings"])


# ---------------------------------------------------------------- bad input


BAD = {
    "category": ("incident_students:\n  - {incident: I1, seq: 3, race: martian}\n",
                 "incident_students[I1/3].race: 'martian' is not a race of student_categories"),
    "school": ("incidents:\n  - {reference: I9, school: nowhere-hs, at: 2024-01-01T10:00}\n",
               "incidents[I9].school: unknown school 'nowhere-hs'"),
    "closed-before": ("complaints:\n  - {reference: C9, received_on: 2024-02-01, agency: "
                      "north-pd, about: job_duties, filed_with: school, status: closed, "
                      "closed_on: 2024-01-31}\n",
                      "complaints[C9].closed_on: 2024-01-31 is before it was received "
                      "(2024-02-01)"),
    "days-5.5": ("schedules:\n  - {officer: B1, school: beta-hs, school_year: '2023-24', "
                 "days_per_week: 5.5}\n", "schedules[B1/beta-hs/2023-24].days_per_week: 5.5 "
                 "is out of range; allowed 0.5 to 5 in steps of 0.5"),
    "days-0.3": ("schedules:\n  - {officer: B1, school: beta-hs, school_year: '2023-24', "
                 "days_per_week: 0.3}\n",
                 "days_per_week: 0.3 is out of range; allowed 0.5 to 5 in steps of 0.5"),
    "no-year": ("incidents:\n  - {reference: I9, school: beta-hs, at: 2023-07-15T10:00}\n",
                "incidents[I9].at: 2023-07-15T10:00:00 is in no school year"),
    "no-students": ("incidents:\n  - {reference: I9, school: beta-hs, at: 2024-01-15T10:00, "
                    "arrest: true}\n", "incidents[I9]: an incident with arrest needs at least "
                    "one student row"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused_and_nothing_is_written(cli, district, tmp_path, case):
    text, message = BAD[case]
    path = tmp_path / f"bad-{case}.yaml"
    path.write_text(text)
    before = dump(district)
    result = cli("load", path)
    assert result.exit_code == 1
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert dump(district) == before


def test_bad_import_rows_are_all_named(cli, district, tmp_path):
    path = tmp_path / "schedules.csv"
    path.write_text("officer,school,school_year,days_per_week\nB1,beta-hs,2023-24,5.5\n"
                    "B1,gamma-es,2023-24,0.3\nB2,beta-hs,2023-24,2.5\n")
    before = dump(district)
    result = cli("import", "schedules", path)
    assert result.exit_code == 1
    assert f"{path}:2: schedules[B1/beta-hs/2023-24].days_per_week: 5.5 is out" in result.stderr
    assert f"{path}:3: schedules[B1/gamma-es/2023-24].days_per_week: 0.3 is out" in result.stderr
    assert dump(district) == before


@pytest.mark.parametrize("fmt", ["csv", "json", "yaml"])
def test_imports_of_schedules_complaints_and_students(cli, district, tmp_path, fmt):
    files = {
        "csv": ("officer,school,school_year,days_per_week\nB1,beta-hs,2023-24,2.5\n",
                "reference,received_on,agency,about,filed_with\nC9,2024-03-01,south-so,"
                "job_duties,agency\n",
                "incident,seq,race,gender,iep\nI2,2,asian,female,yes\n"),
        "json": ('[{"officer": "B1", "school": "beta-hs", "school_year": "2023-24", '
                 '"days_per_week": "2.5"}]',
                 '[{"reference": "C9", "received_on": "2024-03-01", "agency": "south-so", '
                 '"about": "job_duties", "filed_with": "agency"}]',
                 '[{"incident": "I2", "seq": 2, "race": "asian", "gender": "female", '
                 '"iep": true}]'),
        "yaml": ("- {officer: B1, school: beta-hs, school_year: '2023-24', days_per_week: 2.5}\n",
                 "- {reference: C9, received_on: 2024-03-01, agency: south-so, "
                 "about: job_duties, filed_with: agency}\n",
                 "- {incident: I2, seq: 2, race: asian, gender: female, iep: yes}\n"),
    }[fmt]
    for table, text in zip(("schedules", "complaints", "incident_students"), files, strict=True):
        path = tmp_path / f"{table}.{fmt}"
        path.write_text(text)
        result = cli("import", table, path)
        assert result.exit_code == 0, result.stderr
        again = cli("import", table, path)
        assert "(nothing changed)" in again.stderr
    report = json.loads(annual(cli, "-f", "json"))
    assert report["staff"][1]["days_per_week"] == {"B1": 2.5, "B2": None}
    assert report["complaints"]["job_duties"] == 3
    assert report["incidents"][1]["students"][1] == {
        "seq": 2, "race": "asian", "ethnicity": "unknown", "gender": "female",
        "grade": "unknown", "iep": True, "plan_504": None}


def test_import_of_a_flagged_incident_needs_stored_students(cli, district, tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_text("reference,school,at,discipline\nI9,beta-hs,2024-01-20T10:00,true\n"
                    "I1,alpha-hs,2023-10-02T09:00,true\n")
    result = cli("import", "incidents", path)
    assert result.exit_code == 1
    assert f"{path}:2: incidents[I9]: an incident with discipline needs" in result.stderr
    assert ":3:" not in result.stderr  # I1's students are stored


# ---------------------------------------------------------------- add and list


def test_incidents_add_with_students_then_list(cli, district):
    result = cli("incidents", "add", "I7", "--school", "beta-hs", "--at", "2024-04-02T11:00",
                 "--officer", "B1", "--use-of-force", "--notes", "PRIVATE-7",
                 "--student", "race=white,ethnicity=not-hispanic-latino,gender=male,grade=8,"
                 "iep=no,plan_504=yes", "--student", "gender=female")
    assert result.exit_code == 0, result.stderr
    assert "added incident I7" in result.stderr and "2 student rows" in result.stderr
    rows = json.loads(cli("incidents", "list", "--year", "2023-24", "-f", "json").stdout)
    i7 = next(r for r in rows if r["reference"] == "I7")
    assert (i7["students"], i7["officers"], i7["use_of_force"]) == (2, ["B1"], True)
    assert "notes" not in i7
    noted = json.loads(cli("incidents", "list", "--year", "2023-24", "--include-notes",
                           "-f", "json").stdout)
    assert next(r for r in noted if r["reference"] == "I7")["notes"] == "PRIVATE-7"
    audit = cli("audit", "-f", "json").stdout
    assert "PRIVATE-7" not in audit and "SECRET-NOTE" not in audit


def test_incidents_add_lists_every_problem(cli, district):
    before = dump(district)
    result = cli("incidents", "add", "I8", "--school", "beta-hs", "--at", "2025-01-01T10:00",
                 "--arrest", "--student", "race=martian,name=Jo")
    assert result.exit_code == 1
    err = result.stderr
    assert "--student 1: unknown field 'name'" in err
    assert "is in no school year" in err
    assert dump(district) == before


def test_incidents_add_flagged_without_students_is_refused(cli, district):
    result = cli("incidents", "add", "I8", "--school", "beta-hs", "--at", "2024-01-05T10:00",
                 "--discipline")
    assert result.exit_code == 1
    assert "needs at least one student row" in result.stderr


def test_complaints_add_and_list(cli, district):
    bad = cli("complaints", "add", "C8", "--received-on", "2024-03-01", "--agency", "north-pd",
              "--about", "duties", "--filed-with", "office")
    assert bad.exit_code == 1
    assert "--about: 'duties' is not allowed" in bad.stderr
    assert "--filed-with: 'office' is not allowed" in bad.stderr
    early = cli("complaints", "add", "C8", "--received-on", "2024-03-01", "--agency",
                "north-pd", "--about", "job_duties", "--filed-with", "school", "--status",
                "closed", "--closed-on", "2024-02-01")
    assert early.exit_code == 1
    assert "--closed-on: 2024-02-01 is before it was received (2024-03-01)" in early.stderr
    ok = cli("complaints", "add", "C8", "--received-on", "2024-03-01", "--agency", "north-pd",
             "--about", "job_duties", "--filed-with", "school")
    assert ok.exit_code == 0, ok.stderr
    rows = json.loads(cli("complaints", "list", "--year", "2023-24", "--status", "open",
                          "-f", "json").stdout)
    assert [r["reference"] for r in rows] == ["C2", "C8"]


# ---------------------------------------------------------------- no student identifiers


def test_no_table_has_a_column_for_a_students_name_or_identifier(seeded):
    conn = db.connect(seeded)
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    # Anything that could name or identify a student: a name part, a birth date, a student
    # number; in a table about students, any name or id column but the row's own integer id.
    anywhere = re.compile(r"student|pupil|child|(first|last|middle|sur|full|given|family|"
                          r"legal)_?name|birth|dob|ssn|ssid|state_id|sis_id|enrol")
    found = []
    for table in tables:
        for col in (r[1] for r in conn.execute(f"PRAGMA table_info({table})")):
            about_students = "student" in table and table != "student_categories"
            if anywhere.search(col) or (about_students and col != "id" and re.search(
                    r"name|id$|number|email|phone|address", col)):
                found.append((table, col))
    conn.close()
    assert found == []
    conn = db.connect(seeded)
    assert [r[1] for r in conn.execute("PRAGMA table_info(incident_students)")] == [
        "id", "incident", "seq", "race", "ethnicity", "gender", "grade", "iep", "plan_504"]
    conn.close()


# ---------------------------------------------------------------- every problem at once

_PRIVATE = "Student told the officer about a private family matter at home"
_GRADES = "pk, k, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, unknown"
_RACES = ("american-indian-alaska-native, asian, black-african-american, hispanic-latino, "
          "native-hawaiian-pacific-islander, two-or-more, white, unknown")
_GENDERS = "female, gender-x, male, unknown"


def _add_refused(cli, path: Path, *args: str) -> list[str]:
    """`incidents add` on the seeded district, refused: its stderr lines; nothing written, and
    the private note quoted nowhere."""
    before = dump(path)
    result = cli("incidents", "add", *args, "--notes", _PRIVATE)
    assert result.exit_code == 1, result.stderr
    assert result.stdout == ""
    assert "Student told" not in result.stderr and "private family" not in result.stderr
    assert dump(path) == before
    return result.stderr.splitlines()


def test_incidents_add_reports_every_bad_value_of_a_student_row(cli, seeded):
    # A bad grade stopped the row's other checks: its race and gender went unreported.
    lines = _add_refused(cli, seeded, "KPD-24-0197", "--school", "juanita-hs",
                         "--at", "2024-02-07T11:20", "--officer", "0417",
                         "--student", "race=whit,gender=mal,grade=13,iep=maybe")
    assert lines == [
        f"crotool: --student 1: '13' is not allowed; use one of {_GRADES}",
        "crotool: --student 1: 'maybe' is not a boolean; write true or false (yes/no also read)",
        f"crotool: --student 1: 'whit' is not a race of student_categories; use one of {_RACES}"
        " (did you mean 'white'?)",
        f"crotool: --student 1: 'mal' is not a gender of student_categories; use one of "
        f"{_GENDERS} (did you mean 'male'?)",
        "crotool: incidents add: 4 problems found; nothing was written"]


def test_incidents_add_bad_student_row_is_not_called_missing(cli, seeded):
    # The row was given (and is reported); the discipline rule must not say none was.
    lines = _add_refused(cli, seeded, "KPD-24-0197", "--school", "juanita-hs",
                         "--at", "2024-02-07T11:20", "--officer", "0417", "--discipline",
                         "--student", "race=white,gender=male,iep=maybe")
    assert lines == [
        "crotool: --student 1: 'maybe' is not a boolean; write true or false (yes/no also read)",
        "crotool: incidents add: 1 problem found; nothing was written"]


@pytest.mark.parametrize(("option", "value", "line"), [
    ("--school", "Juanita HS", "crotool: --school: 'Juanita HS' is not a valid id; use "
     "lowercase letters, digits and single hyphens (e.g. 'juanita-hs')"),
    ("--officer", "04 17", "crotool: --officer: '04 17' is not a valid code; use letters, "
     "digits, '.', '_' or '-'"),
])
def test_incidents_add_student_rows_name_the_incident_being_added(cli, seeded, option, value,
                                                                  line):
    # The incident itself is refused for its bad value; its student rows still refer to it,
    # and must not be told that it is unknown.
    given = {"--school": "juanita-hs", "--officer": "0417", option: value}
    lines = _add_refused(cli, seeded, "KPD-24-0198", "--school", given["--school"],
                         "--at", "2024-02-07T11:20", "--officer", given["--officer"],
                         "--discipline", "--student", "race=white,gender=male,grade=10")
    assert lines == [line, "crotool: incidents add: 1 problem found; nothing was written"]


def test_incidents_add_out_of_range_grade_lists_the_grades(cli, seeded):
    # difflib offered '3' for 13 (two characters in common): a number out of range is not a
    # misspelling. A zero-padded grade still points at the grade it writes.
    lines = _add_refused(cli, seeded, "KPD-24-0199", "--school", "juanita-hs",
                         "--at", "2024-02-07T11:20", "--student", "grade=13",
                         "--student", "grade=09", "--student", "gender=femal")
    assert lines == [
        f"crotool: --student 1: '13' is not allowed; use one of {_GRADES}",
        f"crotool: --student 2: '09' is not allowed; use one of {_GRADES} (did you mean '9'?)",
        f"crotool: --student 3: 'femal' is not a gender of student_categories; use one of "
        f"{_GENDERS} (did you mean 'female'?)",
        "crotool: incidents add: 3 problems found; nothing was written"]


def test_load_checks_a_refused_incident_and_its_students_in_full(cli, district, tmp_path):
    # The same mechanism in a load: a bad incident's student rows refer to it without being
    # told it is unknown, and a student row with a bad grade still has its race checked.
    path = tmp_path / "more.yaml"
    path.write_text("incidents:\n"
                    "  - {reference: I9, school: Beta HS, at: 2024-01-20T10:00,"
                    " discipline: true}\n"
                    "incident_students:\n"
                    "  - {incident: I9, seq: 1, race: whit, grade: '13'}\n")
    before = dump(district)
    result = cli("load", path)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"crotool: {path}:2: incidents[I9].school: 'Beta HS' is not a valid id; use lowercase "
        "letters, digits and single hyphens (e.g. 'beta-hs')",
        f"crotool: {path}:4: incident_students[I9/1].grade: '13' is not allowed; use one of "
        f"{_GRADES}",
        f"crotool: {path}:4: incident_students[I9/1].race: 'whit' is not a race of "
        "student_categories; use one of asian, hispanic-latino, white, unknown "
        "(did you mean 'white'?)",
        f"crotool: {path}: 3 problems found; nothing was written"]
    assert dump(district) == before


def test_incidents_add_reports_every_bad_officer(cli, seeded):
    # A list stopped at its first bad item: the second went unreported, and the good items'
    # references went unchecked.
    lines = _add_refused(cli, seeded, "KPD-24-0198", "--school", "juanita-hs",
                         "--at", "2024-02-07T11:20", "--officer", "04 17", "--officer", "9999",
                         "--officer", "x y", "--officer", "0417")
    code = "is not a valid code; use letters, digits, '.', '_' or '-'"
    assert lines == [
        f"crotool: --officer: '04 17' {code}",
        f"crotool: --officer: 'x y' {code}",
        "crotool: --officer: unknown officer '9999'; known: 0417, 0923, 1182, 1260, 2291, "
        "2307, 2350, 3045 ... (9 in all)",
        "crotool: incidents add: 3 problems found; nothing was written"]


def test_the_incidents_summary_counts_each_flag_over_all_incidents(cli, seeded):
    rows = json.loads(cli("incidents", "list", "--year", "2023-24", "-f", "json").stdout)
    flagged = {f: sum(1 for r in rows if r[f]) for f in ("discipline", "use_of_force", "arrest")}
    none = sum(1 for r in rows if not any(r[f] for f in flagged))
    assert sum(flagged.values()) + none != len(rows)  # the seed's flags overlap
    text = cli("incidents", "list", "--year", "2023-24", "-f", "markdown").stdout
    assert (f"{len(rows)} incidents: discipline in {flagged['discipline']}, use of force in "
            f"{flagged['use_of_force']}, arrest in {flagged['arrest']}; {none} with none of "
            "them") in text
