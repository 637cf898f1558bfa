"""The training deadline rule: hand-worked cases, a property test against a
direct reading of the rule, the commands on the seed, and bad input that changes nothing."""

from __future__ import annotations

import calendar
import json
import sqlite3
from datetime import date, timedelta

import pytest
from conftest import dump, run_installed
from hypothesis import given, settings
from hypothesis import strategies as st

from crotool.program.training_rule import Policy, Rule, add_months, deadline_row

WA = Policy(classroom_within_months=6, on_the_job_days=2, on_the_job_within_months=12)
RULE = Rule(WA, ("a", "b", "c"), frozenset({"job", "ride-along"}))


def officer(first: str, badge: str = "7") -> dict:
    return {"badge": badge, "name": "N", "agency": "x-pd", "first_on_campus": first}


def d(text: str) -> date:
    return date.fromisoformat(text)


# ---------------------------------------------------------------- month arithmetic


@pytest.mark.parametrize("start,months,expected", [
    ("2023-08-31", 6, "2024-02-29"),   # the README's example: clamped to a leap February's end
    ("2022-08-31", 6, "2023-02-28"),   # a common year's February
    ("2024-02-29", 12, "2025-02-28"),  # a leap day a year on
    ("2024-02-29", 48, "2028-02-29"),  # ... and four years on, a leap day again
    ("2023-01-31", 1, "2023-02-28"),
    ("2023-03-31", 1, "2023-04-30"),
    ("2023-09-05", 6, "2024-03-05"),   # an ordinary day keeps its number
    ("2023-07-15", 6, "2024-01-15"),   # across the year's end
    ("2023-12-31", 12, "2024-12-31"),
    ("2024-03-31", -1, "2024-02-29"),  # backwards (the agreements' review window)
    ("2023-05-10", 0, "2023-05-10"),
])
def test_add_months_is_calendar_months_clamped_to_the_months_end(start, months, expected):
    assert add_months(d(start), months) == d(expected)


# ---------------------------------------------------------------- the rule, hand-worked


def test_deadlines_run_from_first_on_campus():
    row = deadline_row(officer("2023-08-31"), RULE, [], d("2023-09-01"), 30)
    assert (row["classroom_due"], row["on_the_job_due"]) == ("2024-02-29", "2024-08-31")
    assert row["missing"] == ["a", "b", "c"]
    assert (row["classroom_done"], row["classroom_required"]) == (0, 3)
    assert (row["on_the_job_days"], row["on_the_job_required"]) == (0, 2)
    assert row["status"] == "in_progress"


def test_a_topic_done_twice_counts_once():
    done = [("a", d("2023-09-10")), ("a", d("2023-10-10")), ("b", d("2023-10-11"))]
    row = deadline_row(officer("2023-08-31"), RULE, done, d("2023-11-01"), 30)
    assert row["classroom_done"] == 2
    assert row["missing"] == ["c"]


def test_a_training_after_as_of_does_not_count():
    done = [("a", d("2023-09-10")), ("b", d("2023-09-10")), ("c", d("2024-03-01")),
            ("job", d("2023-09-11")), ("job", d("2023-09-12"))]
    before = deadline_row(officer("2023-08-31"), RULE, done, d("2024-02-29"), 30)
    assert before["missing"] == ["c"] and before["status"] == "due_soon"  # due today
    after = deadline_row(officer("2023-08-31"), RULE, done, d("2024-03-01"), 30)
    assert after["missing"] == [] and after["status"] == "complete"  # late, but done


def test_on_the_job_counts_distinct_days_whatever_the_topic():
    done = [("job", d("2023-09-11")), ("ride-along", d("2023-09-11")), ("job", d("2023-09-11"))]
    row = deadline_row(officer("2023-08-31"), RULE, done, d("2023-10-01"), 30)
    assert row["on_the_job_days"] == 1
    done.append(("ride-along", d("2023-09-12")))
    assert deadline_row(officer("2023-08-31"), RULE, done, d("2023-10-01"), 30)[
        "on_the_job_days"] == 2


def test_overdue_the_day_after_the_deadline_and_due_soon_within_warn_days():
    first = officer("2023-08-31")
    assert deadline_row(first, RULE, [], d("2024-03-01"), 30)["status"] == "overdue"
    assert deadline_row(first, RULE, [], d("2024-02-29"), 0)["status"] == "due_soon"
    assert deadline_row(first, RULE, [], d("2024-01-30"), 30)["status"] == "due_soon"
    assert deadline_row(first, RULE, [], d("2024-01-29"), 30)["status"] == "in_progress"


