"""CSV imports byte by byte: encoding, control bytes, the header, odd rows, partial updates.

Every refused file must name the line and leave the database exactly as it was.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import dump

from crotool.store import db


def badges(path: Path) -> list[str]:
    conn = db.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT badge FROM officers WHERE agency = 'kcso' "
                                           "ORDER BY badge")]
    finally:
        conn.close()


def refused(cli, db_path: Path, path: Path, data: bytes, *expected: str) -> str:
    """Import `data` as officers; assert it is refused with each expected line, nothing written."""
    path.write_bytes(data)
    before = dump(db_path)
    result = cli("import", "officers", path)
    assert result.exit_code == 1, result.stderr
    for line in expected:
        assert f"crotool: {path}:{line}" in result.stderr, result.stderr
    assert dump(db_path) == before
    return result.stderr


HEADER = b"badge,name,agency\n"


def test_a_byte_order_mark_is_not_part_of_the_first_column(cli, seeded_copy, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + HEADER + b"0100,Bom Person,kcso\r\n")
    result = cli("import", "officers", path)
    assert result.exit_code == 0, result.stderr
    assert "0100" in badges(seeded_copy)


def test_nul_byte_is_refused_with_its_line_and_rows_before_it_still_checked(cli, seeded_copy,
                                                                           tmp_path):
    data = HEADER + b"0100,Ok,kcso\n0101,Bad Agency,nowhere\n0102,Nul\x00Name,kcso\n0103,Ok,kcso\n"
    err = refused(cli, seeded_copy, tmp_path / "nul.csv", data,
                  "3: officers[0101].agency: unknown agency 'nowhere'",
                  "4: control character U+0000 is not allowed")
    assert "2 problems found" in err


@pytest.mark.parametrize(("data", "what"), [
    (HEADER + b"0100,Esc\x1b[31mName,kcso\n", "2: control character U+001B is not allowed"),
    (HEADER + b"0100,Caf\xe9,kcso\n", "2: not UTF-8 text (byte 0xe9 at offset 26); save the "
     "file as UTF-8"),
    (b"badge,na\x00me,agency\n", "1: control character U+0000 is not allowed"),
])
def test_bad_bytes_are_refused(cli, seeded_copy, tmp_path, data, what):
    refused(cli, seeded_copy, tmp_path / "bad.csv", data, what)


def test_a_huge_field_is_refused(cli, seeded_copy, tmp_path):
    data = HEADER + b'0100,"' + b"x" * 70_000 + b'",kcso\n'
    err = refused(cli, seeded_copy, tmp_path / "huge.csv", data,
                  "2: a cell is longer than 65,536 characters (a quote mark left open?)")
    assert "1 problem found" in err


def test_unknown_and_duplicate_columns_list_what_is_allowed(cli, seeded_copy, tmp_path):
    err = refused(cli, seeded_copy, tmp_path / "h.csv",
                  b"badge,nmae,agency,agency,\n0100,X,kcso,kcso,\n",
                  "1: unknown column 'nmae'; allowed: badge, name, agency, status, "
                  "school_trained_on, rank, phone, email, first_on_campus, kind; "
                  "did you mean 'name'?",
                  "1: column 'agency' appears twice (columns 3 and 4)",
                  "1: column 5 has no name; allowed: badge, name")
    assert "3 problems found" in err


def test_a_missing_key_column_is_refused(cli, seeded_copy, tmp_path):
    refused(cli, seeded_copy, tmp_path / "k.csv", b"name,agency\nX,kcso\n",
            "1: missing required column badge; officers are matched by badge, and a new one "
            "needs badge, name, agency")
    path = tmp_path / "d.csv"
    path.write_text("officer,school,minutes\n0417,juanita-hs,5\n")
    result = cli("import", "duties", path)
    assert result.exit_code == 1
    assert "missing required columns category, at; duties are matched by officer, school, " \
           "category, at" in result.stderr


def test_a_missing_required_column_is_fine_for_stored_records_only(cli, seeded_copy, tmp_path):
    """badge,status updates statuses; a badge that is not stored cannot be created that way."""
    err = refused(cli, seeded_copy, tmp_path / "s.csv",
                  b"badge,status\n0417,inactive\n7777,active\n",
                  "3: officers[7777]: missing required fields 'name', 'agency' (nothing with "
                  "this key is stored to update; a new officer needs badge, name, agency)")
    assert "1 problem found" in err


def test_a_required_field_cannot_be_emptied(cli, seeded_copy, tmp_path):
    refused(cli, seeded_copy, tmp_path / "e.csv", b"badge,name\n0417,\n",
            "2: officers[0417]: missing required field 'name'")


def test_empty_file_and_header_only(cli, seeded_copy, tmp_path):
    refused(cli, seeded_copy, tmp_path / "empty.csv", b"",
            "1: the file is empty; the first line must name the columns")
    path = tmp_path / "header.csv"
    path.write_bytes(HEADER)
    result = cli("import", "officers", path)
    assert result.exit_code == 0, result.stderr
    assert "0 records" in result.stderr and "(nothing changed)" in result.stderr


def test_blank_lines_and_rows_of_empty_cells_are_skipped(cli, seeded_copy, tmp_path):
    path = tmp_path / "blank.csv"
    path.write_bytes(HEADER + b"\n0100,A,kcso\n,,\n  ,,\n\r\n0101,B,kcso\n,,\n")
    result = cli("import", "officers", path)
    assert result.exit_code == 0, result.stderr
    assert "2 records, 2 new" in result.stderr
    assert badges(seeded_copy)[:2] == ["0100", "0101"]


def test_a_ragged_row_is_reported_and_the_rest_still_checked(cli, seeded_copy, tmp_path):
    err = refused(cli, seeded_copy, tmp_path / "r.csv",
                  HEADER + b"0100,A,kcso\n0101,B,kcso,extra\n0102,C,nowhere\n",
                  "3: 4 cells, but the header has 3 columns; quote cells that hold commas",
                  "4: officers[0102].agency: unknown agency 'nowhere'")
    assert "2 problems found" in err


def test_a_quoted_multiline_cell_keeps_later_lines_right(cli, seeded_copy, tmp_path):
    path = tmp_path / "m.csv"
    path.write_bytes(b'officer,school,category,at,notes\n'
                     b'0417,juanita-hs,traffic-safety,2024-01-12T08:00,"line one\nline two"\n'
                     b'0417,juanita-hs,traffic-safety,2024-01-12T09:00:99,\n')
    result = cli("import", "duties", path)
    assert result.exit_code == 1
    assert f"{path}:4: duties[0417/juanita-hs/traffic-safety/2024-01-12T09:00:99].at" \
        in result.stderr


def test_spaces_around_header_names_and_values(cli, seeded_copy, tmp_path):
    path = tmp_path / "sp.csv"
    path.write_bytes(b" badge , name , agency \n 0100 , Spacey Person , kcso \n")
    result = cli("import", "officers", path, "--output-format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)[0]["inserted"] == 1
    conn = db.connect(seeded_copy)
    assert conn.execute("SELECT name FROM officers WHERE badge = '0100'").fetchone()[0] == \
        "Spacey Person"
    conn.close()


def test_list_fields_split_on_semicolons(cli, seeded_copy, tmp_path):
    path = tmp_path / "e.csv"
    path.write_text('date,title,connectors,phase,dimension\n'
                    '2024-05-30,Split list,"evpa; student-voice",response,social\n')
    result = cli("import", "engagements", path)
    assert result.exit_code == 0, result.stderr
    conn = db.connect(seeded_copy)
    stored = conn.execute("SELECT connectors FROM engagements WHERE title = 'Split list'")
    assert json.loads(stored.fetchone()[0]) == ["evpa", "student-voice"]
    conn.close()


def test_no_progress_output_when_stderr_is_not_a_terminal(cli, seeded_copy, tmp_path):
    path = tmp_path / "o.csv"
    path.write_bytes(HEADER + b"0100,A,kcso\n")
    result = cli("import", "officers", path)
    assert result.stderr.splitlines() == [
        f"imported {path} into officers: 1 record, 1 new, 0 updated, 0 unchanged"]


def test_the_progress_bar_runs_on_a_terminal(monkeypatch, capsys):
    """The Rich bar itself (tests run without a terminal, so it is driven directly)."""
    from crotool.cli import imports

    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    with imports._progress_bar() as bar:
        assert bar is not None
        bar.read(1024, 4096, 100)
        bar.phase("writing")
        assert bar.bar.tasks[0].completed == 1024 and bar.bar.tasks[0].total == 4096
        assert bar.bar.tasks[0].fields["rows"] == 100
    monkeypatch.setenv("NO_COLOR", "1")
    with imports._progress_bar() as none:
        assert none is None
