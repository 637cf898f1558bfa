"""Migration 14: kinds and incident flags from the rule packs (SPEC §5.2: the annual report,
grades, complaint kinds, agency kinds), kept apart from migrations.py for its size.

- `incidents.flags`: the incident flags an incident carries (ids of the report's
  `incident_flags`), a JSON list as every list is, beside the three booleans; filled from the
  booleans of the rows stored (`discipline`, `use_of_force`, `arrest`, in that order). The
  booleans stay, written with the flags (program/incidents.py), so that what read them still
  reads them.
- The CHECKs that fixed an agency's `kind` (city, county, contract), a complaint's `about`
  (job_duties, student_interaction) and a student row's `grade` (pk, k, 1-12, unknown) keep
  only the shape of an id: the choices are the rules of the applied packs now
  (`agency_kinds`, `complaint_kinds`, `grades`), checked by the checker against the rules in
  force, and `db check` reports a record that names a kind no applied pack defines. (A
  trigger against the rule tables cannot stand in: a load writes its records before the
  packs it brings are stored.) SQLite cannot drop a CHECK, so the tables
  are rebuilt with every row (rowids kept: nothing else changes) and their indexes.

A table is rebuilt under its own name, its rows kept aside in a TEMP table (as migration 11
does): a RENAME re-reads the whole schema, and this runs for every new database too. Foreign
keys are off meanwhile (`migrations.migrate`): agencies and incidents are parents, whose
children name them by name and find the rebuilt table with every key it had. The rebuilt
tables are checked with `PRAGMA foreign_key_check` before commit.
"""

from __future__ import annotations

import sqlite3

from crotool.errors import CroError
from crotool.store.table_rebuild import rebuild

_DATE = ("{c} IS NULL OR ({c} GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' AND "
         "date({c}) = {c})")


def _json_list(col: str) -> str:
    return f"CHECK (json_valid({col}) AND json_type({col}) = 'array')"


# What is left of the CHECK on a kind: the shape of a rule's id (rule_schema: an agency kind
# is a slug, a grade and a complaint kind codes), a second line of defence behind the checker.
def _slug(col: str) -> str:
    return (f"CHECK ({col} GLOB '[a-z0-9]*' AND {col} NOT GLOB '*[^a-z0-9-]*' AND {col} NOT"
            f" GLOB '*--*' AND {col} NOT GLOB '*-')")


def _code(col: str) -> str:
    return f"CHECK ({col} GLOB '[A-Za-z0-9]*' AND {col} NOT GLOB '*[^A-Za-z0-9._-]*')"


_DATETIME = ("at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:"
             "[0-5][0-9]'")
# The flags the booleans of a stored incident stand for, in the order they are listed, as
# the JSON list `json.dumps` writes (writes.py).
_FLAGS = ("'[' || substr(" + " || ".join(
    f"(CASE WHEN {b} THEN ', \"{b}\"' ELSE '' END)"
    for b in ("discipline", "use_of_force", "arrest")) + ", 3) || ']'")

# The tables as migrations 1 and 4 made them, but for the CHECK on their kind, and with
# incidents' flags. Written out, not derived from schema.py: a migration builds the tables of
# its own time.
_TABLES = {
    "agencies": f"""CREATE TABLE agencies (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL {_slug('kind')},
            jurisdiction TEXT NOT NULL DEFAULT '[]' {_json_list('jurisdiction')}
        )""",
    "incidents": f"""CREATE TABLE incidents (
            reference TEXT PRIMARY KEY,
            school TEXT NOT NULL REFERENCES schools(id) DEFERRABLE INITIALLY DEFERRED,
            at TEXT NOT NULL CHECK ({_DATETIME}),
            officers TEXT NOT NULL DEFAULT '[]' {_json_list('officers')},
            discipline INTEGER NOT NULL DEFAULT 0 CHECK (discipline IN (0, 1)),
            use_of_force INTEGER NOT NULL DEFAULT 0 CHECK (use_of_force IN (0, 1)),
            arrest INTEGER NOT NULL DEFAULT 0 CHECK (arrest IN (0, 1)),
            flags TEXT NOT NULL DEFAULT '[]' {_json_list('flags')},
            summary TEXT,
            notes TEXT
        )""",
    "complaints": f"""CREATE TABLE complaints (
            reference TEXT PRIMARY KEY,
            received_on TEXT NOT NULL CHECK ({_DATE.format(c='received_on')}),
            agency TEXT NOT NULL REFERENCES agencies(id) DEFERRABLE INITIALLY DEFERRED,
            officer TEXT REFERENCES officers(badge) DEFERRABLE INITIALLY DEFERRED,
            school TEXT REFERENCES schools(id) DEFERRABLE INITIALLY DEFERRED,
            about TEXT NOT NULL {_code('about')},
            filed_with TEXT NOT NULL CHECK (filed_with IN ('school', 'agency')),
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
            closed_on TEXT CHECK ({_DATE.format(c='closed_on')}),
            CHECK (closed_on IS NULL OR closed_on >= received_on)
        )""",
    "incident_students": f"""CREATE TABLE incident_students (
            id INTEGER PRIMARY KEY,
            incident TEXT NOT NULL REFERENCES incidents(reference) DEFERRABLE INITIALLY DEFERRED,
            seq INTEGER NOT NULL CHECK (seq BETWEEN 1 AND 999),
            race TEXT NOT NULL DEFAULT 'unknown',
            ethnicity TEXT NOT NULL DEFAULT 'unknown',
            gender TEXT NOT NULL DEFAULT 'unknown',
            grade TEXT NOT NULL DEFAULT 'unknown' {_code('grade')},
            iep INTEGER CHECK (iep IS NULL OR iep IN (0, 1)),
            plan_504 INTEGER CHECK (plan_504 IS NULL OR plan_504 IN (0, 1)),
            UNIQUE (incident, seq)
        )""",
}
_EXTRA = {"incidents": {"flags": _FLAGS}}
def _rebuild(conn: sqlite3.Connection, table: str) -> None:
    """Rebuild `table` by its CREATE above, keeping its rows, their rowids and its indexes."""
    indexes = [r[0] for r in conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL"
        " ORDER BY name", (table,))]
    rebuild(conn, table, lambda: conn.execute(_TABLES[table]), extra=_EXTRA.get(table),
            keep_rowids=True)
    for sql in indexes:
        conn.execute(sql)


def m014_kinds_and_flags(conn: sqlite3.Connection) -> None:
    for table in _TABLES:
        _rebuild(conn, table)
    for table in _TABLES:
        bad = conn.execute(f"PRAGMA foreign_key_check({table})").fetchall()
        if bad:
            raise CroError(f"migration 14: {len(bad)} row(s) of {table} name a record that is "
                           "not stored; nothing was changed",
                           hint="run `crotool db check` with the previous crotool version")
