"""`duty list -f csv` has SQLite write each plain row's line (`render.csv_sql`); a row with a
cell that needs Python (a formula to guard, a quote, comma or line break, a control character,
a list of open follow-ups) is written by Python. Either way the file is the one Python's
`stream_csv` writes of the same rows, byte for byte."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crotool import db, duties, render
from crotool.years import Range

TEXTS = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "Principal", "=1+2", "+1 425", "-5", "-2.5", "@home", "'quoted",
                     "''=x", "a,b", 'say "hi"', "line\nbreak", "cr\rhere", "\ttab", "x\x01y",
                     "x\x85y", "nul\x00here", "émigré ✓", "\u2028", "R-1", "  spaced  "]),
    st.text(max_size=12),
)


def _both(path: Path, include_notes: bool) -> tuple[bytes, bytes]:
    out = []
    for encode in ("csv", None):
        conn = db.connect(path)
        names = [*duties.LIST_COLUMNS, *(["notes"] if include_notes else [])]
        target = path.with_suffix(f".{encode}.csv")
        with db.read(conn):
            found = duties.stream_duties(conn, span=Range(None, None),
                                         include_notes=include_notes, encode=encode)
            render.stream_rows(found.rows, "csv", view=render.View(columns=names),
                               output=str(target))
        conn.close()
        out.append(target.read_bytes())
    return out[0], out[1]


def test_sqlite_written_lines_are_pythons(seeded_template: Path, tmp_path: Path):
    with sqlite3.connect(seeded_template) as conn:
        officer, school = conn.execute(
            "SELECT badge, (SELECT id FROM schools ORDER BY id LIMIT 1) FROM officers "
            "ORDER BY badge LIMIT 1").fetchone()
        categories = [r[0] for r in conn.execute("SELECT id FROM duty_categories ORDER BY id")]
    seen = {"sqlite": 0, "python": 0}

    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(st.tuples(TEXTS, TEXTS, TEXTS, st.sampled_from(categories),
                              st.one_of(st.none(), st.integers(1, 1440))), max_size=8),
           st.booleans())
    def check(rows: list[tuple], include_notes: bool) -> None:
        path = Path(tempfile.mkdtemp(dir=tmp_path)) / "d.db"
        shutil.copyfile(seeded_template, path)
        with sqlite3.connect(path) as conn:
            conn.execute("DELETE FROM duties")
            for i, (requested, reference, notes, category, minutes) in enumerate(rows):
                conn.execute("INSERT INTO duties (officer, school, category, at, minutes, "
                             "requested_by, reference, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             (officer, school, category, f"2024-01-{i + 1:02d}T10:00:00",
                              minutes, requested, reference, notes))
        encoded, plain = _both(path, include_notes)
        assert encoded == plain
        with sqlite3.connect(path) as conn:
            conn.row_factory = None
            names = [*duties.LIST_COLUMNS, *(["notes"] if include_notes else [])]
            line = render.csv_sql(names, bools=("out_of_pattern",),
                                  json_lists=("open_followups",))
            probe = (f"SELECT {line} IS NULL FROM (SELECT d.*, 0 AS out_of_pattern, "
                     "'[]' AS open_followups FROM duties d)")
            for (left,) in conn.execute(probe):
                seen["python" if left else "sqlite"] += 1

    check()
    assert seen["sqlite"] >= 20 and seen["python"] >= 20, seen  # both ways were taken, often
