"""Scheduled safety assessments: schedule, complete (by id or by `duty log --assessment`),
cancel, list, and which are overdue (due before today, neither done nor cancelled).

The bundled seed holds assessment 1 (lake-washington-hs, due 2023-11-10, done) and 2
(redmond-ms, due 2024-05-15, scheduled); today is pinned to 2024-01-15.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crotool.program.duties import assessment_categories
from crotool.store import db


def assessments(cli, *args: str, env: dict | None = None) -> list[dict]:
    result = cli("assessments", "list", "-f", "json", *args, env=env)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def by_id(cli) -> dict[int, dict]:
    return {r["id"]: r for r in assessments(cli)}


def schedule(cli, school: str = "redmond-ms", due: str = "2024-01-10") -> int:
    result = cli("assessments", "schedule", "--school", school, "--due", due,
                 "--requested-by", "LWSD Safety and Security")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith("scheduled safety assessment ")
    return int(result.stderr.split()[3].rstrip(":"))


def log(cli, school: str, category: str = "safety-assessment", *extra: str,
        at: str = "2024-01-12T09:00"):
    if "--assessment" not in extra:
        extra = ("--requested-by", "district office", *extra)
    return cli("duty", "log", "--officer", "2291", "--school", school, "--category", category,
               "--at", at, "--minutes", "90", *extra)


def last_duty_id(path: Path) -> int:
    conn = db.connect(path)
    try:
        return conn.execute("SELECT max(id) FROM duties").fetchone()[0]
    finally:
        conn.close()


def test_schedule_then_list(cli, seeded):
    new = schedule(cli, due="2024-03-01")
    row = by_id(cli)[new]
    assert row == {"id": new, "school": "redmond-ms", "due": "2024-03-01",
                   "requested_by": "LWSD Safety and Security", "status": "scheduled",
                   "duty": None, "overdue": False}
    dues = [r["due"] for r in assessments(cli)]
    assert dues == sorted(dues)


def test_schedule_refuses_a_second_for_the_same_school_and_day(cli, seeded):
    result = cli("assessments", "schedule", "--school", "redmond-ms", "--due", "2024-05-15",
                 "--requested-by", "x")
    assert result.exit_code == 1
    assert ("safety assessment 2 is already on record for redmond-ms on 2024-05-15 "
            "(scheduled); nothing was written") in result.stderr
    assert len(assessments(cli)) == 2


@pytest.mark.parametrize(("args", "message"), [
    (["--school", "redmond-m", "--due", "2024-03-01"],
     "--school: unknown school 'redmond-m'; did you mean 'redmond-ms'?"),
    (["--school", "redmond-ms", "--due", "March 1"], "--due: 'March 1' is not a date"),
])
def test_schedule_validates(cli, seeded, args, message):
    result = cli("assessments", "schedule", *args, "--requested-by", "x")
    assert result.exit_code == 1
    assert message in result.stderr


def test_overdue_is_due_before_today_and_not_done_nor_cancelled(cli, seeded):
    late = schedule(cli, due="2024-01-10")
    today = schedule(cli, due="2024-01-15")  # due today: not late yet
    cancelled = schedule(cli, school="juanita-hs", due="2024-01-02")
    assert cli("assessments", "cancel", str(cancelled)).exit_code == 0
    overdue = assessments(cli, "--overdue")
    assert [r["id"] for r in overdue] == [late]
    rows = by_id(cli)
    assert rows[late]["overdue"] is True
    assert rows[today]["overdue"] is False
    assert rows[cancelled]["overdue"] is False and rows[cancelled]["status"] == "cancelled"
    assert rows[1]["overdue"] is False  # done in November
    # Later in the year, the seed's redmond-ms assessment (due 2024-05-15) is overdue too.
    later = assessments(cli, "--overdue", env={"CROTOOL_TODAY": "2024-06-01"})
    assert [r["id"] for r in later] == [late, today, 2]


def test_completing_clears_overdue(cli, seeded):
    late = schedule(cli, due="2024-01-10")
    assert log(cli, "redmond-ms").exit_code == 0
    result = cli("assessments", "complete", str(late), "--duty", str(last_duty_id(seeded)))
    assert result.exit_code == 0, result.stderr
    assert assessments(cli, "--overdue") == []
    row = by_id(cli)[late]
    assert (row["status"], row["duty"]) == ("done", last_duty_id(seeded))


def test_overdue_table_is_empty_with_a_message(cli, seeded):
    result = cli("assessments", "list", "--overdue")
    assert result.exit_code == 0
    assert "no overdue assessments" in result.stdout


def test_status_filter(cli, seeded):
    assert [r["id"] for r in assessments(cli, "--status", "done")] == [1]
    assert [r["id"] for r in assessments(cli, "--status", "scheduled")] == [2]
    bad = cli("assessments", "list", "--status", "finishd")
    assert bad.exit_code == 1
    assert "--status: 'finishd' is not allowed; use one of scheduled, done, cancelled" in bad.stderr


def test_complete_with_a_duty_of_another_school_is_refused(cli, seeded):
    assert log(cli, "redmond-hs").exit_code == 0
    duty = last_duty_id(seeded)
    result = cli("assessments", "complete", "2", "--duty", str(duty))
    assert result.exit_code == 1
    assert (f"duty {duty} is at redmond-hs, but safety assessment 2 is at redmond-ms; "
            "nothing was written") in result.stderr
    assert by_id(cli)[2]["status"] == "scheduled"


def test_complete_with_a_duty_of_another_category_is_refused(cli, seeded):
    assert log(cli, "redmond-ms", "emergency-response").exit_code == 0
    duty = last_duty_id(seeded)
    result = cli("assessments", "complete", "2", "--duty", str(duty))
    assert result.exit_code == 1
    assert (f"duty {duty} is of category emergency-response, but a safety assessment is "
            "completed only by a safety-assessment duty") in result.stderr
    assert by_id(cli)[2]["status"] == "scheduled"


@pytest.mark.parametrize(("args", "message"), [
    (["9", "--duty", "1"], "no safety assessment 9"),
    (["2", "--duty", "999"], "no duty 999"),
    (["1", "--duty", "4"], "safety assessment 1 (lake-washington-hs, due 2023-11-10) is "
                           "already done"),
])
def test_complete_refusals(cli, seeded, args, message):
    result = cli("assessments", "complete", *args)
    assert result.exit_code == 1
    assert message in result.stderr


def test_one_duty_completes_one_assessment(cli, seeded):
    second = schedule(cli, due="2024-02-01")
    assert log(cli, "redmond-ms").exit_code == 0
    duty = last_duty_id(seeded)
    assert cli("assessments", "complete", "2", "--duty", str(duty)).exit_code == 0
    result = cli("assessments", "complete", str(second), "--duty", str(duty))
    assert result.exit_code == 1
    assert f"duty {duty} already completed safety assessment 2" in result.stderr


def test_duty_log_with_assessment_completes_it_in_the_same_transaction(cli, seeded):
    # requested_by comes from the assessment when not given.
    result = log(cli, "redmond-ms", "safety-assessment", "--assessment", "2")
    assert result.exit_code == 0, result.stderr
    duty = last_duty_id(seeded)
    assert f"safety assessment 2 is done (by duty {duty})" in result.stderr
    assert by_id(cli)[2]["duty"] == duty
    conn = db.connect(seeded)
    audit = conn.execute("SELECT table_name, action FROM audit ORDER BY id DESC LIMIT 2"
                         ).fetchall()
    requested = conn.execute("SELECT requested_by FROM duties WHERE id = ?", (duty,)).fetchone()
    conn.close()
    assert [tuple(r) for r in audit] == [("assessments", "update"), ("duties", "insert")]
    assert requested[0] == "LWSD Safety and Security"


@pytest.mark.parametrize(("school", "category", "message"), [
    ("redmond-hs", "safety-assessment", "the duty is at redmond-hs, but safety assessment 2 "
                                        "is at redmond-ms"),
    ("redmond-ms", "emergency-response", "the duty is of category emergency-response"),
])
def test_duty_log_with_a_wrong_assessment_writes_nothing(cli, seeded, school, category,
                                                         message):
    before = last_duty_id(seeded)
    result = log(cli, school, category, "--assessment", "2")
    assert result.exit_code == 1
    assert message in result.stderr
    assert last_duty_id(seeded) == before
    assert by_id(cli)[2]["status"] == "scheduled"


def test_cancel(cli, seeded):
    result = cli("assessments", "cancel", "2")
    assert result.exit_code == 0 and "cancelled safety assessment 2" in result.stderr
    again = cli("assessments", "cancel", "2")
    assert again.exit_code == 0 and "already cancelled; nothing changed" in again.stderr
    done = cli("assessments", "cancel", "1")
    assert done.exit_code == 1 and "already done" in done.stderr
    refused = log(cli, "redmond-ms", "safety-assessment", "--assessment", "2")
    assert refused.exit_code == 1 and "was cancelled" in refused.stderr


OTHER_DISTRICT = """\
school_years: [{id: "2023-24", start: 2023-09-01, end: 2024-06-30}]
agencies: [{id: town-pd, name: Town PD, kind: city}]
feeder_patterns: [{id: north, name: North, high_school: north-hs}]
schools: [{id: north-hs, name: North HS, level: high, feeder_pattern: north, agency: town-pd}]
officers: [{badge: A1, name: Officer One, agency: town-pd}]
duty_categories:
  - {id: facility-assessment, name: Facility assessment, requires_request: true}
  - {id: emergency-response, name: Emergency response}
