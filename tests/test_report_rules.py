"""The annual report as the rules in force define it (SPEC §5.2, "The annual report"), incidents'
flags by id, and the kinds (grades, complaint kinds, agency kinds) as choices from the packs.

The hand-worked Florida district applies the bundled pack `fl` (its report: SESIR, one part,
incidents, with the flags reported-to-law-enforcement and law-enforcement-action). Its three
incidents: G1 with law enforcement action, G2 with both flags, G3 with none (not reportable);
G1 and G2 have one student row each.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from conftest import dump

from crotool.store import db, migrations
from crotool.store.migrations_kinds import m014_kinds_and_flags

GULF = """\
district: {name: Gulf County Schools, rule_packs: [fl]}
school_years:
  - {id: "2025-26", start: 2025-08-11, end: 2026-05-29}
agencies:
  - {id: gulf-so, name: Gulf County Sheriff, kind: sheriff}
  - {id: gulf-sec, name: Gulf Security, kind: contract-security}
feeder_patterns:
  - {id: port, name: Port, high_school: port-hs}
schools:
  - {id: port-hs, name: Port High, level: high, feeder_pattern: port, agency: gulf-so}
officers:
  - {badge: S1, name: Sam One, agency: gulf-so, school_trained_on: 2020-01-01}
assignments:
  - {officer: S1, feeder_pattern: port, school_year: "2025-26"}
incidents:
  - {reference: G1, school: port-hs, at: 2025-09-10T10:00, flags: [law-enforcement-action],
     summary: Civil citation}
  - {reference: G2, school: port-hs, at: 2025-10-01T09:00,
     flags: [reported-to-law-enforcement, law-enforcement-action]}
  - {reference: G3, school: port-hs, at: 2025-11-05T13:00, summary: Lost child}
incident_students:
  - {incident: G1, seq: 1, race: white, ethnicity: not-hispanic-latino, gender: male,
     grade: "10", iep: false, plan_504: false}
  - {incident: G2, seq: 1, race: black-african-american, gender: female, grade: k}
complaints:
  - {reference: C1, received_on: 2025-09-20, agency: gulf-so, about: job-duties,
     filed_with: school}
