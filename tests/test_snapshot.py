"""Every read command reads from one snapshot (`db.read`): a report made while an import
commits sees that import whole or not at all, never a count of one state and rows of another.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import run_installed

from crotool.store import db

N = 50_000  # duties per import
IMPORTS = (("0417", "juanita-hs", "traffic-safety"),
           ("2291", "redmond-hs", "collision-response"),
           ("3045", "eastlake-hs", "no-trespass-service"))
RANGE = ("--from", "2024-07-01", "--to", "2024-08-31")  # after the seed's year: imports only


def duty_csv(path: Path, officer: str, school: str, category: str) -> Path:
    start = datetime(2024, 7, 1, 0, 0, 17)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("officer,school,category,at,minutes,reference\n")
        for i in range(N):
            at = (start + timedelta(minutes=i)).isoformat(timespec="seconds")
            fh.write(f"{officer},{school},{category},{at},15,SNAP-{officer}\n")
    return path


def test_db_read_keeps_one_snapshot(seeded: Path) -> None:
    reader, writer = db.connect(seeded), db.connect(seeded)
    try:
        with db.read(reader):
            before = reader.execute("SELECT count(*) FROM school_years").fetchone()[0]
            with db.transaction(writer):
                writer.execute("INSERT INTO school_years (id, start, \"end\") VALUES "
                               "('2031-32', '2031-09-02', '2032-06-18')")
            inside = reader.execute("SELECT count(*) FROM school_years").fetchone()[0]
        after = reader.execute("SELECT count(*) FROM school_years").fetchone()[0]
    finally:
        reader.close()
        writer.close()
    assert inside == before
    assert after == before + 1


def test_db_read_nests_in_a_transaction_and_ends_on_error(seeded: Path) -> None:
    conn = db.connect(seeded)
    with db.transaction(conn), db.read(conn):
        assert conn.in_transaction
    assert not conn.in_transaction
    with pytest.raises(ZeroDivisionError), db.read(conn):
        conn.execute("SELECT 1")
        raise ZeroDivisionError
    assert not conn.in_transaction
    conn.close()


READS = {
    "gaps": ("gaps", "-f", "json"),
    "coverage": ("report", "coverage", "-f", "json"),
    "duty list": ("duty", "list", "-f", "json"),
    "duty list table": ("duty", "list"),
    "report duties": ("report", "duties", "-f", "json"),
}


@pytest.mark.parametrize("name", READS)
def test_every_select_of_a_read_command_is_inside_one_transaction(
        cli, seeded: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Traced: the command's own SELECTs all run between one BEGIN and its COMMIT (the
    document context's name look-ups are a separate, single read)."""
    from crotool.cli import common

    statements: list[str] = []
    real = common.connect

    def traced(**how: bool) -> sqlite3.Connection:
        conn = real(**how)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(common, "connect", traced)
    result = cli(*READS[name])
    assert result.exit_code in (0, 3), result.output
    assert statements.count("BEGIN") == 1, statements[:5]
    begin, commit = statements.index("BEGIN"), statements.index("COMMIT")
    selects = [i for i, s in enumerate(statements) if s.lstrip().upper().startswith("SELECT")]
    assert selects and all(begin < i < commit for i in selects), statements


