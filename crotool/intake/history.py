"""Import history: the imports and loads recorded in the database (`crotool imports list`).

Every import and seed load writes one row of provenance (file, SHA-256, counts; see
`store.writes.record_import`); this reads them back, newest first.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from crotool.errors import EXIT_USAGE, CroError, did_you_mean
from crotool.store.schema import IMPORTABLE


def history(conn: sqlite3.Connection, table: str | None = None, limit: int | None = None
            ) -> list[dict[str, Any]]:
    """Recorded imports and loads, newest first (`crotool imports list`)."""
    where, params = "", list[Any]()
    if table is not None:
        if table != "*" and table not in IMPORTABLE:
            close = did_you_mean(table, IMPORTABLE)
            raise CroError(f"--table: '{table}' is not an importable table; use one of "
                           f"{', '.join(IMPORTABLE)}, or '*' for seed loads", code=EXIT_USAGE,
                           hint=f"did you mean '{close}'?" if close else None)
        where, params = "WHERE table_name = ?", [table]
    sql = ("SELECT id, at, os_user AS user, command, table_name AS \"table\", file, rows, "
           f"inserted, updated, unchanged, sha256 FROM imports {where} ORDER BY id DESC")
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [dict(r) for r in conn.execute(sql, params)]

