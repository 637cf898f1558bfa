"""`report duties`: counts and minutes per key equal the duties logged, for every --by; zeros
where the report promises them; the month timeline; the bars; and the SQL plans (covering
indexes, no table scan of duties).

The expected numbers are computed here in plain Python from the stored duty rows, an oracle
independent of the report's SQL.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from crotool.intake.seed import bundled_seed, load_files
from crotool.program import duty_report
from crotool.program.duties import Range, resolve_range
from crotool.store import db, migrations

YEAR_START, YEAR_END = "2023-09-05", "2024-06-21"

# The numbers below were worked out by hand on the seed's first seven duties (all in 2023-24),
# identified here by officer and time; the seed's later duties (the follow-up and presence
# follow-up story) are removed from this module's database so those numbers stay true.
SEED_SEVEN = [("0417", "2023-09-12T07:40:00"), ("3045", "2023-10-11T09:00:00"),
              ("1182", "2023-10-03T10:15:00"), ("1182", "2023-11-08T08:30:00"),
              ("2291", "2023-11-14T15:05:00"), ("2307", "2024-02-06T13:30:00"),
              ("3112", "2024-03-19T11:00:00")]
# On top of those seven.
EXTRA_DUTIES = [  # officer, school, category, at, minutes
    ("0417", "juanita-hs", "emergency-response", "2023-09-05T00:00:00", 15),  # the year's start
    ("0417", "juanita-hs", "emergency-response", "2024-06-21T23:59:59", 25),  # the year's end
    ("0417", "juanita-hs", "emergency-response", "2024-01-09T10:00", 1440),
    ("0417", "redmond-hs", "emergency-response", "2024-01-10T10:00", None),  # no minutes
    ("2291", "evergreen-ms", "traffic-safety", "2024-01-11T07:30", 40),  # eastlake + redmond
    ("2291", "timberline-ms", "traffic-safety", "2024-01-12T07:30", 35),  # redmond + eastlake
    ("2291", "redmond-hs", "collision-response", "2023-09-04T23:59:59", 500),  # before the year
    ("2291", "redmond-hs", "collision-response", "2024-06-22T00:00:00", 600),  # after it
]
EXTRA = "duties:\n" + "".join(
    f"  - {{officer: '{o}', school: {s}, category: {c}, at: {a}, minutes: {m or 'null'}}}\n"
    for o, s, c, a, m in EXTRA_DUTIES)
MONTHS = ["2023-09", "2023-10", "2023-11", "2023-12", "2024-01", "2024-02", "2024-03",
          "2024-04", "2024-05", "2024-06"]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled seed and EXTRA, loaded once per module (through the same load_files as
    `crotool load`); each test gets a fresh copy of the file."""
    folder = tmp_path_factory.mktemp("template")
    extra = folder / "extra.yaml"
    extra.write_text(EXTRA)
    path = folder / "logged.db"
    conn = db.connect(path)
    load_files(conn, [(bundled_seed(), "bundled seed")])
    with db.transaction(conn):
        conn.execute("DELETE FROM followups")
        conn.execute("CREATE TEMP TABLE seven (officer TEXT, at TEXT)")
        conn.executemany("INSERT INTO seven VALUES (?, ?)", SEED_SEVEN)
        conn.execute("DELETE FROM duties WHERE (officer, at) NOT IN (SELECT * FROM seven)")
    load_files(conn, [(extra, "extra.yaml")])
    assert conn.execute("SELECT count(*) FROM duties").fetchone()[0] == 7 + len(EXTRA_DUTIES)
    db.checkpoint(conn)
    conn.close()
    return path


@pytest.fixture
def logged(template: Path, isolated_db: Path) -> Path:
    shutil.copyfile(template, isolated_db)
    return isolated_db


