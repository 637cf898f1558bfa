"""`crotool load`: idempotent, all or nothing, a dry run that reports what a real load would.

Each test compares whole-database dumps (every table of district data; the audit trail and
import history may record an attempt, so they are left out) rather than spot checks.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from crotool.intake import readers
from crotool.intake.readers import decode_text
from crotool.intake.yaml_reader import parse_yaml
from crotool.store import db
from crotool.store.schema import MAPPINGS

DATA = Path(__file__).resolve().parent / "data" / "seed"
SEED = Path(__file__).resolve().parent.parent / "data" / "seed.yaml"
HISTORY = ("audit", "audit_head", "imports")  # the trail, its anchor, the history


def dump(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table but the audit trail and import history."""
    conn = db.connect(path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name")]
        return {t: [tuple(r) for r in conn.execute(f"SELECT * FROM {t} ORDER BY rowid")]
                for t in tables if t not in HISTORY}
    finally:
        conn.close()


def query(path: Path, sql: str, *params) -> list[tuple]:
    conn = db.connect(path)
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def seed_record_count() -> int:
    [doc] = parse_yaml(decode_text(SEED.read_bytes(), "seed"), "seed")
    return sum(1 if name in MAPPINGS else len(body or []) for name, body in doc.items())



def no_traceback(result) -> None:
    assert "Traceback" not in result.stderr
    assert "Traceback" not in result.stdout


# ---------------------------------------------------------------- idempotent


def test_second_load_changes_nothing(cli, isolated_db):
    first = cli("load", "-f", "json")
    assert first.exit_code == 0, first.stderr
    inserted = sum(r["inserted"] for r in json.loads(first.stdout))
    assert inserted == seed_record_count()
    assert f"{inserted} new, 0 updated, 0 unchanged" in first.stderr
    before = dump(isolated_db)
    assert len(before["schools"]) == 55

    second = cli("load", "-f", "json")
    assert second.exit_code == 0, second.stderr
    rows = json.loads(second.stdout)
    assert all(r["inserted"] == 0 and r["updated"] == 0 for r in rows), rows
    assert sum(r["unchanged"] for r in rows) == inserted
    assert f"0 new, 0 updated, {inserted} unchanged" in second.stderr
    assert "nothing changed" in second.stderr
    assert dump(isolated_db) == before
    # Nothing changed, so no change was audited (the attempt itself may be recorded).
    assert query(isolated_db, "SELECT count(*) FROM audit WHERE action IN ('insert', 'update')"
                 )[0][0] == inserted


def test_reload_of_flow_and_block_style_and_nulls_is_idempotent(cli, seeded, tmp_path):
    doc = tmp_path / "extra.yaml"
    doc.write_text("""\
officers:
  - {badge: "0123", name: NO, agency: kcso, status: ~, rank: null, school_trained_on: }
  - badge: 0450
    name: "12:30"
    agency: kcso
    phone: 1.10
duty_categories:
  - {id: escort, name: Escort, requires_request: yes, description: "null"}
duties:
  - officer: "0123"
    school: evergreen-ms
    category: escort
    at: 2023-11-02 14:00
    requested_by: principal
    notes: "  indented note\\n  second line  "
""", encoding="utf-8")
    assert cli("load", doc).exit_code == 0
    before = dump(seeded)
    again = cli("load", doc)
    assert again.exit_code == 0, again.stderr
    assert "0 new, 0 updated, 4 unchanged" in again.stderr
    assert dump(seeded) == before
    officers = {r[0]: r for r in query(seeded, "SELECT badge, name, status, rank, phone FROM "
                                               "officers WHERE badge IN ('0123', '0450')")}
    assert officers == {"0123": ("0123", "NO", "active", None, None),
                        "0450": ("0450", "12:30", "active", None, "1.10")}
    assert query(seeded, "SELECT requires_request, description FROM duty_categories "
                         "WHERE id = 'escort'") == [(1, "null")]


# ---------------------------------------------------------------- dry run


def test_dry_run_on_a_fresh_database_reports_what_the_load_does(cli, isolated_db):
    empty = dump(isolated_db)
    assert all(rows == [] for rows in empty.values())
    dry = cli("load", "--dry-run", "-f", "json")
    assert dry.exit_code == 0, dry.stderr
    assert "dry run: nothing written" in dry.stderr
    assert dump(isolated_db) == empty
    assert query(isolated_db, "SELECT count(*) FROM audit")[0][0] == 0
    real = cli("load", "-f", "json")
    assert json.loads(real.stdout) == json.loads(dry.stdout)


def test_dry_run_of_a_change_reports_it_and_writes_nothing(cli, seeded, tmp_path):
    change = tmp_path / "change.yaml"
    change.write_text("""\
schools:
  - {id: bell-es, name: Bell Elementary (renamed), level: elementary,
     feeder_pattern: lake-washington, agency: kirkland-pd}
officers:
  - {badge: "4444", name: New Officer, agency: kcso}
agencies:
  - {id: kcso, name: "King County Sheriff's Office", kind: county}
""", encoding="utf-8")
    before = dump(seeded)
    dry = cli("load", "-n", change, "-f", "json")
    assert dry.exit_code == 0, dry.stderr
    assert "would load" in dry.stderr and "1 new, 1 updated, 1 unchanged" in dry.stderr
    assert dump(seeded) == before
    real = cli("load", change, "-f", "json")
    assert json.loads(real.stdout) == json.loads(dry.stdout)
    after = dump(seeded)
    assert after != before
    # kind (m013): the first officer kind of the bundled packs (wa's sworn)
    assert ("4444", "New Officer", "kcso", "active", None, None, None, None,
            None, "sworn") in after["officers"]


def test_dry_run_still_refuses_bad_input(cli, seeded):
    result = cli("load", "--dry-run", DATA / "mixed.yaml")
    assert result.exit_code == 1
    assert "nothing was written" in result.stderr


# ---------------------------------------------------------------- updates


def test_a_record_updates_only_the_fields_it_gives(cli, seeded, tmp_path):
    before = dump(seeded)
    doc = tmp_path / "rename.yaml"
    doc.write_text("officers:\n  - {badge: '0417', name: Pat Renamed, agency: kirkland-pd}\n")
    result = cli("load", doc)
    assert result.exit_code == 0, result.stderr
    assert "0 new, 1 updated, 0 unchanged" in result.stderr
    after = dump(seeded)
    changed = [(a, b) for a, b in zip(before["officers"], after["officers"], strict=True) if a != b]
    assert len(changed) == 1
    old, new = changed[0]
    # Only the name changed; rank, phone, email, training date kept.
    assert [i for i, (x, y) in enumerate(zip(old, new, strict=True)) if x != y] == [1]
    assert {t: r for t, r in after.items() if t != "officers"} == {
        t: r for t, r in before.items() if t != "officers"}
    [(action, changes)] = query(seeded, "SELECT action, changes FROM audit WHERE row_key = '0417'"
                                        " AND action = 'update'")
    assert json.loads(changes) == {"name": ["Pat Placeholder", "Pat Renamed"]}


def test_null_clears_an_optional_field_and_keeps_a_defaulted_one(cli, seeded, tmp_path):
    doc = tmp_path / "nulls.yaml"
    doc.write_text("officers:\n  - {badge: '0923', name: Taylor Testcase, agency: kcso, "
                   "status: ~, phone: null}\n")
    result = cli("load", doc)
    assert result.exit_code == 0, result.stderr
    # status had no value: the stored 'inactive' stays (it is not reset, nor made NULL).
    assert query(seeded, "SELECT status, phone FROM officers WHERE badge = '0923'") == [
        ("inactive", None)]


def test_duty_notes_never_reach_the_audit_trail(cli, seeded):
    notes = [r[0] for r in query(seeded, "SELECT notes FROM duties WHERE notes IS NOT NULL")]
    assert notes, "the seed should carry at least one note"
    audit_text = " ".join(r[0] for r in query(seeded, "SELECT changes FROM audit"))
    for note in notes:
        assert note not in audit_text
    assert '"notes": "(changed)"' in audit_text


# ---------------------------------------------------------------- all or nothing


def test_one_bad_record_among_good_ones_writes_nothing(cli, seeded, monkeypatch):
    monkeypatch.chdir(DATA)
    before = dump(seeded)
    result = cli("load", "mixed.yaml")
    assert result.exit_code == 1
    no_traceback(result)
    lines = result.stderr.splitlines()
    assert len(lines) == 3
    assert lines[0] == (
        "crotool: mixed.yaml:13: schools[fixture-two-es].level: 'elementry' is not allowed; use "
        "one of elementary, middle, high, choice (did you mean 'elementary'?)")
    assert lines[1].startswith(
        "crotool: mixed.yaml:17: schools[fixture-four-es].feeder_pattern: unknown feeder "
        "pattern 'bothel'; ")
    assert lines[2] == "crotool: mixed.yaml: 2 problems found; nothing was written"
    assert result.stdout == ""
    assert dump(seeded) == before


def test_one_bad_record_on_a_fresh_database_writes_nothing(cli, isolated_db):
    result = cli("load", DATA / "mixed.yaml")
    assert result.exit_code == 1
    assert all(rows == [] for rows in dump(isolated_db).values())


def test_several_files_are_one_transaction(cli, seeded, tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("agencies:\n  - {id: bothell-pd, name: Bothell PD, kind: city}\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("officers:\n  - {badge: '5000', name: X, agency: bothell-pd, status: gone}\n")
    before = dump(seeded)
    result = cli("load", good, bad)
    assert result.exit_code == 1
    assert "2 files: 1 problem found; nothing was written" in result.stderr
    assert dump(seeded) == before  # the good first file was not written either

    bad.write_text("officers:\n  - {badge: '5000', name: X, agency: bothell-pd}\n")
    result = cli("load", good, bad)
    assert result.exit_code == 0, result.stderr
    assert "2 new, 0 updated, 0 unchanged" in result.stderr
    assert query(seeded, "SELECT agency FROM officers WHERE badge = '5000'") == [("bothell-pd",)]
    files = [r[0] for r in query(seeded, "SELECT file FROM imports ORDER BY id")]
    assert files[-2:] == [str(good), str(bad)]


def test_every_bad_file_of_a_load_is_reported(cli, seeded, tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text("agencies:\n  - {id: a, name: A, kind: city}\n  - {id: a, name: B, kind: city}\n")
    b = tmp_path / "b.yaml"
    b.write_text("a: 1\na: 2\n")
    result = cli("load", a, b)
    assert result.exit_code == 1
    assert f"{b}:2: duplicate key 'a' (first at line 1)" in result.stderr


# ---------------------------------------------------------------- bad files through the CLI


@pytest.mark.parametrize(("content", "expected"), [
    (b"district: {name: A, name: B}\n", "x.yaml:1: duplicate key 'name' (first at line 1)"),
    (b"district: &d {name: A}\n", "x.yaml:1: YAML anchors (&name) are not allowed"),
    (b"district: !!python/object:os.system {name: A}\n", "x.yaml:1: YAML tags ("),
    (b"district:\n  name: caf\xe9\n", "x.yaml:2: not UTF-8 text (byte 0xe9"),
    (b"district:\n  name: a\x00b\n", "x.yaml:2: control character U+0000 is not allowed"),
    (b'district:\n  name: "\\e[31mred"\n', "x.yaml:2: control character U+001B (written as an "
                                            "escape) is not allowed"),
    (b"district: [a, b\n", "x.yaml:2: malformed YAML"),
])
def test_bad_yaml_is_one_clear_message(cli, seeded, tmp_path, monkeypatch, content, expected):
    monkeypatch.chdir(tmp_path)
    Path("x.yaml").write_bytes(content)
    before = dump(seeded)
    result = cli("load", "x.yaml")
    assert result.exit_code == 1
    no_traceback(result)
    assert result.stderr.startswith(f"crotool: {expected}")
    assert result.stderr.rstrip().endswith("x.yaml: 1 problem found; nothing was written")
    assert dump(seeded) == before


def test_byte_order_mark_is_accepted(cli, seeded, tmp_path):
    doc = tmp_path / "bom.yaml"
    doc.write_bytes(b"\xef\xbb\xbfdistrict:\n  name: Lake Washington School District\n")
    result = cli("load", doc)
    assert result.exit_code == 0, result.stderr
    assert "0 new, 0 updated, 1 unchanged" in result.stderr


def test_size_cap(cli, seeded, tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_YAML_BYTES", 64)
    doc = tmp_path / "big.yaml"
    doc.write_text("district:\n  name: " + "x" * 100 + "\n")
    result = cli("load", doc)
    assert result.exit_code == 1
    assert f"big.yaml:1: file is {doc.stat().st_size} bytes; the limit is 64" in result.stderr


def test_missing_file(cli, isolated_db, tmp_path):
    result = cli("load", tmp_path / "nope.yaml")
    assert result.exit_code == 1
    assert result.stderr == f"crotool: {tmp_path / 'nope.yaml'}: no such file\n"


def test_empty_file_and_empty_sections_load_nothing(cli, seeded, tmp_path):
    doc = tmp_path / "empty.yaml"
    doc.write_text("# nothing yet\nschools:\nofficers: []\n")
    result = cli("load", doc, "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == [{"section": "officers", "inserted": 0, "updated": 0,
                                          "unchanged": 0}]


def test_verbose_lists_each_change(cli, seeded, tmp_path):
    doc = tmp_path / "v.yaml"
    doc.write_text("officers:\n  - {badge: '0417', name: Pat Renamed, agency: kirkland-pd}\n")
    result = cli("load", "-v", doc)
    assert "officers: update 0417" in result.stderr
    assert "Pat Renamed" in result.stderr


def test_load_writes_its_table_to_an_output_file(cli, isolated_db, tmp_path):
    out = tmp_path / "load.json"
    result = cli("load", "-f", "json", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert sum(r["inserted"] for r in json.loads(out.read_text())) == seed_record_count()
    mask = os.umask(0o022)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask  # a report follows the umask


def test_database_checks_pass_after_a_load(seeded):
    conn = sqlite3.connect(seeded)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()
