"""Imports beyond a handful of rows: the summary audit, batches, the problem cap, all or nothing.

`SMALL_IMPORT` (per-record audit up to that many rows) and `BATCH` are lowered here so that a
few rows take the paths a million would.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import crotool_exe, dump

from crotool.intake import importer
from crotool.store import db

SECRET = "Student disclosed a threat; CPS case pending"




def duties_csv(path: Path, rows: int, *, start: int = 0, minutes: int = 30) -> Path:
    """`rows` duties of officer 0417 at juanita-hs, one a minute from 2023-09-06 07:00."""
    first = datetime(2023, 9, 6, 7, 0)
    with open(path, "w", newline="") as fh:
        fh.write("officer,school,category,at,minutes,reference,notes\n")
        for i in range(start, start + rows):
            at = (first + timedelta(minutes=i)).isoformat()
            fh.write(f"0417,juanita-hs,traffic-safety,{at},{minutes},REF-{i},\"{SECRET} #{i}\"\n")
    return path


@pytest.fixture
def second_db(seeded_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "second.db"
    shutil.copyfile(seeded_template, path)
    return path


def test_the_summary_path_writes_what_the_per_record_path_writes(cli, seeded_copy, second_db,
                                                                 tmp_path, monkeypatch):
    first = duties_csv(tmp_path / "first.csv", 40)
    mixed = duties_csv(tmp_path / "mixed.csv", 60, start=20)  # 20 unchanged, 40 new
    with open(mixed, "a") as fh:  # and one update of a row of the first file
        fh.write(f"0417,juanita-hs,traffic-safety,2023-09-06T07:00:00,45,REF-0,\"{SECRET}\"\n")
    for path in (first, mixed):
        assert cli("import", "duties", path).exit_code == 0

    monkeypatch.setattr(importer, "SMALL_IMPORT", 5)
    for path in (first, mixed):
        dry = cli("--db", second_db, "import", "duties", path, "--dry-run",
                  "--output-format", "json")
        real = cli("--db", second_db, "import", "duties", path, "--output-format", "json")
        assert real.exit_code == 0, real.stderr
        counts = [{k: r[k] for k in ("inserted", "updated", "unchanged")}
                  for r in (json.loads(dry.stdout)[0], json.loads(real.stdout)[0])]
        assert counts[0] == counts[1]
    assert counts[1] == {"inserted": 40, "updated": 1, "unchanged": 20}
    assert dump(second_db, data_only=True) == dump(seeded_copy, data_only=True)

    conn = db.connect(second_db)
    audit = conn.execute("SELECT row_key, action, changes FROM audit WHERE command = "
                         "'crotool import' ORDER BY id").fetchall()
    conn.close()
    # Inserts are summarised per file; every update is audited with its key, old and new
    # values, so a large file cannot change a stored duty without a trace (issue 18).
    updated = "0417/juanita-hs/traffic-safety/2023-09-06T07:00:00"
    assert [(key, action) for key, action, _ in audit] == [(str(first), "import"),
                                                           (updated, "update"),
                                                           (str(mixed), "import")]
    assert json.loads(audit[1][2]) == {"minutes": [30, 45], "notes": "(changed)"}
    summary = json.loads(audit[2][2])
    assert summary["rows"] == 61 and summary["inserted"] == 40 and summary["updated"] == 1
    assert len(summary["sha256"]) == 64 and summary["file"] == str(mixed)
    assert all(SECRET not in changes for _, _, changes in audit)


def test_a_large_reimport_writes_no_audit_row(cli, seeded_copy, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "SMALL_IMPORT", 5)
    path = duties_csv(tmp_path / "d.csv", 12)
    assert cli("import", "duties", path).exit_code == 0
    before = dump(seeded_copy, data_only=True)
    again = cli("import", "duties", path)
    assert "0 new, 0 updated, 12 unchanged (nothing changed)" in again.stderr
    assert dump(seeded_copy, data_only=True) == before
    conn = db.connect(seeded_copy)
    assert conn.execute("SELECT count(*) FROM audit WHERE action = 'import'").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM imports WHERE table_name = 'duties'"
                        ).fetchone()[0] == 2
    conn.close()


def test_verbose_lists_every_change_of_a_large_import_without_notes(cli, seeded_copy, tmp_path,
                                                                    monkeypatch):
    monkeypatch.setattr(importer, "SMALL_IMPORT", 2)
    path = duties_csv(tmp_path / "d.csv", 3)
    result = cli("import", "duties", path, "--verbose")
    assert result.exit_code == 0
    inserts = [line for line in result.stderr.splitlines() if "duties: insert" in line]
    assert len(inserts) == 3 and "'notes': '(changed)'" in inserts[0]
    assert SECRET not in result.stderr


def test_duplicates_are_found_across_batches(cli, seeded_copy, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "BATCH", 2)
    path = duties_csv(tmp_path / "d.csv", 6)
    with open(path, "a") as fh:
        fh.write("0417,juanita-hs,traffic-safety,2023-09-06T07:01:00,5,,\n")  # = line 3
    before = dump(seeded_copy)
    result = cli("import", "duties", path)
    assert result.exit_code == 1
    assert (f"crotool: {path}:8: duties[0417/juanita-hs/traffic-safety/2023-09-06T07:01:00]: "
            f"duplicate record (first at {path}:3)") in result.stderr
    assert dump(seeded_copy) == before


def test_every_problem_is_counted_and_the_first_fifty_by_line_are_shown(cli, seeded_copy,
                                                                         tmp_path):
    # Bad values are found as rows are read, bad references a batch later: the message still
    # lists the lowest lines, in order.
    lines = ["badge,name,agency,status"]
    for i in range(60):
        lines.append(f"{i:04d},Name,kcso,retired" if i % 2 else f"{i:04d},Name,nowhere,active")
    path = tmp_path / "o.csv"
    path.write_text("\n".join(lines) + "\n")
    result = cli("import", "officers", path)
    assert result.exit_code == 1
    out = result.stderr.splitlines()
    shown = [int(line.split(":")[2]) for line in out[:-2]]
    assert shown == list(range(2, 52))
    assert out[-2] == "crotool: ... and 10 more"
    assert out[-1] == f"crotool: {path}: 60 problems found; nothing was written"


def test_a_failure_while_writing_leaves_the_database_as_it_was(cli, seeded_copy, tmp_path,
                                                               monkeypatch):
    path = duties_csv(tmp_path / "d.csv", 20)
    before = dump(seeded_copy)

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(importer, "record_import", fail)  # after the upsert and the audit
    result = cli("import", "duties", path)
    assert result.exit_code == 70
    assert "No space left on device" in result.stderr
    assert dump(seeded_copy) == before


@pytest.mark.slow
def test_killed_while_writing_leaves_the_database_as_it_was(seeded_copy, tmp_path):
    """SIGKILL once the write has begun (the WAL grows only then): all or nothing."""
    path = duties_csv(tmp_path / "big.csv", 60_000)
    before = dump(seeded_copy)
    wal = Path(f"{seeded_copy}-wal")
    wal_before = wal.stat().st_size if wal.exists() else 0
    env = {**os.environ, "CROTOOL_DB": str(seeded_copy)}
    proc = subprocess.Popen([*crotool_exe(), "import", "duties", str(path)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if wal.exists() and wal.stat().st_size > wal_before + 256 * 1024:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    if proc.returncode == 0:
        pytest.skip("the import finished before the write could be caught (a fast machine)")
    assert proc.returncode == -signal.SIGKILL
    conn = db.connect(seeded_copy)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert dump(seeded_copy) == before


@pytest.mark.slow
def test_the_installed_command_streams_a_csv_from_stdin(seeded_copy, tmp_path):
    path = duties_csv(tmp_path / "d.csv", 2_000)
    with open(path, "rb") as fh:
        done = subprocess.run([*crotool_exe(), "import", "duties", "-", "--format", "csv",
                               "--output-format", "json"], stdin=fh, capture_output=True,
                              env={**os.environ, "CROTOOL_DB": str(seeded_copy)}, timeout=120,
                              check=False)
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)
    assert (row["file"], row["inserted"]) == ("stdin", 2_000)
    assert done.stderr.decode().count("\n") == 1  # no progress bar without a terminal


@pytest.mark.slow
def test_module_runs_with_python_dash_m(seeded_copy, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,name\nexample-m,Module Run\n")
    done = subprocess.run([sys.executable, "-m", "crotool", "import", "connectors", str(path)],
                          capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, "CROTOOL_DB": str(seeded_copy)})
    assert done.returncode == 0, done.stderr
    assert "1 new" in done.stderr
