"""End to end: the installed `crotool` console script, in real processes.

What only a real process shows: the bundled seed found from any working folder (package data),
the audit naming the real command and OS user, colour on a terminal (a pseudo-terminal here)
and none when piped, with NO_COLOR or TERM=dumb, and file modes under the user's umask.
"""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
import zipfile

import pytest
from conftest import ROOT, crotool_exe, run_installed

from crotool.store import db

pytestmark = pytest.mark.slow


def test_load_then_list_on_a_fresh_database_from_another_folder(tmp_path):
    """From a folder that is not the repository: the bundled seed is package data. Under
    umask 022 the new database and its new folder are still private; the report follows the
    umask, so another account (a web server) can read it."""
    path = tmp_path / "fresh" / "crotool.db"
    out = tmp_path / "schools.json"
    old = os.umask(0o022)
    try:
        loaded = run_installed("--db", path, "load", cwd=tmp_path)
        listed = run_installed("--db", path, "schools", "list", "-f", "json", "-o", out,
                               cwd=tmp_path)
    finally:
        os.umask(old)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stderr.startswith("loaded bundled seed: ")
    assert " 0 updated, 0 unchanged" in loaded.stderr
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == listed.stderr == ""
    schools = json.loads(out.read_text(encoding="utf-8"))
    assert len(schools) == 55
    assert {"evergreen-ms", "timberline-ms", "redmond-hs"} <= {s["id"] for s in schools}
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert out.stat().st_mode & 0o777 == 0o644
    # The audit names the real command (never its arguments) and the OS user.
    conn = db.connect(path)
    rows = {(r[0], r[1]) for r in conn.execute("SELECT DISTINCT command, os_user FROM audit")}
    conn.close()
    [(command, user)] = rows
    assert command == "crotool load"
    assert user


def run_on_terminal(*args: str, env: dict | None = None) -> bytes:
    """Run crotool with its stdout on a pseudo-terminal; return what it wrote there."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([*crotool_exe(), *args], stdout=follower, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})})
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    assert proc.wait(timeout=60) == 0, proc.stderr.read()
    proc.stderr.close()
    return out


def test_colour_only_on_a_terminal_that_wants_it(seeded_copy):
    # (Piped output has none either: every in-process test runs without a terminal.)
    env = {"TERM": "xterm-256color"}
    coloured = run_on_terminal("officers", "list", env=env)
    assert b"\x1b[" in coloured and b"0417" in coloured
    plain = run_on_terminal("officers", "list", env={**env, "NO_COLOR": "1"})
    assert b"\x1b[" not in plain and b"0417" in plain
    assert b"\x1b[" not in run_on_terminal("officers", "list", env={"TERM": "dumb"})


def test_errors_from_the_real_process_are_one_line(isolated_db, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("district:\n  name: A\n  name: B\n")
    proc = run_installed("load", bad)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        f"crotool: {bad}:3: duplicate key 'name' (first at line 2); each key may appear once in "
        "a mapping",
        f"crotool: {bad}: 1 problem found; nothing was written",
    ]
    assert proc.stdout == ""


def test_the_bundled_seed_ships_inside_the_wheel(tmp_path):
    """A wheel install has no data/ folder beside the package: the seed must be inside it."""
    dist = tmp_path / "dist"
    # pip builds the wheel as any installer would (hatchling in an isolated build environment).
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w",
                            str(dist), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    [wheel] = dist.glob("crotool-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        assert "crotool/data/seed.yaml" in zf.namelist()
        zf.extractall(site)  # what installing a pure-Python wheel amounts to
    shutil.rmtree(dist)
    work = tmp_path / "elsewhere"
    work.mkdir()
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import crotool; "
            "assert crotool.__file__.startswith(sys.argv[1]), crotool.__file__; "
            "from crotool.cli.app import main; sys.argv = ['crotool', 'load']; main()")
    proc = subprocess.run([sys.executable, "-c", code, str(site)], cwd=work, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONSAFEPATH": "1"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("loaded bundled seed: ")
    assert "55" in proc.stdout  # the schools row of the load table
