"""`duty list -f csv` writes the cursor's tuples as CSV with no dict between
(`encode.csv_text`), checking only the free-text cells; the file is the one `stream_csv` writes
of the same rows as dicts, byte for byte, whatever the text holds (a formula to guard, quotes,
commas, line breaks, control characters, open follow-ups)."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crotool.output import render
from crotool.output.encode import Tuples
from crotool.output.view import View
from crotool.program import duties
from crotool.program.years import Range
from crotool.store import db

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
                                         include_notes=include_notes,
                                         shape="tuples" if encode else "dicts")
            rows = Tuples(found.rows, found.columns) if encode else found.rows
            render.stream_rows(rows, "csv", view=View(columns=names), output=str(target))
        conn.close()
        out.append(target.read_bytes())
    return out[0], out[1]


@pytest.mark.slow
def test_tuples_written_as_csv_are_the_dict_paths_bytes(seeded_template: Path, tmp_path: Path):
    with sqlite3.connect(seeded_template) as conn:
        officer, school = conn.execute(
            "SELECT badge, (SELECT id FROM schools ORDER BY id LIMIT 1) FROM officers "
            "ORDER BY badge LIMIT 1").fetchone()
        categories = [r[0] for r in conn.execute("SELECT id FROM duty_categories ORDER BY id")]
    seen = {"rows": 0}

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
        seen["rows"] += len(rows)

    check()
    assert seen["rows"] >= 100, seen  # many rows, of every kind of text, were compared