@pytest.mark.slow
def test_reads_during_imports_see_each_import_whole(seeded: Path, tmp_path: Path) -> None:
    files = [duty_csv(tmp_path / f"{o}.csv", o, s, c) for o, s, c in IMPORTS]
    done = threading.Event()
    failures: list[str] = []

    def importer() -> None:
        for f in files:
            result = run_installed("import", "duties", str(f), timeout=300)
            if result.returncode != 0:
                failures.append(result.stderr)
        done.set()

    thread = threading.Thread(target=importer)
    thread.start()
    seen: list[dict[str, int]] = []
    try:
        runs = 0
        while runs < 24 and not (done.is_set() and runs >= 6):
            kind = runs % 3
            runs += 1
            if kind == 0:
                result = run_installed("duty", "list", *RANGE, "-f", "json", timeout=300)
                assert result.returncode == 0, result.stderr
                counts: dict[str, int] = {}
                for row in json.loads(result.stdout):
                    assert row["reference"] == f"SNAP-{row['officer']}"
                    counts[row["officer"]] = counts.get(row["officer"], 0) + 1
                seen.append(counts)
            elif kind == 1:
                result = run_installed("report", "duties", "--by", "officer", *RANGE, "-f",
                                       "json", timeout=300)
                assert result.returncode == 0, result.stderr
                seen.append({r["officer"]: r["count"] for r in json.loads(result.stdout)
                             if r["count"]})
            else:
                result = run_installed("gaps", "-f", "json", timeout=300)
                assert result.returncode in (0, 3), result.stderr
    finally:
        thread.join()
    assert failures == []
    for counts in seen:
        assert all(n == N for n in counts.values()), counts
    # The imports' order is kept: an officer's import is seen only with every earlier one.
    order = [o for o, *_ in IMPORTS]
    for counts in seen:
        k = len(counts)
        assert set(counts) == set(order[:k]), counts
    final = run_installed("duty", "list", *RANGE, "-f", "csv")
    assert final.stdout.count("SNAP-") == N * len(IMPORTS)


# ---------------------------------------------------------------- streamed lists


def _many_duties(cli, tmp_path: Path, n: int = 1_234) -> None:
    path = tmp_path / "many.csv"
    start = datetime(2024, 7, 1, 0, 0, 17)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("officer,school,category,at,minutes,requested_by,reference\n")
        for i in range(n):
            at = (start + timedelta(minutes=7 * i)).isoformat(timespec="seconds")
            who = "Juanita HS principal after a long call about parking" if i % 97 == 0 else ""
            fh.write(f"0417,juanita-hs,traffic-safety,{at},{i % 90 + 1},{who},R-{i}\n")
    assert cli("import", "duties", str(path)).exit_code == 0


def test_a_long_list_streams_the_same_rows_in_every_format(cli, seeded: Path,
                                                          tmp_path: Path) -> None:
    from crotool.program import duties

    _many_duties(cli, tmp_path)
    conn = db.connect(seeded)
    span = duties.resolve_range(conn, year=None, start=RANGE[1], end=RANGE[3])
    rows, total = duties.list_duties(conn, span=span)
    conn.close()
    assert total == len(rows) == 1_234
    as_json = cli("duty", "list", *RANGE, "-f", "json")
    assert json.loads(as_json.stdout) == rows
    out = tmp_path / "list.csv"
    assert cli("duty", "list", *RANGE, "-o", str(out)).exit_code == 0
    import csv

    with open(out, newline="", encoding="utf-8") as fh:
        read = list(csv.DictReader(fh))
    assert [int(r["id"]) for r in read] == [r["id"] for r in rows]
    assert not list(tmp_path.glob(".list.csv.*"))  # the temporary file was renamed


@pytest.mark.slow
@pytest.mark.parametrize("columns", ["80", None])
def test_a_long_table_streams_in_the_same_columns(cli, seeded: Path, tmp_path: Path,
                                                  columns: str | None) -> None:
    _many_duties(cli, tmp_path)
    result = cli("duty", "list", *RANGE, env={"COLUMNS": columns} if columns else None)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    # Within each box (a long id past the first chunk's starts a new one), every row line has
    # its borders where the box's first row has them.
    boxes: list[set[tuple[int, ...]]] = []
    for ln in lines:
        if ln.startswith(("┏", "┌")):
            boxes.append(set())
        elif ln.startswith("│") and boxes:
            boxes[-1].add(tuple(i for i, ch in enumerate(ln) if ch == "│"))
    assert boxes and all(len(b) == 1 for b in boxes), boxes[:2]
    assert all(ln == ln.rstrip() for ln in lines)
    if columns:
        assert max(len(ln) for ln in lines) <= 80
    assert lines[-1].startswith("└") or "Left out to fit" in result.stdout
    ids = [int(m) for m in re.findall(r"^│\s+(\d+) │", result.stdout, re.M)]
    assert len(ids) == 1_234 and ids == sorted(ids)