assessments: [{school: north-hs, due: 2024-01-20, requested_by: District office}]
"""


def test_a_district_that_names_the_category_differently(cli, tmp_path):
    doc = tmp_path / "district.yaml"
    doc.write_text(OTHER_DISTRICT)
    assert cli("load", doc).exit_code == 0
    conn = db.connect(tmp_path / "crotool.db")
    assert assessment_categories(conn) == ["facility-assessment"]
    conn.close()
    result = cli("duty", "log", "--officer", "A1", "--school", "north-hs", "--category",
                 "facility-assessment", "--at", "2024-01-10T10:00", "--assessment", "1")
    assert result.exit_code == 0, result.stderr
    assert by_id(cli)[1]["status"] == "done"


def test_a_reload_cannot_reopen_a_completed_assessment(cli, seeded, tmp_path):
    late = schedule(cli, due="2024-01-10")
    assert log(cli, "redmond-ms").exit_code == 0
    duty = last_duty_id(seeded)
    assert cli("assessments", "complete", str(late), "--duty", str(duty)).exit_code == 0
    seed = tmp_path / "again.yaml"
    seed.write_text("assessments:\n  - {school: redmond-ms, due: 2024-01-10, status: scheduled,"
                    " requested_by: LWSD Safety and Security}\n")
    result = cli("load", seed)
    assert result.exit_code == 1
    assert (f"{seed}:2: assessments[redmond-ms/2024-01-10].status: safety assessment {late} was "
            f"completed by duty {duty}; it cannot be set back to 'scheduled'") in result.stderr
    row = by_id(cli)[late]
    assert (row["status"], row["duty"]) == ("done", duty)
