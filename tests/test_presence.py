"""`report presence` and `report duties --by role`, worked by hand on the seed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crotool.program import presence
from crotool.store import db

STORY = ("--year", "2023-24", "--as-of", "2024-06-14")


def rows_of(cli, *args: str) -> list[dict]:
    result = cli("report", "presence", "-f", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_the_seed_leaves_two_schools_unvisited_for_more_than_30_days(cli, seeded):
    rows = rows_of(cli, *STORY)
    assert len(rows) == 55 and len({r["school"] for r in rows}) == 55
    stale = {r["school"]: (r["last_duty_at"], r["days_since"]) for r in rows if r["stale"]}
    # 2024-02-20 -> 2024-06-14: 9 + 31 + 30 + 31 + 14 = 115 days; 2024-04-02 -> 73 days.
    assert stale == {"tesla-stem-hs": ("2024-02-20T11:05:00", 115),
                     "wilder-es": ("2024-04-02T08:10:00", 73)}
    assert list(rows[0]) == list(presence.COLUMNS)


def test_a_split_feeder_school_appears_once(cli, seeded):
    rows = rows_of(cli, *STORY)
    split = [r for r in rows if r["school"] in ("evergreen-ms", "timberline-ms")]
    assert [(r["school"], r["feeder_pattern"]) for r in split] == [
        ("evergreen-ms", "eastlake"), ("timberline-ms", "redmond")]
    # A pattern filter takes its split feeders in, still once each.
    redmond = [r["school"] for r in rows_of(cli, *STORY, "--pattern", "redmond")]
    assert redmond.count("evergreen-ms") == 1 and redmond.count("timberline-ms") == 1


def test_a_school_never_visited_is_stale_with_null_days_since(cli, seeded):
    rows = {r["school"]: r for r in rows_of(cli, "--year", "2023-24", "--as-of", "2023-09-20")}
    assert rows["bell-es"] == {"school": "bell-es", "name": rows["bell-es"]["name"],
                               "feeder_pattern": "juanita", "duties": 0,
                               "last_duty_at": None, "days_since": None, "stale": True}
    # juanita-hs: a duty on 2023-09-12, 8 calendar days before the 20th.
    assert (rows["juanita-hs"]["days_since"], rows["juanita-hs"]["stale"]) == (8, False)


@pytest.mark.parametrize(("days", "stale"), [(8, False), (7, True), (0, True)])
def test_stale_is_more_than_n_days(cli, seeded, days, stale):
    rows = {r["school"]: r for r in rows_of(cli, "--year", "2023-24", "--as-of", "2023-09-20",
                                            "--stale-days", str(days))}
    assert rows["juanita-hs"]["stale"] is stale


def test_a_duty_on_the_as_of_day_counts_and_later_ones_do_not(cli, seeded):
    rows = {r["school"]: r for r in rows_of(cli, "--year", "2023-24", "--as-of", "2023-09-12")}
    assert (rows["juanita-hs"]["duties"], rows["juanita-hs"]["days_since"]) == (1, 0)
    before = {r["school"]: r for r in rows_of(cli, "--year", "2023-24", "--as-of", "2023-09-11")}
    assert before["juanita-hs"]["duties"] == 0 and before["juanita-hs"]["stale"]


def test_duties_count_the_year_up_to_as_of(cli, seeded):
    rows = rows_of(cli, *STORY)
    result = cli("duty", "list", "-f", "json", "--year", "2023-24", "--to", "2024-06-14")
    assert sum(r["duties"] for r in rows) == len(json.loads(result.stdout))


def test_fail_on_stale_exits_3(cli, seeded):
    result = cli("report", "presence", *STORY, "--fail-on-stale", "-f", "csv")
    assert result.exit_code == 3 and "wilder-es" in result.stdout
    fine = cli("report", "presence", *STORY, "--stale-days", "365", "--fail-on-stale")
    assert fine.exit_code == 0, fine.stderr


def test_bad_options_are_one_clear_line(cli, seeded):
    for args in (("--as-of", "2024-02-30"), ("--stale-days", "-1"), ("--pattern", "redmnd")):
        result = cli("report", "presence", *args)
        assert result.exit_code == 1, args
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_presence_is_one_covering_index_aggregation(seeded: Path):
    conn = db.connect(seeded)
    plan = " | ".join(r["detail"] for r in conn.execute(
        "EXPLAIN QUERY PLAN " + presence.sql(), ("2023-09-05", "2024-06-15", "2024-06-14", 30)))
    conn.close()
    assert "COVERING INDEX duties_school_at_minutes" in plan, plan


# ---------------------------------------------------------------- report duties --by role


def report(cli, *args: str) -> list[dict]:
    result = cli("report", "duties", "-f", "json", "--year", "2023-24", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("narrow", [(), ("--officer", "2291"), ("--pattern", "redmond"),
                                    ("--pattern", "eastlake", "--officer", "3112"),
                                    ("--from", "2024-01-01")])
def test_role_totals_add_up_to_category_totals(cli, seeded, narrow):
    roles = report(cli, "--by", "role", *narrow)
    categories = report(cli, "--by", "category", *narrow)
    assert sum(r["count"] for r in roles) == sum(r["count"] for r in categories) > 0
    assert sum(r["minutes"] for r in roles) == sum(r["minutes"] for r in categories)
    # Worked per role from the categories' rows and the seed's category -> role map.
    cats = {r["id"]: r for r in json.loads(cli("categories", "list", "-f", "json").stdout)}
    conn = db.connect(seeded)
    role_of = dict(conn.execute("SELECT id, role FROM duty_categories").fetchall())
    conn.close()
    for row in roles:
        mine = [c for c in categories if role_of[c["category"]] == row["role"]]
        assert row["count"] == sum(c["count"] for c in mine), row
    assert set(cats) == set(role_of)


def test_every_role_is_listed_zeros_included(cli, seeded):
    rows = report(cli, "--by", "role")
    assert {r["role"] for r in rows} == {"law-enforcement", "positive-school-climate",
                                         "crime-prevention", "education"}
    climate = next(r for r in rows if r["role"] == "positive-school-climate")
    assert (climate["count"], climate["minutes"]) == (0, 0)
    assert list(rows[0]) == ["role", "name", "count", "minutes"]


def test_a_category_without_a_role_counts_under_role_null(cli, seeded, tmp_path):
    doc = tmp_path / "more.yaml"
    doc.write_text("duty_categories:\n  - {id: mentoring, name: Mentoring}\nduties:\n"
                   "  - {officer: '0417', school: juanita-hs, category: mentoring, "
                   "at: 2024-01-09T12:00, minutes: 25}\n")
    assert cli("load", doc).exit_code == 0
    rows = report(cli, "--by", "role")
    none = [r for r in rows if r["role"] is None]
    assert none == [{"role": None, "name": "(no role)", "count": 1, "minutes": 25}]
    categories = report(cli, "--by", "category")
    assert sum(r["minutes"] for r in rows) == sum(r["minutes"] for r in categories)


def test_filters_take_unknown_ids_as_errors(cli, seeded):
    result = cli("report", "duties", "--by", "role", "--officer", "04177")
    assert result.exit_code == 1 and "unknown officer" in result.stderr


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown", "html", "svg"])
def test_role_report_in_every_format(cli, seeded, fmt):
    result = cli("report", "duties", "--by", "role", "--year", "2023-24", "--pattern",
                 "juanita", "-f", fmt)
    assert result.exit_code == 0, result.stderr
    assert "positive-school-climate" in result.stdout or "positive" in result.stdout
