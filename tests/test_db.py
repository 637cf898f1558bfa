"""The one module that opens SQLite: where the file is, how private it is, its pragmas,
migrations, transactions that are all or nothing, and a file that other tools can read."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from crotool.errors import EXIT_BUSY, BusyError, CroError
from crotool.store import db, migrations
from crotool.store.audit import Auditor, verify_chain


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


# ---------------------------------------------------------------- where and how private


def test_new_database_is_private_in_a_private_folder(tmp_path, umask_022):
    path = tmp_path / "new" / "nested" / "crotool.db"
    conn = db.connect(path)
    conn.execute("SELECT count(*) FROM schools").fetchone()
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    # SQLite's companion files take the database's mode.
    for companion in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        assert companion.exists() and mode(companion) == 0o600
    conn.close()


def test_an_existing_folder_keeps_its_mode(tmp_path, umask_022):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    db.connect(folder / "crotool.db").close()
    assert mode(folder) == 0o755  # not ours to change
    assert mode(folder / "crotool.db") == 0o600


def test_resolve_path_order(tmp_path, monkeypatch):
    monkeypatch.setenv("CROTOOL_DB", str(tmp_path / "env.db"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    try:
        db.configure(str(tmp_path / "option.db"))
        assert db.resolve_path() == tmp_path / "option.db"
        assert db.resolve_path(str(tmp_path / "explicit.db")) == tmp_path / "explicit.db"
        db.configure(None)
        assert db.resolve_path() == tmp_path / "env.db"
        monkeypatch.delenv("CROTOOL_DB")
        assert db.resolve_path() == tmp_path / "xdg" / "crotool" / "crotool.db"
        monkeypatch.delenv("XDG_DATA_HOME")
        home = tmp_path / "home"
        assert db.resolve_path() == home / ".local" / "share" / "crotool" / "crotool.db"
        monkeypatch.setenv("CROTOOL_DB", "~/x.db")
        assert db.resolve_path() == tmp_path / "home" / "x.db"
    finally:
        db.configure(None)


def test_a_folder_that_cannot_be_made_is_a_clean_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(CroError) as exc:
        db.connect(blocker / "sub" / "crotool.db")
    assert exc.value.message.startswith(f"cannot create the database at {blocker}/sub/crotool.db")
    assert "--db PATH" in exc.value.hint


def test_a_folder_named_as_the_database_says_so(cli, tmp_path):
    for args in (("--db", str(tmp_path), "schools", "list"), ("--db", str(tmp_path), "load")):
        result = cli(*args)
        assert result.exit_code == 1
        assert result.stderr.strip() == (f"crotool: {tmp_path} is a folder, not a database "
                                         f"file (name a file in it, e.g. --db "
                                         f"{tmp_path / 'crotool.db'})")
    assert list(tmp_path.iterdir()) == []  # nothing was created in it


def test_garbage_file_is_not_a_crotool_database(tmp_path):
    path = tmp_path / "garbage.db"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(CroError) as exc:
        db.connect(path)
    assert exc.value.message == (f"{path}: not a crotool database or damaged (file is not a "
                                 "database)")
    assert "db backup" in exc.value.hint


# ---------------------------------------------------------------- pragmas and schema


def test_every_connection_gets_the_pragmas(tmp_path):
    conn = db.connect(tmp_path / "p.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
    assert conn.isolation_level is None  # we issue BEGIN ourselves
    assert isinstance(conn.execute("SELECT 1 AS one").fetchone(), sqlite3.Row)


def test_busy_timeout_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CROTOOL_BUSY_TIMEOUT", "2.5")
    conn = db.connect(tmp_path / "p.db")
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 2500
    for bad, what in (("soon", "is not a number of seconds"), ("-1", "must not be negative")):
        monkeypatch.setenv("CROTOOL_BUSY_TIMEOUT", bad)
        with pytest.raises(CroError, match=what):
            db.connect(tmp_path / "p.db")


def test_schema_is_migrated_to_the_newest_version_once(tmp_path):
    path = tmp_path / "m.db"
    conn = db.connect(path)
    assert migrations.version(conn) == migrations.SCHEMA_VERSION == len(migrations.MIGRATIONS)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"district", "school_years", "agencies", "feeder_patterns", "schools", "officers",
            "leaves", "assignments", "duty_categories", "duties", "assessments", "connectors",
            "engagements", "audit", "imports"} <= tables
    conn.close()
    started = time.perf_counter()
    again = db.connect(path)  # already current: no migration runs
    assert time.perf_counter() - started < 0.5
    assert migrations.migrate(again) == migrations.SCHEMA_VERSION


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "future.db"
    conn = db.connect(path)
    conn.execute(f"PRAGMA user_version = {migrations.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(CroError) as exc:
        db.connect(path)
    assert "newer than this crotool knows" in exc.value.message
    assert exc.value.hint == "upgrade crotool"


def test_checks_keep_bad_values_out(tmp_path):
    # A second line of defence behind validation. (Not every impossible date: on SQLite 3.40
    # date('2023-02-30') is '2023-02-30' and date('2023-13-01') is NULL, which a CHECK lets
    # through; validation refuses both, see test_validate.py.)
    conn = db.connect(tmp_path / "c.db")
    for sql in (
        "INSERT INTO school_years (id, start, end) VALUES ('2023-24', '2023-9-5', '2024-06-01')",
        "INSERT INTO school_years (id, start, end) VALUES ('2023-24', '2024-06-01', "
            "'2023-09-01')",
        "INSERT INTO agencies VALUES ('a', 'A', 'Town PD', '[]')",
        "INSERT INTO agencies VALUES ('a', 'A', 'city', 'not json')",
    ):
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(sql)


# ---------------------------------------------------------------- transactions


def test_transaction_commits_or_rolls_back_whole(tmp_path):
    conn = db.connect(tmp_path / "t.db")
    with db.transaction(conn):
        conn.execute("INSERT INTO agencies (id, name, kind) VALUES ('a', 'A', 'city')")
    with pytest.raises(RuntimeError), db.transaction(conn):
        conn.execute("INSERT INTO agencies (id, name, kind) VALUES ('b', 'B', 'city')")
        raise RuntimeError("half-way")
    assert not conn.in_transaction
    assert [r[0] for r in conn.execute("SELECT id FROM agencies")] == ["a"]


def _agencies(conn):
    return [r[0] for r in conn.execute("SELECT id FROM agencies ORDER BY id")]


def _add(conn, agency_id):
    conn.execute("INSERT INTO agencies (id, name, kind) VALUES (?, 'X', 'city')", (agency_id,))


def test_a_nested_transaction_that_fails_and_is_caught_undoes_only_itself(tmp_path):
    conn = db.connect(tmp_path / "nest.db")
    with db.transaction(conn):
        _add(conn, "outer-1")
        with pytest.raises(RuntimeError), db.transaction(conn):
            _add(conn, "inner")
            with db.transaction(conn):  # two levels deep: undone with its parent
                _add(conn, "inner-inner")
            raise RuntimeError("inner step failed")
        assert conn.in_transaction  # the outer one goes on
        _add(conn, "outer-2")
    assert not conn.in_transaction
    assert _agencies(conn) == ["outer-1", "outer-2"]


def test_a_nested_transaction_that_succeeds_commits_with_the_outer_one(tmp_path):
    conn = db.connect(tmp_path / "nest.db")
    with db.transaction(conn):
        _add(conn, "a")
        with db.transaction(conn):
            _add(conn, "b")
        other = db.connect(tmp_path / "nest.db")
        assert _agencies(other) == []  # nothing is visible before the outer COMMIT
    assert _agencies(other) == ["a", "b"]
    other.close()


def test_an_uncaught_inner_failure_rolls_back_everything(tmp_path):
    conn = db.connect(tmp_path / "nest.db")
    with pytest.raises(RuntimeError), db.transaction(conn):
        _add(conn, "a")
        with db.transaction(conn):
            _add(conn, "b")
            raise RuntimeError("inner step failed")
    assert not conn.in_transaction
    assert _agencies(conn) == []


def test_audit_rows_after_a_rolled_back_savepoint_keep_the_chain(tmp_path):
    """An Auditor used before and after an inner rollback must not chain onto the rows the
    rollback removed."""
    conn = db.connect(tmp_path / "chain.db")
    with db.transaction(conn):
        auditor = Auditor(conn, "test")
        auditor.record("agencies", "a", "insert")
        with pytest.raises(RuntimeError), db.transaction(conn):
            auditor.record("agencies", "b", "insert")
            raise RuntimeError("undone")
        auditor.record("agencies", "c", "insert")
    assert [r[0] for r in conn.execute("SELECT row_key FROM audit ORDER BY id")] == ["a", "c"]
    assert verify_chain(conn) == []


def test_a_broken_reference_is_refused_at_commit_and_nothing_is_written(tmp_path):
    conn = db.connect(tmp_path / "fk.db")
    with pytest.raises(CroError) as exc, db.transaction(conn):
        conn.execute("INSERT INTO agencies (id, name, kind) VALUES ('a', 'A', 'city')")
        conn.execute("INSERT INTO officers (badge, name, agency) VALUES ('1', 'X', 'nowhere')")
    assert "refused by the database" in exc.value.message
    assert "nothing was written" in exc.value.message
    assert not conn.in_transaction
    assert conn.execute("SELECT count(*) FROM agencies").fetchone()[0] == 0


def test_a_second_writer_waits_then_reports_busy(tmp_path, monkeypatch):
    path = tmp_path / "busy.db"
    holder = db.connect(path)
    monkeypatch.setenv("CROTOOL_BUSY_TIMEOUT", "0.2")
    other = db.connect(path)
    with db.transaction(holder):
        holder.execute("INSERT INTO agencies (id, name, kind) VALUES ('a', 'A', 'city')")
        started = time.perf_counter()
        with pytest.raises(BusyError) as exc, db.transaction(other):
            pass
        waited = time.perf_counter() - started
    assert 0.15 < waited < 5
    assert exc.value.code == EXIT_BUSY
    assert "retry later" in exc.value.message
    # A reader is never blocked by the writer (WAL), and sees only committed rows.
    assert other.execute("SELECT count(*) FROM agencies").fetchone()[0] == 1


def test_reader_does_not_see_an_open_transaction(tmp_path):
    path = tmp_path / "iso.db"
    writer = db.connect(path)
    reader = db.connect(path)
    with db.transaction(writer):
        writer.execute("INSERT INTO agencies (id, name, kind) VALUES ('a', 'A', 'city')")
        assert reader.execute("SELECT count(*) FROM agencies").fetchone()[0] == 0
    assert reader.execute("SELECT count(*) FROM agencies").fetchone()[0] == 1


# ---------------------------------------------------------------- audit trail


def test_audit_rows_are_append_only_and_chained(tmp_path):
    conn = db.connect(tmp_path / "a.db")
    with db.transaction(conn):
        auditor = Auditor(conn, command="crotool test")
        auditor.record("agencies", "a", "insert", {"name": "A"})
        auditor.record_many([("agencies", "b", "insert", {}), ("agencies", "a", "update", {})])
    rows = conn.execute("SELECT row_key, prev_hash, hash FROM audit ORDER BY id").fetchall()
    assert [r["row_key"] for r in rows] == ["a", "b", "a"]
    assert rows[1]["prev_hash"] == rows[0]["hash"] and rows[2]["prev_hash"] == rows[1]["hash"]
    assert verify_chain(conn) == []
    for sql in ("UPDATE audit SET row_key = 'x'", "DELETE FROM audit"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)
    # Edited behind the tool's back (triggers dropped): the chain names the row.
    conn.execute("DROP TRIGGER audit_no_update")
    conn.execute("UPDATE audit SET changes = '{\"name\": \"Z\"}' WHERE id = 1")
    assert verify_chain(conn)[0].startswith("audit row 1 does not match the hash chain")


# ---------------------------------------------------------------- other tools can read it


def test_sqlite_utils_reads_the_database(cli, seeded_copy):
    sqlite_utils = pytest.importorskip("sqlite_utils")
    result = cli("schools", "list", "-f", "json")
    assert result.exit_code == 0
    import json

    schools = json.loads(result.stdout)
    other = sqlite_utils.Database(str(seeded_copy))
    try:
        assert "schools" in other.table_names()
        assert {"officers", "assignments", "duties", "audit"} <= set(other.table_names())
        assert other["schools"].count == len(schools) == 55
        assert {r["id"] for r in other["schools"].rows} == {s["id"] for s in schools}
        assert other["officers"].count == sum(
            1 for _ in other.query("SELECT badge FROM officers"))
    finally:
        other.close()
