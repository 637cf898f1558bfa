"""Benchmark: `crotool import duties FILE.csv` against the sqlite3 shell's `.import --csv`.

For each row count, a CSV of that many duties is generated for a small synthetic district
(created with `crotool load` of a generated YAML document), then timed, each in a fresh
database and as a subprocess:

- `crotool import duties FILE.csv` (full validation, upsert, audit, provenance), with its peak
  memory (`/usr/bin/time -v`, "Maximum resident set size");
- the same command again (a re-import: every row compared, nothing written);
- `sqlite3 DB ".import --csv --skip 1 FILE duties"` into a plain table of the CSV's columns
  (no types enforced, no key, no index: the floor of what any import can cost);
- the shell's import into crotool's own `duties` table (its UNIQUE key and four indexes) by
  way of a temporary table: what SQLite alone pays for the same write.

Not a timed test: run it by hand, e.g.

    python bench/bench_import.py                  # 200,000 and 1,000,000 rows
    python bench/bench_import.py --rows 50000 --repeat 3

Targets: import at most 2x the plain `.import`; peak memory under 150 MB at 1,000,000 rows.
The machine's load moves every number: the runs of one size are interleaved, and the ratios
(measured side by side) matter more than the seconds.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

OFFICERS = [f"{n:04d}" for n in (101, 117, 205, 230, 311, 342, 408, 455, 512, 560)]
SCHOOLS = ["north-hs", "north-ms", "north-es", "lake-es", "south-hs", "south-ms", "south-es",
           "river-es"]
CATEGORIES = ["traffic-safety", "emergency-response", "no-trespass-service", "evidence-handling"]


def district_yaml() -> str:
    """A two-pattern district with ten officers; every id the duties use exists."""
    lines = [
        "district: {name: Bench Valley School District, short_name: BVSD}",
        "school_years:",
        "  - {id: '2023-24', start: 2023-09-01, end: 2024-08-31}",
        "agencies:",
        "  - {id: north-pd, name: North Police, kind: city, jurisdiction: [North]}",
        "  - {id: south-pd, name: South Police, kind: city, jurisdiction: [South]}",
        "feeder_patterns:",
        "  - {id: north, name: North, high_school: north-hs}",
        "  - {id: south, name: South, high_school: south-hs}",
        "schools:",
    ]
    for school in SCHOOLS:
        pattern = "north" if school.startswith(("north", "lake")) else "south"
        level = {"hs": "high", "ms": "middle", "es": "elementary"}[school[-2:]]
        lines.append(f"  - {{id: {school}, name: {school.title()}, level: {level}, "
                     f"feeder_pattern: {pattern}, agency: {pattern}-pd}}")
    lines.append("officers:")
    for i, badge in enumerate(OFFICERS):
        agency = "north-pd" if i % 2 else "south-pd"
        lines.append(f"  - {{badge: '{badge}', name: Bench Officer {i}, agency: {agency}, "
                     f"school_trained_on: 2022-08-01}}")
    lines.append("duty_categories:")
    for category in CATEGORIES:
        lines.append(f"  - {{id: {category}, name: {category}, requires_request: false}}")
    return "\n".join(lines) + "\n"


def duties_csv(path: Path, rows: int) -> None:
    """`rows` distinct duties over the year: a new one every 30 seconds, ~1 in 10 with notes."""
    first = datetime(2023, 9, 1, 7, 0)
    step = timedelta(seconds=30)
    with open(path, "w", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["officer", "school", "category", "at", "minutes", "reference", "notes"])
        for i in range(rows):
            out.writerow([OFFICERS[i % len(OFFICERS)], SCHOOLS[i % len(SCHOOLS)],
                          CATEGORIES[i % len(CATEGORIES)], (first + i * step).isoformat(),
                          15 + i % 90, f"REF-{i:07d}",
                          f"Follow-up note {i}" if i % 10 == 0 else ""])


def crotool() -> list[str]:
    exe = shutil.which("crotool", path=os.path.dirname(sys.executable))
    return [exe] if exe else [sys.executable, "-m", "crotool"]


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float | None]:
    """Seconds and peak RSS in MB (None without /usr/bin/time) of one subprocess."""
    wrapper = ["/usr/bin/time", "-v"] if Path("/usr/bin/time").exists() else []
    start = time.perf_counter()
    done = subprocess.run([*wrapper, *cmd], capture_output=True, text=True, env=env,
                          check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-2000:]}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    return seconds, (int(m.group(1)) / 1024 if m else None)


def bench(rows: int, work: Path, template: Path) -> dict[str, float | None]:
    data = work / f"duties-{rows}.csv"
    if not data.exists():
        duties_csv(data, rows)
    env = {**os.environ, "CROTOOL_TODAY": "2024-01-15"}
    env.pop("NO_COLOR", None)

    db = work / "crotool.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, db)
    seconds, rss = timed([*crotool(), "--db", str(db), "import", "duties", str(data),
                          "--output-format", "json"], env)
    again, _ = timed([*crotool(), "--db", str(db), "import", "duties", str(data),
                      "--output-format", "json"], env)

    plain = work / "plain.db"
    plain.unlink(missing_ok=True)
    shell, _ = timed(["sqlite3", str(plain),
                      "CREATE TABLE duties (officer TEXT, school TEXT, category TEXT, at TEXT, "
                      "minutes INTEGER, reference TEXT, notes TEXT)",
                      f".import --csv --skip 1 {data} duties"])

    indexed = work / "indexed.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{indexed}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, indexed)
    shell_indexed, _ = timed([
        "sqlite3", str(indexed),
        "CREATE TEMP TABLE csv (officer, school, category, at, minutes, reference, notes)",
        f".import --csv --skip 1 {data} csv",
        "INSERT INTO duties (officer, school, category, at, minutes, reference, notes) "
        "SELECT officer, school, category, at, minutes, reference, nullif(notes, '') FROM csv"])
    return {"crotool": seconds, "rss": rss, "reimport": again, "shell": shell,
            "shell_indexed": shell_indexed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=1, help="runs per size (median shown)")
    parser.add_argument("--workdir", type=Path, help="keep the files here (default: a temp dir)")
    args = parser.parse_args()
    if not shutil.which("sqlite3"):
        sys.exit("the sqlite3 shell is needed (apt-get install -y sqlite3)")

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-import-"))
    work.mkdir(parents=True, exist_ok=True)
    template = work / "district.db"
    if not template.exists():
        seed = work / "district.yaml"
        seed.write_text(district_yaml())
        timed([*crotool(), "--db", str(template), "load", str(seed)])

    print(f"{'rows':>10} {'crotool s':>10} {'peak MB':>8} {'re-import s':>12} "
          f"{'.import s':>10} {'ratio':>6} {'.import+idx s':>14} {'ratio':>6}")
    for rows in args.rows:
        runs = [bench(rows, work, template) for _ in range(args.repeat)]

        def med(key: str, runs: list = runs) -> float:
            return statistics.median(r[key] for r in runs)

        rss = max((r["rss"] for r in runs if r["rss"] is not None), default=None)
        print(f"{rows:>10,} {med('crotool'):>10.2f} {rss or float('nan'):>8.0f} "
              f"{med('reimport'):>12.2f} {med('shell'):>10.2f} "
              f"{med('crotool') / med('shell'):>6.1f} {med('shell_indexed'):>14.2f} "
              f"{med('crotool') / med('shell_indexed'):>6.1f}", flush=True)
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
