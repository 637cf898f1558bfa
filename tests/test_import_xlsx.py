"""`crotool import TABLE FILE.xlsx`: workbooks built here with openpyxl itself.

A workbook and a CSV of the same data must import as the same tables. Bad workbooks (a
truncated zip, an encrypted workbook, no such sheet, a formula with no saved value, a
million formatted empty rows) each get one clear line, exit 1 (the empty rows: a clean
import), nothing written, and answer in seconds.
"""

from __future__ import annotations

import io
import shutil
import time
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import dump, run_installed

openpyxl = pytest.importorskip("openpyxl")

BAD = Path(__file__).resolve().parent / "data" / "bad-xlsx"

ROSTER = [
    ["Badge", "Name", "Agency", "Status", "School Trained On", "Rank"],
    ["0123", "Quinn Workbook", "redmond-pd", "Active", date(2023, 8, 21), "Officer"],
    ["7002", "Riley Workbook", "kcso", "inactive", datetime(2023, 9, 5), None],
    ["7003", "Sam Workbook", "kirkland-pd", "ACTIVE", None, "Sergeant"],
]
ROSTER_CSV = ("badge,name,agency,status,school_trained_on,rank\n"
              "0123,Quinn Workbook,redmond-pd,active,2023-08-21,Officer\n"
              "7002,Riley Workbook,kcso,inactive,2023-09-05,\n"
              "7003,Sam Workbook,kirkland-pd,active,,Sergeant\n")


def workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    first = True
    for title, data in sheets.items():
        ws = wb.active if first else wb.create_sheet()
        ws.title = title
        first = False
        for row in data:
            ws.append(row)
    wb.save(path)
    return path


def patch_sheet(path: Path, old: bytes, new: bytes, member: str = "xl/worksheets/sheet1.xml"
                ) -> None:
    """Rewrite one sheet's XML inside the zip (e.g. give a formula the value Excel saves)."""
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == member:
                assert old in data, data[-400:]
                data = data.replace(old, new)
            out.writestr(item, data)


def second_db(seeded_template: Path, tmp_path: Path) -> Path:
    other = tmp_path / "other.db"
    shutil.copyfile(seeded_template, other)
    return other


def test_a_workbook_imports_as_the_same_csv_does(cli, seeded, seeded_template, tmp_path):
    xlsx = workbook(tmp_path / "roster.xlsx", {"Roster": ROSTER, "Notes": [["nothing"]]})
    csv = tmp_path / "roster.csv"
    csv.write_text(ROSTER_CSV)
    result = cli("import", "officers", xlsx)
    assert result.exit_code == 0, result.stderr
    assert "3 new, 0 updated, 0 unchanged" in result.stderr
    other = second_db(seeded_template, tmp_path)
    assert cli("--db", other, "import", "officers", csv).exit_code == 0
    assert dump(seeded, data_only=True) == dump(other, data_only=True)
    again = cli("import", "officers", xlsx)
    assert "(nothing changed)" in again.stderr


def test_the_second_sheet_by_name_and_numbers_as_integers(cli, seeded, tmp_path):
    duties = [["officer", "school", "category", "at", "minutes"],
              ["0417", "juanita-hs", "traffic-safety", datetime(2023, 10, 2, 9, 30), 45.0],
              ["0417", "juanita-hs", "traffic-safety", datetime(2023, 10, 3, 9, 29, 59, 999_999),
               30]]
    xlsx = workbook(tmp_path / "d.xlsx", {"Cover": [["Duties of October"]], "Log": duties})
    result = cli("import", "duties", xlsx, "--sheet", "Log")
    assert result.exit_code == 0, result.stderr
    from test_import_sections import rows

    assert rows(seeded, "SELECT at, minutes, typeof(minutes) FROM duties WHERE at LIKE "
                "'2023-10-0_T09:30:00' AND officer = '0417' ORDER BY at") == [
        ("2023-10-02T09:30:00", 45, "integer"), ("2023-10-03T09:30:00", 30, "integer")]


def test_a_badge_column_of_numbers_imports_as_text_and_warns_once(cli, seeded, tmp_path):
    data = [["badge", "name", "agency"], [123, "A Number", "kcso"], [124, "B Number", "kcso"]]
    result = cli("import", "officers", workbook(tmp_path / "n.xlsx", {"Roster": data}))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("warning:") == 1
    assert "Roster!A (badge) holds numbers (first at row 2)" in result.stderr
    from test_import_sections import rows

    assert rows(seeded, "SELECT badge, typeof(badge) FROM officers WHERE name LIKE '% Number' "
                "ORDER BY badge") == [("123", "text"), ("124", "text")]


def test_a_formula_with_a_saved_value_gives_that_value(cli, seeded, tmp_path):
    data = [["badge", "name", "agency", "status"], ["7010", "Formula Person", "kcso",
                                                    '=LOWER("INACTIVE")']]
    xlsx = workbook(tmp_path / "f.xlsx", {"Roster": data})
    patch_sheet(xlsx, b'<f>LOWER("INACTIVE")</f><v />',
                b'<f>LOWER("INACTIVE")</f><v>inactive</v>')
    patch_sheet(xlsx, b'<c r="D2">', b'<c r="D2" t="str">')
    result = cli("import", "officers", xlsx)
    assert result.exit_code == 0, result.stderr
    from test_import_sections import rows

    assert rows(seeded, "SELECT status FROM officers WHERE badge = '7010'") == [("inactive",)]


