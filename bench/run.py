"""crotool's benchmark suite: every figure beside the tool a user would otherwise reach for.

    python bench/run.py                     # the full suite (~5-8 min on 2 cores)
    python bench/run.py --duties 200000     # a smaller county, for a quick look
    python bench/run.py --only startup,gaps

It builds, in a temporary folder: the bundled LWSD seed; a synthetic county (12 agencies,
100 feeder patterns, 600 schools, 600 officers, 10 school years, 1,000,000 duties; see
county.py); a one-year county; and duty CSVs of 200,000 and 1,000,000 rows. Then it times each
figure as a fresh process, alternating crotool and its reference run by run, and prints the
median of each, their ratio, the target and whether it is met. Peak memory comes from
wait4's rusage of that one child process. `--only list` times `duty list` of every duty as
JSON and CSV beside the sqlite3 shell running the same SELECT, and the table of 150,000
duties off a terminal against its 15 s limit (size the county with --duties). `--only docs`
times `duty list -f markdown` and `-f html` of every duty (streamed documents) beside the
sqlite3 shell's `-markdown` and `-html` of the same SELECT.

crotool's bytecode is compiled first (as `pip install` does), so no figure includes
compiling its modules from source. A second table gives each figure's CPU time.

Not a test: timings belong here, not in the test suite (tests/test_startup.py guards
start-up by what is imported instead).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import county  # noqa: E402

BIN = Path(sys.executable).parent
PYTHON = str(BIN / "python") if (BIN / "python").exists() else sys.executable


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if not found:
        sys.exit(f"bench: `{name}` is not installed (pip install '.[test]'; apt-get install "
                 "sqlite3)")
    return found


@dataclass
class Sample:
    seconds: float
    max_rss_mb: float
    cpu_seconds: float = 0.0  # user + system time of the child (wait4's rusage)


def run(cmd: list[str], env: dict[str, str] | None = None, stdin: str | None = None,
        check: bool = True) -> Sample:
    """One fresh process: wall time and its own peak resident memory."""
    full_env = {**os.environ, **(env or {})}
    stdin_fh = open(stdin, "rb") if stdin else subprocess.DEVNULL  # noqa: SIM115
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=stdin_fh, env=full_env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if not isinstance(stdin_fh, int):
        stdin_fh.close()
    code = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.returncode = code
    if check and code not in (0, 3):  # 3: gaps found, which is the point of the bench county
        raise SystemExit(f"bench: {' '.join(cmd)} exited {code}:\n{err[-2000:]}")
    return Sample(elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)


@dataclass
class Figure:
    name: str
    ours: list[Sample]
    ref: list[Sample]
    ref_name: str
    target: float | None  # the largest acceptable ratio (None: a figure for context only)
    mem_target_mb: float | None = None
    seconds_target: float | None = None  # an absolute ceiling on crotool's median time

    @property
    def ratio(self) -> float:
        return median(self.ours) / median(self.ref)

    @property
    def peak_mb(self) -> float:
        return max(s.max_rss_mb for s in self.ours)

    @property
    def met(self) -> bool:
        ok = self.target is None or self.ratio <= self.target
        if self.mem_target_mb is not None:
            ok = ok and self.peak_mb <= self.mem_target_mb
        if self.seconds_target is not None:
            ok = ok and median(self.ours) <= self.seconds_target
        return ok


def median(samples: list[Sample]) -> float:
    return statistics.median(s.seconds for s in samples)


def median_cpu(samples: list[Sample]) -> float:
    return statistics.median(s.cpu_seconds for s in samples)


def compile_bytecode(python: str) -> None:
    """Write crotool's .pyc files, as `pip install` does for a user's install.

    An editable install under PYTHONDONTWRITEBYTECODE=1 (this project's shells set it) writes
    none, so every timed run compiled crotool's modules from source: ~60 ms of each start-up
    that no installed crotool pays (measured: `schools list -f json` 210 ms vs 143 ms).
    """
    subprocess.run([python, "-c", "import compileall, os, crotool; "
                    "compileall.compile_dir(os.path.dirname(crotool.__file__), quiet=1)"],
                   check=True, stdout=subprocess.DEVNULL)


def alternate(ours, ref, repeat: int, setup=None) -> tuple[list[Sample], list[Sample]]:
    """Run crotool and the reference in turn, `repeat` times each, after one warm-up each."""
    if setup:
        setup()
    ours(), ref()  # warm the page cache, so neither side pays for the first read
    a, b = [], []
    for _ in range(repeat):
        if setup:
            setup()
        a.append(ours())
        if setup:
            setup()
        b.append(ref())
    return a, b


def main() -> int:
    ap = argparse.ArgumentParser(description="crotool's benchmark suite")
    ap.add_argument("--duties", type=int, default=1_000_000, help="duties in the county")
    ap.add_argument("--import-rows", default="200000,1000000",
                    help="sizes of the duty CSVs to import (comma-separated)")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per figure (median)")
    ap.add_argument("--import-repeat", type=int, default=3)
    ap.add_argument("--incidents", type=int, default=10_000,
                    help="incidents in the county of the annual-report figure")
    ap.add_argument("--xlsx-rows", type=int, default=100_000,
                    help="rows of the duties workbook (figure xlsx)")
    ap.add_argument("--only", default="",
                    help="startup,seed,gaps,coverage,duties,list,docs,followups,presence,"
                    "annual,import,xlsx")
    ap.add_argument("--keep", type=Path, help="build the data here and keep it")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))

    def wanted(name: str) -> bool:
        return not only or name in only

    crotool, sqlite_utils, sqlite3 = tool("crotool"), tool("sqlite-utils"), tool("sqlite3")
    work = args.keep or Path(tempfile.mkdtemp(prefix="crotool-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {"NO_COLOR": "1", "CROTOOL_DB": str(work / "unused.db")}
    figures: list[Figure] = []
    t0 = time.perf_counter()

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:6.1f}s] {msg}", file=sys.stderr, flush=True)

    compile_bytecode(sys.executable)

    seed_db = work / "seed.db"
    if not seed_db.exists():
        run([crotool, "--db", str(seed_db), "load"], env)
    county_db = work / "county.db"
    year_db = work / "county-1y.db"
    if any(wanted(n) for n in ("gaps", "coverage", "duties", "list", "docs", "followups",
                                "presence")):
        if not county_db.exists():
            log(f"building the county ({args.duties:,} duties)...")
            info = county.build(county_db, duties=args.duties)
            log(f"county: {info['pairs']} required pairs a year, {info['assignments']:,} "
                f"assignments, {info['duties']:,} duties")
        if not year_db.exists():
            county.build(year_db, n_years=1, duties=0)
    last_year = county.years(10)[-1][0]
    trivial = [sqlite_utils, "query", None, "select 1"]

    def su(db_path: Path) -> list[str]:
        return [c if c is not None else str(db_path) for c in trivial]

    if wanted("startup"):
        log("start-up")
        a, b = alternate(lambda: run([crotool, "--version"], env),
                         lambda: run([sqlite_utils, "--version"], env), args.repeat)
        figures.append(Figure("`crotool --version`", a, b, "`sqlite-utils --version`", 0.5))
        a, b = alternate(lambda: run([crotool, "--db", str(seed_db), "schools", "list", "-f",
                                      "json"], env),
                         lambda: run(su(seed_db), env), args.repeat)
        figures.append(Figure("`crotool schools list -f json` (seed)", a, b,
                              "`sqlite-utils query DB 'select 1'`", 1.0))
    if wanted("seed"):
        log("gaps on the seed")
        a, b = alternate(lambda: run([crotool, "--db", str(seed_db), "gaps", "-f", "json"], env),
                         lambda: run(su(seed_db), env), args.repeat)
        figures.append(Figure("`crotool gaps -f json` (LWSD seed)", a, b,
                              "`sqlite-utils query DB 'select 1'`", 1.0))
    if wanted("gaps"):
        log("gaps on the county")
        for label, path in (("1 year", year_db), ("10 years", county_db)):
            year = county.years(1)[-1][0] if path == year_db else last_year
            a, b = alternate(lambda p=path, y=year: run(
                [crotool, "--db", str(p), "gaps", "--year", y, "-f", "json"], env),
                lambda p=path: run(su(p), env), args.repeat)
            figures.append(Figure(f"`crotool gaps --year Y -f json` (county, {label})", a, b,
                                  "`sqlite-utils query DB 'select 1'`", 2.0))
    if wanted("coverage"):
        log("coverage on the county")
        a, b = alternate(lambda: run([crotool, "--db", str(county_db), "report", "coverage",
                                      "--year", last_year, "-f", "json"], env),
                         lambda: run(su(county_db), env), args.repeat)
        figures.append(Figure("`crotool report coverage -f json` (county)", a, b,
                              "`sqlite-utils query DB 'select 1'`", 2.0))
    if wanted("duties"):
        log("duty report on the county")
        first, last = county.years(10)[0][1], county.years(10)[-1][2]
        sql = ("SELECT category, count(*), coalesce(sum(minutes), 0) FROM duties "
               f"WHERE at >= '{first}' AND at < '{last}T99' GROUP BY category ORDER BY category;")
        a, b = alternate(lambda: run([crotool, "--db", str(county_db), "report", "duties",
                                      "--by", "category", "--from", first, "--to", last,
                                      "-f", "json"], env),
                         lambda: run([sqlite3, "-json", str(county_db), sql], env), args.repeat)
        figures.append(Figure(f"`crotool report duties --by category` ({args.duties:,} duties)",
                              a, b, "`sqlite3` shell GROUP BY", 1.5))
    if wanted("list"):
        figures += list_figures(county_db, crotool, sqlite3, env, args.repeat, log)
    if wanted("docs"):
        figures += docs_figures(county_db, crotool, sqlite3, env, args.repeat, log)
    if wanted("annual"):
        annual_db = work / "county-annual.db"
        if not annual_db.exists():
            log(f"building the county with {args.incidents:,} incidents...")
            county.build(annual_db, duties=0, incidents=args.incidents)
        log("annual report on the county")
        a, b = alternate(lambda: run([crotool, "--db", str(annual_db), "report", "annual",
                                      "--year", last_year, "-f", "json"], env),
                         lambda: run(su(annual_db), env), args.repeat)
        figures.append(Figure(f"`crotool report annual -f json` (county, {args.incidents:,} "
                              "incidents)", a, b, "`sqlite-utils query DB 'select 1'`", 2.0))
    if wanted("followups") or wanted("presence"):
        from crotool.program import followups, presence

        last_id, last_start, last_end = county.years(10)[-1]
    if wanted("followups"):
        log("open follow-ups on the county")
        as_of = f"{last_end}T23:59:59"
        # The SELECT crotool runs, with its one parameter written in: the shell does the same
        # work, so the ratio is what crotool adds (start-up; both have SQLite write the JSON:
        # the shell's -json mode, crotool's json_object() around this SELECT).
        sql = followups.list_sql(open_only=True).replace("?1", f"'{as_of}'") + ";"
        a, b = alternate(lambda: run([crotool, "--db", str(county_db), "followups", "list",
                                      "--open", "--as-of", as_of, "-f", "json"], env),
                         lambda: run([sqlite3, "-json", str(county_db), sql], env), args.repeat)
        figures.append(Figure(f"`crotool followups list --open -f json` ({args.duties:,} duties)",
                              a, b, "`sqlite3` shell, the same SELECT", 1.0))
        # The SELECT a person would write for the same rows (duties joined to their rules):
        # SQLite then walks duties_at_minutes over every duty up to as_of.
        due = ("strftime('%Y-%m-%dT%H:%M:%S', d.at, '+' || r.within_hours || ' hours')")
        natural = (
            f"SELECT d.id AS duty, d.at, d.officer, d.school, d.category, r.id AS rule, r.name,"
            f" {due} AS due, f.done_at, CASE WHEN {due} < '{as_of}' THEN 'overdue' ELSE 'open'"
            " END AS status FROM duties d JOIN followup_rules r ON r.category = d.category"
            " LEFT JOIN followups f ON f.officer = d.officer AND f.school = d.school"
            " AND f.category = d.category AND f.at = d.at AND f.rule = r.id"
            f" AND f.done_at <= '{as_of}' WHERE d.at <= '{as_of}' AND f.id IS NULL"
            " ORDER BY due, d.id, r.id;")
        c = [run([sqlite3, "-json", str(county_db), natural], env) for _ in range(args.repeat)]
        figures.append(Figure(f"`crotool followups list --open -f json` ({args.duties:,} duties)",
                              a, c, "`sqlite3` shell, the natural SELECT (duties JOIN rules)",
                              1.0))
    if wanted("presence"):
        log("presence on the county")
        day = (date.fromisoformat(last_end) + timedelta(days=1)).isoformat()
        sql = presence.sql().replace("?1", f"'{last_start}'").replace("?2", f"'{day}'") \
            .replace("?3", f"'{last_end}'").replace("?4", "30") + ";"
        a, b = alternate(lambda: run([crotool, "--db", str(county_db), "report", "presence",
                                      "--year", last_id, "--as-of", last_end, "-f", "json"],
                                     env),
                         lambda: run([sqlite3, "-json", str(county_db), sql], env), args.repeat)
        figures.append(Figure(f"`crotool report presence -f json` ({args.duties:,} duties)",
                              a, b, "`sqlite3` shell, the same SELECT", 1.0))
        # The floor under any figure of a Typer command: the interpreter and Typer alone,
        # before crotool does anything, beside the same shell run. When the floor alone is
        # over the target, the target cannot be met by crotool's own work.
        for label, cmd in (("`python -c 'import typer'` (the floor: no crotool)",
                            [PYTHON, "-c", "import typer"]),
                           ("`crotool --version` (interpreter + crotool, no Typer)",
                            [crotool, "--version"])):
            a, b = alternate(lambda c=cmd: run(c, env),
                             lambda: run([sqlite3, "-json", str(county_db), sql], env),
                             args.repeat)
            figures.append(Figure(label, a, b, "`sqlite3` shell, presence's SELECT", None))
    if wanted("import"):
        empty_county = work / "county-empty.db"
        if not empty_county.exists():
            county.build(empty_county, duties=0)
        for rows in (int(r) for r in args.import_rows.split(",") if r):
            csv_path = work / f"duties-{rows}.csv"
            if not csv_path.exists():
                log(f"writing {rows:,} duties as CSV...")
                county.write_duties_csv(csv_path, rows, empty_county)
            target = work / "import-target.db"
            shell_db = work / "import-shell.db"

            def fresh(target: Path = target, shell_db: Path = shell_db) -> None:
                for p in (target, shell_db):
                    for suffix in ("", "-wal", "-shm"):
                        Path(f"{p}{suffix}").unlink(missing_ok=True)
                shutil.copyfile(empty_county, target)

            log(f"import of {rows:,} duties")
            indexed = work / "import-indexed.db"

            def fresh_indexed(indexed: Path = indexed) -> None:
                fresh()
                shutil.copyfile(empty_county, indexed)

            a, b = alternate(
                lambda c=csv_path, t=target: run([crotool, "--db", str(t), "import", "duties",
                                                  str(c)], env),
                lambda c=csv_path, t=shell_db: run([sqlite3, str(t), "-cmd", ".mode csv",
                                                    f".import {c} duties"], env),
                args.import_repeat, setup=fresh)
            figures.append(Figure(f"`crotool import duties` ({rows:,} rows)", a, b,
                                  "`sqlite3` shell `.import` (a plain text table)", 2.0,
                                  mem_target_mb=150.0))
            # The same file into the same indexed, keyed duties table, by the shell: what the
            # write alone costs, without crotool's validation (the crotool runs are those above).
            c = []
            for _ in range(args.import_repeat):
                fresh_indexed()
                c.append(run([sqlite3, str(indexed), "-cmd", ".mode csv",
                              f".import {csv_path} duties_stage", INTO_INDEXED], env))
            # Issue 14's bar: at most the shell's time filling the same indexed table, and a
            # million rows in under 15 s (whatever the shell takes on the machine).
            figures.append(Figure(f"`crotool import duties` ({rows:,} rows)", a, c,
                                  "`sqlite3` shell into the same indexed `duties` table", 1.0,
                                  mem_target_mb=150.0,
                                  seconds_target=15.0 if rows >= 1_000_000 else None))
            # The floor under any time limit: the same rows by Python with nothing checked and
            # no constraint to meet, the indexes built after (bench/import_floor.py).
            floor = []
            for _ in range(args.import_repeat):
                fresh_indexed()
                floor.append(run([PYTHON, str(ROOT / "bench" / "import_floor.py"), str(csv_path),
                                  str(indexed)], env))
            figures.append(Figure(f"`crotool import duties` ({rows:,} rows)", a, floor,
                                  "the floor: Python's csv + `executemany`, no validation, no "
                                  "constraint, the same indexes built after", None))
    if wanted("xlsx"):
        figures += xlsx_figures(work, crotool, env, args.xlsx_rows, args.import_repeat, log)
    log("done")
    print(report(figures))
    print()
    print(cpu_report(figures))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _duty_list_select(county_db: Path) -> tuple[str, str, int, str]:
    """The first and last day of the county's years, how many duties `duty list` of them
    shows, and its SELECT as SQLite ran it (from the trace, its parameters written in)."""
    from crotool.program import duties
    from crotool.store import db

    first, last = county.years(10)[0][1], county.years(10)[-1][2]
    conn = db.connect(county_db)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    span = duties.resolve_range(conn, year=None, start=first, end=last)
    with db.read(conn):
        found = duties.stream_duties(conn, span=span)
    conn.close()
    sql = [s for s in statements if s.lstrip().startswith("SELECT d.id")][-1] + ";"
    return first, last, found.total, sql


def list_figures(county_db: Path, crotool: str, sqlite3: str, env: dict[str, str],
                 repeat: int, log) -> list[Figure]:
    """`duty list` of every duty as JSON and CSV, beside the sqlite3 shell running the same
    SELECT (taken from SQLite's trace of crotool's own, its parameters written in) on the
    same file; and the table of the latest 150,000 off a terminal, against a time limit."""
    first, last, total, sql = _duty_list_select(county_db)
    base = [crotool, "--db", str(county_db), "duty", "list", "--from", first, "--to", last]
    out = _duty_list_formats(base, county_db, sqlite3, sql, total, env, repeat, log,
                             {"json": 1.5, "csv": 1.5})
    log("duty list as a table of 150,000 duties")
    rows = min(150_000, total)
    limited = sql.rstrip(";").replace(" ORDER BY d.at, d.id", " ORDER BY d.at DESC, d.id DESC"
                                      f" LIMIT {rows}") + ";"
    a, b = alternate(lambda: run([*base, "--limit", str(rows)], env),
                     lambda: run([sqlite3, "-box", str(county_db), limited], env), repeat)
    out.append(Figure(f"`crotool duty list` as a table, off a terminal ({rows:,} duties)", a,
                      b, "`sqlite3 -box`, the same SELECT", 10.0, seconds_target=15.0))
    return out


def xlsx_figures(work: Path, crotool: str, env: dict[str, str], rows: int, repeat: int,
                 log) -> list[Figure]:
    """A duties workbook of `rows` rows against the same rows as CSV, both through crotool;
    and the same workbook with a million formatted empty rows after its data."""
    empty_county = work / "county-empty.db"
    if not empty_county.exists():
        county.build(empty_county, duties=0)
    csv_path = work / f"duties-{rows}.csv"
    if not csv_path.exists():
        county.write_duties_csv(csv_path, rows, empty_county)
    xlsx_path = work / f"duties-{rows}.xlsx"
    padded = work / f"duties-{rows}-padded.xlsx"
    if not xlsx_path.exists():
        log(f"writing {rows:,} duties as .xlsx...")
        write_duties_xlsx(csv_path, xlsx_path, padded)
    target = work / "xlsx-target.db"

    def fresh() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(empty_county, target)

    def imp(path: Path) -> Sample:
        return run([crotool, "--db", str(target), "import", "duties", str(path)], env)

    log(f"import of {rows:,} duties from .xlsx and from CSV")
    a, b = alternate(lambda: imp(xlsx_path), lambda: imp(csv_path), repeat, setup=fresh)
    c, d = alternate(lambda: imp(padded), lambda: imp(csv_path), repeat, setup=fresh)
    return [Figure(f"`crotool import duties` .xlsx ({rows:,} rows)", a, b,
                   "`crotool import duties` of the same rows as CSV", 10.0, mem_target_mb=300.0),
            Figure(f"`crotool import duties` .xlsx ({rows:,} rows + 1,000,000 formatted empty "
                   "rows)", c, d, "`crotool import duties` of the same rows as CSV", 12.0,
                   mem_target_mb=300.0)]


def write_duties_xlsx(csv_path: Path, xlsx_path: Path, padded: Path) -> None:
    """The CSV's rows as a workbook (date-time cells, integer minutes), as Excel would save
    them; `padded` adds 1,000,000 formatted empty rows after the data."""
    import csv
    import zipfile
    from datetime import datetime

    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Duties")
    with open(csv_path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        ws.append(header)
        at, minutes = header.index("at"), header.index("minutes")
        for row in reader:
            cells: list = [c or None for c in row]
            cells[at] = datetime.fromisoformat(row[at])
            cells[minutes] = int(row[minutes]) if row[minutes] else None
            ws.append(cells)
    wb.save(xlsx_path)
    with zipfile.ZipFile(xlsx_path) as src, zipfile.ZipFile(padded, "w",
                                                             zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if not item.filename.startswith("xl/worksheets/sheet"):
                out.writestr(item, data)
                continue
            head, tail = data.split(b"</sheetData>")
            last = head.count(b"<row ")
            with out.open(item.filename, "w") as fh:
                fh.write(head)
                for start in range(last + 1, last + 1_000_001, 10_000):
                    fh.write(b"".join(b'<row r="%d" s="0" customFormat="1" ht="15"/>' % r
                                      for r in range(start, min(start + 10_000,
                                                                last + 1_000_001))))
                fh.write(b"</sheetData>" + tail)


# Markdown escapes each cell; HTML also puts names beside ids and marks tones, in a template.
DOCS_RATIO = {"markdown": 5.0, "html": 15.0}


def docs_figures(county_db: Path, crotool: str, sqlite3: str, env: dict[str, str],
                 repeat: int, log) -> list[Figure]:
    """`duty list -f markdown` and `-f html` of every duty, streamed, beside the sqlite3
    shell's `-markdown` and `-html` of the same SELECT (from SQLite's trace, as in
    `list_figures`). The shell writes bare cells; crotool's documents escape every cell,
    put names beside ids and mark tones, so the ratio is that work; memory is the point."""
    first, last, total, sql = _duty_list_select(county_db)
    base = [crotool, "--db", str(county_db), "duty", "list", "--from", first, "--to", last]
    return _duty_list_formats(base, county_db, sqlite3, sql, total, env, repeat, log,
                              DOCS_RATIO)


def _duty_list_formats(base: list[str], county_db: Path, sqlite3: str, sql: str, total: int,
                       env: dict[str, str], repeat: int, log,
                       ratios: dict[str, float]) -> list[Figure]:
    """`base -f FMT` beside the shell's `-FMT` of the same SELECT, for each format of
    `ratios` (its largest acceptable ratio), peak memory under 64 MB."""
    out: list[Figure] = []
    for fmt, ratio in ratios.items():
        log(f"duty list -f {fmt} of {total:,} duties")
        a, b = alternate(lambda f=fmt: run([*base, "-f", f], env),
                         lambda f=fmt: run([sqlite3, f"-{f}", str(county_db), sql], env),
                         repeat)
        out.append(Figure(f"`crotool duty list -f {fmt}` ({total:,} duties)", a, b,
                          f"`sqlite3 -{fmt}`, the same SELECT", ratio, mem_target_mb=64.0))
    return out


INTO_INDEXED = ("INSERT INTO duties (officer, school, category, at, minutes, requested_by, "
                "reference) SELECT officer, school, category, at, nullif(minutes, ''), "
                "nullif(requested_by, ''), reference FROM duties_stage;")


def report(figures: list[Figure]) -> str:
    lines = [
        "| figure | crotool | reference | ref. time | ratio | target | met |",
        "| --- | ---: | --- | ---: | ---: | ---: | :---: |",
    ]
    for f in figures:
        mem = f", peak {f.peak_mb:.0f} MB (≤ {f.mem_target_mb:.0f})" if f.mem_target_mb else ""
        if f.seconds_target is not None:
            mem += f" (≤ {f.seconds_target:g} s)"
        target, met = ("—", "—") if f.target is None else (
            f"≤ {f.target:g}×", "yes" if f.met else "no")
        lines.append(
            f"| {f.name} | {median(f.ours) * 1000:.0f} ms{mem} | {f.ref_name} | "
            f"{median(f.ref) * 1000:.0f} ms | {f.ratio:.2f}× | {target} | {met} |")
    return "\n".join(lines)


def cpu_report(figures: list[Figure]) -> str:
    """The same figures as CPU time (user + system of each child): on shared cores, wall time
    includes waiting for a core, CPU time does not."""
    lines = ["| figure | crotool CPU | reference CPU | ratio |", "| --- | ---: | ---: | ---: |"]
    for f in figures:
        ours, ref = median_cpu(f.ours), median_cpu(f.ref)
        ratio = f"{ours / ref:.2f}×" if ref else "-"
        lines.append(f"| {f.name} | {ours * 1000:.0f} ms | {ref * 1000:.0f} ms | {ratio} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
