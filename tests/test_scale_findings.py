"""The smaller findings of issue 14, each held by a test: completion honours --db, `load`
records each file with its own counts and hash, busy by error code, counts that triggers do
not skew, list text split on `;` only, assignment ids never reused, and a mistyped database path
that a read names instead of creating."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import run_installed

from crotool.store import db
from crotool.store.fields import convert
from crotool.store.schema import SECTIONS


def complete(*words: str, env: dict | None = None) -> list[str]:
    """What the shell gets for `crotool WORDS <TAB>` (bash protocol, the real process)."""
    line = ["crotool", *words]
    result = run_installed(*[], env={"_CROTOOL_COMPLETE": "complete_bash",
                                     "COMP_WORDS": " ".join(line),
                                     "COMP_CWORD": str(len(line) - 1), **(env or {})})
    return [w.split(",", 1)[-1] for w in result.stdout.split()]


@pytest.mark.slow
def test_completion_reads_the_database_given_with_db(seeded: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere" / "other.db"
    other.parent.mkdir()
    shutil.copyfile(seeded, other)
    missing = tmp_path / "not-there.db"
    env = {"CROTOOL_DB": str(missing)}
    found = complete("--db", str(other), "duty", "list", "--officer", "04", env=env)
    assert "0417" in found
    assert not missing.exists()  # completion never creates a database
    assert complete("duty", "list", "--officer", "04", env=env) == []


def test_load_records_each_file_with_its_own_counts_and_hash(cli, seeded: Path,
                                                           tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("agencies:\n  - {id: aa-pd, name: A Police, kind: city}\n")
    b.write_text("agencies:\n  - {id: bb-pd, name: B Police, kind: city}\n"
                 "  - {id: cc-pd, name: C Police, kind: city}\n")
    result = cli("load", str(a), str(b))
    assert result.exit_code == 0, result.stderr
    conn = db.connect(seeded)
    rows = {r["file"]: dict(r) for r in conn.execute(
        "SELECT file, sha256, rows, inserted, updated, unchanged FROM imports"
        " WHERE file IN (?, ?)", (str(a), str(b)))}
    conn.close()
    assert (rows[str(a)]["rows"], rows[str(a)]["inserted"]) == (1, 1)
    assert (rows[str(b)]["rows"], rows[str(b)]["inserted"]) == (2, 2)
    assert rows[str(a)]["sha256"] == hashlib.sha256(a.read_bytes()).hexdigest()
    assert rows[str(b)]["sha256"] == hashlib.sha256(b.read_bytes()).hexdigest()


def test_load_reads_each_file_once(cli, seeded: Path, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The hash recorded is of the bytes parsed: the file is opened once (a file replaced
    between two reads would be recorded under the other's hash)."""
    a = tmp_path / "a.yaml"
    a.write_text("agencies:\n  - {id: aa-pd, name: A Police, kind: city}\n")
    opened: list[str] = []
    real_open, real_read_bytes = Path.open, Path.read_bytes

    def counting_open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self == a:
            opened.append("open")
        return real_open(self, *args, **kwargs)

    def counting_read_bytes(self):  # type: ignore[no-untyped-def]
        if self == a:
            opened.append("read_bytes")
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "open", counting_open)
    monkeypatch.setattr(Path, "read_bytes", counting_read_bytes)
    real_os_open = os.open

    def counting_os_open(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(path) == str(a):
            opened.append("os.open")
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", counting_os_open)
    import builtins

    real_builtin_open = builtins.open

    def counting_builtin_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(file) == str(a):
            opened.append("open()")
        return real_builtin_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_builtin_open)
    result = cli("load", str(a))
    assert result.exit_code == 0, result.stderr
    assert len(opened) == 1, opened


