"""Benchmark: `crotool report duties` on a large duty log, beside the sqlite3 shell.

Builds a database with crotool's own schema (db.connect) and the bundled seed, adds a second
school year, and inserts N synthetic duties spread over both years (executemany in one
transaction, for setup speed). Then times, each as a fresh process, median of --repeat runs
after one warm-up:

  crotool report duties --by category --format json --year 2023-24
  sqlite3 -json FILE '<the same GROUP BY over the same rows>'

and prints both, their ratio, and what the difference is made of (crotool's start-up,
`crotool --version`; and the report query alone, in process). The two answers are compared:
the benchmark fails if they differ. Not a test: run it by hand.

    python bench/bench_duties.py [--rows N] [--repeat R] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crotool import db, reports  # noqa: E402
from crotool.duties import Range  # noqa: E402
from crotool.seed import bundled_seed, load_files  # noqa: E402

SQLITE3 = "/usr/bin/sqlite3"
YEAR = "2023-24"
SHELL_SQL = """SELECT c.id AS category, count(d.id) AS count, coalesce(sum(d.minutes), 0) AS minutes
FROM duty_categories c
LEFT JOIN duties d ON d.category = c.id AND d.at >= '{lo}' AND d.at < '{hi}'
GROUP BY c.id ORDER BY minutes DESC, count DESC, 1;"""


def crotool_cmd() -> list[str]:
    exe = shutil.which("crotool", path=os.path.dirname(sys.executable)) or shutil.which("crotool")
    return [exe] if exe else [sys.executable, "-m", "crotool"]


def build(path: Path, rows: int, seed: int = 42) -> None:
    conn = db.connect(path)
    load_files(conn, [(bundled_seed(), "bundled seed")])
    with db.transaction(conn):
        conn.execute("INSERT OR IGNORE INTO school_years (id, start, end)"
                     " VALUES ('2024-25', '2024-09-03', '2025-06-20')")
    officers = [r[0] for r in conn.execute("SELECT badge FROM officers")]
    schools = [r[0] for r in conn.execute("SELECT id FROM schools")]
    categories = [r[0] for r in conn.execute("SELECT id FROM duty_categories")]
    rng = random.Random(seed)
    start = datetime(2023, 9, 5, 7, 0)
    span = (datetime(2025, 6, 20, 18, 0) - start).total_seconds()
    step = span / rows  # a distinct `at` per row keeps every natural key unique

    def generate():
        for i in range(rows):
            at = (start + timedelta(seconds=int(i * step))).isoformat(timespec="seconds")
            minutes = None if rng.random() < 0.05 else rng.randint(5, 240)
            yield (rng.choice(officers), rng.choice(schools), rng.choice(categories), at,
                   minutes, None, f"REF-{i}", None)

    # Synthetic rows reference only ids just read from the database: skip the foreign-key
    # bookkeeping of a million inserts (setup speed only; crotool never does this).
    conn.execute("PRAGMA foreign_keys = OFF")
    t0 = time.perf_counter()
    with db.transaction(conn):
        conn.executemany(
            "INSERT INTO duties (officer, school, category, at, minutes, requested_by,"
            " reference, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", generate())
    print(f"inserted {rows:,} duties in {time.perf_counter() - t0:.1f} s")
    conn.execute("PRAGMA foreign_keys = ON")
    db.checkpoint(conn)
    conn.close()


def timed(cmd: list[str], repeat: int, env: dict[str, str]) -> tuple[float, str]:
    subprocess.run(cmd, capture_output=True, check=True, env=env)  # warm-up: page cache
    times = []
    out = ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
        times.append(time.perf_counter() - t0)
        out = proc.stdout
    return statistics.median(times), out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each (median)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="crotool-bench-"))
    path = folder / "bench.db"
    env = {**os.environ, "NO_COLOR": "1", "CROTOOL_TODAY": "2024-01-15"}
    env.pop("CROTOOL_DEBUG", None)
    try:
        build(path, args.rows)
        conn = db.connect(path)
        year = conn.execute("SELECT start, end FROM school_years WHERE id = ?",
                            (YEAR,)).fetchone()
        span = Range(date.fromisoformat(year["start"]), date.fromisoformat(year["end"]), YEAR)
        plan = reports.explain(conn, "category", span)
        in_year = conn.execute("SELECT count(*) FROM duties WHERE at >= ? AND at < ?",
                               (span.lo, span.hi)).fetchone()[0]
        t0 = time.perf_counter()
        for _ in range(args.repeat):
            reports.duty_report(conn, "category", span)
        query_only = (time.perf_counter() - t0) / args.repeat
        conn.close()

        crotool = [*crotool_cmd(), "--db", str(path)]
        t_crotool, out_crotool = timed(
            [*crotool, "report", "duties", "--by", "category", "--format", "json",
             "--year", YEAR], args.repeat, env)
        t_startup, _ = timed([*crotool, "--version"], args.repeat, env)
        sql = SHELL_SQL.format(lo=span.lo, hi=span.hi)
        t_shell, out_shell = timed([SQLITE3, "-json", str(path), sql], args.repeat, env)

        mine = [{k: r[k] for k in ("category", "count", "minutes")}
                for r in json.loads(out_crotool)]
        theirs = json.loads(out_shell)
        if mine != theirs:
            print("MISMATCH between crotool and the sqlite3 shell", file=sys.stderr)
            return 1

        print(f"duties: {args.rows:,} in total, {in_year:,} in {YEAR}; "
              f"file {path.stat().st_size / 1e6:.0f} MB")
        print("plan:   " + " | ".join(plan))
        print(f"crotool report duties --by category --format json --year {YEAR}: "
              f"{t_crotool * 1000:7.1f} ms (median of {args.repeat})")
        print(f"sqlite3 shell, the same GROUP BY:                              "
              f"{t_shell * 1000:7.1f} ms (median of {args.repeat})")
        print(f"ratio crotool / sqlite3: {t_crotool / t_shell:.2f}x")
        print(f"  of which crotool start-up (crotool --version): {t_startup * 1000:.1f} ms; "
              f"the report query in process: {query_only * 1000:.1f} ms")
        print(f"results identical: yes ({len(mine)} rows of category, count, minutes)")
    finally:
        if args.keep:
            print(f"kept {path}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
