"""Benchmark: `crotool gaps` and `crotool report coverage` on a synthetic county, beside a
trivial `sqlite-utils query`.

Builds two databases with crotool's own schema (db.connect) and executemany in one
transaction: a county of 100 feeder patterns x 6 agencies (600 schools, a few split feeders;
each pattern's schools lie in 2 to 4 agencies), 600 officers, and for each school year a CRO
assignment for most required pairs (with hand-overs, duplicates, additional and out-of-
jurisdiction assignments, unassigned pairs) and one or two leaves for many officers. The first
database holds one school year (2023-24), the second ten (2014-15 .. 2023-24): the year filter
should keep `--year 2023-24` as fast on the second as on the first.

Then times, each as a fresh process, median of --repeat runs after one warm-up:

  crotool gaps --year 2023-24 --format json
  crotool report coverage --year 2023-24 --format json
  crotool --db DB --version                       (start-up through Typer)
  sqlite-utils query DB "select 1"                (the reference: a trivial query)

and prints them with their ratios to sqlite-utils, plus the in-process time of loading the
year and running the engine (coverage_db.analyse_year). Not a test: run it by hand.

    python bench/bench_gaps.py [--repeat R] [--keep]
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
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crotool import coverage_db, db  # noqa: E402

PATTERNS = 100
AGENCIES = 6
SCHOOLS_PER_PATTERN = 6
OFFICERS_PER_AGENCY = 100
YEAR = "2023-24"
SQLITE_UTILS = shutil.which("sqlite-utils", path=os.path.dirname(sys.executable)) or \
    "/tmp/v/bin/sqlite-utils"


def crotool_cmd() -> list[str]:
    exe = shutil.which("crotool", path=os.path.dirname(sys.executable)) or shutil.which("crotool")
    return [exe] if exe else [sys.executable, "-m", "crotool"]


def school_year(first: int) -> tuple[str, date, date]:
    """Year `first`-(first+1): from the first Tuesday after Sept 1 to about June 20."""
    start = date(first, 9, 1)
    while start.weekday() != 1:
        start += timedelta(days=1)
    return f"{first}-{(first + 1) % 100:02d}", start, date(first + 1, 6, 20)


def build(path: Path, years: int, seed: int = 7) -> dict[str, int]:
    """The synthetic county with `years` school years ending with 2023-24; returns counts."""
    rng = random.Random(seed)
    conn = db.connect(path)
    agencies = [f"agency-{a}" for a in range(AGENCIES)]
    patterns = [f"pattern-{p:03d}" for p in range(PATTERNS)]
    school_rows, pattern_rows, pairs = [], [], set()
    for p, pattern in enumerate(patterns):
        local = rng.sample(agencies, rng.randint(2, 4))
        for s in range(SCHOOLS_PER_PATTERN):
            sid = f"school-{p:03d}-{s}"
            agency = local[s % len(local)]
            also = [patterns[(p + 1) % PATTERNS]] if s == 5 and rng.random() < 0.1 else []
            level = "high" if s == 0 else "middle" if s == 1 else "elementary"
            school_rows.append((sid, f"School {p}-{s}", level, pattern, json.dumps(also),
                                agency, "Town", None))
            pairs.add((pattern, agency))
            pairs.update((a, agency) for a in also)
        pattern_rows.append((pattern, f"Pattern {p}", f"school-{p:03d}-0"))
    officers_by_agency: dict[str, list[str]] = {a: [] for a in agencies}
    officer_rows = []
    for a, agency in enumerate(agencies):
        for o in range(OFFICERS_PER_AGENCY):
            badge = f"{a}{o:03d}"
            officers_by_agency[agency].append(badge)
            trained = (None if rng.random() < 0.08 else
                       (date(2013, 8, 1) + timedelta(days=rng.randint(0, 3900))).isoformat())
            status = "inactive" if rng.random() < 0.05 else "active"
            officer_rows.append((badge, f"Officer {badge}", agency, status, trained))
    year_rows, assignment_rows, leave_rows = [], [], []
    for first in range(2024 - years, 2024):
        yid, start, end = school_year(first)
        year_rows.append((yid, start.isoformat(), end.isoformat()))
        span = (end - start).days
        for pattern, agency in sorted(pairs):
            roll = rng.random()
            if roll < 0.08:
                continue  # unassigned all year
            badge = rng.choice(officers_by_agency[agency])
            if roll < 0.18:  # a hand-over mid-year, sometimes with a hole
                cut = start + timedelta(days=rng.randint(30, span - 30))
                other = rng.choice(officers_by_agency[agency])
                back = cut + timedelta(days=1 + (rng.random() < 0.3) * rng.randint(1, 10))
                assignment_rows += [(badge, pattern, yid, "cro", start.isoformat(),
                                     cut.isoformat()),
                                    (other, pattern, yid, "cro", back.isoformat(),
                                     end.isoformat())]
            else:
                assignment_rows.append((badge, pattern, yid, "cro", start.isoformat(),
                                        end.isoformat()))
            if rng.random() < 0.03 and badge != (second := rng.choice(officers_by_agency[agency])):
                assignment_rows.append((second, pattern, yid, "cro",
                                        (start + timedelta(days=60)).isoformat(),
                                        (start + timedelta(days=90)).isoformat()))
            if rng.random() < 0.10:
                extra = rng.choice(officers_by_agency[agency])
                assignment_rows.append((extra, pattern, yid, "additional", start.isoformat(),
                                        end.isoformat()))
        for _ in range(PATTERNS // 100 + 1):  # a few out-of-jurisdiction assignments
            pattern = rng.choice(patterns)
            agency = rng.choice([a for a in agencies if (pattern, a) not in pairs] or agencies)
            assignment_rows.append((rng.choice(officers_by_agency[agency]), pattern, yid, "cro",
                                    start.isoformat(), end.isoformat()))
        for badge, *_ in officer_rows:
            for _ in range(rng.choice((0, 0, 1, 1, 2))):
                lo = start + timedelta(days=rng.randint(-20, span))
                leave_rows.append((badge, lo.isoformat(),
                                   (lo + timedelta(days=rng.randint(2, 20))).isoformat(),
                                   "Leave"))
    with db.transaction(conn):
        conn.executemany("INSERT INTO school_years (id, start, end) VALUES (?, ?, ?)", year_rows)
        conn.executemany("INSERT INTO agencies (id, name, kind, jurisdiction) VALUES "
                         "(?, ?, 'city', '[]')", [(a, a.title()) for a in agencies])
        conn.executemany("INSERT INTO feeder_patterns (id, name, high_school) VALUES (?, ?, ?)",
                         pattern_rows)
        conn.executemany("INSERT INTO schools (id, name, level, feeder_pattern, also_feeds,"
                         " agency, city, address) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", school_rows)
        conn.executemany("INSERT INTO officers (badge, name, agency, status, school_trained_on)"
                         " VALUES (?, ?, ?, ?, ?)", officer_rows)
        # Random draws can repeat a key (same officer, pattern, year, start): keep the first.
        conn.executemany("INSERT OR IGNORE INTO assignments (officer, feeder_pattern,"
                         " school_year, role, start, end) VALUES (?, ?, ?, ?, ?, ?)",
                         assignment_rows)
        conn.executemany("INSERT OR IGNORE INTO leaves (officer, start, end, reason)"
                         " VALUES (?, ?, ?, ?)", leave_rows)
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("schools", "officers", "school_years", "assignments", "leaves")}
    counts["required_pairs"] = len(pairs)
    db.checkpoint(conn)
    conn.close()
    return counts


def timed(cmd: list[str], repeat: int, env: dict[str, str], ok: tuple[int, ...] = (0,)
          ) -> tuple[float, str]:
    subprocess.run(cmd, capture_output=True, env=env)  # warm-up: page cache, .pyc files
    times, out = [], ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        times.append(time.perf_counter() - t0)
        if proc.returncode not in ok:
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr}")
        out = proc.stdout
    return statistics.median(times), out


def measure(path: Path, repeat: int, env: dict[str, str]) -> dict[str, float | int]:
    crotool = [*crotool_cmd(), "--db", str(path)]
    t_gaps, gaps_out = timed([*crotool, "gaps", "--year", YEAR, "--format", "json"], repeat, env)
    t_cov, cov_out = timed([*crotool, "report", "coverage", "--year", YEAR, "--format", "json",
                            "--quiet"], repeat, env)
    t_version, _ = timed([*crotool, "--version"], repeat, env)
    t_ref, _ = timed([SQLITE_UTILS, "query", str(path), "select 1"], repeat, env)
    conn = db.connect(path)
    t0 = time.perf_counter()
    for _ in range(repeat):
        coverage_db.analyse_year(conn, YEAR)
    engine = (time.perf_counter() - t0) / repeat
    conn.close()
    return {"gaps": t_gaps, "coverage": t_cov, "version": t_version, "ref": t_ref,
            "engine": engine, "gap_rows": len(json.loads(gaps_out)),
            "pairs": len(json.loads(cov_out))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each (median)")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    args = parser.parse_args()
    if not Path(SQLITE_UTILS).exists():
        print(f"sqlite-utils not found ({SQLITE_UTILS}): pip install sqlite-utils",
              file=sys.stderr)
        return 1

    folder = Path(tempfile.mkdtemp(prefix="crotool-bench-gaps-"))
    env = {**os.environ, "NO_COLOR": "1", "CROTOOL_TODAY": "2024-01-15"}
    env.pop("CROTOOL_DEBUG", None)
    env.pop("CROTOOL_DB", None)
    try:
        for years in (1, 10):
            path = folder / f"county-{years}y.db"
            t0 = time.perf_counter()
            counts = build(path, years)
            built = time.perf_counter() - t0
            m = measure(path, args.repeat, env)
            print(f"\n{years} school year{'s' if years > 1 else ''}: "
                  + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items())
                  + f"; built in {built:.1f} s, {path.stat().st_size / 1e6:.1f} MB")
            print(f"  {YEAR}: {m['pairs']} required pairs, {m['gap_rows']} gap/conflict rows")
            ref = m["ref"]
            for label, key in (
                (f"crotool gaps --year {YEAR} --format json", "gaps"),
                (f"crotool report coverage --year {YEAR} --format json", "coverage"),
                ("crotool --db DB --version (Typer start-up)", "version"),
                ('sqlite-utils query DB "select 1" (reference)', "ref"),
            ):
                print(f"  {label:<52} {m[key] * 1000:7.1f} ms  {m[key] / ref:5.2f}x")
            print(f"  load + engine in process (coverage_db.analyse_year)  "
                  f"{m['engine'] * 1000:7.1f} ms")
        print(f"\nmedian of {args.repeat} runs each, after one warm-up; ratios are to "
              "sqlite-utils")
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
