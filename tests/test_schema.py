"""schema.py is the one description of the record types: every Section must match the tables
the migrations build (columns, NOT NULL for required fields), and every field's choices must
be its column's CHECK. Written over `schema.SECTIONS`, so a section added later is checked
too, as are the lists derived from it (importable tables, `db check`'s list references)."""

from __future__ import annotations

import re
import sqlite3

import pytest

from crotool.store import db
from crotool.store.schema import IMPORTABLE, MAPPINGS, SECTIONS, Section

ALL = [*MAPPINGS.values(), *SECTIONS.values()]


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    return db.connect(tmp_path_factory.mktemp("schema") / "migrated.db")


def _columns(conn: sqlite3.Connection, table: str) -> dict[str, sqlite3.Row]:
    return {r["name"]: r for r in conn.execute(f"PRAGMA table_info({table})")}


def _create_sql(conn: sqlite3.Connection, table: str) -> str:
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                       (table,)).fetchone()
    assert row, f"no table {table}"
    return row[0]


def _column_check(sql: str, column: str) -> set[str] | None:
    """The values of `CHECK (column IN ('a', 'b'))` in a CREATE TABLE statement."""
    m = re.search(rf"\bCHECK\s*\(\s*\"?{re.escape(column)}\"?\s+IN\s*\(([^)]*)\)\s*\)", sql,
                  re.IGNORECASE)
    if m:
        return set(re.findall(r"'((?:[^']|'')*)'", m.group(1)))
    # A list column's items: `trim(replace(replace(column, '"a"', ''), '"b"', ''), '[], ')`
    # (a CHECK cannot hold a subquery over json_each).
    m = re.search(rf"\btrim\(\s*(?:replace\(\s*)+{re.escape(column)}\b(.*?)'\[\], '\s*\)",
                  sql, re.IGNORECASE | re.DOTALL)
    if not m:
        return None
    return set(re.findall(r"'\"([^\"']*)\"'", m.group(1)))


@pytest.mark.parametrize("section", ALL, ids=lambda s: s.name)
def test_every_field_is_a_column_and_required_ones_are_not_null(conn, section: Section):
    columns = _columns(conn, section.name)
    assert columns, f"no table {section.name}"
    for f in section.fields:
        assert f.name in columns, f"{section.name}.{f.name} has no column"
        if f.required:
            col = columns[f.name]
            assert col["notnull"] or col["pk"], f"{section.name}.{f.name}: required, NULL-able"
    # A column that is no field (the integer id; a value only a command writes, such as the
    # duty that completed an assessment) must not stop a load from inserting the record.
    for name in set(columns) - set(section.field_names):
        col = columns[name]
        assert col["pk"] or not col["notnull"] or col["dflt_value"] is not None, (
            f"{section.name}.{name}: NOT NULL without a default, and no field gives it")


@pytest.mark.parametrize("section", ALL, ids=lambda s: s.name)
def test_every_key_is_unique_in_the_table(conn, section: Section):
    if not section.key:
        return
    keys = set()
    for index in conn.execute(f"PRAGMA index_list({section.name})"):
        if index["unique"]:
            keys.add(tuple(r["name"] for r in conn.execute(f"PRAGMA index_info({index['name']})")))
    columns = _columns(conn, section.name)
    pk = tuple(sorted((c["pk"], n) for n, c in columns.items() if c["pk"]))
    keys.add(tuple(n for _, n in pk))
    assert tuple(section.key) in keys, f"{section.name}: no UNIQUE ({', '.join(section.key)})"


@pytest.mark.parametrize("section", ALL, ids=lambda s: s.name)
def test_every_choice_tuple_is_its_columns_check(conn, section: Section):
    sql = _create_sql(conn, section.name)
    for f in section.fields:
        check = _column_check(sql, f.name)
        if f.rule_choices:
            # Its choices are the rules of the applied packs (f.choices only while they
            # define none): migration 14 cut its CHECK to an id's shape, the checker holds it.
            assert check is None, f"{section.name}.{f.name}: CHECK IN on a rule's choices"
        elif f.choices:
            assert check == set(f.choices), (
                f"{section.name}.{f.name}: CHECK {check} != {f.choices}")
        else:
            assert check is None or f.kind == "bool", (
                f"{section.name}.{f.name}: CHECK IN without choices in schema.py")


@pytest.mark.parametrize("section", ALL, ids=lambda s: s.name)
def test_every_reference_names_a_section_and_a_single_key(section: Section):
    for f in section.fields:
        if f.ref:
            assert f.ref in SECTIONS, f"{section.name}.{f.name}: unknown section {f.ref}"
            assert len(SECTIONS[f.ref].key) == 1, f"{section.name}.{f.name}: composite key"


def test_importable_tables_are_the_sections_that_say_so():
    from crotool.cli import imports

    assert imports._TABLES == IMPORTABLE
    assert IMPORTABLE == tuple(n for n, s in SECTIONS.items() if s.importable)


def test_every_list_reference_has_a_db_check_rule():
    """A list field's references live inside JSON, where no foreign key reaches: `db check`
    has a rule, derived from schema.py, that reads that column with json_each and joins the
    referenced table."""
    from crotool.store.health import _list_reference_rules

    rules = [sql for _, _, sql in _list_reference_rules()]
    for section in SECTIONS.values():
        for f in section.fields:
            if f.kind != "list" or not f.ref:
                continue
            assert [sql for sql in rules
                    if re.search(rf"FROM {section.name} t\b", sql)
                    and re.search(rf"json_each\(t\.{f.name}\)", sql)
                    and re.search(rf"JOIN {f.ref} r\b", sql)], (
                f"db check has no rule for {section.name}.{f.name} -> {f.ref}")


def test_the_migrated_tables_are_the_sections_and_the_trail(conn):
    tables = {r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
    assert tables - {s.name for s in ALL} <= {"audit", "audit_head", "imports"}, (
        "a table without a Section")