"""
G1 = {"reference": "G1", "school": "port-hs", "at": "2025-09-10T10:00:00",
      "reported-to-law-enforcement": False, "law-enforcement-action": True,
      "summary": "Civil citation", "students": [
          {"seq": 1, "race": "white", "ethnicity": "not-hispanic-latino", "gender": "male",
           "grade": "10", "iep": False, "plan_504": False}]}
G2 = {"reference": "G2", "school": "port-hs", "at": "2025-10-01T09:00:00",
      "reported-to-law-enforcement": True, "law-enforcement-action": True, "summary": None,
      "students": [{"seq": 1, "race": "black-african-american", "ethnicity": "unknown",
                    "gender": "female", "grade": "k", "iep": None, "plan_504": None}]}
LEA = "law-enforcement-action"
FLAGS = "reported-to-law-enforcement, law-enforcement-action"


@pytest.fixture
def gulf(cli, tmp_path: Path, isolated_db: Path) -> Path:
    path = tmp_path / "gulf.yaml"
    path.write_text(GULF)
    result = cli("load", path)
    assert result.exit_code == 0, result.stderr
    return isolated_db


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def annual(cli, year: str, *args: str) -> str:
    return ok(cli("report", "annual", "--year", year, *args)).stdout


def load(cli, tmp_path: Path, text: str, name: str = "more.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return cli("load", path)


def refused(cli, path: Path, *args: str) -> list[str]:
    before = dump(path)
    result = cli(*args)
    assert result.exit_code == 1, result.stderr
    assert dump(path) == before
    return result.stderr.splitlines()


# ---------------------------------------------------------------- the report's parts


def test_the_floridian_report_is_its_one_part_by_hand(cli, gulf):
    assert json.loads(annual(cli, "2025-26", "-f", "json")) == {
        "school_year": "2025-26", "incidents": [G1, G2], "warnings": []}


def test_its_csv_is_the_same_rows_by_hand(cli, gulf):
    rows = list(csv.reader(io.StringIO(annual(cli, "2025-26", "-f", "csv"))))
    assert rows == [
        ["part", "key", "field", "value"], ["school_year", "", "school_year", "2025-26"],
        *[["incidents", "G1", f, v] for f, v in (
            ("school", "port-hs"), ("at", "2025-09-10T10:00:00"),
            ("reported-to-law-enforcement", "false"), (LEA, "true"),
            ("summary", "Civil citation"), ("students.1.race", "white"),
            ("students.1.ethnicity", "not-hispanic-latino"), ("students.1.gender", "male"),
            ("students.1.grade", "10"), ("students.1.iep", "false"),
            ("students.1.plan_504", "false"))],
        *[["incidents", "G2", f, v] for f, v in (
            ("school", "port-hs"), ("at", "2025-10-01T09:00:00"),
            ("reported-to-law-enforcement", "true"), (LEA, "true"), ("summary", ""),
            ("students.1.race", "black-african-american"), ("students.1.ethnicity", "unknown"),
            ("students.1.gender", "female"), ("students.1.grade", "k"),
            ("students.1.iep", ""), ("students.1.plan_504", ""))]]


def test_the_documents_name_the_flags_and_have_only_its_part(cli, gulf):
    html = annual(cli, "2025-26", "-f", "html")
    assert "School Environmental Safety Incident Reporting (SESIR), 2025-26" in html
    assert "<h2>Incidents reported to law enforcement, or with law enforcement action</h2>" in html
    assert "Reported to law enforcement" in html and "Staff by building" not in html
    assert "Complaints" not in html and "Incidents by flag" in html
    table = annual(cli, "2025-26")
    assert "Law enforcement action" in table and "G3" not in table


def test_suppressed_counts_by_the_reports_flags_by_hand(cli, gulf):
    report = json.loads(annual(cli, "2025-26", "--suppress-under", "2", "-f", "json"))
    assert set(report) == {"school_year", "incidents", "warnings"}
    counts = {(r["group"], r["value"]): r["count"] for r in report["incidents"]}
    assert [g for g, _ in counts][:4] == ["incidents", "incidents", "incidents", "students"]
    assert (counts[("incidents", "total")], counts[("incidents", "reported-to-law-enforcement")],
            counts[("incidents", LEA)], counts[("students", "total")]) == (2, "<2", 2, 2)
    assert counts[("grade", "k")] == counts[("grade", "10")] == "<2"
    assert counts[("race", "american-indian-alaska-native")] == "<2"


def test_a_local_report_lists_other_parts_and_student_fields(cli, gulf, tmp_path):
    ok(load(cli, tmp_path, """\
report:
  title: District incident summary
  parts: [incidents, complaints]
  incident_flags: [{id: law-enforcement-action, name: Law enforcement action}]
  student_fields: [race, grade]
