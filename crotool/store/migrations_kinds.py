"""Migration 14: kinds and incident flags from the rule packs (SPEC §5.2: the annual report,
grades, complaint kinds, agency kinds), kept apart from migrations.py for its size.

- `incidents.flags`: the incident flags an incident carries (ids of the report's
  `incident_flags`), a JSON list as every list is; filled from the three booleans of the rows
  stored (`discipline`, `use_of_force`, `arrest`, in that order). The booleans stay, written
  with the flags (program/incidents.py), so that what read them still reads them.
- The CHECKs that fixed an agency's `kind` (city, county, contract), a complaint's `about`
  (job_duties, student_interaction) and a student row's `grade` (pk, k, 1-12, unknown) go: the
  choices are the rules of the applied packs now (`agency_kinds`, `complaint_kinds`,
  `grades`), checked by the checker against the rules in force, and `db check` reports a
  record that names a kind no applied pack defines. SQLite cannot drop a CHECK, so the three
  tables are rebuilt with every row (ids kept: nothing else changes) and their indexes.

Runs with foreign keys off (`migrations.migrate`), as SQLite's procedure for rebuilding a
table asks: agencies is a parent of schools, officers, complaints and agreements, whose
references name it by name and find the rebuilt table with every id it had. The rebuilt
tables are checked with `PRAGMA foreign_key_check` before commit.
"""

from __future__ import annotations

import json
import sqlite3

from crotool.errors import CroError

_DATE = ("{c} IS NULL OR ({c} GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' AND "
         "date({c}) = {c})")


def _json_list(col: str) -> str:
    return f"CHECK (json_valid({col}) AND json_type({col}) = 'array')"


# The three tables as migrations 1 and 4 made them, but for the CHECK on their kind. Written
# out, not derived from schema.py: a migration builds the tables of its own time.
_TABLES = {
    "agencies": f"""CREATE TABLE agencies_new (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            jurisdiction TEXT NOT NULL DEFAULT '[]' {_json_list('jurisdiction')}
        )""",
    "complaints": f"""CREATE TABLE complaints_new (
            reference TEXT PRIMARY KEY,
            received_on TEXT NOT NULL CHECK ({_DATE.format(c='received_on')}),
            agency TEXT NOT NULL REFERENCES agencies(id) DEFERRABLE INITIALLY DEFERRED,
            officer TEXT REFERENCES officers(badge) DEFERRABLE INITIALLY DEFERRED,
            school TEXT REFERENCES schools(id) DEFERRABLE INITIALLY DEFERRED,
            about TEXT NOT NULL,
            filed_with TEXT NOT NULL CHECK (filed_with IN ('school', 'agency')),
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
            closed_on TEXT CHECK ({_DATE.format(c='closed_on')}),
            CHECK (closed_on IS NULL OR closed_on >= received_on)
        )""",
    "incident_students": """CREATE TABLE incident_students_new (
            id INTEGER PRIMARY KEY,
            incident TEXT NOT NULL REFERENCES incidents(reference) DEFERRABLE INITIALLY DEFERRED,
            seq INTEGER NOT NULL CHECK (seq BETWEEN 1 AND 999),
            race TEXT NOT NULL DEFAULT 'unknown',
            ethnicity TEXT NOT NULL DEFAULT 'unknown',
            gender TEXT NOT NULL DEFAULT 'unknown',
            grade TEXT NOT NULL DEFAULT 'unknown',
            iep INTEGER CHECK (iep IS NULL OR iep IN (0, 1)),
            plan_504 INTEGER CHECK (plan_504 IS NULL OR plan_504 IN (0, 1)),
            UNIQUE (incident, seq)
        )""",
}
# The flags the booleans of a stored incident stand for, in the order they are listed.
_BOOLEANS = ("discipline", "use_of_force", "arrest")


def _rebuild(conn: sqlite3.Connection, table: str) -> None:
    indexes = [r[0] for r in conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL"
        " ORDER BY name", (table,))]
    conn.execute(_TABLES[table])
    cols = ", ".join(f'"{r[1]}"' for r in conn.execute(f"PRAGMA table_info({table})"))
    conn.execute(f"INSERT INTO {table}_new ({cols}) SELECT {cols} FROM {table} ORDER BY rowid")
    conn.execute(f"DROP TABLE {table}")
    conn.execute(f"ALTER TABLE {table}_new RENAME TO {table}")
    for sql in indexes:
        conn.execute(sql)


def m014_kinds_and_flags(conn: sqlite3.Connection) -> None:
    conn.execute(f"ALTER TABLE incidents ADD COLUMN flags TEXT NOT NULL DEFAULT '[]' "
                 f"{_json_list('flags')}")
    rows = conn.execute(f"SELECT reference, {', '.join(_BOOLEANS)} FROM incidents").fetchall()
    conn.executemany("UPDATE incidents SET flags = ? WHERE reference = ?", [
        (json.dumps([f for f, on in zip(_BOOLEANS, tuple(r)[1:], strict=True) if on]), r[0])
        for r in rows if any(tuple(r)[1:])])
    for table in _TABLES:
        _rebuild(conn, table)
    for table in _TABLES:
        bad = conn.execute(f"PRAGMA foreign_key_check({table})").fetchall()
        if bad:
            raise CroError(f"migration 14: {len(bad)} row(s) of {table} name a record that is "
                           "not stored; nothing was changed",
                           hint="run `crotool db check` with the previous crotool version")
