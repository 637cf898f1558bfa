"""The audit chain is anchored (issue 18, item 3): a head record MAC'd with a key kept outside
the database. Each way of tampering that an attacker with only the database file tried, and
that the bare hash chain missed, is named by `db check`; a write refuses to extend a tampered
trail; and a normal life (writes, a backup, a restore) never makes the check cry wolf."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from crotool.store import audit


def raw(path: Path) -> sqlite3.Connection:
    """The sqlite3 shell, as an attacker holding only the file would use it."""
    return sqlite3.connect(str(path), isolation_level=None)


def chain_failures(cli) -> list[str]:
    result = cli("db", "check", "-f", "json")
    rows = json.loads(result.stdout)
    failed = [r["detail"] for r in rows if r["status"] == "fail" and r["check"] == "audit_chain"]
    assert (result.exit_code == 1) == bool(
        [r for r in rows if r["status"] == "fail"]), result.stderr
    return failed


def rehash(conn: sqlite3.Connection) -> None:
    """Recompute every row's hash as the unkeyed chain did: what a forger does after an edit."""
    prev = audit.GENESIS
    rows = conn.execute("SELECT id, at, os_user, command, table_name, row_key, action, changes"
                        " FROM audit ORDER BY id").fetchall()
    for r in rows:
        h = audit.row_hash(prev, *r[1:])
        conn.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?", (prev, h, r[0]))
        prev = h


def drop_triggers(conn: sqlite3.Connection) -> None:
    for name in ("audit_no_update", "audit_no_delete", "audit_in_order"):
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")


def forge_head(conn: sqlite3.Connection) -> None:
    """Move the head to the table's new end, with a MAC made without the key."""
    last_id, last_hash = conn.execute(
        "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone() or (0, audit.GENESIS)
    rows = conn.execute("SELECT count(*) FROM audit").fetchone()[0]
    fake = hashlib.sha256(f"{last_id}{last_hash}{rows}".encode()).hexdigest()
    conn.execute("UPDATE audit_head SET last_id = ?, last_hash = ?, rows = ?, mac = ?",
                 (last_id, last_hash, rows, fake))


def test_an_untouched_trail_is_intact_and_anchored(cli, seeded: Path) -> None:
    assert cli("officers", "update", "0417", "--phone", "425-555-0100").exit_code == 0
    result = cli("db", "check")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "hash chain intact and anchored" in result.stdout


@pytest.mark.parametrize("tamper", ["last row", "last three", "all rows", "all rows and head",
                                    "rewritten chain", "insert or replace", "forged head"])
def test_every_tampering_is_named_by_db_check(cli, seeded: Path, tamper: str) -> None:
    conn = raw(seeded)
    drop_triggers(conn)
    if tamper == "last row":
        conn.execute("DELETE FROM audit WHERE id = (SELECT max(id) FROM audit)")
    elif tamper == "last three":
        conn.execute("DELETE FROM audit WHERE id > (SELECT max(id) - 3 FROM audit)")
    elif tamper == "all rows":
        conn.execute("DELETE FROM audit")
    elif tamper == "all rows and head":
        conn.execute("DELETE FROM audit")
        conn.execute("DROP TRIGGER audit_head_no_delete")
        conn.execute("DELETE FROM audit_head")
    elif tamper == "rewritten chain":
        conn.execute("UPDATE audit SET os_user = 'mallory' WHERE id = 3")
        rehash(conn)
    elif tamper == "insert or replace":
        # REPLACE deletes the old row without firing a DELETE trigger; then re-chain.
        old = conn.execute("SELECT * FROM audit WHERE id = 2").fetchone()
        conn.execute("INSERT OR REPLACE INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (old[0], old[1], "mallory", *old[3:]))
        rehash(conn)
    elif tamper == "forged head":
        conn.execute("DELETE FROM audit WHERE id = (SELECT max(id) FROM audit)")
        forge_head(conn)
    conn.close()
    failed = chain_failures(cli)
    assert failed, f"{tamper} went unnoticed"
    assert any("head" in f for f in failed), failed


def test_insert_or_replace_is_refused_through_sql(seeded: Path) -> None:
    conn = raw(seeded)
    old = conn.execute("SELECT * FROM audit WHERE id = 2").fetchone()
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("INSERT OR REPLACE INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (old[0], old[1], "mallory", *old[3:]))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):  # nor a gap in the ids
        conn.execute("INSERT INTO audit (id, at, os_user, command, table_name, row_key, action,"
                     " prev_hash, hash) VALUES (9999, 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x')")
    conn.close()


def test_a_write_refuses_to_extend_a_tampered_trail(cli, seeded: Path) -> None:
    conn = raw(seeded)
    drop_triggers(conn)
    conn.execute("DELETE FROM audit WHERE id = (SELECT max(id) FROM audit)")
    conn.close()
    result = cli("officers", "update", "0417", "--phone", "425-555-0100")
    assert result.exit_code == 1
    assert "cannot write: the audit trail ends at id" in result.stderr
    assert "nothing was written" in result.stderr
    assert chain_failures(cli)  # still named: the write did not launder it


def test_the_key_lives_outside_the_database_and_is_private(seeded: Path) -> None:
    conn = raw(seeded)
    key_id = conn.execute("SELECT key_id FROM audit_head").fetchone()[0]
    conn.close()
    key = audit.key_dir() / key_id
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert key.read_text().strip().encode() not in seeded.read_bytes()


def test_a_missing_key_is_reported_not_ignored(cli, seeded: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "elsewhere"))
    audit._keys.clear()
    try:
        failed = chain_failures(cli)
    finally:
        audit._keys.clear()
    assert len(failed) == 1 and "is not on this account" in failed[0]


def test_backup_and_info_print_the_head_and_a_restored_backup_checks_clean(
        cli, seeded: Path, tmp_path: Path) -> None:
    dest = tmp_path / "copy.db"
    result = cli("db", "backup", str(dest))
    assert result.exit_code == 0, result.stderr
    info = {r["item"]: r["value"] for r in json.loads(cli("db", "info", "-f", "json").stdout)}
    head = info["audit_head"]
    assert head.startswith(f"{audit_rows(seeded)} rows, last id ")
    assert f"audit head: {head}" in result.stderr
    os.chmod(dest, 0o600)
    assert cli("--db", str(dest), "db", "check").exit_code == 0
    assert cli("--db", str(dest), "officers", "update", "0417", "--phone",
               "425-555-0101").exit_code == 0
    assert cli("--db", str(dest), "db", "check").exit_code == 0


def audit_rows(path: Path) -> int:
    conn = raw(path)
    try:
        return conn.execute("SELECT count(*) FROM audit").fetchone()[0]
    finally:
        conn.close()


def test_a_write_killed_before_commit_leaves_trail_and_head_together(cli, seeded: Path,
                                                                    monkeypatch) -> None:
    """The head is written in the audit rows' transaction: a failure after the audit rows
    (here: the provenance insert) rolls both back, so the check never cries wolf."""
    from crotool.store import writes

    def boom(*args, **kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr(writes, "record_import", boom)
    monkeypatch.setattr("crotool.intake.importer.record_import", boom)
    csv = seeded.parent / "o.csv"
    csv.write_text("badge,phone\n0417,425-555-0199\n")
    result = cli("import", "officers", str(csv))
    assert result.exit_code == 70
    assert chain_failures(cli) == []