"""))
    report = json.loads(annual(cli, "2025-26", "-f", "json"))
    assert report == {
        "school_year": "2025-26",
        "incidents": [
            {"reference": "G1", "school": "port-hs", "at": "2025-09-10T10:00:00", LEA: True,
             "summary": "Civil citation", "students": [{"seq": 1, "race": "white",
                                                        "grade": "10"}]},
            {"reference": "G2", "school": "port-hs", "at": "2025-10-01T09:00:00", LEA: True,
             "summary": None, "students": [{"seq": 1, "race": "black-african-american",
                                            "grade": "k"}]}],
        "complaints": {"job-duties": 1, "student-interaction": 0},
        "warnings": ["complaint C1 (received 2025-09-20) was not closed by the end of 2025-26 "
                     "(2026-05-29): still open"]}
    counts = json.loads(annual(cli, "2025-26", "--suppress-under", "2", "-f", "json"))
    groups = {r["group"] for r in counts["incidents"]}
    assert groups == {"incidents", "students", "race", "grade"}


def test_the_training_part_is_each_assigned_officers_status(cli, seeded, tmp_path):
    ok(load(cli, tmp_path, "report:\n  title: Staff and training\n  parts: [staff, training]\n"
            "  training_title: Training of the safety staff\n"))
    report = json.loads(annual(cli, "2023-24", "-f", "json"))
    assert set(report) == {"school_year", "staff", "staff_total", "training", "training_as_of",
                           "warnings"}
    # The year ends 2024-06-21; today is 2024-01-15: the status as of today.
    assert report["training_as_of"] == "2024-01-15"
    due = {r["officer"]: r for r in json.loads(ok(cli(
        "training", "due", "--as-of", "2024-01-15", "-f", "json")).stdout)}
    assigned = sorted({b for r in report["staff"] for b in r["officers"]})
    assert [r["officer"] for r in report["training"]] == assigned
    for row in report["training"]:
        if row["officer"] in due:
            assert (row["status"], row["missing"]) == (due[row["officer"]]["status"],
                                                       due[row["officer"]]["missing"])
        else:
            assert row["status"] is None
    html = annual(cli, "2023-24", "-f", "html")
    assert "Training of the safety staff (as of 2024-01-15)" in html
    # A year that has ended: the status as of its last day.
    ok(cli("years", "add", "2022-23", "--start", "2022-09-06", "--end", "2023-06-16"))
    old = json.loads(annual(cli, "2022-23", "-f", "json"))
    assert old["training_as_of"] == "2023-06-16" and old["training"] == []


def test_a_seed_with_annual_report_means_what_it_meant(cli, seeded, tmp_path):
    ok(load(cli, tmp_path, "annual_report:\n  title: Report to the board\n"
            "  incidents_letter: (c)\n  incidents_title: Incidents\n"))
    report = json.loads(annual(cli, "2023-24", "-f", "json"))
    assert set(report) == {"school_year", "staff", "staff_total", "agencies", "incidents",
                           "complaints", "warnings"}
    assert set(report["incidents"][0]) == {"reference", "school", "at", "discipline",
                                           "use_of_force", "arrest", "summary", "students"}
    assert "(c) Incidents" in annual(cli, "2023-24", "-f", "html")


# ---------------------------------------------------------------- incidents' flags


def test_flags_are_the_reports_in_force_on_the_incidents_day(cli, gulf):
    base = ("incidents", "add", "G9", "--school", "port-hs", "--at", "2025-09-12T10:00")
    assert refused(cli, gulf, *base, "--discipline", "--student", "race=white")[0] == (
        "crotool: --discipline: 'discipline' is not an incident flag of the report in force "
        f"on 2025-09-12; use one of {FLAGS}")
    assert refused(cli, gulf, *base, "--flag", "law-enforcment-action", "--student",
                   "race=white")[0] == (
        "crotool: --flag: 'law-enforcment-action' is not an incident flag of the report in "
        f"force on 2025-09-12; use one of {FLAGS} (did you mean '{LEA}'?)")
    # Any flag needs a student row.
    assert refused(cli, gulf, *base, "--flag", LEA)[0].startswith(
        f"crotool: --flag: an incident with {LEA} needs at least one student row")
    ok(cli(*base, "--flag", LEA, "--flag", "reported-to-law-enforcement", "--student",
           "race=white,grade=9"))
    rows = json.loads(ok(cli("incidents", "list", "--year", "2025-26", "-f", "json")).stdout)
    g9 = next(r for r in rows if r["reference"] == "G9")
    assert (g9["flags"], g9["discipline"]) == ([LEA, "reported-to-law-enforcement"], False)


def test_incidents_list_shows_flags_by_name_and_counts_the_reports(cli, gulf):
    result = ok(cli("incidents", "list", "--year", "2025-26"))
    assert "Reported to law enforcement" in result.stdout
    assert "discipline" not in result.stdout.splitlines()[2]  # the header: no boolean columns
    text = ok(cli("incidents", "list", "--year", "2025-26", "-f", "markdown")).stdout
    assert f"3 incidents: reported-to-law-enforcement in 1, {LEA} in 2; 1 with none of them" \
        in text
    rows = json.loads(ok(cli("incidents", "list", "--year", "2025-26", "-f", "json")).stdout)
    assert [r["flags"] for r in rows] == [[LEA], ["reported-to-law-enforcement", LEA], []]


def test_the_booleans_set_and_clear_washingtons_flags(cli, seeded, tmp_path):
    ok(cli("incidents", "add", "W1", "--school", "juanita-hs", "--at", "2024-02-07T11:20",
           "--flag", "arrest", "--discipline", "--student", "race=white"))

    def w1() -> dict:
        rows = json.loads(ok(cli("incidents", "list", "--year", "2023-24", "-f",
                                 "json")).stdout)
        found = next(r for r in rows if r["reference"] == "W1")
        return {k: found[k] for k in ("flags", "discipline", "use_of_force", "arrest")}

    assert w1() == {"flags": ["arrest", "discipline"], "discipline": True,
                    "use_of_force": False, "arrest": True}
    ok(load(cli, tmp_path, "incidents:\n  - {reference: W1, arrest: false, use_of_force: true}"
            "\n"))
    assert w1() == {"flags": ["discipline", "use_of_force"], "discipline": True,
                    "use_of_force": True, "arrest": False}
    ok(load(cli, tmp_path, "incidents:\n  - {reference: W1, flags: [arrest]}\n", "two.yaml"))
    assert w1() == {"flags": ["arrest"], "discipline": False, "use_of_force": False,
                    "arrest": True}
    lines = refused(cli, seeded, "load", str(write(tmp_path, "bad.yaml", (
        "incidents:\n  - {reference: W1, flags: [arrest], arrest: false}\n"))))
    assert "incidents[W1].arrest: false, but flags lists arrest; give one of them" in lines[0]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ---------------------------------------------------------------- kinds from the packs


def test_floridas_kinds_are_the_choices(cli, gulf, tmp_path):
    lines = refused(cli, gulf, "load", str(write(tmp_path, "bad.yaml", """\
