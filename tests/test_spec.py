"""Black-box conformance with the product's promises (as README.md documents them), through
the real CLI.

Every test drives crotool the way a user or a cron script does (argv in; stdout, stderr, exit
code and files out) and checks one promise, stated in its docstring. A handful run the
installed console script in a subprocess (end to end); the rest use the in-process runner for
speed. Where a promise is not kept, the test still asserts the promised behaviour and is
marked xfail(strict=True) with the reason."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import SEED, SEED_DUTIES, SEED_RECORDS, TODAY, crotool_exe, run_installed

ANSI = re.compile(r"\x1b\[|\x1b\]|\x1b[()][0-9A-Za-z]")
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
FORMATS = ("table", "json", "csv", "markdown", "html", "svg")

# Every command that prints records or a report (each takes --format and --output).
LISTINGS = [
    ("agencies", "list"),
    ("patterns", "list"),
    ("schools", "list"),
    ("officers", "list"),
    ("assignments", "list"),
    ("categories", "list"),
    ("duty", "list"),
    ("assessments", "list"),
    ("gaps",),
    ("report", "coverage"),
    ("report", "duties"),
    ("report", "connectors"),
    ("report", "presence"),
    ("report", "duties", "--by", "role"),
    ("followups", "list"),
    ("audit",),
    ("db", "info"),
    ("db", "check"),
    ("imports", "list"),
    ("connectors", "list"),
    ("engagements", "list"),
]
LISTING_IDS = [" ".join(c) for c in LISTINGS]


# ---------------------------------------------------------------------------------- helpers


def dump(path: Path, exclude: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: a snapshot to compare before and after a command."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name")]
        return {n: sorted(map(repr, conn.execute(f'SELECT * FROM "{n}"')))
                for n in names if n not in exclude}
    finally:
        conn.close()


DATA_ONLY = ("audit", "imports")  # the trail and history "may record the attempt"


def json_rows(text: str) -> list[dict]:
    data = json.loads(text)
    assert isinstance(data, list), f"expected a JSON array, got {type(data).__name__}"
    assert all(isinstance(r, dict) for r in data)
    return data


def csv_rows(text: str) -> tuple[list[str], list[dict]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = list(reader)
    assert rows, "CSV has no header row"
    header = rows[0]
    body = rows[1:]
    assert all(len(r) == len(header) for r in body), "ragged CSV"
    return header, [dict(zip(header, r, strict=True)) for r in body]


def ok(result) -> str:
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result.stdout


def write_seed(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------ §2 global options


def test_db_option_before_subcommand_wins_over_env(cli, tmp_path, isolated_db):
    """--db PATH before the subcommand names the database; it beats $CROTOOL_DB."""
    other = tmp_path / "sub" / "other.db"
    ok(cli("--db", other, "load"))
    assert other.exists()
    assert not isolated_db.exists() or dump(isolated_db).get("agencies", []) == []
    rows = json_rows(ok(cli("--db", other, "agencies", "list", "-f", "json")))
    assert len(rows) == 4
    assert stat.S_IMODE(other.stat().st_mode) == 0o600
    assert stat.S_IMODE(other.parent.stat().st_mode) == 0o700


@pytest.mark.slow
def test_db_from_env_end_to_end(tmp_path):
    """$CROTOOL_DB names the database when --db is not given (installed script)."""
    path = tmp_path / "deep" / "dir" / "env.db"
    env = {"CROTOOL_DB": str(path), "CROTOOL_TODAY": TODAY}
    r = run_installed("load", env=env)
    assert r.returncode == 0, r.stderr
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    r = run_installed("db", "info", "-f", "json", env=env)
    assert r.returncode == 0, r.stderr
    assert str(path) in r.stdout


def _env_without_db(tmp_path: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("CROTOOL_DB", "XDG_DATA_HOME")}
    env.update({"HOME": str(tmp_path / "home"), "CROTOOL_TODAY": TODAY, **extra})
    return env


@pytest.mark.slow
def test_db_default_xdg_data_home(tmp_path):
    """With neither --db nor $CROTOOL_DB, $XDG_DATA_HOME/crotool/crotool.db, created
    0600 in a 0700 folder."""
    xdg = tmp_path / "xdg"
    env = _env_without_db(tmp_path, XDG_DATA_HOME=str(xdg))
    r = subprocess.run([sys.executable, "-m", "crotool", "load"], capture_output=True,
                       text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    path = xdg / "crotool" / "crotool.db"
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


@pytest.mark.slow
def test_db_default_home_local_share(tmp_path):
    """$XDG_DATA_HOME unset → ~/.local/share/crotool/crotool.db."""
    env = _env_without_db(tmp_path)
    r = subprocess.run([*crotool_exe(), "agencies", "list", "-f", "json"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == []
    path = tmp_path / "home" / ".local" / "share" / "crotool" / "crotool.db"
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


@pytest.mark.slow
def test_version_and_python_m_are_the_same_program(tmp_path):
    """--version prints the version; `python -m crotool` is the same as `crotool`."""
    from importlib.metadata import version

    env = {"CROTOOL_DB": str(tmp_path / "v.db")}
    script = run_installed("--version", env=env)
    module = subprocess.run([sys.executable, "-m", "crotool", "--version"],
                            capture_output=True, text=True,
                            env={**os.environ, **env}, timeout=60)
    assert script.returncode == 0 and module.returncode == 0
    assert version("crotool") in script.stdout
    assert script.stdout == module.stdout
    # and the same for a real command and a usage error
    a = run_installed("load", env=env)
    b = subprocess.run([sys.executable, "-m", "crotool", "categories", "list", "-f", "json"],
                       capture_output=True, text=True, env={**os.environ, **env}, timeout=60)
    assert a.returncode == 0 and b.returncode == 0, (a.stderr, b.stderr)
    assert len(json.loads(b.stdout)) == 13
    u1 = run_installed("no-such-command", env=env)
    u2 = subprocess.run([sys.executable, "-m", "crotool", "no-such-command"],
                        capture_output=True, text=True, env={**os.environ, **env}, timeout=60)
    assert u1.returncode == u2.returncode == 2


# ------------------------------------------------------------------- §2 formats and --output


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("command", LISTINGS, ids=LISTING_IDS)
def test_every_listing_takes_every_format(cli, seeded_copy, command, fmt):
    """Every command that prints records or a report takes --format
    table|json|csv|markdown|html|svg; machine formats are well formed, keys snake_case; no
    ANSI escapes when not a terminal."""
    r = cli(*command, "--format", fmt)
    out = ok(r)
    assert out.strip(), "empty output on the seeded database"
    assert not ANSI.search(out), "ANSI escape in stdout"
    assert not ANSI.search(r.stderr or ""), "ANSI escape in stderr"
    if fmt == "json":
        data = json.loads(out)
        if isinstance(data, dict):  # the wrapper, only where --help says so
            assert "rows" in data
            helptext = ok(cli(*command, "--help"))
            assert '{"rows"' in helptext.replace(" ", "").replace("\n", "")
            data = data["rows"]
        rows = json_rows(json.dumps(data))
        assert rows, "no rows on the seeded database"
        for row in rows:
            for key in row:
                assert SNAKE.match(key), f"key {key!r} is not snake_case"
    elif fmt == "csv":
        header, rows = csv_rows(out)
        assert rows
        for key in header:
            assert SNAKE.match(key), f"CSV column {key!r} is not snake_case"
    elif fmt == "markdown":
        lines = [ln for ln in out.splitlines() if ln.strip()]
        assert any(re.match(r"^\|?\s*:?-{3,}", ln) for ln in lines), "no markdown table rule"
    elif fmt == "html":
        # "the table as a document" (--help): a whole HTML document, nothing executable
        low = out.lstrip().lower()
        assert low.startswith(("<!doctype html", "<html"))
        assert low.rstrip().endswith("</html>")
        assert "<script" not in low
    elif fmt == "svg":
        root = ET.fromstring(out.strip())
        assert root.tag.endswith("svg")


def test_json_wrapper_only_where_help_says_so(cli, seeded_copy):
    """JSON is an array; a {"rows": ...} wrapper only where --help says so."""
    for command in LISTINGS:
        data = json.loads(ok(cli(*command, "-f", "json")))
        if isinstance(data, dict):
            helptext = ok(cli(*command, "--help"))
            assert '"rows"' in helptext, f"{command}: wrapped JSON not documented in --help"


def report_mode() -> int:
    """A report file's mode: what the umask gives a new file."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("command", LISTINGS, ids=LISTING_IDS)
