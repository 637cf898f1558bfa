"""The test suite's shared ground, and its two lanes.

Two commands run it, from the repository's root:

    python -m pytest -m "not slow"     # the fast lane, while you work: about a minute
    python -m pytest                   # everything, as CI runs it: about three minutes

(times on 2 cores). A test is marked `slow` (`@pytest.mark.slow`, or `pytestmark` for a whole
module) when it takes a second or more for a reason of its own: a real browser (chromium), the
installed `crotool` in real processes (end to end, start-up probes, completion, Ctrl-C and kill
tests, concurrent writers), files large enough to measure memory or speed, or a long property
run. The fast lane leaves those out and keeps everything else; the whole suite is what must
pass before a commit goes in. `--durations=50` shows where the time goes.

Every test gets its own database file under tmp_path, through $CROTOOL_DB (as a user or cron
would point crotool at one), and a pinned "today" inside the bundled seed's school year.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import typer.core
import typer.main
from typer.testing import CliRunner, Result

from crotool.cli.app import app

# The audit trail's keys live under $XDG_DATA_HOME/crotool/audit-keys: one folder for the
# whole session (the seeded template's key must be found by every copy), never the real home.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="crotool-test-data-")
atexit.register(shutil.rmtree, os.environ["XDG_DATA_HOME"], ignore_errors=True)

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "seed.yaml"
TODAY = "2024-01-15"


def _seed_sections() -> dict:
    from crotool.intake.readers import decode_text
    from crotool.intake.yaml_reader import parse_yaml

    [doc] = parse_yaml(decode_text(SEED.read_bytes(), "seed"), "seed")
    return doc


# How many records the bundled seed holds: its duties (all in 2023-24), and every record of
# every section (the district counts as one), for tests that count what a load or list returns.
SEED_DUTIES = len(_seed_sections()["duties"])
SEED_RECORDS = sum(len(v) if isinstance(v, list) else 1 for v in _seed_sections().values())


@pytest.fixture(autouse=True)
def isolated_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "crotool.db"
    monkeypatch.setenv("CROTOOL_DB", str(path))
    monkeypatch.setenv("CROTOOL_TODAY", TODAY)
    monkeypatch.delenv("CROTOOL_DEBUG", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return path


class Run:
    """Runs crotool in-process inside Typer's runner (its isolation of stdin, stdout, stderr
    and the environment); returns the runner's Result.

    `CliRunner.invoke` rebuilds the whole Click command tree from the app on every call:
    ~0.1 s with a dozen command modules, 95% of an in-process call (measured). The tree does
    not change during a session, so it is built once (`typer.main.get_command`) and each call
    runs its `main` as `invoke` does: a fresh Click context per call, as the console script
    has."""

    _command: typer.core.TyperGroup | None = None

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, env: dict | None = None
                 ) -> Result:
        if Run._command is None:
            Run._command = typer.main.get_command(app)
        command = Run._command
        code = 0
        with self.runner.isolation(input=input, env=env) as (out, err, both):
            try:
                command.main(args=[str(a) for a in args],
                             prog_name=self.runner.get_default_prog_name(command))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
            streams = out.getvalue(), err.getvalue(), both.getvalue()
        return Result(runner=self.runner, stdout_bytes=streams[0], stderr_bytes=streams[1],
                      output_bytes=streams[2], return_value=None, exit_code=code, exception=None)


@pytest.fixture
def cli() -> Run:
    return Run()


@pytest.fixture
def seeded(seeded_copy: Path) -> Path:
    """The bundled seed, loaded (`crotool load`, once per session; each test gets its own copy
    of that file: ~20x faster than a load per test). tests/test_load.py loads for real."""
    return seeded_copy


def dump(path: Path, *, data_only: bool = False) -> str:
    """Every table's schema and rows, as SQL text: a snapshot to compare before and after a
    command that must change nothing. data_only leaves out the audit trail and import history,
    which record even a load that changed nothing."""
    from crotool.store import db

    conn = db.connect(path)
    try:
        lines = conn.iterdump()
        if data_only:
            lines = (ln for ln in lines
                     if not ln.startswith(('INSERT INTO "audit"', 'INSERT INTO "audit_head"',
                                             'INSERT INTO "imports"')))
        return "\n".join(lines)
    finally:
        conn.close()


def crotool_exe() -> list[str]:
    """The installed console script (end-to-end tests run the real thing)."""
    exe = shutil.which("crotool", path=os.path.dirname(sys.executable)) or shutil.which("crotool")
    return [exe] if exe else [sys.executable, "-m", "crotool"]


def run_installed(*args: str, env: dict | None = None, input: str | None = None,
                  cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([*crotool_exe(), *map(str, args)], capture_output=True, text=True,
                          env=full_env, input=input, cwd=cwd, timeout=timeout)


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled seed loaded once per session (through the CLI, as `seeded` does), for
    tests that need many seeded databases: copying a file is ~20x faster than a load."""
    path = tmp_path_factory.mktemp("seeded-template") / "seeded.db"
    result = CliRunner().invoke(app, ["--db", str(path), "load"], catch_exceptions=False,
                                env={"CROTOOL_TODAY": TODAY})
    assert result.exit_code == 0, result.stderr
    import gc

    from crotool.store import db

    gc.collect()  # the command's own connection
    conn = db.connect(path)
    db.checkpoint(conn)  # every committed page into the main file: one file to copy
    conn.close()
    wal = Path(f"{path}-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    return path


@pytest.fixture
def seeded_copy(seeded_template: Path, isolated_db: Path) -> Path:
    """Like `seeded` (the same data and audit rows), from a copy of the session's template."""
    shutil.copyfile(seeded_template, isolated_db)
    os.chmod(isolated_db, 0o600)
    return isolated_db
