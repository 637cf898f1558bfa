"""`crotool db check|backup|info`: what each finds, writes and reports.

Damage is made the way it happens in life: behind crotool's back, through a raw sqlite3
connection (foreign keys off, as the sqlite3 shell has them), then `db check` must name it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from crotool.store import db
from crotool.store.migrations import SCHEMA_VERSION


def raw(path: Path) -> sqlite3.Connection:
    """A connection as another tool would open one: no crotool pragmas, autocommit."""
    return sqlite3.connect(str(path), isolation_level=None)


def check_rows(cli, *args: str) -> tuple[int, list[dict], str]:
    result = cli("db", "check", "-f", "json", *args)
    return result.exit_code, json.loads(result.stdout), result.stderr


def failing(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r["status"] == "fail"]


# ---------------------------------------------------------------- db check


def test_check_of_the_seed_is_clean(cli, seeded: Path) -> None:
    code, rows, err = check_rows(cli)
    assert code == 0, err
    assert failing(rows) == []
    checks = {r["check"] for r in rows}
    assert {"integrity", "foreign_keys", "audit_chain", "audit_append_only", "permissions",
            "officer_agency", "school_also_feeds", "engagement_connectors", "high_school",
            "assignment_year"} <= checks
    assert all(set(r) == {"check", "status", "detail"} for r in rows)


def test_check_of_a_new_empty_database_is_clean(cli, isolated_db: Path) -> None:
    db.connect(isolated_db).close()
    code, rows, _ = check_rows(cli)
    assert code == 0
    assert any(r["check"] == "audit_chain" and "0 audit rows" in r["detail"] for r in rows)


def test_check_table_output_lists_every_check(cli, seeded: Path) -> None:
    result = cli("db", "check")
    assert result.exit_code == 0
    for name in ("integrity", "foreign_keys", "audit_chain", "permissions", "assignment_year"):
        assert name in result.stdout


def test_check_names_every_broken_data_rule(cli, seeded: Path) -> None:
    conn = raw(seeded)
    conn.executescript("""
        UPDATE officers SET agency = 'nowhere-pd' WHERE badge = '0417';
        UPDATE schools SET also_feeds = '["eastlake", "atlantis"]' WHERE id = 'evergreen-ms';
        UPDATE feeder_patterns SET high_school = 'inglewood-ms' WHERE id = 'eastlake';
        UPDATE assignments SET "end" = '2024-07-31'
            WHERE officer = '2291' AND feeder_pattern = 'redmond';
        INSERT INTO engagements (date, title, connectors, phase, dimension)
            VALUES ('2024-05-01', 'Listening session', '["ghost-group"]', 'prevention', 'social');
    """)
    conn.close()
    code, rows, err = check_rows(cli)
    assert code == 1
    details = {(r["check"], r["detail"]) for r in failing(rows)}
    assert ("officer_agency", "officers[0417]: agency 'nowhere-pd' is not a known agency"
            ) in details
    assert ("foreign_keys", "officers[0417].agency: 'nowhere-pd' is not in agencies.id"
            ) in details
    assert ("school_also_feeds", "schools[evergreen-ms]: also_feeds names unknown feeder pattern "
            "'atlantis'") in details
    assert ("high_school", "feeder_patterns[eastlake]: high_school 'inglewood-ms' is a middle "
            "school, not high") in details
    assert ("assignment_year", "assignments[2291/redmond/2023-24/2023-09-05]: 2023-09-05 to "
            "2024-07-31 is outside school year 2023-24 (2023-09-05 to 2024-06-21)") in details
    assert ("engagement_connectors", "engagements[2024-05-01/Listening session]: connectors "
            "names unknown connector 'ghost-group'") in details
    assert len(failing(rows)) == 6
    assert "db check: 6 problems found" in err
    # The checks that still pass are listed as passing, not dropped.
    assert any(r["check"] == "integrity" and r["status"] == "ok" for r in rows)


def test_check_finds_a_high_school_of_another_pattern(cli, seeded: Path) -> None:
    conn = raw(seeded)
    conn.execute("UPDATE feeder_patterns SET high_school = 'redmond-hs' WHERE id = 'eastlake'")
    conn.close()
    code, rows, _ = check_rows(cli)
    assert code == 1
    assert [r["detail"] for r in failing(rows)] == [
        "feeder_patterns[eastlake]: high_school 'redmond-hs' belongs to feeder pattern 'redmond'"]


def test_check_finds_a_world_readable_file(cli, seeded: Path) -> None:
    os.chmod(seeded, 0o644)
    code, rows, _ = check_rows(cli)
    assert code == 1
    found = failing(rows)
    # SQLite gives -wal and -shm the database's mode: each is named when it exists.
    assert {r["check"] for r in found} == {"permissions"}
    assert f"{seeded} is mode 0644" in found[0]["detail"]
    assert f"chmod 600 {seeded}" in found[0]["detail"]
    assert all("-wal" in r["detail"] or "-shm" in r["detail"] for r in found[1:])


def test_check_finds_a_damaged_index(cli, seeded: Path) -> None:
    # Point an index's definition at another column: its stored entries no longer match the
    # table, which is what integrity_check exists to find.
    conn = raw(seeded)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = 'CREATE INDEX schools_agency ON schools(city)'"
                 " WHERE name = 'schools_agency'")
    conn.close()
    code, rows, _ = check_rows(cli)
    assert code == 1
    integrity = [r for r in failing(rows) if r["check"] == "integrity"]
    assert integrity, rows
    assert any("schools_agency" in r["detail"] for r in integrity)


def test_check_names_an_audit_row_edited_behind_the_tools_back(cli, seeded: Path) -> None:
    conn = raw(seeded)
    # The append-only triggers hold against SQL...
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit SET os_user = 'mallory' WHERE id = 5")
    # ...but not against someone who drops them first.
    conn.executescript("""
        DROP TRIGGER audit_no_update;
        DROP TRIGGER audit_no_delete;
        UPDATE audit SET changes = '{"name": "Someone Else"}' WHERE id = 5;
    """)
    conn.close()
    code, rows, err = check_rows(cli)
    assert code == 1
    details = [r["detail"] for r in failing(rows)]
    assert ("audit row 5 does not match the hash chain: it was edited, or a row before it was "
            "removed") in details
    assert any("audit_no_delete, audit_no_update is missing" in d for d in details)
    assert "db check: 2 problems found" in err


def test_check_names_the_row_after_a_deleted_audit_row(cli, seeded: Path) -> None:
    conn = raw(seeded)
    conn.executescript("DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = 7;")
    conn.close()
    code, rows, _ = check_rows(cli)
    assert code == 1
    chain = [r["detail"] for r in failing(rows) if r["check"] == "audit_chain"]
    assert chain[0] == ("audit row 8 does not match the hash chain: it was edited, or a row "
                        "before it was removed")
    assert "but its anchored head records" in chain[1]  # the head counts one row more


def test_check_output_file_and_exit_code_for_cron(cli, seeded: Path, tmp_path: Path) -> None:
    os.chmod(seeded, 0o640)
    report = tmp_path / "check.csv"
    result = cli("db", "check", "-f", "csv", "-o", str(report))
    assert result.exit_code == 1
    text = report.read_bytes().decode()
    assert text.startswith("check,status,detail\r\n")
    assert "permissions,fail," in text


# ---------------------------------------------------------------- db backup


def test_backup_is_a_private_verified_copy(cli, seeded: Path, tmp_path: Path) -> None:
    dest = tmp_path / "backups" / "cro.db"
    dest.parent.mkdir()
    result = cli("db", "backup", str(dest))
    assert result.exit_code == 0, result.stderr
    assert f"to {dest}" in result.stderr and "integrity ok" in result.stderr
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    # One self-contained file: no temporary, -wal or -journal left beside it.
    assert sorted(p.name for p in dest.parent.iterdir()) == ["cro.db"]
    copy = db.open_readonly(dest)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert copy.execute("SELECT count(*) FROM schools").fetchone()[0] == 55
        copied = "\n".join(copy.iterdump())
    finally:
        copy.close()
    assert sorted(p.name for p in dest.parent.iterdir()) == ["cro.db"]
    source = db.connect(seeded)
    assert copied == "\n".join(source.iterdump())
    source.close()


def test_a_backup_opens_as_a_crotool_database(cli, seeded: Path, tmp_path: Path) -> None:
    dest = tmp_path / "copy.db"
    assert cli("db", "backup", str(dest)).exit_code == 0
    result = cli("--db", str(dest), "db", "check", "-f", "json")
    assert result.exit_code == 0, result.stdout
    info = cli("--db", str(dest), "db", "info", "-f", "json")
    items = {r["item"]: r["value"] for r in json.loads(info.stdout)}
    assert items["rows.schools"] == 55


def test_backup_never_replaces_a_file(cli, seeded: Path, tmp_path: Path) -> None:
    dest = tmp_path / "precious.txt"
    dest.write_text("not a backup")
    result = cli("db", "backup", str(dest))
    assert result.exit_code == 1
    assert f"{dest} already exists; a backup never replaces a file" in result.stderr
    assert dest.read_text() == "not a backup"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_backup_refuses_a_symlink_even_a_dangling_one(cli, seeded: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.db"
    link.symlink_to(tmp_path / "nowhere.db")
    result = cli("db", "backup", str(link))
    assert result.exit_code == 1
    assert "already exists" in result.stderr
    assert not (tmp_path / "nowhere.db").exists()


def test_backup_into_a_missing_folder_is_a_clear_error(cli, seeded: Path, tmp_path: Path) -> None:
    result = cli("db", "backup", str(tmp_path / "no" / "such" / "x.db"))
    assert result.exit_code == 1
    assert "no folder" in result.stderr


def test_backup_reads_while_another_process_writes(cli, seeded: Path, tmp_path: Path) -> None:
    holder = db.connect(seeded)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE officers SET name = 'Uncommitted' WHERE badge = '0417'")
    try:
        result = cli("db", "backup", str(tmp_path / "during.db"),
                     env={"CROTOOL_BUSY_TIMEOUT": "0.5"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 0, result.stderr
    copy = db.open_readonly(tmp_path / "during.db")
    name = copy.execute("SELECT name FROM officers WHERE badge = '0417'").fetchone()[0]
    copy.close()
    assert name == "Pat Placeholder"  # the last committed state, not the open transaction


# ---------------------------------------------------------------- db info


def test_info_describes_the_database(cli, seeded: Path) -> None:
    result = cli("db", "info", "-f", "json")
    assert result.exit_code == 0
    items = {r["item"]: r["value"] for r in json.loads(result.stdout)}
    assert items["path"] == str(seeded.resolve())
    assert items["schema_version"] == SCHEMA_VERSION
    assert items["journal_mode"] == "wal"
    assert items["size_bytes"] == seeded.stat().st_size > 0
    assert items["rows.schools"] == 55
    assert items["rows.officers"] == 9
    assert items["rows.audit"] > 0
    tables = {k for k in items if k.startswith("rows.")}
    assert {"rows.duties", "rows.imports", "rows.engagements"} <= tables


def test_info_table_and_db_option(cli, tmp_path: Path) -> None:
    other = tmp_path / "other" / "x.db"
    absent = cli("--db", str(other), "db", "info")
    assert absent.exit_code == 1 and "does not exist" in absent.stderr
    assert not other.parent.exists()  # a command that only reads creates nothing
    db.connect(other).close()
    result = cli("--db", str(other), "db", "info")
    assert result.exit_code == 0
    assert str(other.resolve()) in result.stdout.replace("\n", "")
    assert stat.S_IMODE(other.stat().st_mode) == 0o600
    assert stat.S_IMODE(other.parent.stat().st_mode) == 0o700


def test_a_file_that_is_not_a_database_is_one_clear_error(cli, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not an SQLite file, just text pretending " * 200)
    os.chmod(junk, 0o600)
    for args in (["db", "check"], ["db", "info"], ["db", "backup", str(tmp_path / "b.db")]):
        result = cli("--db", str(junk), *args)
        assert result.exit_code == 1, (args, result.stderr)
        assert "not a crotool database or damaged" in result.stderr
        assert "restore a backup made with `crotool db backup`" in result.stderr
    assert not (tmp_path / "b.db").exists()
