"""Imports for every section: each one `load` reads can be imported; headers and choices match
as a coordinator writes them; `--date-format`; partial updates in `load` and `import`
(both write paths); every problem of a command's input listed at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import dump

from crotool.store import db
from crotool.store.schema import SECTIONS

SECTIONS_ADDED = ("school_years", "agencies", "feeder_patterns", "duty_categories",
                  "assessments")


def rows(path: Path, sql: str, *params: object) -> list[tuple]:
    conn = db.connect(path)
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def test_every_section_is_importable():
    assert all(s.importable for s in SECTIONS.values())


# One good file per added section, in each format: (file text by format, SQL, rows).
ADDED = {
    "school_years": (
        {"csv": "id,start,end\n2024-25,2024-09-04,2025-06-20\n",
         "json": '[{"id": "2024-25", "start": "2024-09-04", "end": "2025-06-20"}]',
         "yaml": '- {id: "2024-25", start: 2024-09-04, end: 2025-06-20}\n'},
        "SELECT id, start, end FROM school_years WHERE id = '2024-25'",
        [("2024-25", "2024-09-04", "2025-06-20")]),
    "agencies": (
        {"csv": "id,name,kind,jurisdiction\nexample-pd,Example PD,City,Example;Other Town\n",
         "json": '[{"id": "example-pd", "name": "Example PD", "kind": "City", '
                 '"jurisdiction": ["Example", "Other Town"]}]',
         "yaml": "- {id: example-pd, name: Example PD, kind: City, jurisdiction: [Example, "
                 "Other Town]}\n"},
        "SELECT id, kind, jurisdiction FROM agencies WHERE id = 'example-pd'",
        [("example-pd", "city", '["Example", "Other Town"]')]),
    "feeder_patterns": (
        {"csv": "id,name,high_school\nexample,Example Learning Community,juanita-hs\n",
         "json": '[{"id": "example", "name": "Example Learning Community", '
                 '"high_school": "juanita-hs"}]',
         "yaml": "- {id: example, name: Example Learning Community, high_school: juanita-hs}\n"},
        "SELECT id, high_school FROM feeder_patterns WHERE id = 'example'",
        [("example", "juanita-hs")]),
    "duty_categories": (
        {"csv": "id,name,requires_request\nexample-duty,Example duty,yes\n",
         "json": '[{"id": "example-duty", "name": "Example duty", "requires_request": true}]',
         "yaml": "- {id: example-duty, name: Example duty, requires_request: yes}\n"},
        "SELECT id, requires_request FROM duty_categories WHERE id = 'example-duty'",
        [("example-duty", 1)]),
    "assessments": (
        {"csv": "school,due,requested_by,status\njuanita-hs,2024-04-02,Principal,Scheduled\n",
         "json": '[{"school": "juanita-hs", "due": "2024-04-02", "requested_by": "Principal", '
                 '"status": "Scheduled"}]',
         "yaml": "- {school: juanita-hs, due: 2024-04-02, requested_by: Principal, "
                 "status: Scheduled}\n"},
        "SELECT school, due, status FROM assessments WHERE due = '2024-04-02'",
        [("juanita-hs", "2024-04-02", "scheduled")]),
}


@pytest.mark.parametrize("fmt", ["csv", "json", "yaml"])
@pytest.mark.parametrize("table", SECTIONS_ADDED)
def test_added_sections_import_then_reimport_changes_nothing(cli, seeded, tmp_path, table, fmt):
    texts, sql, expected = ADDED[table]
    path = tmp_path / f"in.{fmt}"
    path.write_text(texts[fmt])
    result = cli("import", table, path)
    assert result.exit_code == 0, result.stderr
    assert "1 new, 0 updated, 0 unchanged" in result.stderr
    assert rows(seeded, sql) == expected
    again = cli("import", table, path)
    assert "0 new, 0 updated, 1 unchanged (nothing changed)" in again.stderr


def test_an_added_section_refuses_a_bad_reference_and_writes_nothing(cli, seeded, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("id,name,high_school\nexample,Example,juanita-high\n")
    before = dump(seeded)
    result = cli("import", "feeder_patterns", path)
    assert result.exit_code == 1
    assert ("p.csv:2: feeder_patterns[example].high_school: unknown school 'juanita-high'; "
            "did you mean 'juanita-hs'?") in result.stderr
    assert dump(seeded) == before


# ---------------------------------------------------------------- headers, choices, dates


def test_excel_style_roster_imports_cleanly(cli, seeded, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes("\ufeffBadge,Name,Agency,Status, School Trained On \r\n"
                     "7001,Quinn Excel,kirkland-pd,Active,2023-08-21\r\n"
                     "7002,Riley Excel,kcso,INACTIVE,\r\n"
                     ",,,,\r\n".encode())
    result = cli("import", "officers", path)
    assert result.exit_code == 0, result.stderr
    assert "2 new, 0 updated, 0 unchanged" in result.stderr
    assert rows(seeded, "SELECT badge, status, school_trained_on FROM officers WHERE badge "
                "LIKE '700_' ORDER BY badge") == [("7001", "active", "2023-08-21"),
                                                  ("7002", "inactive", None)]


def test_json_and_yaml_keys_match_like_headers(cli, seeded, tmp_path):
    path = tmp_path / "o.yaml"
    path.write_text('- {Badge: "7003", Name: Sam Yaml, AGENCY: kcso, School-Trained-On: '
                    "2023-08-21}\n")
    assert cli("import", "officers", path).exit_code == 0
    both = tmp_path / "both.json"
    both.write_text('[{"badge": "7004", "Name": "A", "name": "B", "agency": "kcso"}]')
    result = cli("import", "officers", both)
    assert result.exit_code == 1
    assert "'name' and 'Name' both name the field 'name'" in result.stderr


def test_ids_stay_exact(cli, seeded, tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("badge,name,agency\n7005,Case Sensitive,Kirkland-PD\n")
    result = cli("import", "officers", path)
    assert result.exit_code == 1
    assert "officers[7005].agency: 'Kirkland-PD' is not a valid id" in result.stderr


@pytest.mark.parametrize(("text", "fmt", "stored"), [
    ("9/5/2023", "%m/%d/%Y", "2023-09-05"),
    ("29/02/2024", "%d/%m/%Y", "2024-02-29"),  # a leap day
    ("12/31/23", "%m/%d/%y", "2023-12-31"),  # a month end, two-digit year
    ("2023-09-05", "%m/%d/%Y", "2023-09-05"),  # ISO is read either way
])
def test_date_format_reads_dates(cli, seeded, tmp_path, text, fmt, stored):
    path = tmp_path / "o.csv"
    path.write_text(f"badge,name,agency,school_trained_on\n7006,Date Person,kcso,{text}\n")
    result = cli("import", "officers", path, "--date-format", fmt)
    assert result.exit_code == 0, result.stderr
    assert rows(seeded, "SELECT school_trained_on FROM officers WHERE badge = '7006'") == [
        (stored,)]


def test_without_date_format_the_error_names_the_option(cli, seeded, tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("badge,name,agency,school_trained_on\n7006,Date Person,kcso,9/5/2023\n")
    before = dump(seeded)
    result = cli("import", "officers", path)
    assert result.exit_code == 1
    assert ("o.csv:2: officers[7006].school_trained_on: '9/5/2023' is not a date; write "
            "YYYY-MM-DD, e.g. 2023-09-05 (or give --date-format %m/%d/%Y for this file)"
            ) in result.stderr
    assert dump(seeded) == before


def test_date_format_reads_date_times_and_refuses_impossible_days(cli, seeded, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("officer,school,category,at,minutes\n"
                    "0417,juanita-hs,traffic-safety,9/5/2023 14:30,30\n"
                    "0417,juanita-hs,traffic-safety,9/6/2023 2:15 PM,30\n")
    result = cli("import", "duties", path, "--date-format", "%m/%d/%Y")
    assert result.exit_code == 0, result.stderr
    assert rows(seeded, "SELECT at FROM duties WHERE at LIKE '2023-09-0_T14%' OR at LIKE "
                "'2023-09-06%' ORDER BY at") == [("2023-09-05T14:30:00",), ("2023-09-06T14:15:00",)]
    bad = tmp_path / "bad.csv"
    bad.write_text("badge,name,agency,school_trained_on\n7007,P,kcso,2/30/2024\n")
    result = cli("import", "officers", bad, "--date-format", "%m/%d/%Y")
    assert result.exit_code == 1
    assert "'2/30/2024' is not a date in the form %m/%d/%Y" in result.stderr


def test_a_date_format_without_a_day_is_a_usage_error(cli, seeded, tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("badge,name,agency\n7008,P,kcso\n")
    result = cli("import", "officers", path, "--date-format", "%m/%Y")
    assert result.exit_code == 2
    assert "--date-format '%m/%Y' does not name a day, a month and a year" in result.stderr


# ---------------------------------------------------------------- partial updates


def test_load_updates_a_stored_record_from_its_key_and_one_field(cli, seeded, tmp_path):
    path = tmp_path / "rank.yaml"
    path.write_text('officers:\n  - {badge: "0417", rank: Sergeant}\n')
    before = rows(seeded, "SELECT name, agency, status FROM officers WHERE badge = '0417'")
    result = cli("load", path)
    assert result.exit_code == 0, result.stderr
    assert rows(seeded, "SELECT name, agency, status, rank FROM officers WHERE badge = '0417'"
                ) == [(*before[0], "Sergeant")]


def test_load_refuses_a_new_record_without_its_required_fields(cli, seeded, tmp_path):
    path = tmp_path / "new.yaml"
    path.write_text('officers:\n  - {badge: "7100", rank: Sergeant}\n')
    before = dump(seeded)
    result = cli("load", path)
    assert result.exit_code == 1
    assert ("new.yaml:2: officers[7100]: missing required fields 'name', 'agency' (nothing "
            "with this key is stored to update; a new officer needs badge, name, agency)"
            ) in result.stderr
    assert dump(seeded) == before


def test_load_refuses_null_for_a_required_field_of_a_stored_record(cli, seeded, tmp_path):
    path = tmp_path / "null.yaml"
    path.write_text('officers:\n  - {badge: "0417", name: null}\n')
    before = dump(seeded)
    result = cli("load", path)
    assert result.exit_code == 1
    assert "officers[0417]: missing required field 'name'" in result.stderr
    assert dump(seeded) == before


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_import_updates_stored_records_from_their_keys(cli, seeded, tmp_path, fmt):
    path = tmp_path / f"p.{fmt}"
    path.write_text("badge,rank\n0417,Sergeant\n" if fmt == "csv" else
                    '[{"badge": "0417", "rank": "Sergeant"}]')
    result = cli("import", "officers", path)
    assert result.exit_code == 0, result.stderr
    assert "0 new, 1 updated" in result.stderr
    assert rows(seeded, "SELECT rank FROM officers WHERE badge = '0417'") == [("Sergeant",)]
    new = tmp_path / f"n.{fmt}"
    new.write_text("badge,rank\n7200,Sergeant\n" if fmt == "csv" else
                   '[{"badge": "7200", "rank": "Sergeant"}]')
    result = cli("import", "officers", new)
    assert result.exit_code == 1
    assert "officers[7200]: missing required fields 'name', 'agency'" in result.stderr


# ---------------------------------------------------------------- every problem at once


def test_duty_log_lists_every_problem(cli, seeded):
    before = dump(seeded)
    result = cli("duty", "log", "--officer", "9999", "--school", "juanita-high", "--category",
                 "trafic-safety", "--minutes", "0", "--at", "2024-01-15T09:00")
    assert result.exit_code == 1
    err = result.stderr
    assert "--officer: unknown officer '9999'" in err
    assert "--school: unknown school 'juanita-high'; did you mean 'juanita-hs'?" in err
    assert "--category: unknown duty category 'trafic-safety'; did you mean 'traffic-safety'?" in (
        err)
    assert "--minutes: 0 is out of range; allowed 1 to 1440" in err
    assert "4 problems found; nothing was written" in err
    assert dump(seeded) == before


def test_engagements_add_lists_every_problem(cli, seeded):
    result = cli("engagements", "add", "A title", "--date", "2024-02-30", "--phase", "nope",
                 "--dimension", "physical", "--connector", "no-such-connector")
    assert result.exit_code == 1
    err = result.stderr
    assert "'2024-02-30' is not a real date" in err
    assert "'nope' is not allowed" in err
    assert "unknown connector 'no-such-connector'" in err


def test_officers_add_lists_every_problem(cli, seeded):
    result = cli("officers", "add", "7300", "--name", "New Person", "--agency", "nowhere-pd",
                 "--trained-on", "2024-13-01")
    assert result.exit_code == 1
    err = result.stderr
    assert "unknown agency 'nowhere-pd'" in err
    assert "'2024-13-01'" in err
    assert "2 problems found" in err


def test_a_bad_row_still_has_its_references_checked_in_a_load(cli, seeded, tmp_path):
    path = tmp_path / "both.yaml"
    path.write_text('officers:\n  - {badge: "7400", name: X, agency: nowhere-pd, '
                    "status: retired}\n")
    result = cli("load", path)
    assert "officers[7400].status: 'retired' is not allowed" in result.stderr
    assert "officers[7400].agency: unknown agency 'nowhere-pd'" in result.stderr


def test_the_summary_json_is_unchanged_by_partial_updates(cli, seeded, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("Badge,Status\n0417,Inactive\n")
    result = cli("import", "officers", path, "--output-format", "json")
    assert result.exit_code == 0, result.stderr
    [row] = json.loads(result.stdout)
    assert (row["inserted"], row["updated"]) == (0, 1)