def test_every_listing_writes_output_file(cli, seeded_copy, tmp_path, command, fmt):
    """--output FILE writes the output there and nothing to stdout; the file holds
    what stdout would have. Its mode follows the umask (0600 only with notes)."""
    target = tmp_path / "out" / f"report.{fmt}"
    target.parent.mkdir()
    r = cli(*command, "--format", fmt, "--output", target)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == ""
    assert target.exists()
    assert stat.S_IMODE(target.stat().st_mode) == report_mode()
    text = target.read_text(encoding="utf-8")
    assert text.strip()
    assert not ANSI.search(text)
    # nothing else was left beside it (no half-written temp file)
    assert [p.name for p in target.parent.iterdir()] == [target.name]
    if fmt == "json":
        json.loads(text)
    elif fmt == "csv":
        csv_rows(text)


def test_output_replaces_existing_file_atomically(cli, seeded_copy, tmp_path):
    """--output replaces the file whole (a new inode renamed over the old one, so a
    reader holding the old file never sees half a file)."""
    target = tmp_path / "cov.json"
    target.write_text("old contents\n")
    os.chmod(target, 0o644)
    before = target.stat().st_ino
    ok(cli("report", "coverage", "-f", "json", "-o", target))
    assert target.stat().st_ino != before
    assert json_rows(target.read_text())
    assert stat.S_IMODE(target.stat().st_mode) == report_mode()


@pytest.mark.slow
def test_output_end_to_end_cron(seeded_copy, tmp_path):
    """Cron user: a coverage report to a file with no prompts and no colour; the
    installed script, stdin closed, TERM set."""
    target = tmp_path / "nightly.csv"
    r = run_installed("report", "coverage", "-f", "csv", "-o", target, "--quiet",
                      env={"TERM": "xterm-256color"}, input="")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert not ANSI.search(r.stderr)
    header, rows = csv_rows(target.read_text())
    assert {"school_year", "feeder_pattern", "agency", "days", "covered_days",
            "gap_days"} <= set(header)
    assert len(rows) == 7


@pytest.mark.slow
def test_no_ansi_end_to_end_table_and_errors(seeded_copy):
    """No colour when not a terminal (installed script, pipes, TERM set, table format
    and an error)."""
    env = {"TERM": "xterm-256color"}
    for args in (("gaps",), ("report", "coverage"), ("officers", "list"), ("db", "info")):
        r = run_installed(*args, env=env)
        assert r.returncode == 0, r.stderr
        assert not ANSI.search(r.stdout), args
        assert not ANSI.search(r.stderr), args
    r = run_installed("officers", "list", "--agency", "no-such-agency", env=env)
    assert r.returncode == 1
    assert not ANSI.search(r.stderr)


# --------------------------------------------------------------- §2 machine-format shapes


GAP_KEYS = {"school_year", "feeder_pattern", "agency", "kind", "start", "end", "days",
            "officer", "schools"}
KIND_ORDER = ["unassigned", "inactive", "untrained", "on_leave", "duplicate",
              "out_of_jurisdiction", "untrained_additional"]


def test_gaps_json_shape_and_order(cli, seeded_copy):
    """Gaps JSON rows carry the documented keys, ordered by feeder pattern, agency,
    start, kind; end inclusive (days = end - start + 1)."""
    from datetime import date

    rows = json_rows(ok(cli("gaps", "-f", "json")))
    assert rows
    for row in rows:
        assert GAP_KEYS <= set(row)
        assert row["kind"] in KIND_ORDER
        s, e = date.fromisoformat(row["start"]), date.fromisoformat(row["end"])
        assert row["days"] == (e - s).days + 1
        assert row["officer"] is None or isinstance(row["officer"], str)
        assert isinstance(row["schools"], list)
        assert row["school_year"] == "2023-24"
    keys = [(r["feeder_pattern"], r["agency"], r["start"]) for r in rows]
    assert keys == sorted(keys)


def test_gaps_schools_are_pattern_schools_in_agency(cli, seeded_copy):
    """A gap row's `schools` are the ids of P's schools in A's jurisdiction (P is the
    school's feeder_pattern or listed in also_feeds)."""
    schools = json_rows(ok(cli("schools", "list", "-f", "json")))
    for row in json_rows(ok(cli("gaps", "-f", "json"))):
        if row["kind"] not in ("unassigned", "inactive", "untrained", "on_leave"):
            continue
        expected = sorted(s["id"] for s in schools if s["agency"] == row["agency"] and (
            s["feeder_pattern"] == row["feeder_pattern"]
            or row["feeder_pattern"] in (s.get("also_feeds") or [])))
        assert sorted(row["schools"]) == expected


def test_gaps_order_kind_breaks_ties(cli, seeded_copy):
    """Rows with the same pattern, agency and start are ordered by kind."""
    # An out-of-jurisdiction assignment and a gap starting the same day in the same
    # pattern/agency cannot easily coincide; instead make a duplicate beside an on_leave:
    ok(cli("officers", "add", "9001", "--name", "Dup Licate", "--agency", "sammamish-pd",
           "--trained-on", "2020-01-01"))
    ok(cli("assign", "9001", "eastlake", "--year", "2023-24"))
    rows = json_rows(ok(cli("gaps", "-f", "json", "--pattern", "eastlake")))
    keys = [(r["feeder_pattern"], r["agency"], r["start"], r["kind"]) for r in rows]
    assert [k[:3] for k in keys] == sorted(k[:3] for k in keys)
    # within equal (pattern, agency, start) the kind order must be a consistent sort
    groups: dict[tuple, list[str]] = {}
    for k in keys:
        groups.setdefault(k[:3], []).append(k[3])
    for kinds in groups.values():
        assert kinds == sorted(kinds) or kinds == sorted(kinds, key=KIND_ORDER.index)


