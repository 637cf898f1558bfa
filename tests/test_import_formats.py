"""JSON and YAML imports: shape errors with their lines, strict values, partial records."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import dump

from crotool.store import db


def refused(cli, db_path: Path, path: Path, text: str, *expected: str, table: str = "officers"
            ) -> str:
    path.write_text(text)
    before = dump(db_path)
    result = cli("import", table, path)
    assert result.exit_code == 1, result.stderr
    for line in expected:
        assert f"crotool: {path}:{line}" in result.stderr, result.stderr
    assert dump(db_path) == before
    return result.stderr


@pytest.mark.parametrize(("text", "what"), [
    ('[{"badge": "0100",\n  "name": }]', "2: malformed JSON: Expecting value"),
    ('{"badge": "0100"}', "1: officers: the file must hold one JSON array of objects"),
    ('[\n  {"badge": "0100", "name": "A", "agency": "kcso"},\n  "0101"\n]',
     "3: each entry must be a JSON object, not str"),
    ('[\n  {"badge": "0100",\n   "name": {"first": "A"}, "agency": "kcso"}\n]',
     "3: name: an object or nested list is not allowed"),
    ('[\n  {"badge": "0100",\n   "badge": "0101", "name": "A", "agency": "kcso"}\n]',
     "3: duplicate key 'badge' (first at line 2)"),
    ('[{"badge": "0100", "name": "A\\u0000B", "agency": "kcso"}]',
     "1: name: control character U+0000 is not allowed"),
    ('[{"badge": "0100", "name": "A", "agency": "kcso"}] []', "1: malformed JSON: Extra data"),
    ('', "1: officers: the file must hold one JSON array of objects"),
    ('[' * 50_000 + ']' * 50_000, "1: malformed JSON: nested too deeply"),
])
def test_json_shape_problems(cli, seeded_copy, tmp_path, text, what):
    refused(cli, seeded_copy, tmp_path / "o.json", text, what)


def test_json_field_problems_name_the_field_line(cli, seeded_copy, tmp_path):
    text = ('[\n  {\n    "badge": "0100",\n    "name": "A",\n    "agency": "kcso",\n'
            '    "school_trained_on": "2023-02-30"\n  },\n  {\n    "badge": "0101",\n'
            '    "agency": "kcso"\n  }\n]\n')
    err = refused(cli, seeded_copy, tmp_path / "o.json", text,
                  "6: officers[0100].school_trained_on: '2023-02-30' is not a real date",
                  "8: officers[0101]: missing required field 'name' (nothing with this key is "
                  "stored to update")
    assert "2 problems found" in err


def test_empty_json_array_imports_nothing(cli, seeded_copy, tmp_path):
    path = tmp_path / "o.json"
    path.write_text("[ ]\n")
    result = cli("import", "officers", path)
    assert result.exit_code == 0, result.stderr
    assert "0 records" in result.stderr


def test_json_partial_records_update_stored_ones(cli, seeded_copy, tmp_path):
    path = tmp_path / "o.json"
    path.write_text('[{"badge": "0417", "school_trained_on": null, "rank": "Sergeant"}]')
    result = cli("import", "officers", path)
    assert result.exit_code == 0, result.stderr
    assert "0 new, 1 updated" in result.stderr
    conn = db.connect(seeded_copy)
    row = conn.execute("SELECT name, rank, school_trained_on FROM officers WHERE badge = "
                       "'0417'").fetchone()
    conn.close()
    assert tuple(row) == ("Pat Placeholder", "Sergeant", None)


@pytest.mark.parametrize(("text", "what"), [
    ("officers:\n  - badge: 0100\n", "1: an import file must be a YAML list of officers "
     "(- field: value); a mapping of sections is a seed document: crotool load FILE"),
    ("", "1: the file holds no records; write a YAML list of officers"),
    ("- badge: 0100\n  name: A\n  agency: kcso\n---\n- badge: 0101\n",
     "5: more than one YAML document; an import file holds one list"),
    ("- badge: &b 0100\n  name: *b\n  agency: kcso\n", "1: YAML anchors (&name) are not allowed"),
    ("- badge: 0100\n  name: A\n  name: B\n  agency: kcso\n",
     "3: duplicate key 'name' (first at line 2)"),
    ("- 0100\n- badge: 0101\n", "1: officers: each entry must be a mapping of field: value"),
    ("- badge: 0100\n  nmae: A\n  agency: kcso\n",
     "2: officers[0100]: unknown field 'nmae'; allowed: badge, name, agency"),
])
def test_yaml_shape_problems(cli, seeded_copy, tmp_path, text, what):
    refused(cli, seeded_copy, tmp_path / "o.yaml", text, what)


def test_yaml_values_are_read_as_text_then_by_field_type(cli, seeded_copy, tmp_path):
    path = tmp_path / "c.yml"
    path.write_text("- id: example-no\n  name: NO\n  organization: 12:30\n  sector: 1.10\n"
                    "  status: new\n")
    result = cli("import", "connectors", path)
    assert result.exit_code == 0, result.stderr
    conn = db.connect(seeded_copy)
    row = conn.execute("SELECT name, organization, sector FROM connectors WHERE id = "
                       "'example-no'").fetchone()
    conn.close()
    assert tuple(row) == ("NO", "12:30", "1.10")


def test_yaml_list_field_and_null_required(cli, seeded_copy, tmp_path):
    err = refused(cli, seeded_copy, tmp_path / "e.yaml",
                  "- date: 2024-05-30\n  title: T\n  connectors: [evpa, nobody]\n"
                  "  phase: mitigation\n  dimension: social\n"
                  "- date: 2024-05-31\n  title: U\n  phase: ~\n  dimension: social\n",
                  "3: engagements[2024-05-30/T].connectors: unknown connector 'nobody'",
                  "8: engagements[2024-05-31/U]: missing required field 'phase'",
                  table="engagements")
    assert "2 problems found" in err


def test_yaml_records_may_give_different_fields(cli, seeded_copy, tmp_path):
    """Each record updates only what it gives: one statement per set of fields."""
    path = tmp_path / "o.yaml"
    path.write_text("- badge: 0100\n  name: New Person\n  agency: kcso\n  status: inactive\n"
                    "- badge: 0417\n  status: inactive\n"
                    "- {badge: 1182, phone: 425-555-0000}\n")
    result = cli("import", "officers", path, "--verbose")
    assert result.exit_code == 0, result.stderr
    assert "1 new, 2 updated, 0 unchanged" in result.stderr
    conn = db.connect(seeded_copy)
    rows = conn.execute("SELECT badge, name, status, phone FROM officers WHERE badge IN "
                        "('0100', '0417', '1182') ORDER BY badge").fetchall()
    conn.close()
    assert [tuple(r) for r in rows] == [
        ("0100", "New Person", "inactive", None),
        ("0417", "Pat Placeholder", "inactive", "425-555-0117"),
        ("1182", "Robin Example", "active", "425-555-0000"),
    ]
