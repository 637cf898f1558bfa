"""Migration 11: rule packs (issue 25, SPEC §5.1-5.2), kept apart from migrations.py for its size.

- `rule_packs` (one row per stored pack) and `pack_rules` (every rule record of every stored
  pack: the source of truth; `record` holds the fields that have no column, as JSON).
- `district.rule_packs`: the packs the district applies, in order (a JSON list).
- The rule sections' tables become the materialised rules of the applied packs: each gains
  `pack`, `effective_from` ('' = from the beginning, so that it can be part of the key),
  `effective_until` and `confidence`, and its key becomes (its key..., effective_from). SQLite
  cannot alter a primary key, so each is rebuilt. A partial UNIQUE index on the old key over
  the versions with no end (`... WHERE effective_until IS NULL`) says what the rule against
  overlaps implies: one open-ended version per rule.
- New rule sections' tables: duty_flags, grades, complaint_kinds, agency_kinds, officer_kinds,
  agreement_policy; a pack's `report` fills `annual_report` (its title and its parts' letters
  and titles: what the report reads today), the rest of it staying in pack_rules (a column
  named for students' fields would be one the privacy test refuses); the new fields of
  followup_rules (within_days, days, when), training_topics (due_within_months, due_from,
  hours, refresh_every_months, applies_to, required_to_cover), student_categories and
  stakeholder_groups (source); `duties.flags`.
- The foreign keys that pointed at a rule table (duty_categories.role -> roles,
  followups(category, rule) -> followup_rules, trainings.topic -> training_topics) and the one
  from followup_rules to duty_categories are dropped, each child table rebuilt with every index
  it had (migrations 2 and 10: `followups list --open` depends on followups_category_at): a
  rule is replaceable data now. The checker checks such references against the rules in
  force, and `db check` reports a record that names a rule no applied pack defines.
- The rules a database holds today become the pack `local` (`store/rules.py`), applied after
  the district's packs: they mean what they meant.

Runs with foreign keys off (`migrations.migrate`), as SQLite's procedure for rebuilding a
table asks; the rebuilt child tables are checked with `PRAGMA foreign_key_check` before commit.
A table is rebuilt under its own name (its rows kept aside in a TEMP table), not renamed: a
RENAME re-reads the whole schema, and this runs for every new database too.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from crotool.errors import CroError
from crotool.store import rules
from crotool.store.rule_schema import RULE_SECTIONS
from crotool.store.shapes import Section
from crotool.store.table_rebuild import rebuild

_DATE = ("{c} GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' AND date({c}) = {c}")
_AT = ("{c} GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]'")
_CONFIDENCE = "('confirmed', 'likely', 'guess')"


def _json_list(col: str) -> str:
    return f"TEXT NOT NULL DEFAULT '[]' CHECK (json_valid({col}) AND json_type({col}) = 'array')"


def _int(col: str, low: int, high: int) -> str:
    return f"INTEGER CHECK ({col} IS NULL OR {col} BETWEEN {low} AND {high})"


# The columns every rule table gains, and its version's place in the key.
_VERSION = f"""effective_from TEXT NOT NULL DEFAULT ''
        CHECK (effective_from = '' OR ({_DATE.format(c='effective_from')})),
    effective_until TEXT CHECK (effective_until IS NULL OR ({_DATE.format(c='effective_until')})),
    confidence TEXT CHECK (confidence IN {_CONFIDENCE}),
    pack TEXT,
    CHECK (effective_until IS NULL OR effective_from <= effective_until)"""
_NAMED = "id TEXT NOT NULL, name TEXT NOT NULL, source TEXT"
_ONE = "id INTEGER NOT NULL DEFAULT 1 CHECK (id = 1)"


def _letters(parts: tuple[str, ...]) -> str:
    return ",\n    ".join(f"{p}_letter TEXT, {p}_title TEXT" for p in parts)


_ANNUAL = ("staff", "agencies", "incidents", "complaints")

# Each rule table: (its columns, its key before versions). Written out, not derived from
# rule_schema.py: a migration builds the tables of its own time.
_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "roles": (_NAMED, ("id",)),
    "followup_rules": (f"""category TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL,
    within_hours {_int('within_hours', 1, 8760)},
    within_days {_int('within_days', 1, 366)},
    days TEXT CHECK (days IN ('calendar', 'business', 'school')),
    "when" TEXT,
    source TEXT""", ("category", "id")),
    "student_categories": ("""kind TEXT NOT NULL CHECK (kind IN ('race', 'ethnicity', 'gender')),
    id TEXT NOT NULL, name TEXT NOT NULL, source TEXT""", ("kind", "id")),
    "training_topics": (f"""id TEXT NOT NULL, name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('classroom', 'on_the_job')),
    source TEXT,
    due_within_months {_int('due_within_months', 0, 120)},
    due_from TEXT CHECK (due_from IN ('first_on_campus', 'assignment_start')),
    hours REAL CHECK (hours IS NULL OR hours BETWEEN 0.25 AND 2000),
    refresh_every_months {_int('refresh_every_months', 1, 120)},
    applies_to {_json_list('applies_to')},
    required_to_cover INTEGER CHECK (required_to_cover IS NULL OR required_to_cover IN (0, 1))""",
                        ("id",)),
    "agreement_elements": (_NAMED, ("id",)),
    "stakeholder_groups": (f"""id TEXT NOT NULL, name TEXT NOT NULL,
    sectors {_json_list('sectors')},
    source TEXT""", ("id",)),
    "duty_flags": (_NAMED, ("id",)),
    "grades": (_NAMED, ("id",)),
    "complaint_kinds": (_NAMED, ("id",)),
    "agency_kinds": (_NAMED, ("id",)),
    "officer_kinds": (_NAMED, ("id",)),
    "training_policy": (f"""{_ONE},
    classroom_within_months INTEGER NOT NULL CHECK (classroom_within_months BETWEEN 0 AND 120),
    on_the_job_days INTEGER NOT NULL CHECK (on_the_job_days BETWEEN 0 AND 365),
    on_the_job_within_months INTEGER NOT NULL CHECK (on_the_job_within_months BETWEEN 0 AND 120),
    source TEXT""", ("id",)),
    "annual_report": (f"""{_ONE}, title TEXT NOT NULL, source TEXT,
    {_letters(_ANNUAL)}""", ("id",)),
    "agreement_policy": (f"""{_ONE},
    term_years {_int('term_years', 1, 50)},
    review_every_months {_int('review_every_months', 1, 120)},
    input_within_months {_int('input_within_months', 1, 120)},
    source TEXT""", ("id",)),
}
# The rule tables of migrations 4 to 8, whose rows become the pack `local`.
_OLD = ("roles", "followup_rules", "student_categories", "training_topics", "training_policy",
        "agreement_elements", "stakeholder_groups", "annual_report")


def _create(conn: sqlite3.Connection, table: str) -> None:
    columns, key = _TABLES[table]
    keys = ", ".join(key)
    conn.execute(f"CREATE TABLE {table} (\n    {columns},\n    {_VERSION},\n"
                 f"    PRIMARY KEY ({keys}, effective_from)\n)")


def _open_index(conn: sqlite3.Connection, table: str) -> None:
    _, key = _TABLES[table]
    conn.execute(f"CREATE UNIQUE INDEX {table}_open ON {table}({', '.join(key)})"
                 " WHERE effective_until IS NULL")


def _old_values(section: Section, row: sqlite3.Row) -> dict[str, Any]:
    """A stored rule row as a record's typed values (lists decoded, booleans as such)."""
    values: dict[str, Any] = {}
    for name in row.keys():
        if name not in section.field_names or row[name] is None:
            continue
        kind = section.field(name).kind
        value = row[name]
        values[name] = (json.loads(value) if kind in ("list", "pairs") else
                        bool(value) if kind == "bool" else value)
    return values