def test_classroom_done_but_on_the_job_late_is_overdue():
    done = [(t, d("2023-09-10")) for t in "abc"] + [("job", d("2023-09-11"))]
    row = deadline_row(officer("2023-08-31"), RULE, done, d("2024-09-01"), 30)
    assert row["missing"] == [] and row["on_the_job_days"] == 1
    assert row["status"] == "overdue"


# ---------------------------------------------------------------- a direct reading of the rule


def spec_months(day: date, months: int) -> date:
    """The rule's months, read directly: step month by month, keep the day or the last."""
    year, month = day.year, day.month
    for _ in range(months):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def spec_status(first: date, topics: list[str], job_topics: set[str], policy: Policy,
                trainings: list[tuple[str, date]], as_of: date, warn: int) -> str:
    counted = [(t, day) for t, day in trainings if day <= as_of]
    classroom_ok = set(topics) <= {t for t, _ in counted}
    job_ok = len({day for t, day in counted if t in job_topics}) >= policy.on_the_job_days
    parts = [(spec_months(first, policy.classroom_within_months), classroom_ok),
             (spec_months(first, policy.on_the_job_within_months), job_ok)]
    if classroom_ok and job_ok:
        return "complete"
    for due, ok in parts:
        if due < as_of and not ok:
            return "overdue"
    for due, ok in parts:
        if not ok and as_of <= due <= as_of + timedelta(days=warn):
            return "due_soon"
    return "in_progress"


days = st.dates(min_value=date(2019, 1, 1), max_value=date(2026, 12, 31))


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(first=days, as_of=days, warn=st.integers(0, 120),
       months=st.tuples(st.integers(0, 24), st.integers(0, 5), st.integers(0, 24)),
       n_topics=st.integers(0, 4),
       trainings=st.lists(st.tuples(st.sampled_from(["t0", "t1", "t2", "t3", "job", "ride"]),
                                    days), max_size=12))
def test_status_agrees_with_a_direct_reading_of_the_spec(first, as_of, warn, months, n_topics,
                                                         trainings):
    policy = Policy(*months)
    topics = [f"t{i}" for i in range(n_topics)]
    rule = Rule(policy, tuple(topics), frozenset({"job", "ride"}))
    # Trainings of topics that are not in the rule (a removed topic) count for nothing.
    kept = [(t, day) for t, day in trainings if t in topics or t in ("job", "ride")]
    row = deadline_row(officer(first.isoformat()), rule, kept, as_of, warn)
    assert row["status"] == spec_status(first, topics, {"job", "ride"}, policy, kept, as_of,
                                        warn)
    assert row["classroom_due"] == spec_months(first, policy.classroom_within_months).isoformat()
    assert row["missing"] == sorted(t for t in topics
                                    if not any(x == t and day <= as_of for x, day in kept))


# ---------------------------------------------------------------- the commands, on the seed


def due_rows(cli, *args: str) -> list[dict]:
    result = cli("training", "due", *args, "-f", "json")
    assert result.exit_code in (0, 3), result.stderr
    return json.loads(result.stdout)


def test_training_due_on_the_seed_tells_its_story(cli, seeded):
    rows = due_rows(cli, "--as-of", "2024-03-15")
    status = {r["officer"]: r["status"] for r in rows}
    assert status == {"0417": "complete", "1182": "complete", "1260": "in_progress",
                      "2291": "complete", "2307": "complete", "2350": "overdue",
                      "3045": "complete", "3112": "complete"}  # 0923 is inactive: left out
    behind = next(r for r in rows if r["officer"] == "2350")
    assert behind == {
        "officer": "2350", "officer_name": "Avery Samplewood", "agency": "redmond-pd",
        "first_on_campus": "2023-08-31", "classroom_due": "2024-02-29", "classroom_done": 9,
        "classroom_required": 13, "missing": ["collateral-consequences", "ferpa",
                                              "restorative-justice", "restraint-isolation"],
        "on_the_job_due": "2024-08-31", "on_the_job_days": 1, "on_the_job_required": 2,
        "status": "overdue"}
    # Two weeks before the deadline, the same officer is due soon.
    early = {r["officer"]: r["status"] for r in due_rows(cli, "--as-of", "2024-02-15")}
    assert early["2350"] == "due_soon"


