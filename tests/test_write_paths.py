"""The two write paths keep one promise: `store.upsert` (record by record, as `load` and the
roster commands write) and `Staging` + `bulk_upsert` (SQL, as `import` writes) give the same
table, the same inserted/updated/unchanged counts, the same bulk_counts (the dry run) and the
same audit diffs, for any mix of new records, partial updates and null-clears.

Foreign keys are switched off: references are validation's business, not the write path's,
and leaving them on would need every referenced record in every example.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crotool.store import db
from crotool.store.audit import Auditor
from crotool.store.schema import SECTIONS, Field, Section
from crotool.store.writes import Counts, Staging, bulk_changes, bulk_counts, bulk_upsert, upsert

# Few values per kind, so that an update often gives the stored value again (unchanged).
VALUES: dict[str, list[Any]] = {
    "text": ["a", "b"],
    "slug": ["x", "y"],
    "code": ["0417", "12"],
    "year": ["2023-24", "2024-25"],
    "int": [1, 30],
    "bool": [False, True],
    "date": ["2024-01-01", "2024-02-29"],
    "datetime": ["2024-01-01T09:00:00", "2024-01-01T09:30:00"],
    "list": [[], ["x"], ["x", "y"]],
}
KEYS = 4  # distinct keys per section: records collide with stored ones often
SECTION_NAMES = ["connectors", "agencies", "duty_categories", "duties", "engagements",
                 "officers", "assignments"]


def _filled_by_validation() -> dict[str, set[str]]:
    """Columns NOT NULL without a DEFAULT that are not required fields (an assignment's start
    and end): validation fills them before a new record reaches either path."""
    conn = db.connect(":memory:")
    out = {name: {r["name"] for r in conn.execute(f"PRAGMA table_info({name})")
                  if r["notnull"] and r["dflt_value"] is None and not r["pk"]}
           for name in SECTION_NAMES}
    conn.close()
    return out


FILLED = _filled_by_validation()


def _values(f: Field) -> list[Any]:
    return list(f.choices) if f.kind == "enum" else VALUES[f.kind]


def _key(section: Section, i: int) -> dict[str, Any]:
    """The i-th of KEYS distinct keys of a section."""
    out = {}
    for n, name in enumerate(section.key):
        f = section.field(name)
        pool = _values(f)
        if n == 0 and f.kind in ("text", "slug", "code"):
            out[name] = f"{pool[0]}{i}"
        else:  # (date, title): the bits of i pick each part
            out[name] = pool[(i >> n) % len(pool)]
    return out


@st.composite
def scenario(draw: st.DrawFn) -> tuple[Section, list[dict], list[dict]]:
    section = SECTIONS[draw(st.sampled_from(SECTION_NAMES))]
    keys_list = [_key(section, i) for i in range(KEYS)]
    others = [f for f in section.fields if f.name not in section.key]

    def value(f: Field, clearing: bool) -> Any:
        pool = _values(f)
        # null clears an optional field; once validated, a field with a default is never null
        # (validate drops it), nor a required one, nor a list (an empty list clears it).
        if clearing and not f.required and not f.default_from and f.kind != "list":
            pool = [*pool, None]
        return draw(st.sampled_from(pool))

    def full(key: dict) -> dict:
        record = dict(key)
        for f in others:
            if f.required or f.name in FILLED[section.name] or draw(st.booleans()):
                record[f.name] = value(f, clearing=False)
        return record

    stored_idx = draw(st.sets(st.integers(0, len(keys_list) - 1)))
    stored = [full(keys_list[i]) for i in sorted(stored_idx)]
    batch = []
    for i in draw(st.permutations(range(len(keys_list)))):
        if draw(st.booleans()):
            continue
        key = keys_list[i]
        if i in stored_idx:  # an update: any subset of the fields, nulls clear
            record = dict(key)
            for f in others:
                if draw(st.booleans()):
                    record[f.name] = value(f, clearing=True)
            batch.append(record)
        else:  # a new record: every required field
            batch.append(full(key))
    return section, stored, batch


def _connect(path: Path) -> sqlite3.Connection:
    conn = db.connect(path)
    conn.execute("PRAGMA foreign_keys = OFF")
    return conn


def _table(conn: sqlite3.Connection, section: Section) -> list[tuple]:
    cols = ", ".join(f'"{c}"' for c in section.field_names)
    keys = ", ".join(f'"{k}"' for k in section.key)
    return [tuple(r) for r in conn.execute(f"SELECT {cols} FROM {section.name} ORDER BY {keys}")]


def _audit(conn: sqlite3.Connection, after: int) -> list[tuple]:
    return sorted(tuple(r) for r in conn.execute(
        "SELECT table_name, row_key, action, changes FROM audit WHERE id > ?", (after,)))


def _prepare(path: Path, section: Section, stored: list[dict]) -> tuple[sqlite3.Connection, int]:
    conn = _connect(path)
    with db.transaction(conn):
        upsert(conn, section, stored, Auditor(conn, "test"))
    last = conn.execute("SELECT coalesce(max(id), 0) FROM audit").fetchone()[0]
    return conn, last


def _by_upsert(path: Path, section: Section, stored: list[dict], batch: list[dict]
               ) -> tuple[Counts, Counts, list[tuple], list[tuple]]:
    conn, last = _prepare(path, section, stored)
    dry = upsert(conn, section, batch, None, dry_run=True)
    with db.transaction(conn):
        counts = upsert(conn, section, batch, Auditor(conn, "test"))
    result = counts, dry, _table(conn, section), _audit(conn, last)
    conn.close()
    return result


def _by_bulk(path: Path, section: Section, stored: list[dict], batch: list[dict]
             ) -> tuple[Counts, Counts, list[tuple], list[tuple]]:
    conn, last = _prepare(path, section, stored)
    staging = Staging(conn, section)
    staging.add([staging.row(line, values) for line, values in enumerate(batch, 1)])
    assert list(staging.duplicates()) == []
    dry = bulk_counts(conn, staging)
    with db.transaction(conn):
        auditor = Auditor(conn, "test")
        changes = [(section.name, key, action, diff)
                   for action, key, diff in bulk_changes(conn, staging)]
        counts = bulk_upsert(conn, staging)
        auditor.record_many(changes)
    result = counts, dry, _table(conn, section), _audit(conn, last)
    staging.drop()
    conn.close()
    return result


@pytest.mark.slow
@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(scenario())
def test_upsert_and_bulk_upsert_agree(tmp_path: Path, case) -> None:
    section, stored, batch = case
    run = len(list(tmp_path.iterdir()))
    one = _by_upsert(tmp_path / f"upsert-{run}.db", section, stored, batch)
    two = _by_bulk(tmp_path / f"bulk-{run}.db", section, stored, batch)
    assert one[2] == two[2], "the tables differ"
    assert one[0] == two[0], "the counts differ"
    assert one[1] == two[1] == one[0], "the dry-run counts differ"
    assert one[3] == two[3], "the audit diffs differ"
