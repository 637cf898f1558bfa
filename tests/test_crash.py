"""Crash safety through real processes: kill -9 at random moments of an import, a load and a
backup; a full disk (forced with PRAGMA max_page_count through $CROTOOL_MAX_PAGES).

After every kill the database is as before or holds all of the input, never part of it, and
passes `PRAGMA integrity_check`; a killed backup leaves no file under the backup's name. The
kill moments are random (the seed is in every failure message) and spread over the whole run,
from start-up through validation to the write transaction and its commit.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import crotool_exe, run_installed

from crotool.store import db
from crotool.store.audit import verify_chain

pytestmark = pytest.mark.slow

# The kill test imports 200,000 rows (~10 s a run on 2 cores, ~1 min for the timing run and ten
# kills), as the reliability issue asks; the backup-during-import test needs only a running
# import, so 10,000 rows (~0.8 s) do; the load 2,000 duties (~0.7 s).
KILL_IMPORT_ROWS = 200_000
IMPORT_ROWS = 10_000
LOAD_ROWS = 2_000
KILLS = 10
START = datetime(2023, 9, 6, 0, 0, 17)


def generate_csv(path: Path, n: int) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("officer,school,category,at,minutes,reference\n")
        for i in range(n):
            at = (START + timedelta(minutes=i)).isoformat()
            fh.write(f"0417,juanita-hs,traffic-safety,{at},15,KPD-{i}\n")
    return path


def generate_yaml(path: Path, n: int) -> Path:
    lines = ["duties:"]
    for i in range(n):
        at = (START + timedelta(minutes=i)).isoformat()
        lines.append(f'  - {{officer: "2291", school: redmond-hs, category: collision-response,'
                     f" at: {at}, minutes: 30, reference: RPD-{i}}}")
    path.write_text("\n".join(lines) + "\n")
    return path


def reset(template: Path, target: Path) -> None:
    for extra in (Path(f"{target}-wal"), Path(f"{target}-shm")):
        extra.unlink(missing_ok=True)
    shutil.copyfile(template, target)
    os.chmod(target, 0o600)


def duties(path: Path) -> int:
    conn = db.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return conn.execute("SELECT count(*) FROM duties").fetchone()[0]
    finally:
        conn.close()


def run_and_kill(args: list[str], delay: float, wal: Path | None = None
                 ) -> tuple[bool, float, float | None]:
    """Start crotool, SIGKILL it after `delay` s unless it finished.

    Returns (killed, elapsed, commit): `commit` is when frames first reached `wal` (SQLite
    writes a transaction's pages to the WAL when it commits, or when its cache spills)."""
    started = time.perf_counter()
    proc = subprocess.Popen([*crotool_exe(), *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    commit = None
    killed = False
    while proc.poll() is None:
        now = time.perf_counter() - started
        if now >= delay:
            proc.kill()  # SIGKILL: no handler, no cleanup, no rollback by the process
            killed = True
            break
        if wal is not None and commit is None and wal.exists() and wal.stat().st_size > 32:
            commit = now
        time.sleep(0.002)
    proc.wait()
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if not killed:
        assert proc.returncode == 0, err
    return killed, time.perf_counter() - started, commit


def kill_repeatedly(args: list[str], template: Path, target: Path, n: int, kills: int = KILLS
                    ) -> dict[str, int]:
    """One full run to time it, then `kills` runs each killed at a random moment: half
    anywhere in the run, half around its commit (the write transaction, the WAL being
    written, the checkpoint)."""
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    wal = Path(f"{target}-wal")
    reset(template, target)
    base = duties(target)
    killed, full, commit = run_and_kill(args, 120, wal)
    assert not killed
    assert duties(target) == base + n
    commit = commit if commit is not None else full * 0.8
    windows = [(0.02, full), (max(0.02, commit - 0.3), commit + 0.05)]
    outcomes = {"none": 0, "all": 0, "partial_wal": 0}
    for i in range(kills):
        reset(template, target)
        delay = rng.uniform(*windows[i % 2])
        run_and_kill(args, delay)
        frames = wal.exists() and wal.stat().st_size > 32
        found = duties(target)
        assert found in (base, base + n), (f"kill {i} at {delay:.3f}s of {full:.3f}s (commit at "
                                           f"{commit:.3f}s) left {found - base} of {n} rows "
                                           f"(seed {seed})")
        if found == base:
            outcomes["none"] += 1
            # Pages in the WAL that never became a committed transaction: ignored on open.
            outcomes["partial_wal"] += frames
        else:
            outcomes["all"] += 1
            conn = db.connect(target)
            assert verify_chain(conn) == []
            conn.close()
    return outcomes


def test_kills_during_an_import_leave_all_or_nothing(seeded_template: Path, isolated_db: Path,
                                                    tmp_path: Path) -> None:
    csv_file = generate_csv(tmp_path / "duties.csv", KILL_IMPORT_ROWS)
    outcomes = kill_repeatedly(["import", "duties", str(csv_file)], seeded_template,
                               isolated_db, KILL_IMPORT_ROWS)
    assert outcomes["none"] + outcomes["all"] == KILLS
    assert outcomes["none"] >= 1, outcomes
    print(f"import kills: {outcomes}")


def test_kills_during_a_load_leave_all_or_nothing(seeded_template: Path, isolated_db: Path,
                                                  tmp_path: Path) -> None:
    yaml_file = generate_yaml(tmp_path / "duties.yaml", LOAD_ROWS)
    # Fewer kills than for the import, which is the long write this protects the most.
    outcomes = kill_repeatedly(["load", str(yaml_file)], seeded_template, isolated_db,
                               LOAD_ROWS, kills=6)
    assert outcomes["none"] + outcomes["all"] == 6
    assert outcomes["none"] >= 1, outcomes


def test_kills_during_a_backup_leave_no_partial_file(seeded_template: Path, isolated_db: Path,
                                                     tmp_path: Path) -> None:
    reset(seeded_template, isolated_db)
    # A bigger database, so that the copy itself takes a moment to kill.
    result = run_installed("load", str(generate_yaml(tmp_path / "d.yaml", LOAD_ROWS)))
    assert result.returncode == 0, result.stderr
    base = duties(isolated_db)
    folder = tmp_path / "backups"
    folder.mkdir()
    _, full, _ = run_and_kill(["db", "backup", str(folder / "full.db")], 60)
    rng = random.Random()
    complete = 0
    for i in range(KILLS):
        dest = folder / f"b{i}.db"
        run_and_kill(["db", "backup", str(dest)], rng.uniform(0.05, full * 1.05))
        if dest.exists():  # it finished: then it is whole
            complete += 1
            copy = db.open_readonly(dest)
            assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert copy.execute("SELECT count(*) FROM duties").fetchone()[0] == base
            copy.close()
    assert duties(isolated_db) == base  # the source is untouched
    # Leftovers of killed runs are hidden temporaries, never something under a backup's name.
    for path in folder.iterdir():
        assert path.name.startswith(".") or path.name == "full.db" or path.name.startswith("b")
        if not path.name.startswith("."):
            assert path.suffix == ".db"
    assert complete < KILLS  # kills landed before the copy was named, and left no file


def test_a_full_disk_rolls_back_with_a_clear_error(seeded_copy: Path, tmp_path: Path) -> None:
    conn = db.connect(seeded_copy)
    before = "\n".join(conn.iterdump())
    conn.close()
    yaml_file = generate_yaml(tmp_path / "d.yaml", 500)
    # A cap below the current size is raised to it by SQLite: no room for any new page.
    result = run_installed("load", str(yaml_file), env={"CROTOOL_MAX_PAGES": "1"})
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == ("crotool: the disk (or the database's size limit) is full;"
                                     " nothing was written")
    csv_file = generate_csv(tmp_path / "d.csv", 2_000)
    imported = run_installed("import", "duties", str(csv_file), env={"CROTOOL_MAX_PAGES": "1"})
    assert imported.returncode == 1, imported.stderr
    assert imported.stderr.strip().endswith("is full; nothing was written")
    assert "Traceback" not in imported.stderr
    conn = db.connect(seeded_copy)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert "\n".join(conn.iterdump()) == before
    conn.close()
    # With room again, the same load goes through.
    assert run_installed("load", str(yaml_file)).returncode == 0
    assert duties(seeded_copy) == before.count("INSERT INTO \"duties\"") + 500


def test_a_backup_taken_during_an_import_is_consistent(seeded_copy: Path, tmp_path: Path
                                                       ) -> None:
    source = generate_csv(tmp_path / "d.csv", IMPORT_ROWS)
    args, n = ["import", "duties", str(source)], IMPORT_ROWS
    base = duties(seeded_copy)
    writer = subprocess.Popen([*crotool_exe(), *args], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    taken = []
    try:
        while writer.poll() is None or not taken:
            dest = tmp_path / f"during-{len(taken)}.db"
            result = run_installed("db", "backup", str(dest))
            assert result.returncode == 0, result.stderr
            taken.append(dest)
    finally:
        _, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    seen = set()
    for dest in taken:
        copy = db.open_readonly(dest)
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count = copy.execute("SELECT count(*) FROM duties").fetchone()[0]
        assert count in (base, base + n), f"{dest.name}: {count - base} of {n} rows"
        assert verify_chain(copy) == []
        copy.close()
        seen.add(count)
    assert duties(seeded_copy) == base + n
    assert len(taken) >= 2 and base in seen  # at least one copy was taken mid-import