def test_fail_on_overdue_exits_3_after_writing_and_0_when_none(cli, seeded, tmp_path):
    target = tmp_path / "due.json"
    late = cli("training", "due", "--as-of", "2024-03-15", "--fail-on-overdue", "-o", target)
    assert late.exit_code == 3
    assert "1 overdue" in late.stderr
    assert target.exists()
    fine = cli("training", "due", "--as-of", "2024-01-15", "--fail-on-overdue", "-q")
    assert fine.exit_code == 0, fine.stderr
    assert fine.stderr == ""


def test_training_due_in_every_format(cli, seeded):
    for fmt in ("table", "csv", "markdown", "html", "svg"):
        result = cli("training", "due", "--as-of", "2024-03-15", "-f", fmt)
        assert result.exit_code == 0, (fmt, result.stderr)
        # Names beside ids (SVG writes each space as &#160;).
        assert "2350" in result.stdout and "Samplewood" in result.stdout
    csv = cli("training", "due", "--as-of", "2024-03-15", "-f", "csv").stdout
    assert "collateral-consequences;ferpa;restorative-justice;restraint-isolation" in csv


def test_training_due_without_a_policy_says_what_to_load(cli, isolated_db):
    result = cli("training", "due")
    assert result.exit_code == 1
    assert "no training policy is stored" in result.stderr


@pytest.mark.slow
def test_installed_cron_path_exits_3(seeded):
    proc = run_installed("training", "due", "--as-of", "2024-03-15", "--fail-on-overdue", "-q",
                         "-f", "json")
    assert proc.returncode == 3, proc.stderr
    assert [r["officer"] for r in json.loads(proc.stdout) if r["status"] == "overdue"] == ["2350"]


# ---------------------------------------------------------------- recording


def test_record_then_list_then_the_row_moves(cli, seeded):
    for topic in ("collateral-consequences", "ferpa", "restorative-justice",
                  "restraint-isolation"):
        result = cli("training", "record", "2350", topic, "--on", "2024-03-20",
                     "--provider", "ESD 121", "--hours", "1.5")
        assert result.exit_code == 0, result.stderr
        assert f"recorded training {topic} of officer 2350 on 2024-03-20" in result.stderr
    listed = json.loads(cli("training", "list", "--officer", "2350", "--topic", "ferpa",
                            "-f", "json").stdout)
    assert listed == [{"officer": "2350", "officer_name": "Avery Samplewood", "topic": "ferpa",
                       "topic_name": "The federal Family Educational Rights and Privacy Act "
                       "(FERPA)", "kind": "classroom", "completed_on": "2024-03-20",
                       "provider": "ESD 121", "hours": 1.5}]
    row = next(r for r in due_rows(cli, "--as-of", "2024-03-20") if r["officer"] == "2350")
    assert (row["missing"], row["status"]) == ([], "in_progress")  # one job day still to do
    again = cli("training", "record", "2350", "ferpa", "--on", "2024-03-20", "--hours", "2")
    assert "hours: 1.5 -> 2.0" in again.stderr


def test_a_training_before_first_on_campus_is_a_warning_and_is_recorded(cli, seeded):
    result = cli("training", "record", "2350", "ferpa", "--on", "2023-08-01")
    assert result.exit_code == 0, result.stderr
    assert ("warning: --on: 2023-08-01 is before officer 2350's first day on campus "
            "(2023-08-31)") in result.stderr
    assert "recorded training ferpa of officer 2350 on 2023-08-01" in result.stderr


def test_a_training_recorded_for_a_day_to_come_is_a_warning_and_is_recorded(cli, seeded):
    # CROTOOL_TODAY is pinned by the fixtures; the day after it is "to come".
    from crotool.program.years import today

    later = (today() + timedelta(days=5)).isoformat()
    result = cli("training", "record", "2350", "ferpa", "--on", later)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0] == (f"warning: --on: {later} is after today "
                                             f"({today()}); recorded, and it counts from that "
                                             "day: check the date")
    with sqlite3.connect(seeded) as conn:
        assert conn.execute("SELECT count(*) FROM trainings WHERE officer = '2350' AND topic"
                            " = 'ferpa' AND completed_on = ?", (later,)).fetchone() == (1,)
    on_the_day = cli("training", "record", "2350", "ferpa", "--on", today().isoformat())
    assert on_the_day.exit_code == 0 and "warning" not in on_the_day.stderr