def report(cli, *args: str) -> list[dict]:
    result = cli("report", "duties", "-f", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def expected(path: Path, by: str, first: str = YEAR_START, last: str = YEAR_END) -> list[dict]:
    """The report worked out by hand: plain Python over every stored duty."""
    conn = db.connect(path)
    duties = [dict(r) for r in conn.execute("SELECT * FROM duties")]
    school_pattern = dict(conn.execute("SELECT id, feeder_pattern FROM schools").fetchall())
    role_of = dict(conn.execute("SELECT id, role FROM duty_categories").fetchall())
    keys = {
        "role": [r[0] for r in conn.execute("SELECT id FROM roles")]
        + ([None] if None in role_of.values() else []),
        "category": [r[0] for r in conn.execute("SELECT id FROM duty_categories")],
        "pattern": [r[0] for r in conn.execute("SELECT id FROM feeder_patterns")],
        "month": [m for m in MONTHS if first[:7] <= m <= last[:7]],
        "school": [], "officer": [],  # only keys with duties
    }[by]
    conn.close()
    count: Counter = Counter()
    minutes: defaultdict = defaultdict(int)
    for d in duties:
        if not first <= d["at"][:10] <= last:
            continue
        key = {"role": role_of[d["category"]],
               "category": d["category"], "pattern": school_pattern[d["school"]],
               "school": d["school"], "officer": d["officer"], "month": d["at"][:7]}[by]
        count[key] += 1
        minutes[key] += d["minutes"] or 0
    rows = [{by: k, "count": count[k], "minutes": minutes[k]}
            for k in sorted(set(keys) | set(count), key=lambda k: (k is None, k or ""))]
    if by != "month":
        rows.sort(key=lambda r: (-r["minutes"], -r["count"], r[by] is None, r[by] or ""))
    return rows


def trimmed(rows: list[dict], by: str) -> list[dict]:
    return [{by: r[by], "count": r["count"], "minutes": r["minutes"]} for r in rows]


@pytest.mark.parametrize("by", duty_report.BY)
def test_counts_and_minutes_equal_the_duties_logged(cli, logged, by):
    rows = report(cli, "--by", by)
    assert trimmed(rows, by) == expected(logged, by)
    # Duties of the year only: the two just outside it are not counted.
    assert sum(r["count"] for r in rows) == 7 + 6
    assert sum(r["minutes"] for r in rows) == 455 + 15 + 25 + 1440 + 40 + 35


@pytest.mark.parametrize("by", duty_report.BY)
def test_a_narrower_range(cli, logged, by):
    rows = report(cli, "--by", by, "--from", "2023-12-15", "--to", "2024-02-10")
    assert trimmed(rows, by) == expected(logged, by, "2023-12-15", "2024-02-10")
    assert sum(r["count"] for r in rows) == 5  # 2024-01-09, -10, -11, -12 and 2024-02-06


def test_the_default_is_the_current_year(cli, logged):
    assert report(cli) == report(cli, "--by", "category", "--year", "2023-24")


def test_every_category_appears_with_zeros(cli, logged):
    rows = report(cli, "--by", "category")
    assert len(rows) == 13
    zero = {r["category"] for r in rows if r["count"] == 0}
    assert {"cps-investigation", "policy-compliance"} <= zero
    assert all(r["minutes"] == 0 for r in rows if r["count"] == 0)
    assert {"category", "name", "count", "minutes"} == set(rows[0])


def test_split_feeders_count_under_their_main_pattern_only(cli, logged):
    rows = {r["pattern"]: r for r in report(cli, "--by", "pattern")}
    # evergreen-ms (eastlake, also redmond): eastlake; timberline-ms (redmond, also eastlake):
    # redmond. Seed: eastlake 2 duties / 80 min, redmond 1 / 60.
    assert (rows["eastlake"]["count"], rows["eastlake"]["minutes"]) == (3, 120)
    assert (rows["redmond"]["count"], rows["redmond"]["minutes"]) == (3, 95)
    assert sum(r["count"] for r in rows.values()) == 13


def test_a_duty_without_minutes_is_counted_and_adds_nothing(cli, logged):
    rows = {r["school"]: r for r in report(cli, "--by", "school")}
    assert (rows["redmond-hs"]["count"], rows["redmond-hs"]["minutes"]) == (2, 60)


def test_month_is_a_timeline_with_zero_months(cli, logged):
    rows = report(cli, "--by", "month")
    assert [r["month"] for r in rows] == MONTHS
    assert {r["month"]: r["count"] for r in rows}["2023-12"] == 0
    narrow = report(cli, "--by", "month", "--from", "2023-12-15", "--to", "2024-02-10")
    assert [r["month"] for r in narrow] == ["2023-12", "2024-01", "2024-02"]


def test_month_with_an_open_end_runs_to_the_last_duty(cli, logged):
    rows = report(cli, "--by", "month", "--from", "2024-03-01")
    assert [r["month"] for r in rows] == ["2024-03", "2024-04", "2024-05", "2024-06"]
    assert rows[-1]["count"] == 2  # 2024-06-21T23:59:59 and 2024-06-22T00:00:00


def test_school_and_officer_rows_name_their_key(cli, logged):
    school = {r["school"]: r for r in report(cli, "--by", "school")}
    assert school["evergreen-ms"]["name"] == "Evergreen Middle School"
    assert school["evergreen-ms"]["pattern"] == "eastlake"
    officer = {r["officer"]: r for r in report(cli, "--by", "officer")}
    assert officer["0417"]["agency"] == "kirkland-pd"
    assert "0923" not in officer  # no duties: not listed


def test_table_shows_a_bar_per_row_and_the_totals(cli, logged):
    result = cli("report", "duties", "--by", "month")
    assert result.exit_code == 0
    lines = {line.split("│")[1].strip(): line for line in result.stdout.splitlines()
             if line.startswith("│")}
    assert set(lines) == set(MONTHS)
    # January holds the most minutes (1440 + 40 + 35): the longest bar, 30 full blocks.
    assert lines["2024-01"].count("█") == 30
    assert "█" not in lines["2023-12"]
    assert 0 < lines["2023-10"].count("█") < 30
    assert "13 duties, 2010 minutes (33.5 h)" in result.stdout


def test_csv_and_markdown_carry_the_rows_without_the_bar(cli, logged):
    csv = cli("report", "duties", "--by", "officer", "-f", "csv").stdout.splitlines()
    assert csv[0] == "officer,name,agency,count,minutes"
    assert "█" not in "\n".join(csv)
    md = cli("report", "duties", "--by", "pattern", "-f", "markdown").stdout
    lines = md.splitlines()
    assert lines[0].startswith("# Duties by pattern")
    assert next(ln for ln in lines if ln.startswith("|")) == "| pattern | name | count | minutes |"


def test_an_empty_range(cli, logged):
    assert report(cli, "--by", "school", "--from", "2030-01-01") == []
    assert all(r["count"] == 0 for r in report(cli, "--by", "category", "--from", "2030-01-01"))
    table = cli("report", "duties", "--by", "officer", "--from", "2030-01-01")
    assert "no duties in this range" in table.stdout


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--by", "agency"], 2, "'agency' is not one of"),
    (["--year", "2023-25"], 1, "unknown school year '2023-25'"),
    (["--to", "2023-01-01", "--from", "2023-02-01"], 1, "is before --from"),
])
def test_bad_options(cli, logged, args, code, message):
    result = cli("report", "duties", *args)
    assert result.exit_code == code
    assert message in result.stderr