def test_a_formula_without_a_saved_value_is_named_by_its_cell(cli, seeded, tmp_path):
    data = [["badge", "name", "agency", "status"], ["7011", "A", "kcso", "active"],
            ["7012", "B", "kcso", '=LOWER("ACTIVE")'], ["7013", "C", "nowhere-pd", "active"]]
    xlsx = workbook(tmp_path / "f.xlsx", {"Roster": data})
    before = dump(seeded)
    result = cli("import", "officers", xlsx)
    assert result.exit_code == 1
    assert "f.xlsx:Roster!D3: a formula with no saved value" in result.stderr
    # The other rows are still validated, and named by sheet and cell.
    assert ("f.xlsx:Roster!C4: officers[7013].agency: unknown agency 'nowhere-pd'"
            in result.stderr)
    assert "2 problems found; nothing was written" in result.stderr
    assert dump(seeded) == before


def test_a_cell_with_no_header_and_a_duplicate_row_name_their_row(cli, seeded, tmp_path,
                                                                  monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = [["badge", "name", "agency"], ["7014", "A", "kcso", "stray"], ["7015", "B", "kcso"],
            ["7015", "B", "kcso"]]
    workbook(tmp_path / "s.xlsx", {"Roster": data})
    result = cli("import", "officers", "s.xlsx")
    assert result.exit_code == 1
    assert "s.xlsx:Roster!D2: a value in column D, which has no header" in result.stderr
    assert ("s.xlsx:Roster row 4: officers[7015]: duplicate record (first at s.xlsx:Roster "
            "row 3)") in result.stderr


# ---------------------------------------------------------------- the bad-input corpus

# tests/data/bad-xlsx/: file -> (extra arguments, what stderr must say).
EXPECTED = {
    "truncated.xlsx": ((), "truncated.xlsx: a damaged or truncated .xlsx workbook"),
    "encrypted.xlsx": ((), "encrypted.xlsx: a password-protected (encrypted) workbook or an "
                       "old .xls file"),
    "not-a-zip.xlsx": ((), "not-a-zip.xlsx: not an .xlsx workbook (an .xlsx file is a zip "
                       "archive"),
    "two-sheets.xlsx": (("--sheet", "Rooster"), "two-sheets.xlsx: no sheet 'Rooster'; the "
                        "sheets are 'Roster', 'Other'; nothing was written (did you mean "
                        "--sheet 'Roster'?)"),
    "empty.xlsx": ((), "empty.xlsx: sheet 'Sheet' is empty; its first row must name the "
                   "columns"),
    "formula-no-value.xlsx": ((), "formula-no-value.xlsx:Roster!D2: a formula with no saved "
                              "value"),
}


def build_corpus(folder: Path) -> None:
    """How tests/data/bad-xlsx/ was made (kept, so the files can be made again)."""
    good = workbook(folder / "two-sheets.xlsx", {"Roster": ROSTER[:2], "Other": [["x"]]})
    (folder / "truncated.xlsx").write_bytes(good.read_bytes()[:2000])
    # A real encrypted workbook is an OLE compound file: its 8-byte signature, then sectors.
    (folder / "encrypted.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    (folder / "not-a-zip.xlsx").write_text("badge,name,agency\n0123,A,kcso\n")
    wb = openpyxl.Workbook()
    wb.save(folder / "empty.xlsx")
    workbook(folder / "formula-no-value.xlsx", {"Roster": [ROSTER[0][:4], [
        "7020", "F", "kcso", '=LOWER("ACTIVE")']]})


def test_every_corpus_file_has_an_expected_message():
    assert {p.name for p in BAD.iterdir()} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_workbook_is_refused_with_one_line_and_changes_nothing(cli, seeded, name,
                                                                    monkeypatch):
    monkeypatch.chdir(BAD)
    extra, expected = EXPECTED[name]
    before = dump(seeded)
    started = time.perf_counter()
    result = cli("import", "officers", name, *extra)
    assert time.perf_counter() - started < 10
    assert result.exit_code == 1, result.stderr
    assert expected in result.stderr
    assert "nothing was written" in result.stderr
    assert "Traceback" not in result.stderr
    assert dump(seeded) == before


def million_empty_rows(path: Path) -> Path:
    """Two rows of data, then 1,000,000 formatted empty rows (whole-row formatting, as a
    spreadsheet saves it), and a dimension that claims the whole grid: streamed into the zip."""
    workbook(path, {"Roster": ROSTER[:3]})
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename != "xl/worksheets/sheet1.xml":
                out.writestr(item, data)
                continue
            head, tail = data.split(b"</sheetData>")
            head = head.replace(b'<dimension ref="A1:F3"', b'<dimension ref="A1:XFD1000003"')
            with out.open(item.filename, "w") as fh:
                fh.write(head)
                for start in range(4, 1_000_004, 10_000):
                    fh.write(b"".join(b'<row r="%d" s="1" customFormat="1" ht="15"/>' % r
                                      for r in range(start, min(start + 10_000, 1_000_004))))
                fh.write(b"</sheetData>" + tail)
    return path


@pytest.mark.slow
def test_a_million_formatted_empty_rows_end_the_data_quickly(seeded, tmp_path):
    path = million_empty_rows(tmp_path / "wide.xlsx")
    started = time.perf_counter()
    result = run_installed("--db", seeded, "import", "officers", path, timeout=60,
                           env={"CROTOOL_TODAY": "2024-01-15"})
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    assert "2 new, 0 updated, 0 unchanged" in result.stderr
    assert elapsed < 10, f"{elapsed:.1f} s"


def test_the_corpus_can_be_rebuilt(tmp_path):
    build_corpus(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == set(EXPECTED)
