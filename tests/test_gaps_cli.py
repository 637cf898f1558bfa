"""`crotool gaps` and `crotool report coverage` through the CLI.

The engine's own hand-worked and property tests live in test_coverage*.py; here every gap and
conflict kind is produced by real commands (`officers add/leave`, `assign`) on a small
district loaded from YAML, and the tests check what users and cron get: JSON shape and order,
the table, --on / --pattern / --agency, --fail-on-gaps exit codes, refusals, and the
coverage matrix and its flat rows.

The district has one 30-day school year (September 2024: a day of the month is its day
number), patterns alpha and beta, and three agencies; split-ms feeds beta and also alpha.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import run_installed
from typer.testing import CliRunner

from crotool.cli.app import app
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
  - {id: split-ms, name: Split MS, level: middle, feeder_pattern: beta, also_feeds: [alpha],
     agency: south-pd}
"""

# Every kind, each made by the command that makes it in real life.
STORY = [
    ["officers", "add", "101", "--name", "Nora North", "--agency", "north-pd",
     "--trained-on", "2024-09-11"],
    ["officers", "add", "201", "--name", "Sam South", "--agency", "south-pd", "--status",
     "inactive", "--trained-on", "2024-01-01"],
    ["officers", "add", "202", "--name", "Sue South", "--agency", "south-pd",
     "--trained-on", "2024-01-01"],
    ["officers", "add", "203", "--name", "Tad Trainee", "--agency", "south-pd"],
    ["officers", "add", "301", "--name", "Cal County", "--agency", "county-so",
     "--trained-on", "2024-01-01"],
    ["assign", "101", "alpha", "--year", "2024-25"],  # untrained until 09-10
    ["officers", "leave", "101", "--start", "2024-09-20", "--end", "2024-09-22"],  # on_leave
    ["assign", "201", "beta", "--year", "2024-25"],  # inactive
    ["assign", "202", "beta", "--year", "2024-25", "--start", "2024-09-15"],  # duplicate
    ["assign", "301", "alpha", "--year", "2024-25"],  # out of jurisdiction
    ["assign", "203", "alpha", "--year", "2024-25", "--role", "additional"],  # untrained add.
]

ALPHA_SOUTH = ["alpha-es", "split-ms"]
BETA_SOUTH = ["beta-hs", "split-ms"]


def row(pattern: str, agency: str, kind: str, start: int, end: int, officer: str | None,
        schools: list[str]) -> dict:
    return {"school_year": "2024-25", "feeder_pattern": pattern, "agency": agency,
            "kind": kind, "start": f"2024-09-{start:02d}", "end": f"2024-09-{end:02d}",
            "days": end - start + 1, "officer": officer, "schools": schools}


EXPECTED = [
    row("alpha", "county-so", "out_of_jurisdiction", 1, 30, "301", []),
    row("alpha", "north-pd", "untrained", 1, 10, "101", ["alpha-hs"]),
    row("alpha", "north-pd", "on_leave", 20, 22, "101", ["alpha-hs"]),
    row("alpha", "south-pd", "unassigned", 1, 30, None, ALPHA_SOUTH),
    row("alpha", "south-pd", "untrained_additional", 1, 30, "203", ALPHA_SOUTH),
    row("beta", "south-pd", "inactive", 1, 14, "201", BETA_SOUTH),
    row("beta", "south-pd", "duplicate", 15, 30, "201", BETA_SOUTH),
]


def _weekdays(start: str, end: str) -> int:
    """Day by day: this district stores no closures and keeps the default weekdays."""
    lo, hi = date.fromisoformat(start), date.fromisoformat(end)
    return sum((lo + timedelta(n)).weekday() < 5 for n in range((hi - lo).days + 1))


# Rows gain their school days, counted here by the reference above.
for _row in EXPECTED:
    _row["school_days"] = _weekdays(_row["start"], _row["end"])


