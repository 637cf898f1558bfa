"""Migration 13: an officer's kind (SPEC §5.2 `officer_kinds`), kept apart from migrations.py
for its length.

`officers.kind` is an `officer_kinds` id: a sworn officer, a guardian, a security guard...
The kinds are rules (a pack's `officer_kinds`), so there is no foreign key: a rule is
replaceable data, and the checker checks an officer's kind against the kinds in force. NULL
means the first kind the applied packs list (`program/officer_kinds.py`); officers stored
before this migration get that kind now, where the packs already name one (the first listed
that has no end), so that what `officers list` shows is stored.
"""

from __future__ import annotations

import sqlite3


def m013_officer_kind(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE officers ADD COLUMN kind TEXT")
    first = conn.execute("SELECT id FROM officer_kinds WHERE effective_until IS NULL"
                         " ORDER BY rowid LIMIT 1").fetchone()
    if first is not None:
        conn.execute("UPDATE officers SET kind = ?", (first[0],))