@pytest.mark.parametrize("by", ["category", "pattern", "school", "officer", "month", "role"])
def test_report_duties_by_key_json(cli, seeded_copy, by):
    """Report duties --by K rows carry the key column named K, count and minutes."""
    rows = json_rows(ok(cli("report", "duties", "--by", by, "-f", "json")))
    assert rows
    for row in rows:
        assert {by, "count", "minutes"} <= set(row), row
        assert isinstance(row["count"], int) and isinstance(row["minutes"], int)
    duties = json_rows(ok(cli("duty", "list", "-f", "json")))
    assert sum(r["count"] for r in rows) == len(duties)  # the seed's, all in 2023-24
    assert sum(r["minutes"] for r in rows) == sum(d["minutes"] or 0 for d in duties)
    if by == "month":
        assert all(re.match(r"^\d{4}-\d{2}$", r["month"]) for r in rows)


@pytest.mark.parametrize("by", ["category", "pattern", "school", "officer", "month", "role"])
def test_report_duties_by_key_csv(cli, seeded_copy, by):
    """The same key column in CSV."""
    header, rows = csv_rows(ok(cli("report", "duties", "--by", by, "-f", "csv")))
    assert {by, "count", "minutes"} <= set(header)
    assert sum(int(r["count"]) for r in rows) == len(json_rows(ok(cli("duty", "list", "-f",
                                                                       "json"))))


def test_report_coverage_json_shape(cli, seeded_copy):
    """Report coverage JSON rows: school_year, feeder_pattern, agency, officers
    (badges of the cro assignments), days, covered_days, gap_days; one per required pair."""
    rows = json_rows(ok(cli("report", "coverage", "-f", "json")))
    patterns = json_rows(ok(cli("patterns", "list", "-f", "json")))
    required = {(p["id"], a) for p in patterns for a in p["agencies"]}
    assert {(r["feeder_pattern"], r["agency"]) for r in rows} == required
    assignments = json_rows(ok(cli("assignments", "list", "-f", "json")))
    for r in rows:
        assert {"school_year", "feeder_pattern", "agency", "officers", "days",
                "covered_days", "gap_days"} <= set(r)
        assert r["covered_days"] + r["gap_days"] == r["days"]
        cro = sorted({a["officer"] for a in assignments if a["role"] == "cro"
                      and a["feeder_pattern"] == r["feeder_pattern"]
                      and a["agency"] == r["agency"]})
        assert sorted(r["officers"]) == cro
    gaps = json_rows(ok(cli("gaps", "-f", "json")))
    for r in rows:
        gap_days = sum(g["days"] for g in gaps if g["feeder_pattern"] == r["feeder_pattern"]
                       and g["agency"] == r["agency"]
                       and g["kind"] in ("unassigned", "inactive", "untrained", "on_leave"))
        assert gap_days == r["gap_days"]


def test_report_connectors_json_20_cells(cli, seeded_copy):
    """Report connectors: one row per phase × dimension cell, all 20, zeros
    included: phase, dimension, engagements, connectors."""
    rows = json_rows(ok(cli("report", "connectors", "-f", "json")))
    assert len(rows) == 20
    cells = {(r["phase"], r["dimension"]) for r in rows}
    assert cells == {(p, d) for p in ("prevention", "mitigation", "response", "recovery")
                     for d in ("physical", "emotional", "social", "behavioral", "academic")}
    for r in rows:
        assert isinstance(r["engagements"], int) and isinstance(r["connectors"], int)
    assert any(r["engagements"] == 0 for r in rows)
    engagements = json_rows(ok(cli("engagements", "list", "-f", "json")))
    assert sum(r["engagements"] for r in rows) == len(engagements)


def test_report_connectors_20_cells_on_empty_db(cli):
    """All 20 cells, zeros included, even with no engagements at all."""
    rows = json_rows(ok(cli("report", "connectors", "-f", "json")))
    assert len(rows) == 20
    assert all(r["engagements"] == 0 and r["connectors"] == 0 for r in rows)
    header, body = csv_rows(ok(cli("report", "connectors", "-f", "csv")))
    assert header[:4] == ["phase", "dimension", "engagements", "connectors"]
    assert len(body) == 20


def test_empty_listings_are_empty_arrays(cli):
    """JSON is one array: none at all is [] (cron parses it), CSV still a header."""
    for command in LISTINGS:
        if command in (("db", "info"), ("db", "check"), ("report", "connectors"), ("audit",),
                       ("imports", "list")):
            continue
        r = cli(*command, "-f", "json")
        if command in (("gaps",), ("report", "coverage"), ("report", "duties"),
                       ("duty", "list"), ("report", "presence"),
                       ("report", "duties", "--by", "role")):
            # no school year at all: these may refuse (there is no current year)
            assert r.exit_code in (0, 1), r.stderr
            if r.exit_code == 1:
                assert "Traceback" not in r.stderr
                continue
        assert r.exit_code == 0, (command, r.stderr)
        assert json.loads(r.stdout) == [], command


def test_json_dates_iso8601(cli, seeded_copy):
    """Dates in JSON are ISO 8601."""
    iso = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$")
    for command, fields in [(("officers", "list"), ["school_trained_on"]),
                            (("assignments", "list"), ["start", "end"]),
                            (("duty", "list"), ["at"]),
                            (("assessments", "list"), ["due"]),
                            (("audit",), ["at"]),
                            (("engagements", "list"), ["date"])]:
        for row in json_rows(ok(cli(*command, "-f", "json"))):
            for f in fields:
                if row.get(f) is not None:
                    assert iso.match(row[f]), (command, f, row[f])


def test_csv_no_formula_cells(cli, seeded_copy):
    """Csv: no cell that a spreadsheet would run as a formula."""
    ok(cli("connectors", "add", "evil", "--name", "=HYPERLINK(\"http://x\",\"y\")",
           "--organization", "+1+cmd|' /C calc'!A0", "--sector", "@SUM(A1)"))
    ok(cli("duty", "log", "--officer", "0417", "--school", "juanita-hs", "--category",
           "traffic-safety", "--at", "2024-01-10T08:00", "--minutes", "5",
           "--requested-by", "-2+3", "--reference", "=1+1"))
    for command in (("connectors", "list"), ("duty", "list")):
        _, rows = csv_rows(ok(cli(*command, "-f", "csv")))
        for row in rows:
            for value in row.values():
                assert not value.startswith(("=", "+", "@", "\t", "\r")), (command, value)
                if value.startswith("-"):
                    assert re.match(r"^-\d+(\.\d+)?$", value), (command, value)


def test_csv_rfc4180_quoting(cli, seeded_copy):
    """Csv RFC 4180 quoting (commas, quotes, newlines survive a round trip)."""
    tricky = 'A "quoted", comma\nand newline'
    ok(cli("connectors", "add", "tricky", "--name", tricky, "--organization", "Org, Inc."))
    _, rows = csv_rows(ok(cli("connectors", "list", "-f", "csv")))
    row = next(r for r in rows if r["id"] == "tricky")
    assert row["name"] == tricky
    assert row["organization"] == "Org, Inc."


# -------------------------------------------------------------------------- §2 exit codes


def _one_clear_line(r) -> None:
    err = r.stderr.strip()
    assert err, "no message on stderr"
    assert "Traceback" not in err and "Traceback" not in r.stdout
    assert len(err.splitlines()) <= 3, err