def _to_local(conn: sqlite3.Connection, table: str) -> int:
    """Copy a rule table's rows into the pack `local`; rebuild the table with versions."""
    section = RULE_SECTIONS[table]
    rows = conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
    for row in rows:
        parts = rules.split(section, _old_values(section, row))
        conn.execute("INSERT INTO pack_rules (pack, section, key, effective_from, "
                     "effective_until, source, confidence, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (rules.LOCAL, table, parts["key"], parts["effective_from"],
                      parts["effective_until"], parts["source"], parts["confidence"],
                      rules.record_text(parts["record"])))
    rebuild(conn, table, lambda: _create(conn, table),
            extra={"pack": f"'{rules.LOCAL}'", "effective_from": "''"})
    _open_index(conn, table)
    return len(rows)


# The child tables rebuilt without their foreign key to a rule table: the new CREATE TABLE;
# their indexes are read from sqlite_master and made again.
_CHILDREN = {
    "duty_categories": """CREATE TABLE duty_categories (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            description TEXT,
            requires_request INTEGER NOT NULL DEFAULT 0 CHECK (requires_request IN (0, 1)),
            role TEXT
        )""",
    "followups": f"""CREATE TABLE followups (
            id INTEGER PRIMARY KEY,
            officer TEXT NOT NULL,
            school TEXT NOT NULL,
            category TEXT NOT NULL,
            at TEXT NOT NULL CHECK ({_AT.format(c='at')}),
            rule TEXT NOT NULL,
            done_at TEXT NOT NULL CHECK ({_AT.format(c='done_at')}),
            UNIQUE (officer, school, category, at, rule),
            FOREIGN KEY (officer, school, category, at)
                REFERENCES duties(officer, school, category, at) DEFERRABLE INITIALLY DEFERRED
        )""",
    "trainings": f"""CREATE TABLE trainings (
            id INTEGER PRIMARY KEY,
            officer TEXT NOT NULL REFERENCES officers(badge) DEFERRABLE INITIALLY DEFERRED,
            topic TEXT NOT NULL,
            completed_on TEXT NOT NULL CHECK ({_DATE.format(c='completed_on')}),
            provider TEXT,
            hours REAL CHECK (hours IS NULL OR hours BETWEEN 0.25 AND 80),
            UNIQUE (officer, topic, completed_on)
        )""",
}


