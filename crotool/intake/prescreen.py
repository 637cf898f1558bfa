"""The rows SQLite can vouch for: the fast path of a CSV import.

A CSV import of a table that grows large (duties) loads its cells into the staging table as
they come, converting only what converts exactly in SQL (an empty cell is NULL, a plain whole
number an integer), then asks SQLite which rows hold anything that is not already in the form
`fields.convert` stores: a bad or unknown value, a reference to nothing, a value that
`convert` would rewrite (`Active`, `2023-10-03 09:30`, surrounding spaces, a guarded formula).
Those rows, and only those, go through the checker's own path, which converts them or says what is
wrong, exactly as it does for every row of a JSON or YAML file. A good file in the form
crotool itself exports is then read, checked and staged without a Python call per cell.

The predicates are conservative by construction: one may turn a good row away (it costs time,
never correctness), and must never pass a row that the checker would refuse or store
differently. `tests/test_prescreen.py` holds the two paths equal on generated files.

A section has a fast path only when every rule the checker applies to its rows is written here in
SQL too: the per-field rules come from `schema.py`; `SECTION_RULES` holds the cross-field ones
(its record type's `Rules`: `program.duties.DutyRules`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from crotool.store.schema import DATE_MAX, DATE_MIN, SECTIONS, Field, Section

# The cross-field rules of `program.duties.DutyRules`, in SQL over the staged row, for
# the sections that have a fast path. duties: a category done only on request needs its
# requested_by (a row without one goes to the checker, which also reads the stored duty's).
SECTION_RULES: dict[str, str] = {
    "duties": ('("requested_by" IS NOT NULL OR "category" NOT IN '
               "(SELECT id FROM main.duty_categories WHERE requires_request))"),
}

# The code points `str.strip()` removes (`str.isspace()`): a value that starts or ends with one
# is rewritten by `convert`, so goes to the checker (tests/test_prescreen.py checks the list).
WHITESPACE = (9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 133, 160, 5760, 8192, 8193, 8194, 8195,
              8196, 8197, 8198, 8199, 8200, 8201, 8202, 8232, 8233, 8239, 8287, 12288)
_SPACES = "'" + "".join(map(chr, WHITESPACE)) + "'"  # as an SQL string (no ' among them)
_QUOTE = 39  # a cell that starts with ' may carry crotool's formula guard (csvguard)
# The control characters `convert` refuses (readers.CONTROL). NUL cannot stand in SQL text;
# the CSV reader refuses it, as a byte, before any cell is made.
_CONTROL = "*[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in ((1, 8), (11, 12), (14, 31),
                                                           (127, 159))) + "]*"


def _q(name: str) -> str:
    return f'"{name}"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def load_expr(f: Field, param: str) -> str:
    """The SQL that stores the cell bound to `param` in the staging table: NULL for an empty
    cell; for a whole number in plain digits, the integer (whose text is the cell again). A
    required field's empty cell stays '' (no test passes it, so the checker names it: cheaper)."""
    if f.kind == "int":
        return (f"CASE WHEN {param} GLOB '[1-9]*' AND {param} NOT GLOB '*[^0-9]*' AND "
                f"length({param}) <= 12 THEN CAST({param} AS INTEGER) WHEN {param} = '0' "
                f"THEN 0 ELSE nullif({param}, '') END")
    return param if f.required else f"nullif({param}, '')"


