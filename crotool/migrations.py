"""The schema, as ordered migration functions.

Each migration is a plain function of a connection, applied in its own BEGIN IMMEDIATE
transaction and recorded in `PRAGMA user_version` (its position in MIGRATIONS, counting from 1).
Checking an up-to-date database costs one pragma read, so `db.connect` migrates on every open.
Never edit or reorder a released migration: append a new one.

Design notes for migration 1 (the whole domain of SPEC §1):
- Natural keys are the SPEC's keys (UNIQUE), so loads and imports upsert by them; tables whose
  key is composite also get an integer `id` that commands can name (`unassign 12`,
  `assessments complete 3 --duty 41`).
- Foreign keys are DEFERRABLE INITIALLY DEFERRED: a load inserts sections in any order inside one
  transaction (feeder patterns name their high school, schools name their pattern) and SQLite
  checks every reference at COMMIT. Validation checks them first, with better messages.
- List fields (an agency's jurisdiction, a school's also_feeds, an engagement's connectors) are
  JSON arrays in one column, so each record is one row: upserts and "unchanged" checks stay
  simple. Queries read them with json_each; `db check` verifies their references.
- Dates are ISO text (YYYY-MM-DD), date-times YYYY-MM-DDTHH:MM:SS; both sort as text, and CHECKs
  keep anything else out.
- The audit table is append-only (triggers refuse UPDATE and DELETE) and hash-chained.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from crotool.errors import CroError

Migration = Callable[[sqlite3.Connection], None]

_DATE = "{c} IS NULL OR ({c} GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' AND date({c}) = {c})"


def _date(col: str) -> str:
    return f"CHECK ({_DATE.format(c=col)})"


def _json_list(col: str) -> str:
    return f"CHECK (json_valid({col}) AND json_type({col}) = 'array')"


def m001_initial(conn: sqlite3.Connection) -> None:
    statements = [
        """CREATE TABLE district (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            name TEXT NOT NULL,
            short_name TEXT
        )""",
        f"""CREATE TABLE school_years (
            id TEXT PRIMARY KEY CHECK (id GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]'),
            start TEXT NOT NULL {_date('start')},
            end TEXT NOT NULL {_date('end')},
            CHECK (start <= end)
        )""",
        f"""CREATE TABLE agencies (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('city', 'county', 'contract')),
            jurisdiction TEXT NOT NULL DEFAULT '[]' {_json_list('jurisdiction')}
        )""",
        """CREATE TABLE feeder_patterns (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            high_school TEXT REFERENCES schools(id) DEFERRABLE INITIALLY DEFERRED
        )""",
        f"""CREATE TABLE schools (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            level TEXT NOT NULL CHECK (level IN ('elementary', 'middle', 'high', 'choice')),
            feeder_pattern TEXT NOT NULL
                REFERENCES feeder_patterns(id) DEFERRABLE INITIALLY DEFERRED,
            also_feeds TEXT NOT NULL DEFAULT '[]' {_json_list('also_feeds')},
            agency TEXT NOT NULL REFERENCES agencies(id) DEFERRABLE INITIALLY DEFERRED,
            city TEXT,
            address TEXT
        )""",
        "CREATE INDEX schools_pattern ON schools(feeder_pattern)",
        "CREATE INDEX schools_agency ON schools(agency)",
        f"""CREATE TABLE officers (
            badge TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            agency TEXT NOT NULL REFERENCES agencies(id) DEFERRABLE INITIALLY DEFERRED,
            status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
            school_trained_on TEXT {_date('school_trained_on')},
            rank TEXT,
            phone TEXT,
            email TEXT
        )""",
        "CREATE INDEX officers_agency ON officers(agency)",
        f"""CREATE TABLE leaves (
            id INTEGER PRIMARY KEY,
            officer TEXT NOT NULL REFERENCES officers(badge) DEFERRABLE INITIALLY DEFERRED,
            start TEXT NOT NULL {_date('start')},
            end TEXT NOT NULL {_date('end')},
            reason TEXT,
            UNIQUE (officer, start),
            CHECK (start <= end)
        )""",
        f"""CREATE TABLE assignments (
            id INTEGER PRIMARY KEY,
            officer TEXT NOT NULL REFERENCES officers(badge) DEFERRABLE INITIALLY DEFERRED,
            feeder_pattern TEXT NOT NULL
                REFERENCES feeder_patterns(id) DEFERRABLE INITIALLY DEFERRED,
            school_year TEXT NOT NULL REFERENCES school_years(id) DEFERRABLE INITIALLY DEFERRED,
            role TEXT NOT NULL DEFAULT 'cro' CHECK (role IN ('cro', 'additional')),
            start TEXT NOT NULL {_date('start')},
            end TEXT NOT NULL {_date('end')},
            UNIQUE (officer, feeder_pattern, school_year, start),
            CHECK (start <= end)
        )""",
        "CREATE INDEX assignments_year_pattern ON assignments(school_year, feeder_pattern)",
        """CREATE TABLE duty_categories (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            description TEXT,
            requires_request INTEGER NOT NULL DEFAULT 0 CHECK (requires_request IN (0, 1))
        )""",
        """CREATE TABLE duties (
            id INTEGER PRIMARY KEY,
            officer TEXT NOT NULL REFERENCES officers(badge) DEFERRABLE INITIALLY DEFERRED,
            school TEXT NOT NULL REFERENCES schools(id) DEFERRABLE INITIALLY DEFERRED,
            category TEXT NOT NULL REFERENCES duty_categories(id) DEFERRABLE INITIALLY DEFERRED,
            at TEXT NOT NULL CHECK (at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]'),
            minutes INTEGER CHECK (minutes IS NULL OR minutes BETWEEN 1 AND 1440),
            requested_by TEXT,
            reference TEXT,
            notes TEXT,
            UNIQUE (officer, school, category, at)
        )""",  # noqa: E501 (a GLOB pattern reads best on one line)
        # Reports filter on a date range and group by one column: these cover those queries.
        "CREATE INDEX duties_at ON duties(at)",
        "CREATE INDEX duties_category_at ON duties(category, at, minutes)",
        "CREATE INDEX duties_school_at ON duties(school, at)",
        "CREATE INDEX duties_officer_at ON duties(officer, at)",
        f"""CREATE TABLE assessments (
            id INTEGER PRIMARY KEY,
            school TEXT NOT NULL REFERENCES schools(id) DEFERRABLE INITIALLY DEFERRED,
            due TEXT NOT NULL {_date('due')},
            requested_by TEXT,
            status TEXT NOT NULL DEFAULT 'scheduled'
                CHECK (status IN ('scheduled', 'done', 'cancelled')),
            duty INTEGER REFERENCES duties(id) DEFERRABLE INITIALLY DEFERRED,
            UNIQUE (school, due)
        )""",
        "CREATE INDEX assessments_status_due ON assessments(status, due)",
        """CREATE TABLE connectors (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            organization TEXT,
            sector TEXT,
            status TEXT NOT NULL DEFAULT 'current' CHECK (status IN ('current', 'new'))
        )""",
        f"""CREATE TABLE engagements (
            id INTEGER PRIMARY KEY,
            date TEXT NOT NULL {_date('date')},
            title TEXT NOT NULL,
            connectors TEXT NOT NULL DEFAULT '[]' {_json_list('connectors')},
            phase TEXT NOT NULL
                CHECK (phase IN ('prevention', 'mitigation', 'response', 'recovery')),
            dimension TEXT NOT NULL
                CHECK (dimension IN ('physical', 'emotional', 'social', 'behavioral', 'academic')),
            summary TEXT,
            UNIQUE (date, title)
        )""",
        "CREATE INDEX engagements_cell ON engagements(phase, dimension)",
        # Who changed what, when. `changes` is JSON; never holds the text of notes.
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            os_user TEXT NOT NULL,
            command TEXT NOT NULL,
            table_name TEXT NOT NULL,
            row_key TEXT NOT NULL,
            action TEXT NOT NULL,
            changes TEXT NOT NULL DEFAULT '{}',
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )""",
        "CREATE INDEX audit_at ON audit(at)",
        """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
           BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END""",
        """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
           BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END""",
        # Provenance of each import and load: which file, its hash, what it did.
        """CREATE TABLE imports (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            os_user TEXT NOT NULL,
            command TEXT NOT NULL,
            table_name TEXT NOT NULL,
            file TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            rows INTEGER NOT NULL,
            inserted INTEGER NOT NULL,
            updated INTEGER NOT NULL,
            unchanged INTEGER NOT NULL
        )""",
    ]
    for sql in statements:
        conn.execute(sql)


