"""Concurrent use through real processes: loads or imports, a stream of `duty log`
commands and repeated reports, all at once on one file, never fail with "database is locked",
never lose a row, and a report sees each load or import whole or not at all. A database kept
busy past the timeout gives one clear line and exit 75.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import crotool_exe, run_installed

from crotool.store import db

pytestmark = pytest.mark.slow

N = 1000  # records per load / import
K = 8  # duty log commands
LOADERS = {"a": ("0417", "juanita-hs", "traffic-safety"),
           "b": ("2291", "redmond-hs", "collision-response")}
LOGGER = ("3045", "eastlake-hs", "no-trespass-service")



def times(n: int, start: datetime) -> list[str]:
    return [(start + timedelta(minutes=i)).isoformat(timespec="seconds") for i in range(n)]


def duty_yaml(path: Path, officer: str, school: str, category: str, n: int) -> Path:
    lines = ["duties:"]
    for at in times(n, datetime(2023, 9, 6, 0, 0, 17)):
        lines.append(f'  - {{officer: "{officer}", school: {school}, category: {category}, '
                     f"at: {at}, minutes: 15}}")
    path.write_text("\n".join(lines) + "\n")
    return path


def duty_csv(path: Path, officer: str, school: str, category: str, n: int) -> Path:
    rows = ["officer,school,category,at,minutes"]
    rows += [f"{officer},{school},{category},{at},15"
             for at in times(n, datetime(2023, 9, 6, 0, 0, 17))]
    path.write_text("\n".join(rows) + "\n")
    return path


def counts_by_officer(stdout: str) -> dict[str, int]:
    return {r["officer"]: r["count"] for r in json.loads(stdout)}


class Mix:
    """Runs writers and a reader side by side, collecting every process's outcome."""

    def __init__(self) -> None:
        self.results: list[tuple[list[str], subprocess.CompletedProcess]] = []
        self.lock = threading.Lock()
        self.writers_done = threading.Event()

    def run(self, *args: str) -> subprocess.CompletedProcess:
        result = run_installed(*args, timeout=120)
        with self.lock:
            self.results.append((list(args), result))
        return result

    def failures(self) -> list[str]:
        return [f"{' '.join(a)} -> {r.returncode}: {r.stderr.strip()}"
                for a, r in self.results if r.returncode != 0 or "locked" in r.stderr]


def run_mix(writers: list[Callable[[Mix], None]], base: dict[str, int], n: int
            ) -> tuple[Mix, list[dict[str, int]]]:
    mix = Mix()
    seen: list[dict[str, int]] = []

    def reporter() -> None:
        # Reports keep running until every writer is done, then one more.
        while True:
            last = mix.writers_done.is_set()
            result = mix.run("report", "duties", "--by", "officer", "-f", "json")
            if result.returncode == 0:
                seen.append(counts_by_officer(result.stdout))
            mix.run("db", "info", "-f", "json")
            if last:
                return

    threads = [threading.Thread(target=w, args=(mix,)) for w in writers]
    report_thread = threading.Thread(target=reporter)
    report_thread.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    mix.writers_done.set()
    report_thread.join()
    assert mix.failures() == []
    for snapshot in seen:
        # Each load or import is seen whole or not at all.
        for officer, *_ in LOADERS.values():
            assert snapshot.get(officer, 0) in (base[officer], base[officer] + n), snapshot
    # Duties logged one by one only ever grow, and no report lost one.
    logged = [s.get(LOGGER[0], 0) for s in seen]
    assert logged == sorted(logged)
    return mix, seen


def logger(mix: Mix) -> None:
    officer, school, category = LOGGER
    for i in range(K):
        mix.run("duty", "log", "--officer", officer, "--school", school, "--category",
                category, "--at", f"2024-01-{i + 2:02d}T07:30", "--minutes", "10")