agencies:
  - {id: x-pd, name: X Police, kind: city}
incident_students:
  - {incident: G1, seq: 2, grade: tk}
""")))
    assert lines[:2] == [
        f"crotool: {tmp_path}/bad.yaml:2: agencies[x-pd].kind: 'city' is not allowed; use one "
        "of sheriff, city-police, district-police, district, charter-school, contract-security",
        f"crotool: {tmp_path}/bad.yaml:4: incident_students[G1/2].grade: 'tk' is not allowed; "
        "use one of pk, k, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, unknown (did you mean 'k'?)"]
    about = refused(cli, gulf, "complaints", "add", "C9", "--received-on", "2025-10-01",
                    "--agency", "gulf-so", "--about", "job_duties", "--filed-with", "school")
    assert about[0] == ("crotool: --about: 'job_duties' is not allowed; use one of job-duties, "
                        "student-interaction (did you mean 'job-duties'?)")


def test_washingtons_kinds_and_a_districts_own(cli, seeded, tmp_path):
    ok(load(cli, tmp_path, "agencies:\n  - {id: guard-co, name: Guard Co, kind: "
            "security-company}\n"))
    bad = ["incidents", "add", "W2", "--school", "juanita-hs", "--at", "2024-02-07T11:20",
           "--student", "grade=tk"]
    assert refused(cli, seeded, *bad)[0].startswith("crotool: --student 1: 'tk' is not allowed")
    # A grade of the district's own, with its students in the same file.
    ok(load(cli, tmp_path, """\
grades:
  - {id: tk, name: Transitional kindergarten, source: District policy 2150}
incidents:
  - {reference: W3, school: juanita-hs, at: 2024-02-07T11:20, discipline: true}
incident_students:
  - {incident: W3, seq: 1, grade: tk}