def _value_ok(f: Field, c: str) -> str | None:
    """SQL true when the staged, non-NULL value `c` is what `convert` stores for it; None for a
    kind checked only by the checker."""
    if f.kind == "text":
        # Bytes at most the limit: characters too (a long text of many-byte characters goes
        # to the checker, which counts them); nothing `strip` would take off either end; no
        # guard to undo (a first ', see csvguard); no control character.
        return (f"length(CAST({c} AS BLOB)) <= {f.max_length} AND trim({c}, {_SPACES}) = {c} "
                f"AND unicode({c}) <> {_QUOTE} AND {c} NOT GLOB {_literal(_CONTROL)}")
    if f.kind == "slug":
        return (f"{c} GLOB '[a-z0-9]*' AND {c} NOT GLOB '*[^a-z0-9-]*' AND {c} NOT GLOB '*--*'"
                f" AND {c} NOT GLOB '*-'")
    if f.kind == "code":
        return (f"{c} GLOB '[A-Za-z0-9]*' AND {c} NOT GLOB '*[^A-Za-z0-9._-]*' AND "
                f"length({c}) <= {f.max_length}")
    if f.kind == "int":
        bounds = "".join(f" AND {c} {op} {int(v)}" for op, v in ((">=", f.minimum),
                                                               ("<=", f.maximum)) if v is not None)
        return f"typeof({c}) = 'integer'{bounds}"
    # Through its day number ('+0 days'), SQLite writes a day and time in exactly the ISO form
    # `convert` stores, and moves an impossible one (2023-02-29 to 2023-03-01, 24:00 to the
    # next day; without the modifier it echoes 2023-02-29): a value equal to its own rewrite is
    # real and in that form (text, digits where the form has them), with no other test.
    if f.kind == "date":
        return f"date({c}, '+0 days') IS {c} AND {c} BETWEEN '{DATE_MIN}' AND '{DATE_MAX}'"
    if f.kind == "datetime":
        return (f"strftime('%Y-%m-%dT%H:%M:%S', {c}, '+0 days') IS {c} AND "
                f"{c} BETWEEN '{DATE_MIN}T00:00:00' AND '{DATE_MAX}T23:59:59'")
    if f.kind == "enum":
        return f"{c} IN ({', '.join(_literal(choice) for choice in f.choices)})"
    return None


def field_ok(conn: sqlite3.Connection, f: Field, *, nullable: bool) -> str:
    """SQL true when the staged column of `f` is certainly what the checker would store."""
    c = _q(f.name)
    value = _value_ok(f, c)
    if f.ref is not None and value is not None:
        ref = SECTIONS[f.ref]
        key = _q(ref.key[0])
        stored = f"{c} IN (SELECT {key} FROM main.{_q(ref.name)})"
        # A value equal to a stored key is that key: when every stored key passes the field's
        # own test (they were validated on the way in), the reference alone is the test.
        vouched = conn.execute(f"SELECT NOT EXISTS (SELECT 1 FROM main.{_q(ref.name)} WHERE "
                               f"({_value_ok(f, key)}) IS NOT 1)").fetchone()[0]
        value = stored if vouched else f"{value} AND {stored}"
    if value is None:
        return f"{c} IS NULL" if nullable else "0"
    return f"({c} IS NULL OR ({value}))" if nullable else f"({c} IS NOT NULL AND {value})"


@dataclass(frozen=True, slots=True)
class Plan:
    """How one CSV's rows are staged and screened."""

    given: tuple[str, ...]  # the fields the file's columns give, in column order
    mask: int  # the staging mask of a row that gives these fields
    insert: str  # the INSERT of one row (line, mask, then the given cells) into staging
    ok: str  # SQL true for a staged row that the checker would store as it stands
    # Run on the staging table once the rows `ok` refused are taken out: what the rows that
    # stay need to be stored as the checker stores them. An empty list cell (a duty's flags)
    # is staged NULL, which `ok` passes, and stored as the checker stores an empty list: '[]'.
    # (It cannot be staged as '[]': a refused row's staged cells are read back as its text,
    # and '[]' is a cell the checker refuses.)
    settle: tuple[str, ...] = ()


def plan(conn: sqlite3.Connection, section: Section, given: tuple[str, ...], staging: str
         ) -> Plan | None:
    """The fast path for a CSV of `given` columns, or None when the section has none."""
    if section.name not in SECTION_RULES or not given:
        return None
    fields = [section.field(name) for name in given]
    # Left out or empty, a field the checker fills or requires goes to the checker.
    checks = [field_ok(conn, f, nullable=not f.required and f.default_from is None) for f in fields]
    rule = SECTION_RULES[section.name]
    mask = sum(1 << section.field_names.index(name) for name in given)
    cells = ", ".join(load_expr(f, f"?{i}") for i, f in enumerate(fields, start=3))
    insert = (f"INSERT INTO temp.{staging} (rowid, line, mask, "
              f"{', '.join(_q(n) for n in given)}) VALUES (?1, ?1, ?2, {cells})")
    settle = tuple(f"UPDATE temp.{staging} SET {_q(f.name)} = '[]' WHERE {_q(f.name)} IS NULL"
                   for f in fields if f.kind == "list")
    # A row marked with -mask (see importer._stage_screened) always goes to the checker.
    return Plan(given, mask, insert, " AND ".join(["mask > 0", *checks, *([rule] if rule else [])]),
                settle)
