"""`crotool import TABLE FILE`: every importable table from CSV, JSON and YAML, good and bad.

The fixtures in tests/data/import/ are `good-TABLE.EXT` (records that fit the bundled seed:
officers 0417 and 1182 of Kirkland PD, pattern juanita, school year 2023-24, ...) and
`bad-TABLE.EXT` (a good record, then bad ones at known lines). A failed import must leave the
database exactly as it was: every test that expects a failure compares a full dump.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import dump

from crotool.store import db
from crotool.store.schema import IMPORTABLE

DATA = Path(__file__).resolve().parent / "data" / "import"
FORMATS = ("csv", "json", "yaml")
TABLES = ("officers", "schools", "assignments", "leaves", "duties", "connectors", "engagements",
          "closures", "training_topics", "trainings", "agreement_elements", "stakeholder_groups",
          "agreements")
# Imported in tests/test_incidents.py (CSV, JSON and YAML, good and bad).
INCIDENT_TABLES = ("student_categories", "incidents", "incident_students", "complaints",
                   "schedules")




def query(path: Path, sql: str, *params: object) -> list[tuple]:
    conn = db.connect(path)
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def problem_lines(stderr: str) -> list[str]:
    """The per-problem lines of a failed import (the last line is the summary)."""
    return [line for line in stderr.splitlines() if line.startswith("crotool: ")][:-1]


# Imported (good and bad files) by their own module's tests: tests/test_followups.py, and
# tests/test_packs.py for the rule sections SPEC part 5 added.
COVERED_ELSEWHERE = {"roles", "followup_rules", "followups", "duty_flags", "grades",
                     "complaint_kinds", "agency_kinds", "officer_kinds"}


def test_every_importable_table_is_covered():
    from test_import_sections import SECTIONS_ADDED

    assert set(TABLES) | set(INCIDENT_TABLES) | COVERED_ELSEWHERE | set(SECTIONS_ADDED) == set(
        IMPORTABLE)


# ---------------------------------------------------------------- good files

# (inserted, updated) per table, and SQL whose rows prove the values were read by field type.
GOOD = {
    "officers": ((1, 1), [
        ("SELECT badge, typeof(badge), status FROM officers WHERE name = 'Quinn Imported'",
         [("0123", "text", "active")]),
        ("SELECT status, phone FROM officers WHERE badge = '0417'",
         [("inactive", "425-555-0117")]),
    ]),
    "schools": ((2, 0), [
        ("SELECT also_feeds, address FROM schools WHERE id = 'example-choice'",
         [('["redmond", "lake-washington"]', None)]),
        ("SELECT also_feeds, city FROM schools WHERE id = 'example-elementary'",
         [("[]", "Redmond")]),
    ]),
    "assignments": ((2, 0), [
        ("SELECT role, start, end FROM assignments WHERE officer = '2350'",
         [("additional", "2023-09-05", "2024-06-21")]),  # dates default to the year's
        ("SELECT start, end FROM assignments WHERE officer = '1260' AND feeder_pattern = "
         "'juanita'", [("2024-01-08", "2024-03-29")]),
    ]),
    "leaves": ((2, 0), [
        ("SELECT officer, start, end, reason FROM leaves WHERE officer IN ('0417', '1182') "
         "ORDER BY start", [("0417", "2024-03-04", "2024-03-08", "Training course"),
                            ("1182", "2024-05-13", "2024-05-17", None)]),
    ]),
    "duties": ((3, 0), [
        ("SELECT at, minutes, typeof(minutes), requested_by FROM duties WHERE reference = "
         "'KPD-24-000102'", [("2024-01-10T10:00:00", 60, "integer", "Kirkland MS principal")]),
        ("SELECT minutes, notes FROM duties WHERE reference LIKE '%-24-00010_' ORDER BY at",
         [(30, "Drop-off line review."), (60, None), (None, None)]),
    ]),
    "connectors": ((2, 0), [
        ("SELECT status, organization FROM connectors WHERE id LIKE 'example-%' ORDER BY id",
         [("current", "Example County Library"), ("new", "Example Rotary Club")]),
    ]),
    "closures": ((2, 0), [
        ("SELECT start, end, reason FROM closures WHERE start IN ('2024-03-15', '2024-05-24')"
         " ORDER BY start", [("2024-03-15", "2024-03-15", "Staff development day"),
                             ("2024-05-24", "2024-05-24", None)]),
    ]),
    "engagements": ((2, 0), [
        ("SELECT connectors, summary FROM engagements WHERE date = '2024-05-07'",
         [('["evpa", "youth-wellness"]',
           "Partners, parents and students planned summer supports.")]),
        ("SELECT connectors, summary FROM engagements WHERE date = '2024-05-21'",
         [('["student-voice"]', None)]),
    ]),
    "training_topics": ((1, 1), [
        ("SELECT kind, source FROM training_topics WHERE id = 'check-in'",
         [("on_the_job", "RCW 28A.400.345(2)(d)")]),
        ("SELECT source FROM training_topics WHERE id = 'ferpa'",
         [("RCW 28A.310.515(2)(l), federal law 20 U.S.C. 1232g",)]),
    ]),
    "trainings": ((2, 0), [
        ("SELECT topic, hours, typeof(hours), provider FROM trainings WHERE officer = '2350' "
         "AND completed_on > '2024-03-20' ORDER BY completed_on",
         [("ferpa", 1.5, "real", "ESD 121"), ("on-the-job", 8.0, "real", "Redmond PD")]),
    ]),
    "agreement_elements": ((2, 0), [
        ("SELECT id, source FROM agreement_elements WHERE id IN ('data-reporting', "
         "'role-presentation') ORDER BY id",
         [("data-reporting", "District policy"), ("role-presentation", "RCW 28A.320.124(2)")]),
    ]),
    "stakeholder_groups": ((2, 0), [
        ("SELECT id, sectors FROM stakeholder_groups WHERE id IN ('staff', 'tribes') ORDER BY id",
         [("staff", '["school-staff", "unions"]'), ("tribes", "[]")]),
    ]),
    "agreements": ((1, 1), [
        ("SELECT adopted_on, reviewed_on, elements, input_from FROM agreements "
         "WHERE agency = 'kcso'",
         [("2023-09-01", None, '["hiring-placement", "performance-evaluation"]', '["parents"]')]),
        ("SELECT input_from FROM agreements WHERE agency = 'sammamish-pd'",
         [('["parents", "students", "community"]',)]),
    ]),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("table", TABLES)
def test_good_file_imports_then_reimport_changes_nothing(cli, seeded_copy, table, fmt):
    path = DATA / f"good-{table}.{fmt}"
    (inserted, updated), checks = GOOD[table]
    result = cli("import", table, path, "--output-format", "json")
    assert result.exit_code == 0, result.stderr
    [row] = json.loads(result.stdout)
    assert (row["table"], row["inserted"], row["updated"], row["unchanged"]) == (
        table, inserted, updated, 0)
    assert f"{inserted} new, {updated} updated, 0 unchanged" in result.stderr
    for sql, expected in checks:
        assert query(seeded_copy, sql) == expected, sql

    before = dump(seeded_copy)
    again = cli("import", table, path, "--output-format", "json")
    assert again.exit_code == 0, again.stderr
    assert "(nothing changed)" in again.stderr
    [row] = json.loads(again.stdout)
    assert (row["inserted"], row["updated"], row["unchanged"]) == (0, 0, inserted + updated)
    # The data is the same; only the import history records the second attempt.
    after = dump(seeded_copy)
    assert _without_imports(after) == _without_imports(before)
    assert after.count('INSERT INTO "imports"') == before.count('INSERT INTO "imports"') + 1


def _without_imports(text: str) -> str:
    return "\n".join(line for line in text.splitlines()
                     if not line.startswith('INSERT INTO "imports"'))


# ---------------------------------------------------------------- bad files

# Per table: (message fragment, {format: line}) for every problem, in line order. The lines
# are those of the bad value (CSV: its row; JSON and YAML: its field) or, for a duplicate, of
# the repeated record's start.
BAD = {
    "closures": [
        ("closures[2023-24/2024-03-05].end: 2024-03-01 is before its start 2024-03-05",
         {"csv": 2, "json": 5, "yaml": 3}),
        ("closures[2023-24/2023-12-20]: 2023-12-20 to 2023-12-21 overlaps the closure "
         "2023-12-18 to 2024-01-01 of 2023-24", {"csv": 3, "json": 10, "yaml": 6}),
        ("closures[2022-23/2024-03-15].school_year: unknown school year '2022-23'",
         {"csv": 4, "json": 15, "yaml": 9}),
    ],
    "officers": [
        ("officers[0556].agency: unknown agency 'kirkland'; did you mean 'kirkland-pd'?",
         {"csv": 3, "json": 12, "yaml": 8}),
        ("officers[0557].status: 'retired' is not allowed; use one of active, inactive",
         {"csv": 4, "json": 20, "yaml": 14}),
        ("officers[0558].school_trained_on: '2023-02-30' is not a real date",
         {"csv": 5, "json": 28, "yaml": 20}),
        ("officers[0555]: duplicate record (first at {file}:{first})",
         {"csv": 6, "json": 30, "yaml": 21}),
    ],
    "schools": [
        ("schools[Bad School].id: 'Bad School' is not a valid id", {"csv": 3, "json": 11,
                                                                    "yaml": 7}),
        ("schools[bad-level].level: 'college' is not allowed", {"csv": 4, "json": 21,
                                                              "yaml": 15}),
        ("schools[bad-feeds].also_feeds: unknown feeder pattern 'nowhere'",
         {"csv": 5, "json": 31, "yaml": 23}),
        ("schools[good-school]: duplicate record (first at {file}:{first})",
         {"csv": 6, "json": 37, "yaml": 25}),
    ],
    "assignments": [
        ("assignments[9999/juanita/2023-24/2023-09-05].officer: unknown officer '9999'",
         {"csv": 3, "json": 11, "yaml": 7}),
        ("assignments[1260/juanita/2023-24/2024-04-01].role: 'helper' is not allowed; use one "
         "of cro, additional", {"csv": 4, "json": 22, "yaml": 16}),
        ("assignments[1182/redmond/2023-24/2024-08-01].start: 2024-08-01 is outside school "
         "year 2023-24", {"csv": 5, "json": 31, "yaml": 23}),
        ("assignments[1260/juanita/2023-24/2024-01-08]: duplicate record (first at "
         "{file}:{first})", {"csv": 6, "json": 34, "yaml": 25}),
    ],
    "leaves": [
        ("leaves[0417/2024-04-10].end: 2024-04-01 is before its start 2024-04-10",
         {"csv": 3, "json": 11, "yaml": 7}),
        ("leaves[04l7/2024-05-01].officer: unknown officer '04l7'; did you mean '0417'?",
         {"csv": 4, "json": 15, "yaml": 9}),
        ("leaves[1182/next week].start: 'next week' is not a date; write YYYY-MM-DD",
         {"csv": 5, "json": 22, "yaml": 13}),
        ("leaves[0417/2024-03-04]: duplicate record (first at {file}:{first})",
         {"csv": 6, "json": 26, "yaml": 15}),
    ],
    "duties": [
        ("duties[0417/juanita-hs/traffic-safety/2024-01-09T25:00:00].at: "
         "'2024-01-09T25:00:00' is not a date-time", {"csv": 3, "json": 16, "yaml": 10}),
        ("duties[1182/kirkland-ms/threat-assessment/2024-01-10T10:00:00]: category "
         "'threat-assessment' is done only on request: give requested_by",
         {"csv": 4, "json": 25, "yaml": 15}),
        ("duties[2291/redmond-hs/collision-response/2024-01-11T15:10:00].minutes: 2000 is out "
         "of range; allowed 1 to 1440", {"csv": 5, "json": 37, "yaml": 23}),
        ("duties[0417/juanita-hs/traffic-safety/2024-01-09T07:45:00]: duplicate record "
         "(first at {file}:{first})", {"csv": 6, "json": 42, "yaml": 25}),
    ],
    "connectors": [
        ("connectors[example-bad-status].status: 'former' is not allowed; use one of current, "
         "new", {"csv": 3, "json": 14, "yaml": 10}),
        ("connectors[example-no-name]: missing required field 'name'",
         {"csv": 4, "json": 18, "yaml": 11}),
        ("connectors[example-rotary]: duplicate record (first at {file}:{first})",
         {"csv": 5, "json": 23, "yaml": 15}),
    ],
    "engagements": [
        ("engagements[2024-05-08/Unknown partner].connectors: unknown connector 'nobody-here'",
         {"csv": 3, "json": 15, "yaml": 8}),
        ("engagements[2024-05-09/Bad phase].phase: 'preparedness' is not allowed",
         {"csv": 4, "json": 29, "yaml": 14}),
        ("engagements[2024-13-01/Bad date].date: '2024-13-01' is not a real date",
         {"csv": 5, "json": 34, "yaml": 16}),
        ("engagements[2024-05-07/Summer safety planning]: duplicate record (first at "
         "{file}:{first})", {"csv": 6, "json": 43, "yaml": 21}),
    ],
    "training_topics": [
        ("training_topics[online-course].kind: 'online' is not allowed; use one of classroom, "
         "on_the_job", {"csv": 3, "json": 11, "yaml": 7}),
        ("training_topics[Bad Topic].id: 'Bad Topic' is not a valid id",
         {"csv": 4, "json": 14, "yaml": 8}),
        ("training_topics[no-name]: missing required field 'name'",
         {"csv": 5, "json": 20, "yaml": 11}),
        ("training_topics[check-in]: duplicate record (first at {file}:{first})",
         {"csv": 6, "json": 23, "yaml": 13}),
    ],
    "trainings": [
        ("trainings[2350/ferpaa/2024-03-22].topic: unknown training topic 'ferpaa'; did you "
         "mean 'ferpa'?", {"csv": 3, "json": 11, "yaml": 7}),
        ("trainings[2350/restorative-justice/2024-03-23].hours: 100 is out of range; allowed "
         "0.25 to 80", {"csv": 4, "json": 18, "yaml": 12}),
        ("trainings[9999/ferpa/2024-03-24].officer: unknown officer '9999'",
         {"csv": 5, "json": 21, "yaml": 13}),
        ("trainings[2350/ferpa/2024-03-21]: duplicate record (first at {file}:{first})",
         {"csv": 6, "json": 25, "yaml": 16}),
    ],
    "agreement_elements": [
        ("agreement_elements[Bad Element].id: 'Bad Element' is not a valid id",
         {"csv": 3, "json": 8, "yaml": 4}),
        ("agreement_elements[no-name]: missing required field 'name'",
         {"csv": 4, "json": 13, "yaml": 6}),
        ("agreement_elements[data-reporting]: duplicate record (first at {file}:{first})",
         {"csv": 5, "json": 15, "yaml": 7}),
    ],
    "stakeholder_groups": [
        ("stakeholder_groups[no-name]: missing required field 'name'",
         {"csv": 3, "json": 12, "yaml": 4}),
        ("stakeholder_groups[Bad Group].id: 'Bad Group' is not a valid id",
         {"csv": 4, "json": 16, "yaml": 6}),
        ("stakeholder_groups[staff]: duplicate record (first at {file}:{first})",
         {"csv": 5, "json": 20, "yaml": 9}),
    ],
    "agreements": [
        ("agreements[nowhere-pd/2023-24].agency: unknown agency 'nowhere-pd'",
         {"csv": 3, "json": 14, "yaml": 6}),
        ("agreements[redmond-pd/2031-32].school_year: unknown school year '2031-32'",
         {"csv": 4, "json": 21, "yaml": 11}),
        ("agreements[kirkland-pd/2023-24].elements: unknown agreement element 'hiring'",
         {"csv": 5, "json": 28, "yaml": 16}),
        ("agreements[kcso/2023-24]: duplicate record (first at {file}:{first})",
         {"csv": 6, "json": 34, "yaml": 18}),
    ],
}
FIRST_RECORD = {"csv": 2, "json": 2, "yaml": 1}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("table", TABLES)
def test_bad_rows_are_all_named_and_nothing_is_written(cli, seeded_copy, table, fmt):
    path = DATA / f"bad-{table}.{fmt}"
    before = dump(seeded_copy)
    result = cli("import", table, path)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = problem_lines(result.stderr)
    expected = [
        f"crotool: {path}:{where[fmt]}: "
        + fragment.format(file=path, first=FIRST_RECORD[fmt])
        for fragment, where in BAD[table]
    ]
    assert len(lines) == len(expected), result.stderr
    # In line order (two problems of one CSV row may come in either order).
    assert [int(line.split(":")[2]) for line in lines] == sorted(
        where[fmt] for _, where in BAD[table])
    for wanted in expected:
        assert any(line.startswith(wanted) for line in lines), f"{wanted!r} not in {lines}"
    n = len(expected)
    assert result.stderr.splitlines()[-1] == (
        f"crotool: {path}: {n} problems found; nothing was written")
    assert dump(seeded_copy) == before


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_fixture_lines_hold_what_the_messages_name(fmt):
    """The expected lines above are not just copied from output: each names its record."""
    for table, problems in BAD.items():
        text = (DATA / f"bad-{table}.{fmt}").read_text().splitlines()
        for fragment, where in problems:
            line = text[where[fmt] - 1]
            if "duplicate" in fragment:
                assert line.startswith({"csv": "", "json": "  {", "yaml": "- "}[fmt]), line
            else:
                field = fragment.split("]")[1].split(":")[0].lstrip(".")
                if fmt != "csv" and field:
                    assert field in line, (table, fmt, line)


def test_a_dry_run_of_a_bad_file_fails_the_same_way(cli, seeded_copy):
    before = dump(seeded_copy)
    result = cli("import", "officers", DATA / "bad-officers.csv", "--dry-run")
    assert result.exit_code == 1
    assert "4 problems found; nothing was written" in result.stderr
    assert dump(seeded_copy) == before


# ---------------------------------------------------------------- updates and dry runs


def test_an_import_updates_only_the_columns_it_gives(cli, seeded_copy, tmp_path):
    before = query(seeded_copy, "SELECT * FROM officers WHERE badge = '0417'")[0]
    path = tmp_path / "inactive.csv"
    path.write_text("badge,status\n0417,inactive\n1182,active\n")
    result = cli("import", "officers", path)
    assert result.exit_code == 0, result.stderr
    assert "0 new, 1 updated, 1 unchanged" in result.stderr
    after = query(seeded_copy, "SELECT * FROM officers WHERE badge = '0417'")[0]
    assert after == tuple("inactive" if v == "active" else v for v in before)
    [(*who, changes)] = query(seeded_copy, "SELECT command, table_name, row_key, action, "
                              "changes FROM audit ORDER BY id DESC LIMIT 1")
    assert who == ["crotool import", "officers", "0417", "update"]
    assert json.loads(changes) == {"status": ["active", "inactive"]}


def test_an_empty_cell_clears_a_value_and_an_empty_default_keeps_it(cli, seeded_copy, tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("badge,status,phone\n0417,,\n")
    result = cli("import", "officers", path)
    assert result.exit_code == 0, result.stderr
    # status has a default: no value leaves it as stored; phone has none: no value clears it.
    assert query(seeded_copy, "SELECT status, phone FROM officers WHERE badge = '0417'") == [
        ("active", None)]


def test_dry_run_counts_and_lists_changes_but_writes_nothing(cli, seeded_copy):
    before = dump(seeded_copy)
    result = cli("import", "officers", DATA / "good-officers.csv", "--dry-run", "--verbose",
                 "--output-format", "json")
    assert result.exit_code == 0, result.stderr
    assert dump(seeded_copy) == before
    [row] = json.loads(result.stdout)
    assert (row["inserted"], row["updated"], row["unchanged"], row["dry_run"]) == (1, 1, 0, True)
    assert "would import" in result.stderr and "(dry run: nothing written)" in result.stderr
    assert "officers: insert 0123 {" in result.stderr
    assert "officers: update 0417 {'status': ['active', 'inactive']}" in result.stderr


def test_zero_padded_badges_stay_text_in_every_format(cli, seeded_copy, tmp_path):
    files = {
        "o.csv": "badge,name,agency\n0007,Csv Person,kcso\n",
        "o.json": '[{"badge": "0008", "name": "Json Person", "agency": "kcso"}]',
        "o.yaml": "- badge: 0009\n  name: NO\n  agency: kcso\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        result = cli("import", "officers", tmp_path / name)
        assert result.exit_code == 0, result.stderr
    assert query(seeded_copy, "SELECT badge, typeof(badge), name FROM officers WHERE agency = "
                 "'kcso' AND badge LIKE '000%' ORDER BY badge") == [
        ("0007", "text", "Csv Person"), ("0008", "text", "Json Person"), ("0009", "text", "NO")]


def test_json_numbers_and_booleans_are_read_by_the_field_type(cli, seeded_copy, tmp_path):
    path = tmp_path / "d.json"
    path.write_text('[{"officer": "0417", "school": "juanita-hs", "category": '
                    '"traffic-safety", "at": "2024-01-12T08:00", "minutes": 15}]')
    result = cli("import", "duties", path)
    assert result.exit_code == 0, result.stderr
    assert query(seeded_copy, "SELECT minutes, typeof(minutes), at FROM duties WHERE at = "
                 "'2024-01-12T08:00:00'") == [(15, "integer", "2024-01-12T08:00:00")]


# ---------------------------------------------------------------- stdin, tables, formats


@pytest.mark.parametrize("fmt", FORMATS)
def test_stdin_with_format(cli, seeded_copy, fmt):
    text = (DATA / f"good-connectors.{fmt}").read_text()
    result = cli("import", "connectors", "-", "--format", fmt, input=text)
    assert result.exit_code == 0, result.stderr
    assert "imported stdin into connectors: 2 records, 2 new" in result.stderr
    assert query(seeded_copy, "SELECT file FROM imports ORDER BY id DESC LIMIT 1") == [("stdin",)]


def test_stdin_problems_name_stdin_and_its_lines(cli, seeded_copy):
    result = cli("import", "officers", "-", "--format", "csv",
                 input="badge,name,agency\n0100,Ok,kcso\n0101,Bad,nowhere-pd\n")
    assert result.exit_code == 1
    assert "crotool: stdin:3: officers[0101].agency: unknown agency 'nowhere-pd'" in result.stderr


def test_stdin_without_format_is_a_usage_error(cli, seeded_copy):
    result = cli("import", "officers", "-", input="badge\n")
    assert result.exit_code == 2
    assert "reading stdin (-) needs --format csv, json or yaml" in result.stderr


def test_unknown_table_lists_the_importable_ones(cli, seeded_copy):
    result = cli("import", "oficers", DATA / "good-officers.csv")
    assert result.exit_code == 2
    assert (f"cannot import into 'oficers'; importable tables: {', '.join(IMPORTABLE)} "
            "(did you mean 'officers'?)") in result.stderr
    # Every section that `load` reads is importable now: the district alone is not
    # a table of records.
    result = cli("import", "district", DATA / "good-officers.csv")
    assert result.exit_code == 2
    assert "cannot import into 'district'" in result.stderr


def test_unknown_extension_is_a_usage_error_unless_format_is_given(cli, seeded_copy, tmp_path):
    path = tmp_path / "roster.txt"
    path.write_text("badge,name,agency\n0100,Ok,kcso\n")
    result = cli("import", "officers", path)
    assert result.exit_code == 2
    assert "cannot tell the format from the extension '.txt'" in result.stderr
    result = cli("import", "officers", path, "--format", "csv")
    assert result.exit_code == 0, result.stderr


def test_missing_file(cli, seeded_copy, tmp_path):
    result = cli("import", "officers", tmp_path / "nope.csv")
    assert result.exit_code == 1
    assert f"crotool: {tmp_path / 'nope.csv'}: no such file" in result.stderr


# ---------------------------------------------------------------- provenance and audit


def test_imports_list_shows_provenance_newest_first(cli, seeded_copy):
    import hashlib

    for table in ("connectors", "officers"):
        assert cli("import", table, DATA / f"good-{table}.csv").exit_code == 0
    result = cli("imports", "list", "-f", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["table"] for r in rows[:3]] == ["officers", "connectors", "*"]  # "*": the load
    newest = rows[0]
    assert newest["file"] == str(DATA / "good-officers.csv")
    assert newest["sha256"] == hashlib.sha256(
        (DATA / "good-officers.csv").read_bytes()).hexdigest()
    assert (newest["rows"], newest["inserted"], newest["updated"], newest["unchanged"]) == (
        2, 1, 1, 0)
    assert newest["command"] == "crotool import" and newest["user"] and newest["at"]
    only = json.loads(cli("imports", "list", "--table", "connectors", "-f", "json").stdout)
    assert [r["table"] for r in only] == ["connectors"]
    bad = cli("imports", "list", "--table", "oficers")
    assert bad.exit_code == 2
    assert "--table: 'oficers' is not an importable table" in bad.stderr
    assert "did you mean 'officers'?" in bad.stderr
    assert len(json.loads(cli("imports", "list", "--limit", "1", "-f", "json").stdout)) == 1


def test_notes_never_reach_the_audit_trail(cli, seeded_copy, tmp_path):
    secret = "Student disclosed a threat; CPS case pending"
    path = tmp_path / "d.csv"
    path.write_text("officer,school,category,at,notes\n"
                    f"0417,juanita-hs,traffic-safety,2024-01-12T08:00:00,\"{secret}\"\n")
    assert cli("import", "duties", path).exit_code == 0
    path.write_text("officer,school,category,at,notes\n"
                    f"0417,juanita-hs,traffic-safety,2024-01-12T08:00:00,\"{secret} (update)\"\n")
    result = cli("import", "duties", path, "--verbose")
    assert result.exit_code == 0
    audit = query(seeded_copy, "SELECT action, changes FROM audit WHERE table_name = 'duties' "
                  "AND command = 'crotool import' ORDER BY id")
    assert [a for a, _ in audit] == ["insert", "update"]
    assert all(secret not in changes and "(changed)" in changes for _, changes in audit)
    assert secret not in result.stderr


def test_format_is_the_summary_format_as_on_every_command(cli, seeded, tmp_path):
    """Every command that prints records takes --format; for a file whose name tells
    its format, --format is the summary's; for stdin, --format csv names the input."""
    path = tmp_path / "o.csv"
    path.write_text("badge,status\n0417,active\n")
    result = cli("import", "officers", path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    [row] = json.loads(result.stdout)
    assert (row["table"], row["rows"], row["unchanged"]) == ("officers", 1, 1)
    piped = cli("import", "officers", "-", "--format", "csv", input=path.read_text())
    assert piped.exit_code == 0, piped.stderr
    assert "stdin" in piped.stdout
    both = cli("import", "officers", "-", "--input-format", "csv", "-f", "csv",
               input=path.read_text())
    assert both.stdout.splitlines()[0].startswith("table,file,rows")
    assert cli("import", "officers", path, "--format", "yaml").exit_code == 2