def test_is_busy_goes_by_the_error_code(tmp_path: Path) -> None:
    busy = sqlite3.OperationalError("database is locked")
    busy.sqlite_errorcode = 5  # type: ignore[attr-defined]
    assert db.is_busy(busy)
    snapshot = sqlite3.OperationalError("database is locked")
    snapshot.sqlite_errorcode = 5 | (2 << 8)  # type: ignore[attr-defined]  # BUSY_SNAPSHOT
    assert db.is_busy(snapshot)
    locked = sqlite3.OperationalError("database table is locked")
    locked.sqlite_errorcode = 6  # type: ignore[attr-defined]
    assert not db.is_busy(locked)
    worded = sqlite3.OperationalError("no such table: busy_locked")
    worded.sqlite_errorcode = 1  # type: ignore[attr-defined]
    assert not db.is_busy(worded)
    # A real SQLITE_LOCKED: dropping a table while a statement reads it, on one connection.
    conn = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    conn.execute("CREATE TABLE t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(10)])
    cursor = conn.execute("SELECT x FROM t")
    cursor.fetchone()
    with pytest.raises(sqlite3.OperationalError) as caught:
        conn.execute("DROP TABLE t")
    assert caught.value.sqlite_errorcode & 0xFF == 6  # type: ignore[attr-defined]
    assert not db.is_busy(caught.value)
    conn.close()


def test_import_counts_are_not_skewed_by_triggers(cli, seeded: Path, tmp_path: Path) -> None:
    conn = db.connect(seeded)
    conn.execute("CREATE TABLE side (n)")
    conn.execute("CREATE TRIGGER duty_side AFTER INSERT ON duties BEGIN "
                 "INSERT INTO side VALUES (NEW.id); INSERT INTO side VALUES (NEW.id); END")
    conn.close()
    csv = tmp_path / "d.csv"
    csv.write_text("officer,school,category,at,minutes\n"
                   "0417,juanita-hs,traffic-safety,2024-07-02T08:00,15\n"
                   "0417,juanita-hs,traffic-safety,2024-07-03T08:00,15\n")
    result = cli("import", "duties", str(csv), "-f", "json")
    assert result.exit_code == 0, result.stderr
    conn = db.connect(seeded)
    row = conn.execute("SELECT rows, inserted, updated, unchanged FROM imports"
                       " ORDER BY id DESC LIMIT 1").fetchone()
    conn.close()
    assert tuple(row) == (2, 2, 0, 0)


def test_list_text_is_split_on_semicolons_only() -> None:
    field = SECTIONS["agencies"].field("jurisdiction")
    assert convert(field, "Kirkland, WA") == ["Kirkland, WA"]
    assert convert(field, "Kirkland, WA; Redmond, WA") == ["Kirkland, WA", "Redmond, WA"]
    assert convert(field, ["Kirkland, WA"]) == ["Kirkland, WA"]


def test_a_jurisdiction_with_a_comma_survives_a_csv_round_trip(cli, seeded: Path,
                                                               tmp_path: Path) -> None:
    csv = tmp_path / "a.csv"
    csv.write_text('id,name,kind,jurisdiction\n'
                   'kk-pd,Kirkland Police,city,"Kirkland, WA;Houghton"\n')
    result = cli("import", "agencies", str(csv))
    assert result.exit_code == 0, result.stderr
    conn = db.connect(seeded)
    stored = conn.execute("SELECT jurisdiction FROM agencies WHERE id = 'kk-pd'").fetchone()[0]
    conn.close()
    assert stored == '["Kirkland, WA", "Houghton"]'


def test_assignment_ids_are_never_reused(cli, seeded: Path) -> None:
    conn = db.connect(seeded)
    last = dict(conn.execute("SELECT * FROM assignments ORDER BY id DESC LIMIT 1").fetchone())
    conn.close()
    result = cli("unassign", str(last["id"]), "--yes")
    assert result.exit_code == 0, result.stderr
    result = cli("assign", last["officer"], last["feeder_pattern"], "--year",
                 last["school_year"], "--role", last["role"], "--start", last["start"],
                 "--end", last["end"])
    assert result.exit_code == 0, result.stderr
    conn = db.connect(seeded)
    new = conn.execute("SELECT max(id) FROM assignments").fetchone()[0]
    conn.close()
    assert new > last["id"]


def test_the_migration_keeps_ids_and_starts_past_deleted_ones(tmp_path: Path) -> None:
    from crotool.store import migrations

    path = tmp_path / "old.db"
    conn = db.connect(path, migrate=False)
    for step in migrations.MIGRATIONS[:7]:
        conn.execute("BEGIN IMMEDIATE")
        step(conn)
        conn.execute("COMMIT")
    conn.execute("PRAGMA user_version = 7")
    conn.execute("INSERT INTO audit (id, at, os_user, command, table_name, row_key, action,"
                 " changes, prev_hash, hash) SELECT coalesce(max(id), 0) + 1, 'x', 'u', 'c',"
                 " 'assignments', 'k', 'delete', '{\"id\": 41}', 'p', 'h' FROM audit")
    conn.close()
    conn = db.connect(path)
    assert migrations.version(conn) == len(migrations.MIGRATIONS)
    seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'assignments'").fetchone()
    assert seq[0] == 41
    conn.close()


@pytest.mark.slow
@pytest.mark.parametrize("how", ["env", "--db"])
def test_a_mistyped_database_path_is_named_and_never_created(tmp_path: Path, how: str) -> None:
    """A read names the missing file and creates nothing (not even its folder); a list is
    still `[]` for a script; the first command that writes creates the file."""
    typo = tmp_path / "crotol" / "crotool.db"
    env = {"CROTOOL_DB": str(typo)} if how == "env" else {}
    pre = ["--db", str(typo)] if how == "--db" else []
    by = "$CROTOOL_DB" if how == "env" else "--db"
    listed = run_installed(*pre, "schools", "list", "-f", "json", env=env)
    assert listed.returncode == 0 and listed.stdout.strip() == "[]"
    assert listed.stderr == (f"warning: {typo} (named by {by}) does not exist: nothing is stored "
                             "there, and nothing was created; check the path (a command that "
                             "writes, such as `crotool load`, creates the file)\n")
    gaps = run_installed(*pre, "gaps", env=env)
    assert gaps.returncode == 1 and f"{typo} (named by {by}) does not exist" in gaps.stderr
    info = run_installed(*pre, "db", "info", env=env)
    assert info.returncode == 1
    assert info.stderr.startswith(f"crotool: {typo} (named by {by}) does not exist")
    html = run_installed(*pre, "report", "coverage", "-f", "html", env=env)
    assert html.returncode == 1 and "Traceback" not in html.stderr
    assert not typo.parent.exists()
    wrote = run_installed(*pre, "years", "add", "2030-31", "--start", "2030-09-03", "--end",
                          "2031-06-18", env=env)
    assert wrote.returncode == 0, wrote.stderr
    assert typo.exists()
    again = run_installed(*pre, "years", "list", "-f", "json", env=env)
    assert again.returncode == 0 and again.stderr == "" and "2030-31" in again.stdout