def _rebuild_child(conn: sqlite3.Connection, table: str) -> None:
    indexes = [r[0] for r in conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL"
        " ORDER BY name", (table,))]
    rebuild(conn, table, lambda: conn.execute(_CHILDREN[table]))
    for sql in indexes:
        conn.execute(sql)


def m011_rule_packs(conn: sqlite3.Connection) -> None:
    conn.execute("""CREATE TABLE rule_packs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        jurisdiction TEXT,
        source TEXT,
        sha256 TEXT,
        loaded_at TEXT
    )""")
    conn.execute(f"""CREATE TABLE pack_rules (
        pack TEXT NOT NULL REFERENCES rule_packs(id) ON DELETE CASCADE,
        section TEXT NOT NULL,
        key TEXT NOT NULL,
        effective_from TEXT NOT NULL DEFAULT '',
        effective_until TEXT,
        source TEXT,
        confidence TEXT CHECK (confidence IN {_CONFIDENCE}),
        record TEXT NOT NULL CHECK (json_valid(record) AND json_type(record) = 'object'),
        PRIMARY KEY (pack, section, key, effective_from)
    )""")
    conn.execute(f"ALTER TABLE district ADD COLUMN rule_packs {_json_list('rule_packs')}")
    conn.execute(f"ALTER TABLE duties ADD COLUMN flags {_json_list('flags')}")
    has_rules = any(conn.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone() for t in _OLD)
    if has_rules:
        conn.execute("INSERT INTO rule_packs (id, name) VALUES (?, ?)",
                     (rules.LOCAL, rules.LOCAL_NAME))
    for table in _OLD:
        _to_local(conn, table)
    for table in _TABLES:
        if table not in _OLD:
            _create(conn, table)
            _open_index(conn, table)
    for table in _CHILDREN:
        _rebuild_child(conn, table)
        bad = conn.execute(f"PRAGMA foreign_key_check({table})").fetchall()
        if bad:
            raise CroError(f"migration 11: {len(bad)} row(s) of {table} name a record that is "
                           "not stored; nothing was changed",
                           hint="run `crotool db check` with the previous crotool version")