@pytest.mark.parametrize("by", duty_report.BY)
def test_every_report_reads_duties_through_a_covering_index(logged, by):
    conn = db.connect(logged)
    plan = duty_report.explain(conn, by, resolve_range(conn))
    conn.close()
    duty_steps = [step for step in plan if " d " in f" {step} " or step.startswith(("SCAN d",
                                                                                  "SEARCH d"))]
    assert duty_steps, plan
    assert all("COVERING INDEX duties_" in step for step in duty_steps), plan
    assert not any(step.startswith("SCAN d") for step in duty_steps), plan


def test_migration_2_widens_the_duty_indexes(logged):
    conn = db.connect(logged)
    assert migrations.version(conn) == migrations.SCHEMA_VERSION >= 2
    indexes = {r[0]: r[1] for r in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'duties'"
        " AND sql IS NOT NULL")}
    conn.close()
    assert set(indexes) == {"duties_category_at", "duties_at_minutes",
                            "duties_school_at_minutes", "duties_officer_at_minutes"}
    assert indexes["duties_school_at_minutes"].endswith("duties(school, at, minutes)")


@pytest.mark.slow
def test_report_through_the_installed_script(logged):
    from conftest import run_installed

    result = run_installed("report", "duties", "--by", "category", "--format", "json",
                           "--year", "2023-24")
    assert result.returncode == 0, result.stderr
    rows = {r["category"]: r for r in json.loads(result.stdout)}
    assert (rows["emergency-response"]["count"], rows["emergency-response"]["minutes"]) == (
        4, 15 + 25 + 1440)


def test_range_bounds_are_half_open_text():
    from datetime import date

    span = Range(date(2024, 1, 1), date(2024, 1, 31))
    assert (span.lo, span.hi) == ("2024-01-01", "2024-02-01")
    assert "2024-01-31T23:59:59" < span.hi <= "2024-02-01T00:00:00"
    assert Range(None, None).lo < "0000-01-01T00:00:00" and Range(None, None).hi > "9999"