def m002_duty_report_indexes(conn: sqlite3.Connection) -> None:
    """Covering indexes for `report duties --by school|officer|month` and the duty log.

    Migration 1's duties_at(at), duties_school_at(school, at) and duties_officer_at(officer,
    at) leave `minutes` out, so a report that sums minutes over a range had to read every
    duty's table row as well (EXPLAIN QUERY PLAN: not a COVERING INDEX). Each is replaced by the
    same index with `minutes` appended: a strict extension, so every query the old index served
    it serves too, and a duty write still updates four duty indexes, not seven.
    """
    for old, name, cols in (
        ("duties_at", "duties_at_minutes", "at, minutes"),
        ("duties_school_at", "duties_school_at_minutes", "school, at, minutes"),
        ("duties_officer_at", "duties_officer_at_minutes", "officer, at, minutes"),
    ):
        conn.execute(f"CREATE INDEX IF NOT EXISTS {name} ON duties({cols})")
        conn.execute(f"DROP INDEX IF EXISTS {old}")


def m008_audit_anchor(conn: sqlite3.Connection) -> None:
    """Anchor the audit chain (issue 18): a head record outside the audit table, MAC'd with a
    key kept outside the database (see audit.py), and a trigger that takes only the next id.

    `INSERT OR REPLACE INTO audit` with an old id deleted that row without firing the DELETE
    trigger; now any id but max(id) + 1 is refused. The head row is written with the rows in
    the same transaction, so a crash can never leave it behind the table.
    """
    from crotool import audit

    conn.execute("""CREATE TABLE audit_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        key_id TEXT NOT NULL,
        last_id INTEGER NOT NULL,
        last_hash TEXT NOT NULL,
        rows INTEGER NOT NULL,
        mac TEXT NOT NULL
    )""")
    conn.execute("""CREATE TRIGGER audit_in_order BEFORE INSERT ON audit
        WHEN NEW.id IS NULL OR NEW.id <> coalesce((SELECT max(id) FROM audit), 0) + 1
        BEGIN SELECT RAISE(ABORT, 'audit rows are append-only, in order'); END""")
    conn.execute("""CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
        BEGIN SELECT RAISE(ABORT, 'the audit head is kept'); END""")
    audit.anchor(conn)


MIGRATIONS: list[Migration] = [m001_initial, m002_duty_report_indexes, m008_audit_anchor]
SCHEMA_VERSION = len(MIGRATIONS)


def version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every pending migration, each in its own transaction; return the version."""
    current = version(conn)
    if current > SCHEMA_VERSION:
        raise CroError(
            f"the database has schema version {current}, newer than this crotool knows "
            f"({SCHEMA_VERSION})",
            hint="upgrade crotool",
        )
    while current < SCHEMA_VERSION:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            current = version(conn)
            if current < SCHEMA_VERSION:
                MIGRATIONS[current](conn)
                current += 1
                conn.execute(f"PRAGMA user_version = {current}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return current