@pytest.mark.parametrize("args", [
    ("officers", "list", "--agency", "no-such-agency"),
    ("schools", "list", "--pattern", "no-such-pattern"),
    ("gaps", "--year", "1999-00"),
    ("gaps", "--pattern", "no-such-pattern"),
    ("report", "coverage", "--year", "2099-00"),
    ("report", "duties", "--from", "2024-13-45"),
    ("duty", "list", "--officer", "0000000"),
    ("assign", "9999", "eastlake"),
    ("assign", "0417", "no-such-pattern"),
    ("unassign", "9999", "eastlake"),
    ("duty", "log", "--officer", "0417", "--school", "nowhere", "--category",
     "traffic-safety"),
    ("duty", "log", "--officer", "0417", "--school", "juanita-hs", "--category",
     "traffic-safety", "--at", "not-a-date"),
    ("officers", "update", "9999", "--status", "inactive"),
    ("officers", "add", "0417", "--name", "Already There", "--agency", "kirkland-pd"),
    ("assessments", "complete", "999", "--duty", "1"),
    ("db", "backup", "/nonexistent-dir/x/backup.db"),
])
def test_exit_1_one_clear_line(cli, seeded_copy, args):
    """An error the user can fix exits 1 with one clear message on stderr and never a
    traceback."""
    r = cli(*args)
    assert r.exit_code == 1, (r.exit_code, r.stdout, r.stderr)
    _one_clear_line(r)


@pytest.mark.slow
def test_exit_1_end_to_end_no_traceback(seeded_copy, tmp_path):
    """The installed script: bad input exits 1, one line, no traceback."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("agencies:\n  - id: x\n    name: X\n    kind: galactic\n")
    r = run_installed("load", bad)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert "kind" in r.stderr and "bad.yaml" in r.stderr
    r = run_installed("assign", "9999", "eastlake")
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert "9999" in r.stderr


@pytest.mark.parametrize("args", [
    ("no-such-command",),
    ("agencies", "list", "--format", "pdf"),
    ("gaps", "--no-such-option"),
    ("report",  "duties", "--by", "planet"),
    ("assign",),
    ("import", "planets", "x.csv"),
    ("duty", "list", "--limit", "many"),
])
def test_exit_2_usage(cli, seeded_copy, args):
    """A usage error exits 2."""
    r = cli(*args)
    assert r.exit_code == 2, (r.exit_code, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr


def test_exit_3_fail_on_gaps(cli, seeded_copy, tmp_path):
    """--fail-on-gaps exits 3 when there are gaps, after writing the output; 0
    without gaps."""
    target = tmp_path / "g.json"
    r = cli("gaps", "--fail-on-gaps", "-f", "json", "-o", target)
    assert r.exit_code == 3
    assert json_rows(target.read_text())
    r = cli("gaps", "--fail-on-gaps", "--pattern", "juanita", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == []


def test_exit_3_on_conflict_only(cli, seeded_copy):
    """3 for gaps *or conflicts*: a pattern with no gap but a duplicate CRO."""
    ok(cli("officers", "add", "9002", "--name", "Second Cro", "--agency", "kirkland-pd",
           "--trained-on", "2020-01-01"))
    r = cli("assign", "9002", "juanita", "--year", "2023-24")
    assert r.exit_code == 0, r.stderr
    r = cli("gaps", "--fail-on-gaps", "--pattern", "juanita", "-f", "json")
    assert r.exit_code == 3
    rows = json_rows(r.stdout)
    assert rows and {x["kind"] for x in rows} == {"duplicate"}


@pytest.mark.slow
def test_exit_3_end_to_end(seeded_copy):
    """The installed script exits 3 with gaps (cron)."""
    r = run_installed("gaps", "--fail-on-gaps", "-f", "csv", "-q")
    assert r.returncode == 3
    header, rows = csv_rows(r.stdout)
    assert rows
    # CSV is not bound to the JSON key list (it omits school_year); the rest must be there
    assert GAP_KEYS - {"school_year"} <= set(header)


@pytest.mark.slow
@pytest.mark.parametrize("args", [
    ("duty", "log", "--officer", "0417", "--school", "juanita-hs", "--category",
     "traffic-safety", "--at", "2024-01-10T08:00"),
    ("load",),
    ("import", "connectors", "-", "--format", "csv"),
])
def test_exit_75_when_busy(seeded_copy, args):
    """75 when the database stays busy past the timeout; one clear line."""
    from crotool.store import db

    conn = db.connect(seeded_copy)
    conn.execute("BEGIN IMMEDIATE")
    try:
        r = run_installed(*args, env={"CROTOOL_BUSY_TIMEOUT": "0.3"}, timeout=30,
                          input="id,name\nbusy-conn,Busy\n")
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    assert r.returncode == 75, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    assert r.stderr.strip()
    assert len(r.stderr.strip().splitlines()) <= 3


@pytest.mark.slow
def test_reads_not_blocked_by_writer(seeded_copy):
    """A cron report running while someone writes never fails with 'locked'."""
    from crotool.store import db

    conn = db.connect(seeded_copy)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE officers SET name = name")
    try:
        r = run_installed("report", "coverage", "-f", "json",
                          env={"CROTOOL_BUSY_TIMEOUT": "0.3"}, timeout=30)
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    assert r.returncode == 0, r.stderr
    assert len(json_rows(r.stdout)) == 7


def test_debug_shows_traceback_only_when_asked(cli, seeded_copy):
    """Never a traceback, unless CROTOOL_DEBUG=1 (then a user error still exits 1)."""
    r = cli("assign", "9999", "eastlake")
    assert r.exit_code == 1 and "Traceback" not in r.stderr
    r = cli("assign", "9999", "eastlake", env={"CROTOOL_DEBUG": "1"})
    assert r.exit_code == 1


# ----------------------------------------------------------------------------- §3 privacy

SECRET = "SECRET-CPS-NOTE-4711"


@pytest.fixture
def with_secret(cli, seeded_copy):
    ok(cli("duty", "log", "--officer", "0417", "--school", "juanita-hs", "--category",
           "cps-investigation", "--at", "2024-01-12T10:00", "--minutes", "30",
           "--notes", SECRET))
    return seeded_copy


@pytest.mark.parametrize("fmt", FORMATS)
def test_notes_absent_without_include_notes(cli, with_secret, tmp_path, fmt):
    """Exports leave duty notes out unless --include-notes: in every format, stdout
    and --output, and in every other listing too (the audit trail included)."""
    r = cli("duty", "list", "-f", fmt)
    assert SECRET not in ok(r) and SECRET not in r.stderr
    out = tmp_path / f"d.{fmt}"
    ok(cli("duty", "list", "-f", fmt, "-o", out))
    assert SECRET not in out.read_text()
    if fmt in ("json", "csv"):
        # and no notes column at all
        text = ok(cli("duty", "list", "-f", fmt))
        assert '"notes"' not in text if fmt == "json" else "notes" not in text.splitlines()[0]
    for command in LISTINGS:
        r = cli(*command, "-f", fmt)
        assert SECRET not in r.stdout, command
        assert SECRET not in r.stderr, command


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown", "html"])
def test_notes_present_with_include_notes(cli, with_secret, fmt):
    """--include-notes puts them in."""
    assert SECRET in ok(cli("duty", "list", "--include-notes", "-f", fmt))


def test_notes_not_echoed_by_duty_log(cli, seeded_copy):
    """Logging a duty with notes does not print them back."""
    r = cli("duty", "log", "--officer", "0417", "--school", "juanita-hs", "--category",
            "cps-investigation", "--at", "2024-01-12T10:00", "--notes", SECRET)
    assert r.exit_code == 0
    assert SECRET not in r.stdout and SECRET not in r.stderr


def test_notes_from_import_not_in_import_output(cli, seeded_copy, tmp_path):
    """An import of duties with notes (-v listing every change) does not print the
    notes."""
    f = tmp_path / "duties.csv"
    f.write_text("officer,school,category,at,minutes,notes\n"
                 f"0417,juanita-hs,cps-investigation,2024-01-11T09:00:00,20,{SECRET}\n")
    for extra in ((), ("-v",), ("-v", "--output-format", "json")):
        r = cli("import", "duties", f, "--dry-run", *extra)
        assert r.exit_code == 0, r.stderr
        assert SECRET not in r.stdout and SECRET not in r.stderr
    r = cli("import", "duties", f, "-v")
    assert r.exit_code == 0, r.stderr
    assert SECRET not in r.stdout and SECRET not in r.stderr
    assert SECRET not in ok(cli("audit", "-f", "json"))


def test_db_file_private(cli, seeded_copy, tmp_path, isolated_db):
    """The database file is private (0600), also a fresh one, and backups."""
    fresh = tmp_path / "fresh" / "new.db"
    # the first command that writes creates it (one that only reads creates nothing)
    ok(cli("--db", fresh, "years", "add", "2030-31", "--start", "2030-09-03", "--end",
           "2031-06-18"))
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert stat.S_IMODE(fresh.parent.stat().st_mode) == 0o700
    ok(cli("load"))
    assert stat.S_IMODE(isolated_db.stat().st_mode) == 0o600
    for side in (Path(f"{isolated_db}-wal"), Path(f"{isolated_db}-shm")):
        if side.exists():
            assert stat.S_IMODE(side.stat().st_mode) & 0o077 == 0, side
    backup = tmp_path / "b.db"
    ok(cli("db", "backup", backup))
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


@pytest.mark.slow
def test_db_file_private_under_permissive_umask(tmp_path):
    """0600 / 0700 whatever the umask (installed script, umask 000)."""
    path = tmp_path / "u" / "x.db"
    r = subprocess.run(["sh", "-c", 'umask 000; exec "$@"', "sh",
                        *crotool_exe(), "load"],
                       capture_output=True, text=True,
                       env={**os.environ, "CROTOOL_DB": str(path)}, timeout=60)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for side in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        if side.exists():
            assert stat.S_IMODE(side.stat().st_mode) & 0o077 == 0, side


# ------------------------------------------------------------------------ §3 idempotency


def test_load_twice_changes_nothing(cli, seeded_copy):
    """Loading the same file twice changes no data the second time, and says so."""
    before = dump(seeded_copy, DATA_ONLY)
    r = cli("load")
    ok(r)
    assert dump(seeded_copy, DATA_ONLY) == before
    said = r.stdout + r.stderr
    assert re.search(r"0 (new|inserted)", said) or re.search(r"inserted\D+0", said), said
    ok(cli("load", SEED, "-f", "json"))  # the same file, named by path
    assert dump(seeded_copy, DATA_ONLY) == before


def test_load_twice_json_counts(cli, seeded_copy):
    """The second load's counts: 0 inserted, 0 updated, everything unchanged."""
    rows = json_rows(ok(cli("load", "--format", "json")))
    assert rows
    assert all(r["inserted"] == 0 and r["updated"] == 0 for r in rows), rows
    assert sum(r["unchanged"] for r in rows) == SEED_RECORDS


