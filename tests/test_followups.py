"""Follow-ups: the clocks a duty starts, worked by hand; `followups done`; the bad
input that must change nothing; and the seed's story (one CPS follow-up overdue)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import dump

from crotool.program import followups
from crotool.store import db

CPS = ("duty", "log", "--officer", "0417", "--school", "juanita-hs", "--category",
       "cps-investigation", "--minutes", "30")


def listed(cli, *args: str) -> list[dict]:
    result = cli("followups", "list", "-f", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def log_cps(cli, at: str = "2024-01-15T16:30") -> int:
    result = cli(*CPS, "--at", at)
    assert result.exit_code == 0, result.stderr
    return int(result.stderr.split()[2].rstrip(":"))


def of(rows: list[dict], duty: int) -> list[dict]:
    return [r for r in rows if r["duty"] == duty]


# ---------------------------------------------------------------- the clock, by hand


def test_duty_log_prints_the_followup_it_opens_and_its_due_time(cli, seeded):
    result = cli(*CPS, "--at", "2024-01-15T16:30")
    assert result.exit_code == 0, result.stderr
    assert "follow-up cps-report due 2024-01-17T16:30:00" in result.stderr
    assert "RCW 26.44.030" in result.stderr
    # A category without rules opens none.
    other = cli("duty", "log", "--officer", "0417", "--school", "juanita-hs", "--category",
                "traffic-safety", "--at", "2024-01-15T16:30")
    assert other.exit_code == 0 and "follow-up" not in other.stderr


def test_48_hours_after_16_30_on_the_15th_is_16_30_on_the_17th(cli, seeded):
    duty = log_cps(cli)
    [row] = of(listed(cli, "--as-of", "2024-01-16T09:00"), duty)
    assert (row["due"], row["done_at"], row["status"]) == ("2024-01-17T16:30:00", None, "open")
    assert set(followups.COLUMNS) == set(row)
    assert {"duty", "officer", "school", "category", "rule", "due", "done_at",
            "status"} <= set(row)
    [at_due] = of(listed(cli, "--as-of", "2024-01-17T16:30"), duty)
    assert at_due["status"] == "open"  # due at that moment, not yet past it
    [after] = of(listed(cli, "--as-of", "2024-01-17T16:30:01"), duty)
    assert after["status"] == "overdue"


def test_as_of_before_the_duty_shows_nothing_for_it(cli, seeded):
    duty = log_cps(cli)
    assert of(listed(cli, "--as-of", "2024-01-15T16:29:59"), duty) == []
    assert of(listed(cli, "--as-of", "2024-01-15"), duty) == []  # a date is its midnight
    assert len(of(listed(cli, "--as-of", "2024-01-15T16:30"), duty)) == 1


def test_done_one_minute_after_due_is_late(cli, seeded):
    duty = log_cps(cli)
    result = cli("followups", "done", str(duty), "cps-report", "--at", "2024-01-17T16:31")
    assert result.exit_code == 0, result.stderr
    assert "late" in result.stderr
    [row] = of(listed(cli, "--as-of", "2024-01-18"), duty)
    assert (row["done_at"], row["status"]) == ("2024-01-17T16:31:00", "late")
    # Before it was done, it was open (then overdue): as-of sees the past as it was.
    [before] = of(listed(cli, "--as-of", "2024-01-17T16:30:30"), duty)
    assert (before["done_at"], before["status"]) == (None, "overdue")
    assert of(listed(cli, "--open", "--as-of", "2024-01-18"), duty) == []


def test_done_exactly_at_due_is_on_time(cli, seeded):
    duty = log_cps(cli)
    result = cli("followups", "done", str(duty), "cps-report", "--at", "2024-01-17T16:30")
    assert result.exit_code == 0 and "on time" in result.stderr
    [row] = of(listed(cli, "--as-of", "2024-02-01"), duty)
    assert row["status"] == "done"


def test_over_a_month_end_and_a_leap_day(cli, seeded):
    duty = log_cps(cli, "2024-02-28T23:00")
    [row] = of(listed(cli, "--as-of", "2024-03-05"), duty)
    assert row["due"] == "2024-03-01T23:00:00"  # 2024 is a leap year: Feb 29 in between


def test_duty_list_shows_the_open_followups(cli, seeded):
    duty = log_cps(cli)
    def open_of() -> list[str]:
        rows = json.loads(cli("duty", "list", "-f", "json").stdout)
        return next(r["open_followups"] for r in rows if r["id"] == duty)
    assert open_of() == ["cps-report"]
    assert cli("followups", "done", str(duty), "cps-report", "--at",
               "2024-01-16T08:00").exit_code == 0
    assert open_of() == []


# ---------------------------------------------------------------- the seed's story


def test_the_seed_leaves_one_cps_followup_overdue(cli, seeded):
    rows = listed(cli, "--overdue", "--as-of", "2024-06-14")
    assert [(r["school"], r["category"], r["rule"], r["due"]) for r in rows] == [
        ("smith-es", "cps-investigation", "cps-report", "2024-05-30T14:00:00")]
    assert listed(cli, "--open", "--as-of", "2024-06-14") == rows
    every = listed(cli, "--as-of", "2024-06-14")
    assert sorted(r["status"] for r in every) == ["done", "done", "done", "late", "overdue"]


def test_fail_on_overdue_exits_3_after_writing_the_list(cli, seeded):
    late = cli("followups", "list", "--overdue", "--fail-on-overdue", "--as-of", "2024-06-14",
               "-f", "csv")
    assert late.exit_code == 3
    assert "smith-es" in late.stdout
    fine = cli("followups", "list", "--overdue", "--fail-on-overdue", "--as-of", "2024-05-01")
    assert fine.exit_code == 0, fine.stderr


# ---------------------------------------------------------------- bad input writes nothing


RULES_DOC = """followup_rules:
  - {{category: traffic-safety, id: debrief, name: Debrief, within_hours: {hours}}}
