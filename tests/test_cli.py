"""The command line as a whole: version, where the database is, exit codes, and errors that
are one clear line and never a traceback (unless CROTOOL_DEBUG=1)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_installed

from crotool import __version__
from crotool.store import db, migrations


def no_traceback(result) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


def school_count(path: Path) -> int:
    conn = db.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM schools").fetchone()[0]
    finally:
        conn.close()


# ---------------------------------------------------------------- version and help


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout == f"crotool {__version__}\n"


@pytest.mark.slow
def test_python_dash_m_is_the_same_program(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "crotool", "--version"], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"crotool {__version__}\n"


def test_help_lists_the_foundation_commands(cli):
    for flag in ("--help", "-h"):
        result = cli(flag)
        assert result.exit_code == 0
        for command in ("load", "schools", "agencies", "patterns", "categories", "officers"):
            assert f"  {command} " in result.stdout
        assert "Examples:" in result.stdout
        assert "--db PATH" in result.stdout


def test_load_help_has_examples(cli):
    result = cli("load", "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout and "--dry-run" in result.stdout


# ---------------------------------------------------------------- which database


def test_db_option_beats_the_environment(cli, isolated_db, tmp_path):
    other = tmp_path / "other" / "chosen.db"
    result = cli("--db", other, "load")
    assert result.exit_code == 0, result.stderr
    assert school_count(other) == 55
    assert not isolated_db.exists()  # $CROTOOL_DB was not touched
    # The option lasts for its own invocation only.
    assert json.loads(cli("schools", "list", "-f", "json").stdout) == []


def test_environment_names_the_database(cli, tmp_path, monkeypatch):
    chosen = tmp_path / "env.db"
    monkeypatch.setenv("CROTOOL_DB", str(chosen))
    assert cli("load").exit_code == 0
    assert school_count(chosen) == 55


def test_xdg_data_home_is_the_default(cli, isolated_db, tmp_path, monkeypatch):
    monkeypatch.delenv("CROTOOL_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert cli("load").exit_code == 0
    path = tmp_path / "xdg" / "crotool" / "crotool.db"
    assert school_count(path) == 55
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert not isolated_db.exists()


def test_home_is_the_fallback(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("CROTOOL_DB")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cli("agencies", "list", "-f", "json").exit_code == 0
    assert (tmp_path / ".local" / "share" / "crotool" / "crotool.db").exists()


# ---------------------------------------------------------------- exit codes and errors


@pytest.mark.parametrize("args", [
    ("--bogus",),
    ("schools", "list", "--bogus"),
    ("schools", "list", "--format", "xml"),
    ("nosuch",),
    (),
])
def test_usage_errors_exit_2(cli, args):
    result = cli(*args)
    assert result.exit_code == 2
    assert "Usage:" in result.stderr
    assert result.stdout == ""
    no_traceback(result)


def test_user_error_exits_1_with_one_line(cli, isolated_db):
    db.connect(isolated_db).close()
    result = cli("schools", "list", "--agency", "nowhere")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("crotool: --agency:")
    no_traceback(result)


def test_a_garbage_database_is_a_clean_error(cli, isolated_db, monkeypatch):
    isolated_db.write_bytes(b"this is not sqlite at all" * 200)
    result = cli("schools", "list")
    assert result.exit_code == 1
    assert result.stderr == (
        f"crotool: {isolated_db}: not a crotool database or damaged (file is not a database) "
        "(check the path, or restore a backup made with `crotool db backup`)\n")
    no_traceback(result)
    monkeypatch.setenv("CROTOOL_DEBUG", "1")  # a user error stays one line even when debugging
    assert cli("schools", "list").exit_code == 1


def test_bad_busy_timeout_setting(cli, isolated_db, monkeypatch):
    db.connect(isolated_db).close()
    monkeypatch.setenv("CROTOOL_BUSY_TIMEOUT", "soon")
    result = cli("agencies", "list")
    assert result.exit_code == 1
    assert result.stderr == ("crotool: CROTOOL_BUSY_TIMEOUT='soon' is not a number of seconds "
                             "(e.g. 30)\n")


def test_a_busy_database_exits_75(cli, isolated_db, monkeypatch):
    holder = db.connect(isolated_db)
    monkeypatch.setenv("CROTOOL_BUSY_TIMEOUT", "0.2")
    with db.transaction(holder):
        holder.execute("INSERT INTO agencies (id, name, kind) VALUES ('x', 'X', 'city')")
        result = cli("load")
    assert result.exit_code == 75
    assert "retry later" in result.stderr
    no_traceback(result)
    holder.close()
    assert school_count(isolated_db) == 0


def make_tableless_database(path: Path) -> None:
    """A SQLite file that claims the newest schema but has no tables: an internal error."""
    conn = db.connect(path, migrate=False)
    conn.execute(f"PRAGMA user_version = {migrations.SCHEMA_VERSION}")
    conn.close()


def test_an_internal_error_is_one_line_without_debug(cli, isolated_db):
    make_tableless_database(isolated_db)
    result = cli("schools", "list")
    assert result.exit_code == 70
    assert result.stderr == ("crotool: internal error: OperationalError: no such table: schools "
                             "(run again with CROTOOL_DEBUG=1 for details, and report it)\n")
    no_traceback(result)


@pytest.mark.slow
def test_debug_shows_the_traceback_of_an_internal_error(isolated_db):
    make_tableless_database(isolated_db)
    quiet = run_installed("schools", "list")
    assert quiet.returncode == 70 and "Traceback" not in quiet.stderr
    loud = run_installed("schools", "list", env={"CROTOOL_DEBUG": "1"})
    assert loud.returncode != 0
    assert "Traceback (most recent call last)" in loud.stderr
    assert "no such table: schools" in loud.stderr