@pytest.mark.slow
def test_load_twice_end_to_end(tmp_path):
    """The installed script, twice on a file of the user's own (flow style too)."""
    env = {"CROTOOL_DB": str(tmp_path / "e.db")}
    doc = write_seed(tmp_path, "mine.yaml", """\
school_years:
  - {id: "2023-24", start: 2023-09-05, end: 2024-06-21}
agencies:
  - {id: town-pd, name: Town PD, kind: city, jurisdiction: [Town]}
feeder_patterns:
  - {id: north, name: North, high_school: north-hs}
schools:
  - {id: north-hs, name: North HS, level: high, feeder_pattern: north, agency: town-pd, city: Town}
officers:
  - {badge: "0123", name: NO, agency: town-pd, status: active, school_trained_on: 2020-01-01}
""")
    r1 = run_installed("load", doc, env=env)
    assert r1.returncode == 0, r1.stderr
    before = dump(tmp_path / "e.db", DATA_ONLY)
    r2 = run_installed("load", doc, env=env)
    assert r2.returncode == 0, r2.stderr
    assert dump(tmp_path / "e.db", DATA_ONLY) == before
    officers = json.loads(run_installed("officers", "list", "-f", "json", env=env).stdout)
    assert officers[0]["badge"] == "0123" and officers[0]["name"] == "NO"


@pytest.mark.parametrize("table,text", [
    ("officers", "badge,name,agency,status,school_trained_on\n"
                 "7001,Casey Csv,kirkland-pd,active,2022-01-01\n"
                 "0702,Jordan Zero,redmond-pd,inactive,\n"),
    ("connectors", "id,name,organization,sector,status\n"
                   "csv-conn,Member,Org,parents,new\n"),
    ("duties", "officer,school,category,at,minutes,reference\n"
               "0417,juanita-hs,traffic-safety,2024-01-09T07:30:00,15,R-1\n"
               "0417,juanita-hs,traffic-safety,2024-01-10T07:30:00,15,R-2\n"),
    ("engagements", "date,title,connectors,phase,dimension,summary\n"
                    "2024-01-05,Import test,evpa;student-voice,response,social,Said things\n"),
    ("leaves", "officer,start,end,reason\n0417,2024-02-01,2024-02-03,training\n"),
])
def test_import_same_csv_twice_changes_nothing(cli, seeded_copy, tmp_path, table, text):
    """Importing the same file twice changes no data the second time, and says so."""
    f = tmp_path / f"{table}.csv"
    f.write_text(text)
    ok(cli("import", table, f))
    before = dump(seeded_copy, DATA_ONLY)
    r = cli("import", table, f, "--output-format", "json")
    out = ok(r)
    assert dump(seeded_copy, DATA_ONLY) == before
    data = json.loads(out)
    rows = data if isinstance(data, list) else data.get("rows", [data])
    flat = json.dumps(rows)
    assert '"inserted": 0' in flat and '"updated": 0' in flat, flat


def test_import_dry_run_writes_nothing(cli, seeded_copy, tmp_path):
    """--dry-run writes nothing (data)."""
    f = tmp_path / "o.csv"
    f.write_text("badge,name,agency\n7002,Dry Run,kirkland-pd\n")
    before = dump(seeded_copy, DATA_ONLY)
    ok(cli("import", "officers", f, "--dry-run"))
    assert dump(seeded_copy, DATA_ONLY) == before


# ----------------------------------------------------------- §3 bad input changes nothing