""", "tk.yaml"))
    lines = refused(cli, seeded, *bad[:-1], "grade=13")
    assert lines[0] == ("crotool: --student 1: '13' is not allowed; use one of pk, k, 1, 2, 3, "
                        "4, 5, 6, 7, 8, 9, 10, 11, 12, tk, unknown")


def test_a_complaint_kind_is_held_to_the_version_in_force(cli, seeded, tmp_path):
    ok(load(cli, tmp_path, "complaint_kinds:\n  - {id: retaliation, name: Retaliation, "
            "effective_from: 2024-07-01}\n"))
    add = ["complaints", "add", "C9", "--agency", "kirkland-pd", "--about", "retaliation",
           "--filed-with", "school", "--received-on"]
    assert refused(cli, seeded, *add, "2024-03-01")[0] == (
        "crotool: --about: 'retaliation' is not in force on 2024-03-01 (it is from 2024-07-01 "
        "to no end); in force then: job_duties, student_interaction")
    ok(cli(*add, "2024-07-02"))


def test_completion_offers_the_kinds_and_flags_in_force(gulf):
    import click

    from crotool.cli.incidents import _complaint_kinds, _flag_ids

    ctx = click.Context(click.Command("add"))
    assert _complaint_kinds(ctx, "") == ["job-duties", "student-interaction"]
    assert _flag_ids(ctx, "law") == [LEA]


def test_db_check_finds_a_kind_no_applied_pack_defines(cli, gulf):
    conn = db.connect(gulf)
    with db.transaction(conn):
        conn.execute("UPDATE agencies SET kind = 'city' WHERE id = 'gulf-sec'")
        conn.execute("UPDATE complaints SET about = 'job_duties'")
        conn.execute("UPDATE incidents SET arrest = 1 WHERE reference = 'G3'")
    conn.close()
    result = cli("db", "check", "-f", "json")
    assert result.exit_code == 1
    failed = {r["check"]: r["detail"] for r in json.loads(result.stdout)
              if r["status"] == "fail"}
    assert failed == {
        "agencies_kind": "agencies[gulf-sec]: kind 'city' is defined by no applied rule pack "
                         "(agency_kinds)",
        "complaints_about": "complaints[C1]: about 'job_duties' is defined by no applied rule "
                            "pack (complaint_kinds)",
        # An incident's booleans written behind the tool's back, without its flags.
        "incident_flags": "incidents[G3]: discipline 0, use_of_force 0, arrest 1 disagree with "
                          "flags []"}


# ---------------------------------------------------------------- migration 14


def test_a_database_from_before_migration_14_keeps_its_incidents_flags(tmp_path, cli):
    path = tmp_path / "old.db"
    conn = db.connect(path, migrate=False)
    before = migrations.MIGRATIONS.index(m014_kinds_and_flags)
    for step in migrations.MIGRATIONS[:before]:
        conn.execute("BEGIN IMMEDIATE")
        step(conn)
        conn.execute("COMMIT")
    conn.execute(f"PRAGMA user_version = {before}")
    conn.executescript("""
        BEGIN;
        INSERT INTO school_years (id, start, end) VALUES ('2023-24', '2023-09-05', '2024-06-21');
        INSERT INTO agencies (id, name, kind) VALUES ('town-pd', 'Town PD', 'city');
        INSERT INTO feeder_patterns (id, name) VALUES ('north', 'North');
        INSERT INTO schools (id, name, level, feeder_pattern, agency)
            VALUES ('north-hs', 'North HS', 'high', 'north', 'town-pd');
        INSERT INTO incidents (reference, school, at, discipline, arrest)
            VALUES ('I1', 'north-hs', '2024-01-10T10:00:00', 1, 1);
        INSERT INTO incidents (reference, school, at) VALUES ('I2', 'north-hs',
            '2024-01-11T10:00:00');
        INSERT INTO incident_students (incident, seq, grade) VALUES ('I1', 1, '9');
        INSERT INTO complaints (reference, received_on, agency, about, filed_with)
            VALUES ('C1', '2024-01-12', 'town-pd', 'job_duties', 'school');
        COMMIT;
    """)
    conn.close()
    conn = db.connect(path)
    assert migrations.version(conn) == migrations.SCHEMA_VERSION
    assert [tuple(r) for r in conn.execute("SELECT reference, flags, discipline, use_of_force,"
                                           " arrest FROM incidents ORDER BY reference")] == [
        ("I1", '["discipline", "arrest"]', 1, 0, 1), ("I2", "[]", 0, 0, 0)]
    # The kinds' CHECKs keep only an id's shape (the rules hold them); every other stays.
    conn.execute("BEGIN")
    conn.execute("INSERT INTO agencies (id, name, kind) VALUES ('gulf-so', 'Gulf', 'sheriff')")
    conn.execute("UPDATE incident_students SET grade = 'tk'")
    conn.execute("UPDATE complaints SET about = 'retaliation'")
    for bad in ("UPDATE complaints SET filed_with = 'mayor'",
                "UPDATE agencies SET kind = 'Sheriff Office'",  # still an id's shape
                "UPDATE incident_students SET grade = 'grade 9'"):
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(bad)
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    conn.execute("ROLLBACK")
    conn.close()
    assert {"complaints_received", "incidents_at"} <= indexes
    assert ok(cli("--db", path, "db", "check"))
    rows = json.loads(ok(cli("--db", path, "incidents", "list", "--year", "2023-24", "-f",
                             "json")).stdout)
    assert [(r["reference"], r["flags"]) for r in rows] == [("I1", ["discipline", "arrest"]),
                                                            ("I2", [])]
