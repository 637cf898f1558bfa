"""Read-side SQL for browsing: every value bound, every sort fixed in code.

Rows come back as plain dicts with list fields decoded, ready for `render`.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from crotool.errors import CroError, did_you_mean
from crotool.store.fields import check_choice
from crotool.store.schema import SECTIONS

# The list fields of schema.py: one JSON array in one column each, decoded for the rows.
_JSON_COLUMNS = frozenset(f.name for s in SECTIONS.values() for f in s.fields
                          if f.kind == "list")


def dicts(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    out = []
    for row in cursor:
        d = dict(row)
        for k in _JSON_COLUMNS & d.keys():
            if isinstance(d[k], str):
                d[k] = json.loads(d[k])
        out.append(d)
    return out


class Where:
    """A WHERE clause built from optional filters; every value a bound parameter."""

    def __init__(self, *clauses: str, params: tuple[Any, ...] = ()):
        self.clauses: list[str] = list(clauses)
        self.params: list[Any] = list(params)

    def add(self, clause: str, *params: Any) -> None:
        self.clauses.append(clause)
        self.params.extend(params)

    def ref(self, conn: sqlite3.Connection, section: str, key: str | None, option: str,
            clause: str) -> None:
        """Filter on a stored id given as an option: an unknown one is refused with a
        did-you-mean; the clause binds the id once per `?`."""
        if key is not None:  # an empty id is refused as unknown, not read as "no filter"
            require(conn, section, key, option)
            self.add(clause, *[key] * clause.count("?"))

    def choice(self, section: str, field: str, value: str | None, option: str,
               clause: str) -> None:
        """Filter on one of a schema field's choices (`--status`, `--level`): a value not
        allowed is refused as `load` refuses it, with a did-you-mean."""
        if value is not None:
            self.add(clause, check_choice(section, field, value, option))

    @property
    def sql(self) -> str:
        return " WHERE " + " AND ".join(self.clauses) if self.clauses else ""


def require(conn: sqlite3.Connection, section: str, key: str, option: str | None = None) -> str:
    """`key` if it exists in `section`, else a CroError that suggests the closest key."""
    col = SECTIONS[section].key[0]
    if conn.execute(f"SELECT 1 FROM {section} WHERE {col} = ?", (key,)).fetchone():
        return key
    known = [r[0] for r in conn.execute(f"SELECT {col} FROM {section}")]
    noun = SECTIONS[section].label
    close = did_you_mean(key, known)
    where = f"{option}: " if option else ""
    if close:
        hint = f"did you mean '{close}'?"
    elif known:
        shown = ", ".join(sorted(known)[:12]) + (" ..." if len(known) > 12 else "")
        hint = f"known: {shown}"
    else:
        hint = "none are stored yet: run `crotool load` first"
    raise CroError(f"{where}unknown {noun} '{key}'", hint=hint)


def agencies(conn: sqlite3.Connection) -> list[dict]:
    return dicts(conn.execute(
        """SELECT a.id, a.name, a.kind, a.jurisdiction,
                  (SELECT count(*) FROM schools s WHERE s.agency = a.id) AS schools,
                  (SELECT count(*) FROM officers o WHERE o.agency = a.id) AS officers
           FROM agencies a ORDER BY a.id"""))


# A school `s` is of pattern ? when ? is its feeder_pattern or one of its also_feeds.
SCHOOL_OF_PATTERN = ("(s.feeder_pattern = ? OR EXISTS (SELECT 1 FROM json_each(s.also_feeds) j"
                     " WHERE j.value = ?))")
_OF_PATTERN = """(s.feeder_pattern = p.id OR EXISTS (
    SELECT 1 FROM json_each(s.also_feeds) j WHERE j.value = p.id))"""


def patterns(conn: sqlite3.Connection) -> list[dict]:
    rows = dicts(conn.execute(
        f"""SELECT p.id, p.name, p.high_school,
                   (SELECT count(*) FROM schools s WHERE {_OF_PATTERN}) AS schools,
                   (SELECT json_group_array(agency) FROM (
                       SELECT DISTINCT s.agency FROM schools s WHERE {_OF_PATTERN}
                       ORDER BY s.agency)) AS agencies
            FROM feeder_patterns p ORDER BY p.id"""))
    for row in rows:
        row["agencies"] = json.loads(row["agencies"])
    return rows


def schools(conn: sqlite3.Connection, *, pattern: str | None = None, agency: str | None = None,
            level: str | None = None) -> list[dict]:
    where = Where()
    where.ref(conn, "feeder_patterns", pattern, "--pattern", SCHOOL_OF_PATTERN)
    where.ref(conn, "agencies", agency, "--agency", "s.agency = ?")
    where.choice("schools", "level", level, "--level", "s.level = ?")
    sql = ("SELECT s.id, s.name, s.level, s.feeder_pattern, s.also_feeds, s.agency, s.city,"
           " s.address FROM schools s" + where.sql +
           " ORDER BY s.feeder_pattern, CASE s.level WHEN 'high' THEN 0 WHEN 'middle' THEN 1"
           " WHEN 'elementary' THEN 2 ELSE 3 END, s.id")
    return dicts(conn.execute(sql, where.params))


def officers(conn: sqlite3.Connection, *, agency: str | None = None, status: str | None = None,
             default_kind: str | None = None) -> list[dict]:
    """The roster; an officer stored with no kind shows `default_kind` (the first kind the
    applied packs list), the kind every rule takes it for."""
    where = Where()
    where.ref(conn, "agencies", agency, "--agency", "agency = ?")
    where.choice("officers", "status", status, "--status", "status = ?")
    sql = ("SELECT badge, name, rank, agency, status, coalesce(kind, ?) AS kind,"
           " school_trained_on, first_on_campus, phone, email FROM officers" + where.sql
           + " ORDER BY agency, badge")
    return dicts(conn.execute(sql, (default_kind, *where.params)))


def categories(conn: sqlite3.Connection) -> list[dict]:
    rows = dicts(conn.execute(
        "SELECT id, name, requires_request, description FROM duty_categories ORDER BY id"))
    for r in rows:
        r["requires_request"] = bool(r["requires_request"])
    return rows


# ---------------------------------------------------------------- documents


def district_name(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT name FROM district WHERE id = 1").fetchone()
    return row[0] if row else None


def names(conn: sqlite3.Connection, sections: set[str]) -> dict[str, dict[str, str]]:
    """id -> name of each section given that has names (documents show them beside ids)."""
    out: dict[str, dict[str, str]] = {}
    for section in sorted(sections):
        spec = SECTIONS.get(section)
        if spec is None or "name" not in spec.field_names or len(spec.key) != 1:
            continue
        key = spec.key[0]
        out[section] = {str(k): v for k, v in conn.execute(
            f"SELECT {key}, name FROM {section}")}  # names from schema.py, never from input
    return out


def period_of(year: dict[str, Any] | Any) -> str:
    """'school year 2023-24 (2023-09-05 to 2024-06-21)' from a year row or a coverage.Year."""
    if isinstance(year, dict):
        return f"school year {year['id']} ({year['start']} to {year['end']})"
    return f"school year {year.id} ({year.start} to {year.end})"