@pytest.mark.parametrize("name,text", [
    ("one-bad-row.csv", "badge,name,agency\n7003,Good Row,kirkland-pd\n"
                        "7004,Bad Agency,nowhere-pd\n7005,Also Good,redmond-pd\n"),
    ("dup-keys.csv", "badge,name,agency\n7006,A,kirkland-pd\n7006,B,kirkland-pd\n"),
    ("bad-date.csv", "badge,name,agency,school_trained_on\n7007,A,kirkland-pd,2024-02-30\n"),
    ("bad-status.csv", "badge,name,agency,status\n7008,A,kirkland-pd,retired\n"),
    ("unknown-col.csv", "badge,name,agency,shoe_size\n7009,A,kirkland-pd,11\n"),
    ("not-utf8.csv", None),
    ("malformed.json", '[{"badge": "7010", "name": "A", "agency": "kirkland-pd"'),
    ("bomb.yaml", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
                  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c]\n"
                  "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"),
])
def test_bad_import_changes_nothing(cli, seeded_copy, tmp_path, name, text):
    """Bad input gets a clear error (exit 1, naming the file) and changes nothing —
    not even the good rows of a file with one bad row."""
    f = tmp_path / name
    if text is None:
        f.write_bytes(b"badge,name,agency\n7011,Caf\xe9 \xff,kirkland-pd\n")
    else:
        f.write_text(text)
    before = dump(seeded_copy)
    r = cli("import", "officers", f)
    assert r.exit_code == 1, (r.exit_code, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    assert name in r.stderr
    assert dump(seeded_copy) == before  # every table, the audit trail and history too


def test_bad_import_lists_every_bad_row(cli, seeded_copy, tmp_path):
    """A file with bad rows lists every bad row (line and key)."""
    f = tmp_path / "many.csv"
    f.write_text("badge,name,agency,status\n"
                 "7101,Fine,kirkland-pd,active\n"
                 "7102,Bad Agency,nowhere-pd,active\n"
                 "7103,Fine Too,redmond-pd,active\n"
                 "7104,Bad Status,redmond-pd,retired\n")
    before = dump(seeded_copy)
    r = cli("import", "officers", f)
    assert r.exit_code == 1
    assert "7102" in r.stderr and "7104" in r.stderr
    assert "7101" not in r.stderr or "7103" not in r.stderr
    assert dump(seeded_copy) == before


@pytest.mark.parametrize("text", [
    "agencies:\n  - id: x-pd\n    name: X\n    kind: city\n    jurisdiction: [X]\n"
    "planets:\n  - id: mars\n",                                        # unknown section
    "agencies:\n  - id: x-pd\n    name: X\n    kind: city\n    colour: red\n",  # unknown field
    "agencies:\n  - {id: x-pd, name: X, kind: city, jurisdiction: [X]}\n"
    "officers:\n  - {badge: '1', name: Y, agency: nowhere}\n",         # unknown reference
    "agencies:\n  - {id: x-pd, name: X, kind: city\n",                 # malformed YAML
    "school_years:\n  - {id: '2030-31', start: 2030-09-01, end: 2030-02-30}\n",  # bad date
    "agencies:\n  - {id: x-pd, name: ~, kind: city}\n",                # null required
    "assignments:\n  - {officer: '0417', feeder_pattern: juanita, school_year: '2023-24',"
    " role: cro, start: 2023-01-01}\n",                                # outside the year
    "leaves:\n  - {officer: '0417', start: 2024-03-10, end: 2024-03-01, reason: x}\n",
])
def test_bad_load_changes_nothing(cli, seeded_copy, tmp_path, text):
    """An unknown section or field, unknown reference, malformed YAML, bad date,
    null for a required field, an assignment outside its year, a leave ending before its start:
    exit 1, clear error naming the file, nothing written (not even the good sections)."""
    f = write_seed(tmp_path, "bad-seed.yaml", text)
    before = dump(seeded_copy)
    r = cli("load", f)
    assert r.exit_code == 1, (r.exit_code, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    assert "bad-seed.yaml" in r.stderr
    assert dump(seeded_copy) == before


def test_bad_cli_change_changes_nothing(cli, seeded_copy):
    """A refused change (assignment outside its year, bad minutes) writes nothing."""
    before = dump(seeded_copy)
    for args in (("assign", "0417", "redmond", "--year", "2023-24", "--start", "2023-01-01"),
                 ("duty", "log", "--officer", "0417", "--school", "juanita-hs", "--category",
                  "traffic-safety", "--minutes", "0"),
                 ("duty", "log", "--officer", "0417", "--school", "juanita-hs", "--category",
                  "educational-support", "--at", "2024-01-10T10:00"),  # requires a request
                 ("officers", "leave", "0417", "--start", "2024-03-10", "--end", "2024-03-01")):
        r = cli(*args)
        assert r.exit_code in (1, 2), (args, r.exit_code, r.stderr)
        assert "Traceback" not in r.stderr
    assert dump(seeded_copy) == before


# ---------------------------------------------------------------- §1 "current year" rule


TWO_YEARS = """\
school_years:
  - {id: "2024-25", start: 2024-09-03, end: 2025-06-20}
"""


@pytest.mark.parametrize("today,expected", [
    ("2024-01-15", "2023-24"),   # inside 2023-24
    ("2024-07-15", "2023-24"),   # summer: 2024-25 has not started, 2023-24 is the latest started
    ("2025-08-01", "2024-25"),   # after every year: the latest started
    ("2030-01-01", "2024-25"),
])
def test_current_year_rule(cli, seeded_copy, tmp_path, today, expected):
    """The current year is the one that contains today, else the latest that has
    started; gaps, report coverage, report duties and duty list default to it."""
    ok(cli("load", write_seed(tmp_path, "y.yaml", TWO_YEARS)))
    env = {"CROTOOL_TODAY": today}
    gaps = json_rows(ok(cli("gaps", "-f", "json", env=env)))
    assert gaps and {g["school_year"] for g in gaps} == {expected}
    cov = json_rows(ok(cli("report", "coverage", "-f", "json", env=env)))
    assert cov and {c["school_year"] for c in cov} == {expected}
    duties = json_rows(ok(cli("report", "duties", "-f", "json", env=env)))
    listed = json_rows(ok(cli("duty", "list", "-f", "json", env=env)))
    n = SEED_DUTIES if expected == "2023-24" else 0
    assert sum(d["count"] for d in duties) == n
    assert len(listed) == n


@pytest.mark.slow
def test_current_year_end_to_end_outside_every_year(seeded_copy):
    """CROTOOL_TODAY after the only year: that year is used (installed script)."""
    r = run_installed("report", "coverage", "-f", "json", env={"CROTOOL_TODAY": "2026-03-01"})
    assert r.returncode == 0, r.stderr
    rows = json_rows(r.stdout)
    assert rows and {x["school_year"] for x in rows} == {"2023-24"}
    r = run_installed("gaps", "-f", "json", env={"CROTOOL_TODAY": "2026-03-01"})
    assert r.returncode == 0, r.stderr
    assert {x["school_year"] for x in json_rows(r.stdout)} == {"2023-24"}


def test_assign_default_year_is_current(cli, seeded_copy, tmp_path):
    """Assign without --year uses the current year (the latest started one when
    today is between years)."""
    ok(cli("load", write_seed(tmp_path, "y.yaml", TWO_YEARS)))
    ok(cli("officers", "add", "9100", "--name", "Summer Hire", "--agency", "kirkland-pd",
           "--trained-on", "2020-01-01"))
    r = cli("assign", "9100", "juanita", "--role", "additional",
            env={"CROTOOL_TODAY": "2024-07-15"})
    assert r.exit_code == 0, r.stderr
    rows = [a for a in json_rows(ok(cli("assignments", "list", "-f", "json")))
            if a["officer"] == "9100"]
    assert [a["school_year"] for a in rows] == ["2023-24"]


# ------------------------------------------------------------------- §1 YAML surprises


def test_yaml_no_surprises(cli, tmp_path):
    """Name: NO is text, badge: 0123 is text, requires_request: no is false."""
    doc = write_seed(tmp_path, "s.yaml", """\
agencies:
  - id: town-pd
    name: NO
    kind: city
    jurisdiction: [Town]
officers:
  - badge: 0123
    name: Off
    agency: town-pd
duty_categories:
  - id: thing
    name: Thing
    description: A thing
    requires_request: no
""")
    ok(cli("load", doc))
    assert json_rows(ok(cli("agencies", "list", "-f", "json")))[0]["name"] == "NO"
    assert json_rows(ok(cli("officers", "list", "-f", "json")))[0]["badge"] == "0123"
    assert json_rows(ok(cli("categories", "list", "-f", "json")))[0]["requires_request"] is False


# ------------------------------------------------------------------------- §2 filters


def test_listings_unfiltered_return_every_record(cli, seeded_copy):
    """Every record unless a filter narrows it (no silent limit)."""
    counts = {("agencies", "list"): 4, ("patterns", "list"): 4, ("schools", "list"): 55,
              ("officers", "list"): 9, ("assignments", "list"): 7,
              ("categories", "list"): 13, ("duty", "list"): SEED_DUTIES,
              ("assessments", "list"): 2,
              ("connectors", "list"): 8, ("engagements", "list"): 10}
    for command, n in counts.items():
        assert len(json_rows(ok(cli(*command, "-f", "json")))) == n, command


def test_duty_list_no_silent_limit_and_oldest_first(cli, seeded_copy, tmp_path):
    """Duty list: every duty of the current year, oldest first, no silent limit."""
    lines = ["officer,school,category,at,minutes"]
    for i in range(150):
        lines.append(f"0417,juanita-hs,traffic-safety,2023-12-{1 + i % 28:02d}T"
                     f"{6 + i // 28:02d}:{i % 60:02d}:00,5")
    f = tmp_path / "many.csv"
    f.write_text("\n".join(lines) + "\n")
    ok(cli("import", "duties", f))
    rows = json_rows(ok(cli("duty", "list", "-f", "json")))
    assert len(rows) == SEED_DUTIES + 150
    ats = [r["at"] for r in rows]
    assert ats == sorted(ats)
    assert len(json_rows(ok(cli("duty", "list", "--limit", "10", "-f", "json")))) == 10


@pytest.mark.parametrize("command,flag,value,field", [
    (("schools", "list"), "--level", "high", "level"),
    (("schools", "list"), "--agency", "kcso", "agency"),
    (("officers", "list"), "--agency", "kirkland-pd", "agency"),
    (("officers", "list"), "--status", "inactive", "status"),
    (("assignments", "list"), "--pattern", "eastlake", "feeder_pattern"),
    (("assignments", "list"), "--year", "2023-24", "school_year"),
])
def test_browse_filters(cli, seeded_copy, command, flag, value, field):
    """Browse filters narrow the records."""
    all_rows = json_rows(ok(cli(*command, "-f", "json")))
    rows = json_rows(ok(cli(*command, flag, value, "-f", "json")))
    assert rows
    assert all(r[field] == value for r in rows)
    assert len(rows) == sum(1 for r in all_rows if r[field] == value)


# ------------------------------------------------------------ §1 the coverage rule, end to end

RULE_SEED = """\
school_years:
  - {id: "2023-24", start: 2023-09-01, end: 2023-09-30}
agencies:
  - {id: a-pd, name: A PD, kind: city, jurisdiction: [A]}
  - {id: b-pd, name: B PD, kind: county, jurisdiction: [B]}
feeder_patterns:
  - {id: p, name: P, high_school: p-hs}
  - {id: q, name: Q, high_school: q-hs}
  - {id: r, name: R, high_school: r-hs}
schools:
  - {id: p-hs, name: P HS, level: high, feeder_pattern: p, agency: a-pd, city: A}
  - {id: p-es, name: P ES, level: elementary, feeder_pattern: p, agency: b-pd, city: B}
  - {id: q-hs, name: Q HS, level: high, feeder_pattern: q, agency: a-pd, city: A}
  - {id: q-ms, name: Q MS, level: middle, feeder_pattern: q, also_feeds: [p], agency: a-pd,
     city: A}
  - {id: r-hs, name: R HS, level: high, feeder_pattern: r, agency: a-pd, city: A}
officers:
  - {badge: "100", name: One, agency: a-pd, status: active, school_trained_on: 2023-09-11}
  - {badge: "200", name: Two, agency: a-pd, status: active, school_trained_on: 2020-01-01}
  - {badge: "300", name: Three, agency: b-pd, status: inactive, school_trained_on: 2020-01-01}
  - {badge: "400", name: Four, agency: b-pd, status: active, school_trained_on: 2020-01-01}
  - {badge: "500", name: Five, agency: a-pd, status: active, school_trained_on: ~}
  - {badge: "600", name: Six, agency: a-pd, status: active, school_trained_on: 2020-01-01}
  - {badge: "700", name: Seven, agency: a-pd, status: active, school_trained_on: 2020-01-01}
leaves:
  - {officer: "100", start: 2023-09-15, end: 2023-09-16, reason: x}
  - {officer: "200", start: 2023-09-25, end: 2023-10-15, reason: x}
  - {officer: "600", start: 2023-08-20, end: 2023-09-10, reason: x}
  - {officer: "700", start: 2023-09-11, end: 2023-09-15, reason: x}
assignments:
  - {officer: "100", feeder_pattern: p, school_year: "2023-24", role: cro,
     start: 2023-09-01, end: 2023-09-20}
  - {officer: "300", feeder_pattern: p, school_year: "2023-24", role: cro}
  - {officer: "200", feeder_pattern: q, school_year: "2023-24", role: cro}
  - {officer: "500", feeder_pattern: q, school_year: "2023-24", role: cro,
     start: 2023-09-10, end: 2023-09-12}
  - {officer: "400", feeder_pattern: q, school_year: "2023-24", role: additional}
  - {officer: "500", feeder_pattern: p, school_year: "2023-24", role: additional,
     start: 2023-09-01, end: 2023-09-05}
  - {officer: "600", feeder_pattern: r, school_year: "2023-24", role: cro,
     start: 2023-09-01, end: 2023-09-10}
  - {officer: "700", feeder_pattern: r, school_year: "2023-24", role: cro,
     start: 2023-09-11, end: 2023-09-30}
"""

RULE_GAPS = [
    # pattern, agency, kind, start, end, days, officer, schools
    ("p", "a-pd", "untrained", "2023-09-01", "2023-09-10", 10, "100", ["p-hs", "q-ms"]),
    ("p", "a-pd", "untrained_additional", "2023-09-01", "2023-09-05", 5, "500",
     ["p-hs", "q-ms"]),
    ("p", "a-pd", "on_leave", "2023-09-15", "2023-09-16", 2, "100", ["p-hs", "q-ms"]),
    ("p", "a-pd", "unassigned", "2023-09-21", "2023-09-30", 10, None, ["p-hs", "q-ms"]),
    ("p", "b-pd", "inactive", "2023-09-01", "2023-09-30", 30, "300", ["p-es"]),
    ("q", "a-pd", "duplicate", "2023-09-10", "2023-09-12", 3, "200", ["q-hs", "q-ms"]),
    ("q", "a-pd", "on_leave", "2023-09-25", "2023-09-30", 6, "200", ["q-hs", "q-ms"]),
    ("q", "b-pd", "out_of_jurisdiction", "2023-09-01", "2023-09-30", 30, "400", None),
    ("r", "a-pd", "on_leave", "2023-09-01", "2023-09-15", 15, "600", ["r-hs"]),
]


@pytest.fixture
def rule_db(cli, tmp_path):
    ok(cli("load", write_seed(tmp_path, "rule.yaml", RULE_SEED)))


def test_coverage_rule_gaps_end_to_end(cli, rule_db):
    """Every kind once: untrained before the training day, on_leave,
    unassigned after the assignment ends, inactive, duplicate (two CROs at once), a leave past
    the year counted only inside it, out_of_jurisdiction (agency: the officer's),
    untrained_additional, also_feeds making a school "of P", and a run that is NOT split
    where only the officer changes (r: 600 then 700, both on leave); ordered by pattern,
    agency, start, kind."""
    rows = json_rows(ok(cli("gaps", "-f", "json", env={"CROTOOL_TODAY": "2023-09-15"})))
    got = [(r["feeder_pattern"], r["agency"], r["kind"], r["start"], r["end"], r["days"],
            r["officer"], sorted(r["schools"])) for r in rows]
    want = [g if g[7] is not None else (*g[:7], sorted(rows[7]["schools"]))
            for g in RULE_GAPS]
    assert got == want
    assert {r["school_year"] for r in rows} == {"2023-24"}


def test_coverage_rule_report_and_on(cli, rule_db):
    """Report coverage per required pair; gaps --on narrows to that day."""
    env = {"CROTOOL_TODAY": "2023-09-15"}
    cov = {(r["feeder_pattern"], r["agency"]): (sorted(r["officers"]), r["days"],
                                                 r["covered_days"], r["gap_days"])
           for r in json_rows(ok(cli("report", "coverage", "-f", "json", env=env)))}
    assert cov == {("p", "a-pd"): (["100"], 30, 8, 22),
                   ("p", "b-pd"): (["300"], 30, 0, 30),
                   ("q", "a-pd"): (["200", "500"], 30, 24, 6),
                   ("r", "a-pd"): (["600", "700"], 30, 15, 15)}
    on = json_rows(ok(cli("gaps", "--on", "2023-09-15", "-f", "json", env=env)))
    assert {(r["feeder_pattern"], r["agency"], r["kind"]) for r in on} == {
        ("p", "a-pd", "on_leave"), ("p", "b-pd", "inactive"),
        ("q", "b-pd", "out_of_jurisdiction"), ("r", "a-pd", "on_leave")}
    r = cli("gaps", "--pattern", "r", "--fail-on-gaps", "-f", "json", env=env)
    assert r.exit_code == 3


# ---------------------------------------------------------------------------- §3 audit


def test_audit_records_who_what_when(cli, seeded_copy):
    """Every change records when, which OS user, which command, what changed."""
    import getpass

    before = len(json_rows(ok(cli("audit", "-f", "json"))))
    ok(cli("officers", "add", "9300", "--name", "Audit Me", "--agency", "kirkland-pd"))
    rows = json_rows(ok(cli("audit", "-f", "json")))
    new = rows[before:]
    assert new
    row = new[-1]
    assert row["user"] == getpass.getuser()
    assert "officers add" in row["command"]
    assert re.match(r"^\d{4}-\d{2}-\d{2}T", row["at"])
    assert "9300" in json.dumps(row)


@pytest.mark.parametrize("fmt", FORMATS)
def test_load_and_import_summaries_take_formats(cli, seeded_copy, tmp_path, fmt):
    """Load and import print a report (counts): every format, and --output."""
    ok(cli("load", "--format", fmt))
    f = tmp_path / "c.csv"
    f.write_text("id,name\nfmt-conn,Fmt\n")
    out = tmp_path / f"summary.{fmt}"
    r = cli("import", "connectors", f, "--output-format", fmt, "-o", out)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == ""
    assert stat.S_IMODE(out.stat().st_mode) == report_mode()
    assert not ANSI.search(out.read_text())


def test_html_and_svg_escape_data(cli, seeded_copy):
    """Html and svg are documents of the data: markup in a value is escaped (the svg
    stays well-formed XML, the html runs no script)."""
    ok(cli("connectors", "add", "xss", "--name", '<script>alert(1)</script> & "q"'))
    assert "<script" not in ok(cli("connectors", "list", "-f", "html")).lower()
    root = ET.fromstring(ok(cli("connectors", "list", "-f", "svg")).strip())
    assert root.tag.endswith("svg")


def test_failed_command_leaves_output_file_alone(cli, seeded_copy, tmp_path):
    """--output is atomic: a command that fails leaves an existing file as it was."""
    target = tmp_path / "keep.json"
    target.write_text("previous report\n")
    r = cli("gaps", "--year", "1999-00", "-f", "json", "-o", target)
    assert r.exit_code == 1
    assert target.read_text() == "previous report\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("keep")] == ["keep.json"]


@pytest.mark.slow
def test_import_same_file_twice_other_timezone(seeded_copy, tmp_path):
    """Importing the same file twice changes no data the second time — also when the
    second run happens on a machine (cron) whose TZ differs from the coordinator's. A local
    date-time reads the same everywhere; one with a UTC offset is refused on every machine
    (converting it by the machine's zone gave a second copy of the duty)."""
    f = tmp_path / "tz.csv"
    f.write_text("officer,school,category,at,minutes\n"
                 "0417,juanita-hs,traffic-safety,2024-01-09T07:30:00,15\n")
    r = run_installed("import", "duties", f, env={"TZ": "America/Los_Angeles"})
    assert r.returncode == 0, r.stderr
    before = dump(seeded_copy, DATA_ONLY)
    r = run_installed("import", "duties", f, env={"TZ": "UTC"})
    assert r.returncode == 0, r.stderr
    assert dump(seeded_copy, DATA_ONLY) == before
    g = tmp_path / "offset.csv"
    g.write_text("officer,school,category,at,minutes\n"
                 "0417,juanita-hs,traffic-safety,2024-01-09T07:30:00-08:00,15\n")
    for tz in ("America/Los_Angeles", "UTC"):
        r = run_installed("import", "duties", g, env={"TZ": tz})
        assert r.returncode == 1
        assert "has a UTC offset; write the local time at the school" in r.stderr
    assert dump(seeded_copy, DATA_ONLY) == before