"""


@pytest.mark.parametrize("hours", ["0", "8761", "-5", "two"])
def test_a_rule_outside_1_to_8760_hours_is_refused(cli, seeded, tmp_path, hours):
    doc = tmp_path / "rules.yaml"
    doc.write_text(RULES_DOC.format(hours=hours))
    before = dump(seeded, data_only=True)
    result = cli("load", doc)
    assert result.exit_code == 1
    assert "within_hours" in result.stderr
    assert "Traceback" not in result.stderr
    assert dump(seeded, data_only=True) == before


def test_the_rule_limits_themselves_load(cli, seeded, tmp_path):
    doc = tmp_path / "rules.yaml"
    doc.write_text(RULES_DOC.format(hours="8760") + "  - {category: traffic-safety, id: call, "
                   "name: Call back, within_hours: 1}\n")
    assert cli("load", doc).exit_code == 0


def test_a_rule_outside_the_range_is_refused_by_import_too(cli, seeded, tmp_path):
    csv_file = tmp_path / "rules.csv"
    csv_file.write_text("category,id,name,within_hours\ntraffic-safety,debrief,Debrief,8761\n"
                        "traffic-safety,call,Call,0\n")
    before = dump(seeded, data_only=True)
    result = cli("import", "followup_rules", csv_file)
    assert result.exit_code == 1
    assert result.stderr.count("within_hours") >= 2  # every bad row, at once
    assert dump(seeded, data_only=True) == before


def test_done_for_a_rule_the_duty_category_does_not_have_is_refused(cli, seeded):
    duty = json.loads(cli("duty", "list", "-f", "json", "--category",
                          "traffic-safety").stdout)[0]["id"]
    before = dump(seeded)
    result = cli("followups", "done", str(duty), "cps-report")
    assert result.exit_code == 1
    assert "has no follow-up rule 'cps-report'" in result.stderr
    assert dump(seeded) == before  # not even an audit row


def test_done_twice_or_before_the_duty_is_refused(cli, seeded):
    # The day before the pinned today: `done` without --at is "now", today at the clock's
    # time of day, which is after the duty whenever the test runs.
    duty = log_cps(cli, "2024-01-14T16:30")
    before = dump(seeded)
    early = cli("followups", "done", str(duty), "cps-report", "--at", "2024-01-14T16:00")
    assert early.exit_code == 1 and "before the duty" in early.stderr
    assert cli("followups", "done", "999999", "cps-report").exit_code == 1
    assert dump(seeded) == before
    assert cli("followups", "done", str(duty), "cps-report").exit_code == 0
    again = cli("followups", "done", str(duty), "cps-report")
    assert again.exit_code == 1 and "already done" in again.stderr


def test_a_category_whose_role_is_not_a_role_is_refused(cli, seeded, tmp_path):
    doc = tmp_path / "cat.yaml"
    doc.write_text("duty_categories:\n  - {id: mentoring, name: Mentoring, role: mentor}\n")
    before = dump(seeded, data_only=True)
    result = cli("load", doc)
    assert result.exit_code == 1
    assert "unknown role 'mentor'" in result.stderr
    assert dump(seeded, data_only=True) == before


def test_a_done_followup_must_name_a_stored_duty(cli, seeded, tmp_path):
    doc = tmp_path / "done.yaml"
    doc.write_text("followups:\n  - {officer: '0417', school: juanita-hs, category: "
                   "cps-investigation, at: 2024-01-01T10:00, rule: cps-report, "
                   "done_at: 2024-01-02T10:00}\n")
    before = dump(seeded, data_only=True)
    result = cli("load", doc)
    assert result.exit_code == 1 and "no duty of officer 0417" in result.stderr
    assert dump(seeded, data_only=True) == before


def test_a_duty_and_its_done_followup_load_together(cli, seeded, tmp_path):
    doc = tmp_path / "both.yaml"
    doc.write_text("duties:\n  - {officer: '0417', school: juanita-hs, category: "
                   "cps-investigation, at: 2024-01-01T10:00}\nfollowups:\n  - {officer: '0417',"
                   " school: juanita-hs, category: cps-investigation, at: 2024-01-01T10:00, "
                   "rule: cps-report, done_at: 2024-01-02T10:00}\n")
    assert cli("load", doc).exit_code == 0
    rows = [r for r in listed(cli, "--as-of", "2024-01-10") if r["at"] == "2024-01-01T10:00:00"]
    assert [r["status"] for r in rows] == ["done"]
    assert cli("load", doc).exit_code == 0  # idempotent


# ---------------------------------------------------------------- the query plan


def test_open_followups_are_an_indexed_anti_join(seeded: Path):
    conn = db.connect(seeded)
    plan = " | ".join(r["detail"] for r in conn.execute(
        "EXPLAIN QUERY PLAN " + followups.list_sql(open_only=True), ("2024-06-14T00:00:00",)))
    conn.close()
    # Both sides from an index alone (migration 10): no table row per duty, nor per probe.
    assert "SEARCH d USING COVERING INDEX duties_category_at" in plan, plan
    assert "SCAN d" not in plan and "SCAN duties" not in plan, plan
    assert "SEARCH f USING COVERING INDEX followups_category_at" in plan, plan


def test_roles_rules_and_done_followups_import_and_reimport_changes_nothing(cli, seeded,
                                                                            tmp_path):
    files = {
        "roles": "id,name,source\nmentoring,Informal counselor/mentor,NASRO triad\n",
        "followup_rules": "category,id,name,within_hours,source\n"
                          "traffic-safety,debrief,Debrief the school,24,District practice\n",
        "followups": "officer,school,category,at,rule,done_at\n"
                     "0417,juanita-hs,traffic-safety,2023-09-12T07:40:00,debrief,"
                     "2023-09-13T08:00\n",
    }
    for table, text in files.items():
        path = tmp_path / f"{table}.csv"
        path.write_text(text)
        result = cli("import", table, path)
        assert result.exit_code == 0, result.stderr
        assert "1 new" in result.stderr
    before = dump(seeded, data_only=True)
    for table in files:
        again = cli("import", table, tmp_path / f"{table}.csv")
        assert again.exit_code == 0 and "nothing changed" in again.stderr
    assert dump(seeded, data_only=True) == before
    [row] = [r for r in listed(cli, "--as-of", "2023-10-01") if r["rule"] == "debrief"]
    assert (row["due"], row["status"]) == ("2023-09-13T07:40:00", "late")


def test_json_written_by_sqlite_holds_what_the_other_formats_hold(cli, seeded):
    """-f json rows are written by SQLite (followups.stream_json), the others from dicts: the
    same rows in the same order, and --fail-on-overdue counts the streamed rows."""
    import csv
    import io

    for flags in ((), ("--open",), ("--overdue",)):
        rows = listed(cli, *flags, "--as-of", "2024-06-14T07:00")
        table = cli("followups", "list", *flags, "--as-of", "2024-06-14T07:00", "-f", "csv")
        expected = list(csv.DictReader(io.StringIO(table.stdout, newline="")))
        assert [{k: "" if v is None else str(v) for k, v in r.items()} for r in rows] == expected
    failed = cli("followups", "list", "--overdue", "--as-of", "2024-06-14T07:00",
                 "--fail-on-overdue", "-f", "json")
    assert failed.exit_code == 3, failed.stderr
    assert len(json.loads(failed.stdout)) == 1
    assert "1 follow-up overdue as of 2024-06-14T07:00:00" in failed.stderr
