"""Migration 12: the index that follow-up clocks with `when` need (SPEC §5.2 "Clocks").

Kept apart from migrations.py for that module's size, as migration 11 is. Migration 11 gave
duties their `flags` and followup_rules their `within_days`, `days` and `when`; this one
makes the open follow-ups' anti-join (program/followups.py) read a duty's flags from the
index it already scans.
"""

from __future__ import annotations

import sqlite3


def m012_duty_flags_index(conn: sqlite3.Connection) -> None:
    """duties_category_at gains `flags` at its end: `followups list --open` asks each duty of
    a rule with `when` for its flags, and still reads the duties from the index alone
    (`SEARCH d USING COVERING INDEX duties_category_at`). A strict extension, as in
    migrations 2 and 10: every query the old index served it serves, under the same name, and
    a duty write still updates four duty indexes. Most duties have no flag ('[]': 3 bytes)."""
    conn.execute("DROP INDEX duties_category_at")
    conn.execute("CREATE INDEX duties_category_at ON duties(category, at, minutes, officer,"
                 " school, flags)")