def _build(path: Path, doc: Path, commands: list[list[str]]) -> None:
    runner = CliRunner()
    for args in [["load", str(doc)], *commands]:
        result = runner.invoke(app, ["--db", str(path), *args], catch_exceptions=False,
                               env={"CROTOOL_TODAY": "2024-09-10"})
        assert result.exit_code == 0, (args, result.stderr)
    gc.collect()  # the commands' own connections
    conn = db.connect(path)
    db.checkpoint(conn)  # every committed page into the main file: one file to copy
    conn.close()


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The district with STORY applied, and the district fully covered; built once per module
    through the CLI, then copied for each test."""
    folder = tmp_path_factory.mktemp("gaps-templates")
    doc = folder / "district.yaml"
    doc.write_text(DISTRICT)
    story, covered = folder / "story.db", folder / "covered.db"
    _build(story, doc, STORY)
    _build(covered, doc, [
        ["officers", "add", "102", "--name", "Ned North", "--agency", "north-pd",
         "--trained-on", "2024-08-01"],
        ["officers", "add", "204", "--name", "Sal South", "--agency", "south-pd",
         "--trained-on", "2024-08-01"],
        ["assign", "102", "alpha", "--year", "2024-25"],
        ["assign", "204", "alpha", "--year", "2024-25"],
        ["assign", "204", "beta", "--year", "2024-25"],
    ])
    return {"story": story, "covered": covered}


@pytest.fixture(autouse=True)
def today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROTOOL_TODAY", "2024-09-10")


@pytest.fixture
def story(templates: dict[str, Path], isolated_db: Path) -> Path:
    shutil.copyfile(templates["story"], isolated_db)
    return isolated_db


@pytest.fixture
def covered(templates: dict[str, Path], isolated_db: Path) -> Path:
    shutil.copyfile(templates["covered"], isolated_db)
    return isolated_db


def gaps_json(cli, *args: str) -> list[dict]:
    result = cli("gaps", "-f", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


# ---------------------------------------------------------------- gaps


@pytest.mark.slow
def test_every_kind_through_real_commands_in_spec_order(cli, story):
    rows = gaps_json(cli)  # default year: the one containing today
    assert rows == EXPECTED
    assert list(rows[0]) == ["school_year", "feeder_pattern", "agency", "kind", "start", "end",
                             "days", "school_days", "officer", "schools"]
    keys = [(r["feeder_pattern"], r["agency"], r["start"], r["kind"]) for r in rows]
    assert keys == sorted(keys)


def test_explicit_year_gives_the_same_rows_and_a_summary(cli, story):
    result = cli("gaps", "--year", "2024-25", "-f", "json")
    assert json.loads(result.stdout) == EXPECTED
    assert "2024-25: 4 gaps (57 pattern-agency days uncovered), 3 conflicts" in result.stderr


def test_table_is_grouped_by_pattern_one_line_per_row(cli, story):
    result = cli("gaps")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "\x1b[" not in text  # not a terminal: no colour
    alpha = text.index("Gaps and conflicts, 2024-25: alpha")
    beta = text.index("Gaps and conflicts, 2024-25: beta")
    assert alpha < beta
    for r in EXPECTED:
        section = text[alpha:beta] if r["feeder_pattern"] == "alpha" else text[beta:]
        line = next(ln for ln in section.splitlines()
                    if f" {r['kind']} " in ln and r["start"] in ln)
        assert r["agency"] in line and r["end"] in line and f" {r['days']} " in line
        assert (r["officer"] or "") in line
        assert all(s in line for s in r["schools"])


def test_html_colours_rows_by_kind(cli, story):
    result = cli("gaps", "-f", "html")
    assert result.exit_code == 0, result.stderr
    colours = set(re.findall(r"color: (#[0-9a-f]{6})", result.stdout))
    # unassigned, inactive, untrained, on_leave and the conflicts: five colours at least.
    assert len(colours) >= 5, colours


def test_on_keeps_the_rows_whose_span_contains_that_day(cli, story):
    assert [(r["feeder_pattern"], r["agency"], r["kind"]) for r in
            gaps_json(cli, "--on", "2024-09-21")] == [
        ("alpha", "county-so", "out_of_jurisdiction"),
        ("alpha", "north-pd", "on_leave"),
        ("alpha", "south-pd", "unassigned"),
        ("alpha", "south-pd", "untrained_additional"),
        ("beta", "south-pd", "duplicate"),
    ]
    # The last untrained day and the first trained one.
    assert [r["kind"] for r in gaps_json(cli, "--on", "2024-09-10", "--agency", "north-pd")
            ] == ["untrained"]
    assert gaps_json(cli, "--on", "2024-09-11", "--agency", "north-pd") == []


def test_pattern_and_agency_filters(cli, story):
    assert gaps_json(cli, "--pattern", "beta") == EXPECTED[5:]
    assert gaps_json(cli, "--agency", "north-pd") == EXPECTED[1:3]
    assert gaps_json(cli, "--pattern", "alpha", "--agency", "county-so") == EXPECTED[:1]


def test_unknown_year_pattern_agency_and_bad_day_are_refused(cli, story):
    for args, message in [
        (["--year", "2024-26"], "--year: unknown school year '2024-26' (did you mean '2024-25'?)"),
        (["--pattern", "alpah"], "--pattern: unknown feeder pattern 'alpah' (did you mean "
                                 "'alpha'?)"),
        (["--agency", "nort-pd"], "--agency: unknown agency 'nort-pd' (did you mean "
                                  "'north-pd'?)"),
        (["--on", "2024-09-31"], "--on: '2024-09-31' is not a real date"),
        (["--on", "2024-10-01", "--year", "2024-25"], "--on 2024-10-01 is outside school year "
                                                      "2024-25 (2024-09-01 to 2024-09-30)"),
        (["--on", "2025-10-01"], "--on 2025-10-01: no school year contains that day"),
    ]:
        result = cli("gaps", *args, "-f", "json")
        assert result.exit_code == 1, args
        assert message in result.stderr, (args, result.stderr)
        assert result.stdout == ""


def test_fail_on_gaps_exits_3_after_writing_the_output(cli, story, tmp_path):
    target = tmp_path / "gaps.json"
    result = cli("gaps", "--fail-on-gaps", "-f", "json", "-o", target, "-q")
    assert result.exit_code == 3
    assert result.stdout == "" and result.stderr == ""
    assert json.loads(target.read_text()) == EXPECTED
    # Printed to stdout too, before the exit code.
    printed = cli("gaps", "--fail-on-gaps", "--pattern", "beta")
    assert printed.exit_code == 3
    assert "duplicate" in printed.stdout


def test_fail_on_gaps_exits_0_when_the_filters_leave_nothing(cli, story):
    result = cli("gaps", "--fail-on-gaps", "--on", "2024-09-15", "--agency", "north-pd",
                 "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_no_rows_says_so_in_words_and_json_is_an_empty_list(cli, covered):
    table = cli("gaps", "--fail-on-gaps")
    assert table.exit_code == 0, table.stderr
    assert table.stdout.strip() == "no gaps or conflicts in 2024-25"
    machine = cli("gaps", "--fail-on-gaps", "-f", "json")
    assert machine.exit_code == 0
    assert machine.stdout == "[]\n"
    assert "no gaps or conflicts in 2024-25" in machine.stderr
    narrowed = cli("gaps", "--pattern", "beta", "--on", "2024-09-02")
    assert narrowed.stdout.strip() == "no gaps or conflicts in 2024-25 for pattern beta on " \
                                      "2024-09-02"


def test_a_fix_through_the_cli_removes_its_row(cli, story):
    # Train the additional officer from the start: the conflict goes, the rest stays.
    assert cli("officers", "update", "203", "--trained-on", "2024-08-30").exit_code == 0
    assert gaps_json(cli) == [r for r in EXPECTED if r["kind"] != "untrained_additional"]
    # Reactivate 201: beta is covered from the start, the duplicate stays (rule: one CRO).
    assert cli("officers", "update", "201", "--status", "active").exit_code == 0
    assert [r["kind"] for r in gaps_json(cli, "--pattern", "beta")] == ["duplicate"]


# ---------------------------------------------------------------- report coverage


COVERAGE = [
    {"school_year": "2024-25", "feeder_pattern": "alpha", "agency": "north-pd",
     "officers": ["101"], "days": 30, "covered_days": 17, "gap_days": 13},
    {"school_year": "2024-25", "feeder_pattern": "alpha", "agency": "south-pd",
     "officers": [], "days": 30, "covered_days": 0, "gap_days": 30},
    {"school_year": "2024-25", "feeder_pattern": "beta", "agency": "south-pd",
     "officers": ["201", "202"], "days": 30, "covered_days": 16, "gap_days": 14},
]
for _pair in COVERAGE:
    _lost = sum(r["school_days"] for r in EXPECTED if r["kind"] in
                ("unassigned", "inactive", "untrained", "on_leave")
                and (r["feeder_pattern"], r["agency"]) == (_pair["feeder_pattern"],
                                                           _pair["agency"]))
    _pair.update(school_days=_weekdays("2024-09-01", "2024-09-30"),
                 covered_school_days=_weekdays("2024-09-01", "2024-09-30") - _lost,
                 gap_school_days=_lost)


def test_report_coverage_json_rows_and_summary(cli, story):
    result = cli("report", "coverage", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == COVERAGE
    assert "2024-25: 3 required pairs: 0 covered all year, 2 partly, 1 never" in result.stderr
    quiet = cli("report", "coverage", "-f", "json", "-q", "--year", "2024-25")
    assert quiet.stderr == "" and json.loads(quiet.stdout) == COVERAGE


def test_report_coverage_csv_and_markdown_are_the_same_flat_rows(cli, story):
    text = cli("report", "coverage", "-f", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["school_year", "feeder_pattern", "agency", "officers", "days",
                             "covered_days", "gap_days", "school_days", "covered_school_days",
                             "gap_school_days"]
    assert [(r["feeder_pattern"], r["agency"], r["officers"], r["covered_days"]) for r in rows
            ] == [("alpha", "north-pd", "101", "17"), ("alpha", "south-pd", "", "0"),
                  ("beta", "south-pd", "201;202", "16")]
    markdown = cli("report", "coverage", "-f", "markdown").stdout
    assert "| 2024-25 | beta | south-pd | 201, 202 | 30 | 16 | 14 |" in markdown


def test_report_coverage_table_is_a_pattern_by_agency_matrix(cli, story):
    result = cli("report", "coverage")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(ln for ln in lines if "feeder pattern" in ln)
    # Agencies as columns, in id order.
    assert header.index("county-so") < header.index("north-pd") < header.index("south-pd")
    text = result.stdout
    assert "101 Nora North" in text and "17/30 days covered" in text and "13 gap days" in text
    assert "201 Sam South" in text and "202 Sue South" in text and "16/30 days covered" in text
    assert "no CRO" in text and "0/30 days covered" in text
    # Not required: alpha/county-so (an out-of-jurisdiction assignment does not make it
    # required), beta/north-pd, beta/county-so.
    alpha_line = next(ln for ln in lines if ln.startswith("│ alpha"))
    beta_line = next(ln for ln in lines if ln.startswith("│ beta"))
    assert alpha_line.count("—") == 1 and beta_line.count("—") == 2


def test_report_coverage_html_colours_cells_by_status(cli, covered, tmp_path):
    target = tmp_path / "coverage.html"
    result = cli("report", "coverage", "-f", "html", "-o", target)
    assert result.exit_code == 0, result.stderr
    html = target.read_text()
    assert "<html" in html.lower() and "30 of 30 days covered" in html
    assert html.count('class="tone-ok"') == 3 and 'class="tone-bad"' not in html
    assert "✓</span>covered all year" in html  # the colour's legend has a mark and a word
    assert "3 required pairs: 3 covered all year, 0 partly, 0 never" in result.stderr


def test_report_coverage_unknown_year(cli, story):
    result = cli("report", "coverage", "--year", "2023-24")
    assert result.exit_code == 1
    assert "--year: unknown school year '2023-24'" in result.stderr


# ---------------------------------------------------------------- cron, end to end


@pytest.mark.slow
def test_cron_recipe_with_the_installed_script(story, tmp_path):
    import os

    gaps_file, report = tmp_path / "gaps.json", tmp_path / "coverage.html"
    old = os.umask(0o022)  # cron's usual umask, and the README recipe's `umask 022`
    try:
        result = run_installed("gaps", "--fail-on-gaps", "-f", "json", "-o", gaps_file, "-q")
        # As the README's crontab line has it: no -f, the extension says html.
        html = run_installed("report", "coverage", "-q", "-o", report)
    finally:
        os.umask(old)
    assert result.returncode == 3, result.stderr
    assert result.stdout == "" and result.stderr == ""
    assert json.loads(gaps_file.read_text()) == EXPECTED
    # The web server's user (another account) can read the nightly report.
    assert gaps_file.stat().st_mode & 0o777 == 0o644
    assert html.returncode == 0, html.stderr
    assert report.stat().st_mode & 0o777 == 0o644
    assert report.read_text().startswith("<!DOCTYPE html>")
    assert "Nora North" in report.read_text()
    piped = run_installed("gaps")  # a pipe, as under cron: no colour, no prompt
    assert piped.returncode == 0
    assert "\x1b[" not in piped.stdout + piped.stderr
    assert "untrained_additional" in piped.stdout