def test_load_warns_about_a_training_before_first_on_campus(cli, seeded, tmp_path):
    doc = tmp_path / "early.yaml"
    doc.write_text('trainings:\n  - {officer: "2350", topic: ferpa, completed_on: 2023-08-01}\n')
    result = cli("load", doc)
    assert result.exit_code == 0, result.stderr
    assert (f"warning: {doc}:2: trainings[2350/ferpa/2023-08-01].completed_on: 2023-08-01 is "
            "before officer 2350's first day on campus (2023-08-31)") in result.stderr


@pytest.mark.parametrize("args,expected", [
    (["2350", "ferpaa", "--on", "2024-03-20"],
     "TOPIC: unknown training topic 'ferpaa'; did you mean 'ferpa'?"),
    (["2350", "ferpa", "--on", "2024-03-20", "--hours", "0.1"],
     "--hours: 0.1 is out of range; allowed 0.25 to 80"),
    (["2350", "ferpa", "--on", "2024-03-20", "--hours", "81"],
     "--hours: 81 is out of range; allowed 0.25 to 80"),
    (["2350", "ferpa", "--on", "2024-03-20", "--hours", "1e3"],
     "--hours: '1e3' is not a number; write e.g. 1.5"),
    (["9999", "ferpa", "--on", "2024-02-30"], "--on: '2024-02-30' is not a real date"),
])
def test_bad_training_is_refused_and_writes_nothing(cli, seeded, args, expected):
    before = dump(seeded)
    result = cli("training", "record", *args)
    assert result.exit_code == 1
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert dump(seeded) == before


def test_bad_trainings_file_lists_every_problem_and_writes_nothing(cli, seeded, tmp_path):
    doc = tmp_path / "bad.yaml"
    doc.write_text("trainings:\n"
                   '  - {officer: "2350", topic: nope, completed_on: 2024-03-01}\n'
                   '  - {officer: "2350", topic: ferpa, completed_on: 2024-03-01, hours: 100}\n')
    before = dump(seeded)
    result = cli("load", doc)
    assert result.exit_code == 1
    assert f"{doc}:2: trainings[2350/nope/2024-03-01].topic: unknown training topic 'nope'" \
        in result.stderr
    assert (f"{doc}:3: trainings[2350/ferpa/2024-03-01].hours: 100 is out of range; allowed "
            "0.25 to 80") in result.stderr
    assert dump(seeded) == before


def test_import_trainings_csv(cli, seeded, tmp_path):
    data = tmp_path / "t.csv"
    data.write_text("officer,topic,completed_on,provider,hours\n"
                    "2350,ferpa,2024-03-21,ESD 121,2\n2350,on-the-job,2024-03-22,Redmond PD,8\n")
    result = cli("import", "trainings", data)
    assert result.exit_code == 0, result.stderr
    assert "2 new" in result.stderr
    row = next(r for r in due_rows(cli, "--as-of", "2024-03-22") if r["officer"] == "2350")
    assert row["on_the_job_days"] == 2 and "ferpa" not in row["missing"]


def test_officers_update_first_on_campus_and_clear_it(cli, seeded):
    result = cli("officers", "update", "0923", "--first-on-campus", "2021-02-01")
    assert result.exit_code == 0, result.stderr
    assert "first_on_campus: 2020-09-08 -> 2021-02-01" in result.stderr
    cleared = cli("officers", "update", "2350", "--first-on-campus", "none")
    assert cleared.exit_code == 0, cleared.stderr
    assert "2350" not in {r["officer"] for r in due_rows(cli, "--as-of", "2024-03-15")}


def test_import_warns_about_a_training_before_first_on_campus(cli, seeded, tmp_path):
    data = tmp_path / "early.csv"
    data.write_text("officer,topic,completed_on\n2350,ferpa,2024-03-21\n2350,ferpa,2023-08-30\n")
    result = cli("import", "trainings", data)
    assert result.exit_code == 0, result.stderr
    assert (f"warning: {data}:3: trainings[2350/ferpa/2023-08-30].completed_on: 2023-08-30 is "
            "before officer 2350's first day on campus (2023-08-31)") in result.stderr
    assert "2 new" in result.stderr
