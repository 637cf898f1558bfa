"""The schema, as ordered migration functions.

Each migration is a plain function of a connection, applied in its own BEGIN IMMEDIATE
transaction and recorded in `PRAGMA user_version` (its position in MIGRATIONS, from 1). An
up-to-date database costs one pragma read, so `db.connect` migrates on every open. Never edit or
reorder a released migration: append one (from 11 on, each in a module of its own).

Design notes for migration 1 (the whole domain: README's record types):
- Natural keys are the records' keys (schema.py `Section.key`, UNIQUE), so loads and
  imports upsert by them; tables whose key is composite also get an integer `id` that
  commands can name (`unassign 12`, `assessments complete 3 --duty 41`).
- Foreign keys are DEFERRABLE INITIALLY DEFERRED: a load inserts sections in any order inside one
  transaction (feeder patterns name their high school, schools name their pattern) and SQLite
  checks every reference at COMMIT. Validation checks them first, with better messages.
- List fields (an agency's jurisdiction, a school's also_feeds, an engagement's connectors) are
  JSON arrays in one column, so each record is one row: upserts and "unchanged" checks stay
  simple. Queries read them with json_each; `db check` verifies their references.
- Dates are ISO text (YYYY-MM-DD), date-times YYYY-MM-DDTHH:MM:SS: they sort as text; CHECKs too.
- The audit table is append-only (triggers refuse UPDATE and DELETE) and hash-chained.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from crotool.errors import CroError
from crotool.store import audit
from crotool.store.migrations_clocks import m012_duty_flags_index
from crotool.store.migrations_kinds import m014_kinds_and_flags
from crotool.store.migrations_officer_kinds import m013_officer_kind
from crotool.store.migrations_packs import m011_rule_packs

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


def m003_school_days(conn: sqlite3.Connection) -> None:
    """School days: a year's `weekdays` and its `closures`.

    `weekdays` is a JSON array of day names (default Monday to Friday, so every stored year
    keeps the meaning it had). CHECK constraints cannot hold a subquery, so the array's items
    are checked by removing every allowed quoted name and asking that only brackets, commas and
    spaces remain. A closure is keyed by (school_year, start) like the other dated
    records, and has an integer id like them; the rules between rows (inside its year, no
    overlap within a year) are validation's, as for assignments.
    """
    stripped = "weekdays"
    for name in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        stripped = f"""replace({stripped}, '"{name}"', '')"""
    default = '["mon", "tue", "wed", "thu", "fri"]'  # as json.dumps writes the list
    conn.execute(
        f"""ALTER TABLE school_years ADD COLUMN weekdays TEXT NOT NULL DEFAULT '{default}'
            CHECK (json_valid(weekdays) AND json_type(weekdays) = 'array'
                   AND trim({stripped}, '[], ') = '')""")
    conn.execute(f"""CREATE TABLE closures (
        id INTEGER PRIMARY KEY,
        school_year TEXT NOT NULL REFERENCES school_years(id) DEFERRABLE INITIALLY DEFERRED,
        start TEXT NOT NULL {_date('start')},
        end TEXT NOT NULL {_date('end')},
        reason TEXT,
        UNIQUE (school_year, start),
        CHECK (start <= end)
    )""")


_DATETIME = ("at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:"
             "[0-5][0-9]'")


def m004_incidents_complaints_schedules(conn: sqlite3.Connection) -> None:
    """What RCW 28A.320.1241's annual report needs.

    - `student_categories` (kind, id): the race, ethnicity and gender values a student row may
      take (besides 'unknown'); from data, so the code holds no state's list.
    - `incidents` keyed by the case number; `officers` a JSON array of badges, as lists are
      elsewhere. `notes` is private, as duty notes are.
    - `incident_students` (incident, seq): demographics only. No column for a student's name
      or identifier exists, by design.
    - `complaints` keyed by reference; `schedules` (officer, school, school_year) with
      days_per_week in halves (stored as REAL: 0.5 and its multiples are exact in binary).
    Choices mirror schema.py's tuples.
    """
    statements = [
        """CREATE TABLE student_categories (
            kind TEXT NOT NULL CHECK (kind IN ('race', 'ethnicity', 'gender')),
            id TEXT NOT NULL,
            name TEXT NOT NULL,
            PRIMARY KEY (kind, id)
        )""",
        f"""CREATE TABLE incidents (
            reference TEXT PRIMARY KEY,
            school TEXT NOT NULL REFERENCES schools(id) DEFERRABLE INITIALLY DEFERRED,
            at TEXT NOT NULL CHECK ({_DATETIME}),
            officers TEXT NOT NULL DEFAULT '[]' {_json_list('officers')},
            discipline INTEGER NOT NULL DEFAULT 0 CHECK (discipline IN (0, 1)),
            use_of_force INTEGER NOT NULL DEFAULT 0 CHECK (use_of_force IN (0, 1)),
            arrest INTEGER NOT NULL DEFAULT 0 CHECK (arrest IN (0, 1)),
            summary TEXT,
            notes TEXT
        )""",
        "CREATE INDEX incidents_at ON incidents(at)",
        """CREATE TABLE incident_students (
            id INTEGER PRIMARY KEY,
            incident TEXT NOT NULL REFERENCES incidents(reference) DEFERRABLE INITIALLY DEFERRED,
            seq INTEGER NOT NULL CHECK (seq BETWEEN 1 AND 999),
            race TEXT NOT NULL DEFAULT 'unknown',
            ethnicity TEXT NOT NULL DEFAULT 'unknown',
            gender TEXT NOT NULL DEFAULT 'unknown',
            grade TEXT NOT NULL DEFAULT 'unknown' CHECK (grade IN ('pk', 'k', '1', '2', '3',
                '4', '5', '6', '7', '8', '9', '10', '11', '12', 'unknown')),
            iep INTEGER CHECK (iep IS NULL OR iep IN (0, 1)),
            plan_504 INTEGER CHECK (plan_504 IS NULL OR plan_504 IN (0, 1)),
            UNIQUE (incident, seq)
        )""",
        f"""CREATE TABLE complaints (
            reference TEXT PRIMARY KEY,
            received_on TEXT NOT NULL {_date('received_on')},
            agency TEXT NOT NULL REFERENCES agencies(id) DEFERRABLE INITIALLY DEFERRED,
            officer TEXT REFERENCES officers(badge) DEFERRABLE INITIALLY DEFERRED,
            school TEXT REFERENCES schools(id) DEFERRABLE INITIALLY DEFERRED,
            about TEXT NOT NULL CHECK (about IN ('job_duties', 'student_interaction')),
            filed_with TEXT NOT NULL CHECK (filed_with IN ('school', 'agency')),
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
            closed_on TEXT {_date('closed_on')},
            CHECK (closed_on IS NULL OR closed_on >= received_on)
        )""",
        "CREATE INDEX complaints_received ON complaints(received_on)",
        """CREATE TABLE schedules (
            id INTEGER PRIMARY KEY,
            officer TEXT NOT NULL REFERENCES officers(badge) DEFERRABLE INITIALLY DEFERRED,
            school TEXT NOT NULL REFERENCES schools(id) DEFERRABLE INITIALLY DEFERRED,
            school_year TEXT NOT NULL REFERENCES school_years(id) DEFERRABLE INITIALLY DEFERRED,
            days_per_week REAL NOT NULL
                CHECK (days_per_week BETWEEN 0.5 AND 5 AND days_per_week * 2 = round(days_per_week * 2)),
            UNIQUE (officer, school, school_year)
        )""",  # noqa: E501
        "CREATE INDEX schedules_year_school ON schedules(school_year, school)",
    ]
    for sql in statements:
        conn.execute(sql)


_AT = ("{c} GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]'")


def m005_followups_roles(conn: sqlite3.Connection) -> None:
    """Roles, follow-up rules and done follow-ups.

    - `roles`, and `duty_categories.role` (nullable: a category need not have one).
    - `followup_rules` keyed (category, id): a duty of the category has one follow-up per rule,
      due `within_hours` (1 to 8,760) after its `at`.
    - `followups` holds only the DONE follow-ups, keyed by the duty's natural key and the rule
      (so seed documents and imports name the duty as they name it everywhere else). An open
      follow-up is a duty x rule pair with no row here: `followups list --open` is an anti-join,
      one range scan of duties_category_at per rule and one probe of this table's key per duty,
      and logging a duty writes nothing extra. Both references are composite foreign keys onto
      the parents' UNIQUE keys.
    - duties_school_at_minutes(school, at, minutes) already serves `report presence` (count and
      max(at) per school over a range, from the index alone): no new duty index.
    """
    statements = [
        """CREATE TABLE roles (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            source TEXT
        )""",
        "ALTER TABLE duty_categories ADD COLUMN role TEXT"
        " REFERENCES roles(id) DEFERRABLE INITIALLY DEFERRED",
        """CREATE TABLE followup_rules (
            category TEXT NOT NULL
                REFERENCES duty_categories(id) DEFERRABLE INITIALLY DEFERRED,
            id TEXT NOT NULL,
            name TEXT NOT NULL,
            within_hours INTEGER NOT NULL CHECK (within_hours BETWEEN 1 AND 8760),
            source TEXT,
            PRIMARY KEY (category, id)
        )""",
        f"""CREATE TABLE followups (
            id INTEGER PRIMARY KEY,
            officer TEXT NOT NULL,
            school TEXT NOT NULL,
            category TEXT NOT NULL,
            at TEXT NOT NULL CHECK ({_AT.format(c='at')}),
            rule TEXT NOT NULL,
            done_at TEXT NOT NULL CHECK ({_AT.format(c='done_at')}),
            UNIQUE (officer, school, category, at, rule),
            FOREIGN KEY (officer, school, category, at)
                REFERENCES duties(officer, school, category, at) DEFERRABLE INITIALLY DEFERRED,
            FOREIGN KEY (category, rule)
                REFERENCES followup_rules(category, id) DEFERRABLE INITIALLY DEFERRED
        )""",
        # A rule's update or delete looks its done follow-ups up by these columns (FK check).
        "CREATE INDEX followups_rule ON followups(category, rule)",
    ]
    for sql in statements:
        conn.execute(sql)


def m006_training_and_agreements(conn: sqlite3.Connection) -> None:
    """training topics, the training policy, trainings, the officer's first day
    on campus; agreement elements, stakeholder groups and agreements.

    The choices mirror schema.TRAINING_KINDS and schema.TRAINING_HOURS. `training_policy` is
    one row, like `district`. An agreement's `elements` and `input_from` are JSON lists, as
    every list field is; `db check` verifies the ids they hold.
    """
    statements = [
        """CREATE TABLE training_topics (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('classroom', 'on_the_job')),
            source TEXT
        )""",
        """CREATE TABLE training_policy (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            classroom_within_months INTEGER NOT NULL
                CHECK (classroom_within_months BETWEEN 0 AND 120),
            on_the_job_days INTEGER NOT NULL CHECK (on_the_job_days BETWEEN 0 AND 365),
            on_the_job_within_months INTEGER NOT NULL
                CHECK (on_the_job_within_months BETWEEN 0 AND 120),
            source TEXT
        )""",
        f"ALTER TABLE officers ADD COLUMN first_on_campus TEXT {_date('first_on_campus')}",
        f"""CREATE TABLE trainings (
            id INTEGER PRIMARY KEY,
            officer TEXT NOT NULL REFERENCES officers(badge) DEFERRABLE INITIALLY DEFERRED,
            topic TEXT NOT NULL REFERENCES training_topics(id) DEFERRABLE INITIALLY DEFERRED,
            completed_on TEXT NOT NULL {_date('completed_on')},
            provider TEXT,
            hours REAL CHECK (hours IS NULL OR hours BETWEEN 0.25 AND 80),
            UNIQUE (officer, topic, completed_on)
        )""",
        "CREATE INDEX trainings_topic ON trainings(topic)",
        """CREATE TABLE agreement_elements (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            source TEXT
        )""",
        f"""CREATE TABLE stakeholder_groups (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            sectors TEXT NOT NULL DEFAULT '[]' {_json_list('sectors')}
        )""",
        f"""CREATE TABLE agreements (
            id INTEGER PRIMARY KEY,
            agency TEXT NOT NULL REFERENCES agencies(id) DEFERRABLE INITIALLY DEFERRED,
            school_year TEXT NOT NULL REFERENCES school_years(id) DEFERRABLE INITIALLY DEFERRED,
            adopted_on TEXT {_date('adopted_on')},
            reviewed_on TEXT {_date('reviewed_on')},
            document TEXT,
            elements TEXT NOT NULL DEFAULT '[]' {_json_list('elements')},
            input_from TEXT NOT NULL DEFAULT '[]' {_json_list('input_from')},
            UNIQUE (agency, school_year)
        )""",
        "CREATE INDEX agreements_year ON agreements(school_year)",
    ]
    for sql in statements:
        conn.execute(sql)


def m007_audit_anchor(conn: sqlite3.Connection) -> None:
    """Anchor the audit chain (issue 18): a head record outside the audit table, MAC'd with a
    key kept outside the database (see audit.py), and a trigger that takes only the next id.

    `INSERT OR REPLACE INTO audit` with an old id deleted that row without firing the DELETE
    trigger; now any id but max(id) + 1 is refused. The head row is written with the rows in
    the same transaction, so a crash can never leave it behind the table.
    """
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


def m008_annual_report(conn: sqlite3.Connection) -> None:
    """The annual report's title, its source and its four parts' letters and titles, as data
    (one row, like `district`): the code writes no statute's words. Empty until a seed or an
    import fills it; the report then uses plain titles."""
    parts = ",\n".join(f"{p}_letter TEXT, {p}_title TEXT"
                        for p in ("staff", "agencies", "incidents", "complaints"))
    conn.execute(f"""CREATE TABLE annual_report (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        title TEXT NOT NULL,
        source TEXT,
        {parts}
    )""")


def m009_assignment_ids_never_reused(conn: sqlite3.Connection) -> None:
    """Assignment ids are never reused (issue 14): `unassign 9` and then `assign` gave the
    new assignment id 9, so an id in last week's report could name another assignment.

    The table is rebuilt with AUTOINCREMENT (SQLite cannot add it in place; nothing refers to
    assignments' rows, so the copy keeps every id), and its sequence starts past every id the
    table or the audit log of deletes has ever held.
    """
    conn.execute(f"""CREATE TABLE assignments_new (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            officer TEXT NOT NULL REFERENCES officers(badge) DEFERRABLE INITIALLY DEFERRED,
            feeder_pattern TEXT NOT NULL
                REFERENCES feeder_patterns(id) DEFERRABLE INITIALLY DEFERRED,
            school_year TEXT NOT NULL REFERENCES school_years(id) DEFERRABLE INITIALLY DEFERRED,
            role TEXT NOT NULL DEFAULT 'cro' CHECK (role IN ('cro', 'additional')),
            start TEXT NOT NULL {_date('start')},
            end TEXT NOT NULL {_date('end')},
            UNIQUE (officer, feeder_pattern, school_year, start),
            CHECK (start <= end)
        )""")
    conn.execute("INSERT INTO assignments_new (id, officer, feeder_pattern, school_year, role,"
                 " start, end) SELECT id, officer, feeder_pattern, school_year, role, start, end"
                 " FROM assignments ORDER BY id")
    conn.execute("DROP TABLE assignments")
    conn.execute("ALTER TABLE assignments_new RENAME TO assignments")
    conn.execute("CREATE INDEX assignments_year_pattern ON assignments(school_year,"
                 " feeder_pattern)")
    high = conn.execute(
        "SELECT max(coalesce((SELECT max(id) FROM assignments), 0), coalesce((SELECT"
        " max(CAST(json_extract(changes, '$.id') AS INTEGER)) FROM audit WHERE table_name ="
        " 'assignments' AND action = 'delete' AND json_valid(changes)), 0))").fetchone()[0]
    conn.execute("DELETE FROM sqlite_sequence WHERE name = 'assignments'")
    if high:
        conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('assignments', ?)",
                     (high,))


def m010_open_followups_indexes(conn: sqlite3.Connection) -> None:
    """Indexes for `followups list --open` over years of duties (issue 17's speed figure).

    The open follow-ups are an anti-join: per rule, the duties of its category up to as_of in
    `at` order, each probed for a done follow-up. Measured on 1,000,000 duties (187,500 of
    categories with rules), that took 1.3 s: each duty's officer and school came from its
    table row, and each probe went into followups' UNIQUE (officer, school, ...) index in
    random order, then to the table row for `done_at`. Now 0.25 s:
    - duties_category_at gains `officer, school` after `at, minutes`: the duties side is read
      from the index alone. A strict extension (as in migration 2): every query the old index
      served it serves, under the same name, and a duty write still updates four duty indexes.
    - followups_category_at(category, at, officer, school, rule, done_at): the probe in the
      order the duties come, from the index alone.
    """
    for sql in (
        "DROP INDEX duties_category_at",
        "CREATE INDEX duties_category_at ON duties(category, at, minutes, officer, school)",
        "CREATE INDEX followups_category_at ON followups(category, at, officer, school, rule,"
        " done_at)",
    ):
        conn.execute(sql)


MIGRATIONS: list[Migration] = [
    m001_initial,
    m002_duty_report_indexes,
    m003_school_days,
    m004_incidents_complaints_schedules,
    m005_followups_roles,
    m006_training_and_agreements,
    m007_audit_anchor,
    m008_annual_report,
    m009_assignment_ids_never_reused,
    m010_open_followups_indexes,
    m011_rule_packs,
    m012_duty_flags_index,
    m013_officer_kind,
    m014_kinds_and_flags,
]
SCHEMA_VERSION = len(MIGRATIONS)


def version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every pending migration, each in its own transaction; return the version.
    Foreign keys are off meanwhile, as SQLite's procedure for rebuilding a table asks (11)."""
    current = version(conn)
    if current > SCHEMA_VERSION:
        raise CroError(f"the database has schema version {current}, newer than this crotool "
                       f"knows ({SCHEMA_VERSION})", hint="upgrade crotool")
    if current == SCHEMA_VERSION:
        return current
    enforced = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
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
    finally:
        if enforced:
            conn.execute("PRAGMA foreign_keys = ON")
    return current
