"""A CSV that crotool wrote imports back as itself, for every list it exports.

The writer's formula guard (a leading ' before = + - @ tab CR LF) and the reader's undoing of
it are one rule (crotool/csvguard.py): the property tests hold `unguard(guard(s)) == s` for
every text, and writer -> reader through the real CSV code; the round trips export each list
with values that need the guard and import it with 0 changes.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from conftest import dump
from hypothesis import given, settings
from hypothesis import strategies as st

from crotool.csvguard import guard, unguard
from crotool.intake.readers import CsvReader
from crotool.output.encode import to_csv

_TEXT = st.text(alphabet=st.sampled_from("'=+-@\t\r\n a1.,\"é"), max_size=12)


@given(_TEXT)
def test_unguard_undoes_guard_exactly(text):
    assert unguard(guard(text)) == text


@given(_TEXT)
def test_a_guarded_cell_never_starts_a_formula(text):
    cell = guard(text)
    assert not cell.startswith(("=", "+", "@", "\t", "\r", "\n")) or cell == text == ""
    if cell.startswith("-"):
        float(cell)  # only a number is left as it is


@settings(max_examples=200)
@given(st.lists(st.tuples(_TEXT.filter(lambda s: s.strip()), _TEXT.filter(lambda s: s.strip())),
                min_size=1, max_size=5))
def test_writer_then_reader_gives_the_same_text(pairs):
    rows = [{"a": a, "b": b} for a, b in pairs]
    data = to_csv(rows, ["a", "b"]).encode()
    reader = CsvReader(io.BytesIO(data), "t.csv")
    names = reader.header()
    problems: list = []
    back = [r.values for r in reader.records(names, problems.append)]
    assert not problems
    assert back == rows


def test_cells_crotool_did_not_guard_are_read_as_they_are():
    assert unguard("'quoted") == "'quoted"  # a ' that no formula character follows
    assert unguard("'") == "'"
    assert unguard("''=x") == "'=x"  # exactly one ' comes off


# ---------------------------------------------------------------- every list, round trip

LISTS = [
    ("agencies", ["agencies", "list"]),
    ("feeder_patterns", ["patterns", "list"]),
    ("schools", ["schools", "list"]),
    ("officers", ["officers", "list"]),
    ("assignments", ["assignments", "list"]),
    ("duty_categories", ["categories", "list"]),
    ("duties", ["duty", "list", "--include-notes"]),
    ("connectors", ["connectors", "list"]),
    ("engagements", ["engagements", "list"]),
    ("assessments", ["assessments", "list"]),
]


@pytest.fixture
def guarded(cli, seeded: Path) -> Path:
    """The seed with values that need the guard, in every exported list."""
    assert cli("officers", "update", "0417", "--phone", "+1 425-555-0117", "--email",
               "@x").exit_code == 0
    assert cli("officers", "update", "1182", "--rank", "'=Sergeant").exit_code == 0
    assert cli("duty", "log", "--officer", "0417", "--school", "juanita-hs", "--category",
               "traffic-safety", "--at", "2024-01-15T09:00", "--minutes", "30", "--notes",
               "=1+1 -- see case file", "--reference", "-KPD-1").exit_code == 0
    assert cli("engagements", "add", "+Plus title", "--date", "2024-01-10", "--phase",
               "prevention", "--dimension", "social", "--summary", "@everyone came"
               ).exit_code == 0
    return seeded


@pytest.mark.parametrize(("table", "command"), LISTS, ids=[t for t, _ in LISTS])
def test_an_exported_list_imports_as_itself(cli, guarded, tmp_path, table, command):
    out = tmp_path / "export.csv"
    result = cli(*command, "-f", "csv", "-o", out)
    assert result.exit_code == 0, result.stderr
    before = dump(guarded, data_only=True)
    result = cli("import", table, out, "--output-format", "json")
    assert result.exit_code == 0, result.stderr
    [row] = json.loads(result.stdout)
    assert (row["inserted"], row["updated"]) == (0, 0), result.stderr
    assert row["unchanged"] > 0
    assert dump(guarded, data_only=True) == before


def test_the_guarded_phone_and_email_come_back_unchanged(cli, guarded, tmp_path):
    out = tmp_path / "o.csv"
    cli("officers", "list", "-f", "csv", "-o", out)
    text = out.read_text()
    assert "'+1 425-555-0117" in text and ",'@x" in text  # the file is guarded
    cli("import", "officers", out)
    from test_import_sections import rows

    assert rows(guarded, "SELECT phone, email FROM officers WHERE badge = '0417'") == [
        ("+1 425-555-0117", "@x")]
    assert rows(guarded, "SELECT rank FROM officers WHERE badge = '1182'") == [("'=Sergeant",)]