def final_checks(seeded: Path, base: dict[str, int], n: int) -> None:
    result = run_installed("report", "duties", "--by", "officer", "-f", "json")
    final = counts_by_officer(result.stdout)
    for officer, *_ in LOADERS.values():
        assert final[officer] == base[officer] + n
    assert final[LOGGER[0]] == base[LOGGER[0]] + K
    check = run_installed("db", "check", "-f", "json")
    assert check.returncode == 0, check.stdout  # integrity, foreign keys, audit chain intact
    conn = db.connect(seeded)
    audited = conn.execute("SELECT count(*) FROM audit WHERE table_name = 'duties' AND "
                           "action = 'insert'").fetchone()[0]
    duties = conn.execute("SELECT count(*) FROM duties").fetchone()[0]
    conn.close()
    assert audited == duties  # every row written has its audit row


def base_counts() -> dict[str, int]:
    result = run_installed("report", "duties", "--by", "officer", "-f", "json")
    assert result.returncode == 0, result.stderr
    found = counts_by_officer(result.stdout)
    return {o: found.get(o, 0) for o in (*(v[0] for v in LOADERS.values()), LOGGER[0])}


def test_two_loads_a_duty_log_stream_and_reports_at_once(seeded: Path, tmp_path: Path) -> None:
    base = base_counts()
    files = {k: duty_yaml(tmp_path / f"{k}.yaml", *v, N) for k, v in LOADERS.items()}
    writers = [lambda m, f=f: m.run("load", str(f)) for f in files.values()] + [logger]
    started = time.perf_counter()
    mix, seen = run_mix(writers, base, N)
    assert len(seen) >= 2
    final_checks(seeded, base, N)
    assert time.perf_counter() - started < 60


def test_two_imports_a_duty_log_stream_and_reports_at_once(seeded: Path, tmp_path: Path
                                                           ) -> None:
    base = base_counts()
    files = {k: duty_csv(tmp_path / f"{k}.csv", *v, N) for k, v in LOADERS.items()}
    writers = [lambda m, f=f: m.run("import", "duties", str(f)) for f in files.values()]
    writers.append(logger)
    run_mix(writers, base, N)
    final_checks(seeded, base, N)


def test_a_writer_waits_for_another_rather_than_failing(seeded: Path) -> None:
    holder = db.connect(seeded)
    holder.execute("BEGIN IMMEDIATE")
    proc = subprocess.Popen(
        [*crotool_exe(), "duty", "log", "--officer", "3045", "--school", "eastlake-hs",
         "--category", "no-trespass-service", "--at", "2024-01-03T09:00"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)  # past start-up: the command is now waiting for the lock
    assert proc.poll() is None, proc.communicate()  # still waiting, not failed
    holder.execute("COMMIT")
    holder.close()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "logged duty" in err


def test_busy_past_the_timeout_is_one_clear_line_and_exit_75(seeded: Path) -> None:
    holder = db.connect(seeded)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.perf_counter()
        result = run_installed("duty", "log", "--officer", "3045", "--school", "eastlake-hs",
                               "--category", "no-trespass-service", "--at", "2024-01-03T09:00",
                               env={"CROTOOL_BUSY_TIMEOUT": "0.5"})
        waited = time.perf_counter() - started
        load = run_installed("load", env={"CROTOOL_BUSY_TIMEOUT": "0.5"})
        # Readers are never blocked by a writer (WAL): a report runs meanwhile.
        report = run_installed("report", "duties", "-f", "json",
                               env={"CROTOOL_BUSY_TIMEOUT": "0.5"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    for busy in (result, load):
        assert busy.returncode == 75, busy.stderr
        lines = busy.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert "busy" in lines[0] and "retry" in lines[0]
        assert "Traceback" not in busy.stderr
    assert waited >= 0.5
    assert report.returncode == 0, report.stderr
    # After the lock goes, the same command succeeds.
    again = run_installed("duty", "log", "--officer", "3045", "--school", "eastlake-hs",
                          "--category", "no-trespass-service", "--at", "2024-01-03T09:00")
    assert again.returncode == 0, again.stderr
