"""One way to rebuild a table in a migration, as SQLite's documented procedure asks when a
primary key, a CHECK or a foreign key must change (ALTER TABLE cannot).

The rows are copied aside to a TEMP table in rowid order, the table is dropped and made again
under its own name (no RENAME, which re-reads the whole schema each time), and the rows are
copied back, with the values of any `extra` new columns. Migrations 11 and 14 use it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

_KEPT = "rebuild_kept"


def rebuild(conn: sqlite3.Connection, table: str, create: Callable[[], object], *,
            extra: dict[str, str] | None = None, keep_rowids: bool = False) -> None:
    """Rebuild `table` by `create`, keeping its rows in order; with `keep_rowids`, each row
    keeps its rowid too (else rows are numbered afresh in the same order). Indexes are the
    caller's to make again."""
    old = [r[1] for r in conn.execute(f"PRAGMA main.table_info({table})")]
    rows = conn.execute(f"SELECT count(*) FROM main.{table}").fetchone()[0]
    if rows:
        conn.execute(f"DROP TABLE IF EXISTS temp.{_KEPT}")
        conn.execute(f"CREATE TEMP TABLE {_KEPT} AS SELECT rowid AS kept_rowid, * FROM "
                     f"main.{table} ORDER BY rowid")
    conn.execute(f"DROP TABLE main.{table}")
    create()
    if rows:
        extra = extra or {}
        first = ["rowid"] if keep_rowids else []
        cols = ", ".join(f'"{c}"' for c in [*first, *old, *extra])
        values = ", ".join([*(["kept_rowid"] if keep_rowids else []),
                            *(f'"{c}"' for c in old), *extra.values()])
        conn.execute(f"INSERT INTO main.{table} ({cols}) SELECT {values} FROM temp.{_KEPT}"
                     " ORDER BY kept_rowid")
        conn.execute(f"DROP TABLE temp.{_KEPT}")
