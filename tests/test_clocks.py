"""Day clocks (`within_days` + `days`) and duty flags (`when`): SPEC §5.2 "Clocks".

Hand-worked cases through the commands, on the bundled seed's 2023-24 calendar (its closures:
Thanksgiving break 2023-11-23/24, winter break 2023-12-18 to 2024-01-01, Martin Luther King
Jr. Day 2024-01-15); the bad input that must change nothing; and properties of the due-time
SQL itself (hypothesis), against plain Python counting day by day.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import dump
from hypothesis import given, settings
from hypothesis import strategies as st

from crotool.program import clocks, followups
from crotool.store import db

RULES = """duty_flags:
  - {id: injury-or-damage, name: "Injury, death, or $1,000 of damage", source: RCW 46.52.030}
followup_rules:
  - {category: traffic-safety, id: memo, name: Memo to the principal, within_days: 5,
     days: business, source: District practice}
  - {category: traffic-safety, id: parents, name: Letter to parents, within_days: 3,
     days: school}
  - {category: traffic-safety, id: file, name: File the notes, within_days: 4, days: calendar}
  - {category: collision-response, id: collision-report, name: Collision report,
     within_hours: 96, when: injury-or-damage}
"""


@pytest.fixture
def clocked(cli, seeded, tmp_path) -> Path:
    doc = tmp_path / "rules.yaml"
    doc.write_text(RULES)
    result = cli("load", doc)
    assert result.exit_code == 0, result.stderr
    return seeded


def log(cli, at: str, category: str = "traffic-safety", *flags: str) -> int:
    args = ["duty", "log", "--officer", "0417", "--school", "juanita-hs", "--category",
            category, "--at", at, "--minutes", "30"]
    for flag in flags:
        args += ["--flag", flag]
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    return int(result.stderr.split()[2].rstrip(":"))


def dues(cli, duty: int, *args: str) -> dict[str, str | None]:
    result = cli("followups", "list", "-f", "json", "--as-of", "2024-12-31", *args)
    assert result.exit_code == 0, result.stderr
    return {r["rule"]: r["due"] for r in json.loads(result.stdout) if r["duty"] == duty}


# ---------------------------------------------------------------- hand-worked


def test_5_business_days_from_a_friday_afternoon_is_the_next_friday_at_midnight(cli, clocked):
    # Friday 2024-01-12 16:00. Counted from Saturday: Mon 15, Tue 16, Wed 17, Thu 18, Fri 19.
    # Monday the 15th is Martin Luther King Jr. Day, a school closure, and counts all the
    # same: business days are Monday to Friday.
    duty = log(cli, "2024-01-12T16:00")
    assert dues(cli, duty)["memo"] == "2024-01-19T23:59:59"


def test_3_school_days_across_the_thanksgiving_break(cli, clocked):
    # Wednesday 2023-11-22 10:00; Thu 23 and Fri 24 are the Thanksgiving break, Sat 25 and
    # Sun 26 are no school days: Mon 27 (1), Tue 28 (2), Wed 29 (3).
    duty = log(cli, "2023-11-22T10:00")
    found = dues(cli, duty)
    assert found["parents"] == "2023-11-29T23:59:59"
    assert found["memo"] == "2023-11-29T23:59:59"  # 5 business days: 23, 24, 27, 28, 29
    assert found["file"] == "2023-11-26T23:59:59"  # 4 calendar days: 23, 24, 25, 26


def test_3_school_days_across_martin_luther_king_day_and_the_winter_break(cli, clocked):
    # Friday 2024-01-12: Mon 15 is closed, so Tue 16 (1), Wed 17 (2), Thu 18 (3).
    assert dues(cli, log(cli, "2024-01-12T09:00"))["parents"] == "2024-01-18T23:59:59"
    # Friday 2023-12-15: the winter break is 2023-12-18 to 2024-01-01, so Tue Jan 2 (1),
    # Wed 3 (2), Thu 4 (3): the clock stops over the break.
    assert dues(cli, log(cli, "2023-12-15T09:00"))["parents"] == "2024-01-04T23:59:59"
    # A duty on a closed day (MLK day itself) counts from the day after, as any other.
    assert dues(cli, log(cli, "2024-01-15T11:00"))["parents"] == "2024-01-18T23:59:59"


def test_a_summer_duty_counts_the_school_days_of_the_year_that_follows(cli, clocked):
    """The decision (program/clocks.py): a duty outside every school year counts the school
    days that follow it, those of the next stored year; with no such year stored yet, its
    due time is unknown (null, `open`, never `overdue`) until the year is added."""
    logged = cli("duty", "log", "--officer", "0417", "--school", "juanita-hs", "--category",
                 "traffic-safety", "--at", "2024-07-01T10:00")
    assert logged.exit_code == 0, logged.stderr
    assert "follow-up parents due not known yet" in logged.stderr
    assert "crotool years add" in logged.stderr
    duty = int(logged.stderr.split()[2].rstrip(":"))
    rows = json.loads(cli("followups", "list", "-f", "json", "--as-of", "2025-06-01").stdout)
    [row] = [r for r in rows if r["duty"] == duty and r["rule"] == "parents"]
    assert (row["due"], row["status"]) == (None, "open")
    overdue = json.loads(cli("followups", "list", "--overdue", "-f", "json", "--as-of",
                             "2025-06-01").stdout)
    assert (duty, "parents") not in {(r["duty"], r["rule"]) for r in overdue}
    # 2024-25 starts on Wednesday 2024-09-04: Wed 4 (1), Thu 5 (2), Fri 6 (3).
    added = cli("years", "add", "2024-25", "--start", "2024-09-04", "--end", "2025-06-20")
    assert added.exit_code == 0, added.stderr
    assert dues(cli, duty)["parents"] == "2024-09-06T23:59:59"
    # Before the first stored year, the same: 2023-24 starts on Tuesday 2023-09-05.
    early = log(cli, "2023-08-20T10:00")
    assert dues(cli, early)["parents"] == "2023-09-07T23:59:59"


def test_a_followup_whose_due_time_is_not_known_yet_is_done_on_time(cli, clocked):
    duty = log(cli, "2024-07-01T10:00")  # no school year after 2024-06-21 is stored
    done = cli("followups", "done", str(duty), "parents", "--at", "2024-07-02T09:00")
    assert done.exit_code == 0, done.stderr
    assert "(on time: its due time is not known yet" in done.stderr
    rows = json.loads(cli("followups", "list", "-f", "json", "--as-of", "2024-08-01").stdout)
    [row] = [r for r in rows if r["duty"] == duty and r["rule"] == "parents"]
    assert (row["due"], row["done_at"], row["status"]) == (None, "2024-07-02T09:00:00", "done")


def test_school_clocks_and_when_keep_the_anti_join_on_the_indexes(clocked):
    conn = db.connect(clocked)
    assert clocks.prepare(conn)  # the fixture's `parents` rule counts school days
    plan = " | ".join(r["detail"] for r in conn.execute(
        "EXPLAIN QUERY PLAN " + followups.list_sql(open_only=True, school=True),
        ("2024-06-14T00:00:00",)))
    conn.close()
    assert "SEARCH d USING COVERING INDEX duties_category_at" in plan, plan
    assert "SCAN d" not in plan and "SCAN duties" not in plan, plan
    assert "SEARCH f USING COVERING INDEX followups_category_at" in plan, plan
    assert "SCAN s" not in plan and "SCAN p" not in plan, plan  # school days by index


def test_statuses_and_overdue_with_day_clocks(cli, clocked):
    duty = log(cli, "2024-01-12T16:00")  # memo due 2024-01-19T23:59:59
    def status(as_of: str, *args: str) -> dict[str, str]:
        rows = json.loads(cli("followups", "list", "-f", "json", "--as-of", as_of,
                              *args).stdout)
        return {r["rule"]: r["status"] for r in rows if r["duty"] == duty}
    assert status("2024-01-19T23:59:59")["memo"] == "open"  # the last second still counts
    assert status("2024-01-20T00:00:00")["memo"] == "overdue"
    # --overdue narrows by the calendar bound, then compares: parents (3 school days, due
    # Thursday the 18th) is overdue on the 19th, memo (due the 19th) not yet.
    assert status("2024-01-19T12:00", "--overdue") == {"parents": "overdue", "file": "overdue"}
    done = cli("followups", "done", str(duty), "memo", "--at", "2024-01-19T23:00")
    assert done.exit_code == 0 and "on time: due 2024-01-19T23:59:59" in done.stderr
    assert status("2024-02-01")["memo"] == "done"


def test_duty_log_prints_the_day_clocks_it_opens(cli, clocked):
    result = cli("duty", "log", "--officer", "0417", "--school", "juanita-hs", "--category",
                 "traffic-safety", "--at", "2024-01-12T16:00")
    assert result.exit_code == 0, result.stderr
    assert "follow-up memo due 2024-01-19T23:59:59: Memo to the principal" in result.stderr
    assert "follow-up parents due 2024-01-18T23:59:59" in result.stderr


def test_a_pack_that_turns_hours_into_days_moves_a_past_deadline(cli, seeded, tmp_path):
    """Washington's collision report as `within_days: 4, days: calendar` (the statute's own
    words, wa.yaml says) moves the seed's collision follow-up from 15:05 to the end of its
    fourth day: a past deadline, so `rules load` lists it and writes only with --yes."""
    wa = Path(__file__).resolve().parent.parent / "data" / "rules" / "wa.yaml"
    text = wa.read_text()
    assert text.count("    within_hours: 96\n") == 1
    days = tmp_path / "wa.yaml"
    days.write_text(text.replace("    within_hours: 96\n",
                                 "    within_days: 4\n    days: calendar\n"))
    before = dump(seeded)
    refused = cli("rules", "load", days)
    assert refused.exit_code == 1
    assert ("follow-up collision-report of duty 3: due 2023-11-18T15:05:00, would be "
            "2023-11-18T23:59:59") in refused.stderr
    assert dump(seeded) == before
    assert cli("rules", "load", days, "--yes").exit_code == 0
    rows = json.loads(cli("followups", "list", "-f", "json", "--as-of", "2024-06-14").stdout)
    [row] = [r for r in rows if r["rule"] == "collision-report"]
    assert (row["duty"], row["due"], row["status"]) == (3, "2023-11-18T23:59:59", "done")


# ---------------------------------------------------------------- when: duty flags


def test_a_rule_with_when_applies_only_to_duties_with_that_flag(cli, clocked):
    plain = log(cli, "2024-01-10T15:05", "collision-response")
    flagged = log(cli, "2024-01-10T16:05", "collision-response", "injury-or-damage")
    assert dues(cli, plain) == {}
    assert dues(cli, flagged) == {"collision-report": "2024-01-14T16:05:00"}
    rows = {r["id"]: r for r in json.loads(cli("duty", "list", "-f", "json").stdout)}
    assert (rows[plain]["flags"], rows[plain]["open_followups"]) == ([], [])
    assert (rows[flagged]["flags"], rows[flagged]["open_followups"]) == (
        ["injury-or-damage"], ["collision-report"])
    before = dump(clocked)
    refused = cli("followups", "done", str(plain), "collision-report")
    assert refused.exit_code == 1
    assert "applies only to duties logged with the flag 'injury-or-damage'" in refused.stderr
    assert dump(clocked) == before
    assert cli("followups", "done", str(flagged), "collision-report", "--at",
               "2024-01-11T09:00").exit_code == 0


def test_a_flag_must_be_in_force_on_the_duty_s_day(cli, clocked, tmp_path):
    doc = tmp_path / "old.yaml"
    doc.write_text("duty_flags:\n  - {id: old-flag, name: Old, effective_until: 2023-12-31}\n")
    assert cli("load", doc).exit_code == 0
    before = dump(clocked)
    late = cli("duty", "log", "--officer", "0417", "--school", "juanita-hs", "--category",
               "traffic-safety", "--at", "2024-01-10T10:00", "--flag", "old-flag")
    assert late.exit_code == 1
    assert ("--flag: duty flag 'old-flag' is not in force on 2024-01-10 (in force: always to "
            "2023-12-31)") in late.stderr
    assert dump(clocked) == before
    assert log(cli, "2023-12-10T10:00", "traffic-safety", "old-flag")


def test_flags_in_every_format_of_duty_list(cli, clocked):
    duty = log(cli, "2024-01-10T16:05", "collision-response", "injury-or-damage")
    args = ("duty", "list", "--from", "2024-01-10", "--to", "2024-01-10")
    [row] = list(csv.DictReader(io.StringIO(cli(*args, "-f", "csv").stdout)))
    assert (row["id"], row["flags"], row["open_followups"]) == (
        str(duty), "injury-or-damage", "collision-report")
    for fmt in ("table", "markdown", "html"):
        out = cli(*args, "-f", fmt).stdout
        assert "injury-or-damage" in out, fmt
    assert "flags" in cli(*args, "-f", "markdown").stdout


def test_an_exported_duty_list_reimports_as_itself(cli, clocked, tmp_path):
    log(cli, "2024-01-10T16:05", "collision-response", "injury-or-damage")
    log(cli, "2024-01-10T17:05", "collision-response")
    export = tmp_path / "duties.csv"
    assert cli("duty", "list", "-f", "csv", "-o", export).exit_code == 0
    before = dump(clocked, data_only=True)
    again = cli("import", "duties", export)
    assert again.exit_code == 0, again.stderr
    assert "nothing changed" in again.stderr
    assert dump(clocked, data_only=True) == before


def test_flags_come_in_by_csv_json_and_yaml_imports(cli, clocked, tmp_path):
    (tmp_path / "d.csv").write_text(
        "officer,school,category,at,flags\n"
        "0417,juanita-hs,collision-response,2024-01-09T10:00,injury-or-damage\n"
        "0417,juanita-hs,collision-response,2024-01-09T11:00,\n")
    (tmp_path / "d.json").write_text(json.dumps([
        {"officer": "0417", "school": "juanita-hs", "category": "collision-response",
         "at": "2024-01-09T12:00", "flags": ["injury-or-damage"]}]))
    (tmp_path / "d.yaml").write_text(
        "- {officer: '0417', school: juanita-hs, category: collision-response,"
        " at: 2024-01-09T13:00, flags: [injury-or-damage]}\n")
    for name in ("d.csv", "d.json", "d.yaml"):
        result = cli("import", "duties", tmp_path / name)
        assert result.exit_code == 0, result.stderr
    rows = json.loads(cli("duty", "list", "-f", "json", "--from", "2024-01-09", "--to",
                          "2024-01-09").stdout)
    assert [(r["at"][11:16], r["flags"]) for r in rows] == [
        ("10:00", ["injury-or-damage"]), ("11:00", []), ("12:00", ["injury-or-damage"]),
        ("13:00", ["injury-or-damage"])]


def test_a_done_followup_of_a_duty_without_the_flag_is_refused_by_load(cli, clocked, tmp_path):
    doc = tmp_path / "done.yaml"
    doc.write_text("duties:\n  - {officer: '0417', school: juanita-hs, category: "
                   "collision-response, at: 2024-01-08T10:00}\nfollowups:\n  - {officer: '0417',"
                   " school: juanita-hs, category: collision-response, at: 2024-01-08T10:00, "
                   "rule: collision-report, done_at: 2024-01-09T10:00}\n")
    before = dump(clocked, data_only=True)
    result = cli("load", doc)
    assert result.exit_code == 1
    assert "applies only to duties logged with the flag 'injury-or-damage'" in result.stderr
    assert dump(clocked, data_only=True) == before
    doc.write_text(doc.read_text().replace("at: 2024-01-08T10:00}",
                                           "at: 2024-01-08T10:00, flags: [injury-or-damage]}", 1))
    result = cli("load", doc)
    assert result.exit_code == 0, result.stderr


# ---------------------------------------------------------------- bad input writes nothing


@pytest.mark.parametrize(("rule", "says"), [
    ("within_hours: 24, within_days: 2, days: calendar", "give within_hours or within_days, "
     "not both"),
    ("source: no clock", "give within_hours, or within_days with days"),
    ("within_days: 2", "within_days needs days: calendar, business, school"),
    ("within_days: 2, days: weekly", "days: 'weekly' is not allowed; use one of calendar, "
     "business, school"),
    ("within_hours: 2, days: business", "days goes with within_days"),
    ("within_days: 367, days: calendar", "within_days"),
    ("within_days: 0, days: calendar", "within_days"),
    ("within_hours: 24, when: no-such-flag", "unknown duty flag 'no-such-flag'"),
])
def test_a_bad_clock_is_one_clear_line_and_writes_nothing(cli, clocked, tmp_path, rule, says):
    doc = tmp_path / "bad.yaml"
    doc.write_text(f"followup_rules:\n  - {{category: traffic-safety, id: debrief, "
                   f"name: Debrief, {rule}}}\n")
    before = dump(clocked, data_only=True)
    result = cli("load", doc)
    assert result.exit_code == 1
    assert says in result.stderr, result.stderr
    problems = [ln for ln in result.stderr.splitlines() if "followup_rules[" in ln]
    assert len(problems) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert dump(clocked, data_only=True) == before


def test_an_unknown_flag_on_a_duty_is_refused(cli, clocked):
    before = dump(clocked)
    result = cli("duty", "log", "--officer", "0417", "--school", "juanita-hs", "--category",
                 "collision-response", "--at", "2024-01-10T10:00", "--flag", "injury")
    assert result.exit_code == 1
    assert "--flag: unknown duty flag 'injury'" in result.stderr
    assert "injury-or-damage" in result.stderr  # the did-you-mean
    assert dump(clocked) == before


def test_a_rule_changes_its_clock_whole(cli, clocked, tmp_path):
    """A stored rule given the other clock drops the first (one clock per rule). A seed
    record that names a stored rule may leave its clock out (it keeps it, as a load updates
    the fields a record gives); a row of `import followup_rules` may not."""
    def stored() -> tuple:
        out = json.loads(cli("rules", "show", "local", "-f", "json").stdout)
        [rule] = [r["record"] for r in out if r["key"] == "traffic-safety/memo"]
        return tuple(rule.get(k) for k in ("name", "within_hours", "within_days", "days"))

    doc = tmp_path / "r.yaml"
    doc.write_text("followup_rules:\n  - {category: traffic-safety, id: memo, name: Memo,"
                   " within_hours: 24}\n")
    assert cli("load", doc).exit_code == 0
    assert stored() == ("Memo", 24, None, None)
    doc.write_text("followup_rules:\n  - {category: traffic-safety, id: memo, name: Memo 2}\n")
    assert cli("load", doc).exit_code == 0
    assert stored() == ("Memo 2", 24, None, None)
    (tmp_path / "r.csv").write_text("category,id,name\ntraffic-safety,memo,Memo again\n")
    refused = cli("import", "followup_rules", tmp_path / "r.csv")
    assert refused.exit_code == 1
    assert "give within_hours, or within_days with days" in refused.stderr
    (tmp_path / "r2.csv").write_text("category,id,name,within_days,days\n"
                                     "traffic-safety,memo,Memo,2,business\n")
    result = cli("import", "followup_rules", tmp_path / "r2.csv")
    assert result.exit_code == 0, result.stderr
    assert stored() == ("Memo", None, 2, "business")


# ---------------------------------------------------------------- the SQL, by properties


def _conn(years: list[tuple[str, str, str]] = (), closures: list[tuple[str, str, str]] = ()
          ) -> sqlite3.Connection:
    conn = db.connect(":memory:")
    conn.execute("INSERT INTO duty_categories (id, name) VALUES ('c', 'C')")
    conn.execute("INSERT INTO followup_rules (category, id, name, within_days, days)"
                 " VALUES ('c', 's', 'S', 1, 'school')")
    conn.executemany("INSERT INTO school_years (id, start, end) VALUES (?, ?, ?)", years)
    conn.executemany("INSERT INTO closures (school_year, start, end) VALUES (?, ?, ?)",
                     closures)
    assert clocks.prepare(conn)
    return conn


def _due(conn: sqlite3.Connection, at: datetime, *, hours: int | None = None,
         days_n: int | None = None, days: str | None = None) -> str | None:
    return conn.execute(
        f"SELECT {clocks.due_sql(True)} FROM (SELECT ? AS at) d,"
        " (SELECT ? AS within_hours, ? AS within_days, ? AS days) r",
        (at.isoformat(timespec="seconds"), hours, days_n, days)).fetchone()[0]


_CONN = _conn()
moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2150, 12, 31)
                       ).map(lambda t: t.replace(microsecond=0))
clock = st.one_of(
    st.tuples(st.integers(1, 8760), st.none(), st.none()),
    st.tuples(st.none(), st.integers(1, 366), st.sampled_from(("calendar", "business"))))


@settings(max_examples=400, deadline=None)
@given(at=moments, rule=clock)
def test_a_due_time_is_never_before_the_duty(at, rule):
    hours, days_n, days = rule
    due = _due(_CONN, at, hours=hours, days_n=days_n, days=days)
    assert due is not None and due > at.isoformat(timespec="seconds")


@settings(max_examples=300, deadline=None)
@given(at=moments, n=st.integers(1, 366))
def test_n_calendar_days_is_the_duty_date_plus_n_at_the_last_second(at, n):
    expected = f"{(at.date() + timedelta(days=n)).isoformat()}T23:59:59"
    assert _due(_CONN, at, days_n=n, days="calendar") == expected


def _nth_after(day: date, n: int, counts) -> date:
    while n:
        day += timedelta(days=1)
        n -= counts(day)
    return day


@settings(max_examples=400, deadline=None)
@given(at=moments, n=st.integers(1, 366))
def test_business_days_never_land_on_a_weekend_and_count_mondays_to_fridays(at, n):
    due = _due(_CONN, at, days_n=n, days="business")
    assert due is not None and due.endswith("T23:59:59")
    day = date.fromisoformat(due[:10])
    assert day.weekday() < 5
    assert day == _nth_after(at.date(), n, lambda d: d.weekday() < 5)


@st.composite
def calendars(draw):
    """One or two school years (the second may follow at once or after a summer) with a few
    closures each, and some weekdays: what the school-day clock reads."""
    start = date(2023, 8, 1) + timedelta(days=draw(st.integers(0, 60)))
    years, closures, weekdays = [], [], {}
    for i in range(draw(st.integers(1, 2))):
        end = start + timedelta(days=draw(st.integers(20, 120)))
        yid = f"{start.year}-{(start.year + 1) % 100:02d}"
        if any(y[0] == yid for y in years):
            break
        days = draw(st.sets(st.integers(0, 6), min_size=1))
        weekdays[yid] = days
        years.append((yid, start.isoformat(), end.isoformat()))
        for _ in range(draw(st.integers(0, 3))):
            lo = start + timedelta(days=draw(st.integers(0, (end - start).days)))
            hi = min(end, lo + timedelta(days=draw(st.integers(0, 9))))
            if all(not (lo.isoformat() <= c[2] and c[1] <= hi.isoformat())
                   for c in closures if c[0] == yid):
                closures.append((yid, lo.isoformat(), hi.isoformat()))
        start = date(start.year + 1, 8, 1) + timedelta(days=draw(st.integers(0, 40))) if (
            i == 0) else start
    return years, closures, weekdays


@settings(max_examples=150, deadline=None)
@given(cal=calendars(), offset=st.integers(-30, 500), n=st.integers(1, 40),
       hour=st.integers(0, 23))
def test_school_days_count_the_weekdays_of_the_years_outside_their_closures(cal, offset, n,
                                                                            hour):
    years, closures, weekdays = cal
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    conn = _conn(years, closures)
    for yid, days in weekdays.items():
        conn.execute("UPDATE school_years SET weekdays = ? WHERE id = ?",
                     (json.dumps([names[d] for d in sorted(days)]), yid))
    clocks.prepare(conn)

    def school_day(day: date) -> bool:
        for yid, lo, hi in years:
            if lo <= day.isoformat() <= hi:
                return day.weekday() in weekdays[yid] and not any(
                    c[0] == yid and c[1] <= day.isoformat() <= c[2] for c in closures)
        return False

    at = datetime.combine(date.fromisoformat(years[0][1]) + timedelta(days=offset),
                          datetime.min.time()).replace(hour=hour)
    due = _due(conn, at, days_n=n, days="school")
    last = date.fromisoformat(years[-1][2])
    remaining = sum(school_day(last - timedelta(days=i))
                    for i in range((last - at.date()).days))
    if remaining < n:
        assert due is None  # not enough school days stored after the duty's day
    else:
        assert due == f"{_nth_after(at.date(), n, school_day).isoformat()}T23:59:59"
        assert due > at.isoformat()
    conn.close()


def test_the_overdue_bound_never_leaves_out_an_overdue_day_clock(clocked):
    """`--overdue` scans only duties before clocks.OVERDUE_BEFORE_SQL: the list it gives is
    the full list's overdue rows, for every kind of clock, at many moments."""
    conn = db.connect(clocked)
    for i in range(150):
        conn.execute("INSERT INTO duties (officer, school, category, at) VALUES ('0417',"
                     " 'juanita-hs', 'traffic-safety', strftime('%Y-%m-%dT%H:%M:%S',"
                     " '2023-11-01', ?))", (f"+{i * 37} hours",))
    for moment in ("2023-11-20T08:00:00", "2023-12-24T12:00:00", "2024-01-16T00:00:00",
                   "2024-01-19T23:59:59"):
        every = followups.list_followups(conn, as_of=moment)
        overdue = followups.list_followups(conn, as_of=moment, overdue_only=True)
        assert overdue == [r for r in every if r["status"] == "overdue"], moment
    conn.close()
