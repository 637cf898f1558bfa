"""No message quotes a duty's notes, or a value that might be one (issue: notes leaked into
`unknown column '...'` when a duties CSV had no header row). An unknown header is quoted only
as a short prefix with control characters removed; a bad value that might be free text, in a
section with private fields, is described, not quoted."""

from __future__ import annotations

import pytest
from conftest import dump

NOTE = "Student disclosed abuse by stepfather CPS-2024-118"
HEADER = "officer,school,category,at,minutes,notes\n"


def check(result, seeded, before) -> None:
    assert result.exit_code == 1
    assert NOTE not in result.stderr and NOTE not in result.stdout
    assert "stepfather" not in result.stderr
    assert dump(seeded) == before


@pytest.mark.parametrize("body", [
    # no header row: the first data row (with its note) stands where the header should
    f"0417,juanita-hs,traffic-safety,2023-10-02T08:00,30,{NOTE}\n",
    # the note in the minutes, category, school, officer or at column
    HEADER + f"0417,juanita-hs,traffic-safety,2023-10-02T08:00,{NOTE},x\n",
    HEADER + f"0417,juanita-hs,{NOTE},2023-10-02T08:00,30,x\n",
    HEADER + f"0417,{NOTE},traffic-safety,2023-10-02T08:00,30,x\n",
    HEADER + f"{NOTE},juanita-hs,traffic-safety,2023-10-02T08:00,30,x\n",
    HEADER + f"0417,juanita-hs,traffic-safety,{NOTE},30,x\n",
    # a slug-shaped note: valid as an id, unknown as a category
    HEADER + "0417,juanita-hs,student-disclosed-abuse-by-stepfather-cps-2024-118,"
    "2023-10-02T08:00,30,x\n",
    # a misaligned row: one cell too many
    HEADER + f"0417,juanita-hs,traffic-safety,2023-10-02T08:00,30,x,{NOTE}\n",
    # the header itself holds the note
    f"officer,school,category,at,minutes,{NOTE}\n0417,juanita-hs,traffic-safety,"
    "2023-10-02T08:00,30,x\n",
])
def test_a_note_in_the_wrong_place_is_never_printed(cli, seeded, tmp_path, body):
    path = tmp_path / "duties.csv"
    path.write_text(body)
    before = dump(seeded)
    check(cli("import", "duties", path), seeded, before)


def test_without_a_header_row_the_message_says_so(cli, seeded, tmp_path):
    path = tmp_path / "duties.csv"
    path.write_text(f"0417,juanita-hs,traffic-safety,2023-10-02T08:00,30,{NOTE}\n")
    result = cli("import", "duties", path)
    assert "duties.csv:1: the first row is not a header: none of its 6 cells names a field" in (
        result.stderr)


def test_an_unknown_header_is_quoted_as_a_short_clean_prefix(cli, seeded, tmp_path):
    path = tmp_path / "duties.csv"
    path.write_text(f"officer,school,category,at,\u009b{NOTE}\n")  # C1: a terminal's CSI
    result = cli("import", "duties", path)
    assert "unknown column 'Student disclosed abuse ...'" in result.stderr


def test_json_keys_and_yaml_loads_do_not_print_the_note(cli, seeded, tmp_path):
    before = dump(seeded)
    js = tmp_path / "d.json"
    js.write_text('[{"officer": "0417", "school": "juanita-hs", "category": "traffic-safety", '
                  f'"at": "2023-10-02T08:00", "{NOTE}": 1, "minutes": "{NOTE}"}}]')
    check(cli("import", "duties", js), seeded, before)
    yml = tmp_path / "d.yaml"
    yml.write_text(f'duties:\n  - {{officer: "0417", school: juanita-hs, category: "{NOTE}", '
                   'at: 2023-10-02T08:00}\n')
    check(cli("load", yml), seeded, before)


def test_a_note_typed_into_another_option_is_not_echoed(cli, seeded):
    before = dump(seeded)
    check(cli("duty", "log", "--officer", "0417", "--school", "juanita-hs", "--category", NOTE,
              "--minutes", NOTE), seeded, before)


def test_short_values_are_still_quoted_with_their_hint(cli, seeded, tmp_path):
    path = tmp_path / "duties.csv"
    path.write_text(HEADER + "0417,juanita-hs,trafic-safety,2023-10-02T08:00,half an hour,x\n")
    result = cli("import", "duties", path)
    assert "unknown duty category 'trafic-safety'; did you mean 'traffic-safety'?" in (
        result.stderr)
    assert "'half an hour' is not a whole number" in result.stderr
