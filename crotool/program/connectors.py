"""Community Connectors: members, their engagements, and where safety planning lacks input.

The program text asks for input "to strengthen our school safety planning efforts" across four
planning phases (prevention, mitigation, response, recovery) and five dimensions of a secure
climate (physical, emotional, social, behavioral, academic). Each engagement is filed under one
phase and one dimension, so the 4 x 5 matrix of engagements shows where planning has had no
community input at all: that is what `report connectors` is for.

Writes (`add_connector`, `update_connector`, `add_engagement`) take the same path as a seed
load: the command's options become one `Record`, `checker.Checker` converts and checks it by
`schema.SECTIONS[...]` (so an option is read exactly as a seed field would be), then
`store.upsert` writes it with its audit row inside one `db.transaction`. Problems name the
option (`--phase`, `--connector`) where a load would name `file:line`.

The report is SQL: the phase and dimension lists come from `schema` as bound VALUES and are
cross-joined, so the 20 cells are all there, zeros included; an engagement's connectors are
a JSON array read with `json_each`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from crotool.errors import CroError, Problem, ValidationFailed
from crotool.program.checker import check_options
from crotool.program.years import today
from crotool.store import db
from crotool.store.audit import Auditor
from crotool.store.fields import option_date
from crotool.store.reads import Where, dicts, require
from crotool.store.schema import DIMENSIONS, PHASES, SECTIONS
from crotool.store.writes import upsert

# The report's default look-back: a school year is ~190 school days over ~9.5 months, so 180
# calendar days means "not heard from this school year (or the last half of it)".
DEFAULT_STALE_DAYS = 180

# Option names the commands use for each field, so a problem names what the user typed.
CONNECTOR_OPTIONS = {"id": "ID", "name": "--name", "organization": "--organization",
                     "sector": "--sector", "status": "--status"}
ENGAGEMENT_OPTIONS = {"date": "--date", "title": "TITLE", "connectors": "--connector",
                      "phase": "--phase", "dimension": "--dimension", "summary": "--summary"}


def _validate(conn: sqlite3.Connection, section_name: str, values: dict[str, Any],
              options: dict[str, str], subject: str) -> dict[str, Any]:
    """One record through the load's validation; ValidationFailed lists every problem."""
    section = SECTIONS[section_name]
    # An option given as "" means "no value", as an empty field does in a seed file.
    values = {k: (None if isinstance(v, str) and not v.strip() else v) for k, v in values.items()}
    try:
        return check_options(conn, section, values, subject, options=options, keep_label=True)
    except ValidationFailed as exc:
        raise ValidationFailed(_with_known_connectors(conn, exc.problems), subject=subject
                               ) from None


def _with_known_connectors(conn: sqlite3.Connection, problems: list[Problem]) -> list[Problem]:
    """An unknown connector with no close match: name the connectors that exist instead."""
    out = []
    for p in problems:
        if "unknown connector" in p.what and "did you mean" not in p.what and \
                "add the connector first" not in p.what:
            known = [r[0] for r in conn.execute("SELECT id FROM connectors ORDER BY id")]
            shown = ", ".join(known[:12]) + (" ..." if len(known) > 12 else "")
            p = Problem(p.where, f"{p.what}; known: {shown} (see `crotool connectors list`)")
        out.append(p)
    return out


def check_date(value: str | None, option: str) -> str | None:
    day = option_date(value, option)
    return day.isoformat() if day else None


def _date_range(start: str | None, end: str | None) -> tuple[str | None, str | None]:
    start, end = check_date(start, "--from"), check_date(end, "--to")
    if start and end and end < start:
        raise CroError(f"--to {end} is before --from {start}", hint="swap them")
    return start, end


# ---------------------------------------------------------------- connectors


def add_connector(conn: sqlite3.Connection, values: dict[str, Any]) -> dict[str, Any]:
    """A new connector; refused (suggesting `update`) when the id is taken."""
    record = _validate(conn, "connectors", values, CONNECTOR_OPTIONS, "connectors add")
    with db.transaction(conn):
        # Checked inside the write lock: two `add`s of one id cannot both pass.
        if conn.execute("SELECT 1 FROM connectors WHERE id = ?", (record["id"],)).fetchone():
            raise CroError(f"connector '{record['id']}' already exists",
                           hint=f"to change it: crotool connectors update {record['id']} ...")
        upsert(conn, SECTIONS["connectors"], [record], Auditor(conn))
    return connector(conn, record["id"])


def update_connector(conn: sqlite3.Connection, connector_id: str, changes: dict[str, Any]
                     ) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Change only the given fields; returns the stored row and {field: [old, new]}."""
    if not changes:
        raise CroError("nothing to update",
                       hint="give one or more of --name, --organization, --sector, --status")
    require(conn, "connectors", connector_id)
    # Validation wants every required field: the stored name stands in when --name is not given.
    stored = conn.execute("SELECT name FROM connectors WHERE id = ?", (connector_id,)).fetchone()
    record = _validate(conn, "connectors", {"id": connector_id, "name": stored["name"],
                                            **changes}, CONNECTOR_OPTIONS, "connectors update")
    diffs: list[tuple[str, str, dict]] = []
    with db.transaction(conn):
        upsert(conn, SECTIONS["connectors"], [record], Auditor(conn), changes_out=diffs)
    return connector(conn, connector_id), (diffs[0][2] if diffs else {})


def connector(conn: sqlite3.Connection, connector_id: str) -> dict[str, Any]:
    return connectors(conn, ids=[connector_id])[0]


def connectors(conn: sqlite3.Connection, *, status: str | None = None, sector: str | None = None,
               ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Connectors by id, with how often and how lately each took part (up to today)."""
    where = Where(params=(today().isoformat(),))  # ?1, in the select list, comes first
    if status:  # an empty --status is no filter, as an empty --sector is
        where.choice("connectors", "status", status, "--status", "c.status = ?")
    if sector:
        where.add("c.sector = ? COLLATE NOCASE", sector)
    if ids:
        where.add(f"c.id IN ({', '.join('?' * len(ids))})", *ids)
    return dicts(conn.execute(
        f"""WITH took_part AS (
                SELECT DISTINCT j.value AS connector, e.id, e.date
                FROM engagements e, json_each(e.connectors) j)
            SELECT c.id, c.name, c.organization, c.sector, c.status,
                   count(t.id) AS engagements,
                   max(CASE WHEN t.date <= ?1 THEN t.date END) AS last_engaged
            FROM connectors c LEFT JOIN took_part t ON t.connector = c.id{where.sql}
            GROUP BY c.id ORDER BY c.id""", where.params))


# ---------------------------------------------------------------- engagements


def add_engagement(conn: sqlite3.Connection, values: dict[str, Any]) -> dict[str, Any]:
    """A new engagement; refused when one with the same date and title exists."""
    ids = values.get("connectors") or []
    # Each --connector once, in the order given; `a,b` in one option is two connectors.
    seen: list[str] = []
    for item in ids:
        for part in str(item).split(","):
            if part.strip() and part.strip() not in seen:
                seen.append(part.strip())
    values = {**values, "connectors": seen}
    record = _validate(conn, "engagements", values, ENGAGEMENT_OPTIONS, "engagements add")
    with db.transaction(conn):
        if conn.execute("SELECT 1 FROM engagements WHERE date = ? AND title = ?",
                        (record["date"], record["title"])).fetchone():
            raise CroError(f"an engagement '{record['title']}' on {record['date']} already "
                           "exists", hint="give it a different title or date")
        upsert(conn, SECTIONS["engagements"], [record], Auditor(conn))
    return engagements(conn, start=record["date"], end=record["date"], title=record["title"])[0]


def engagements(conn: sqlite3.Connection, *, start: str | None = None, end: str | None = None,
                phase: str | None = None, dimension: str | None = None,
                connector: str | None = None, title: str | None = None
                ) -> list[dict[str, Any]]:
    """Engagements, oldest first; every one unless a filter narrows it."""
    start, end = _date_range(start, end)
    where = Where()
    if start:
        where.add("date >= ?", start)
    if end:
        where.add("date <= ?", end)
    if phase:
        where.choice("engagements", "phase", phase, "--phase", "phase = ?")
    if dimension:
        where.choice("engagements", "dimension", dimension, "--dimension", "dimension = ?")
    where.ref(conn, "connectors", connector, "--connector",
              "EXISTS (SELECT 1 FROM json_each(connectors) j WHERE j.value = ?)")
    if title:
        where.add("title = ?", title)
    return dicts(conn.execute(
        "SELECT id, date, title, phase, dimension, connectors, summary FROM engagements"
        f"{where.sql} ORDER BY date, title", where.params))


# ---------------------------------------------------------------- the report


@dataclass(slots=True)
class ConnectorReport:
    cells: list[dict[str, Any]]  # all 20 phase x dimension cells, in schema order
    stale_days: int
    as_of: str
    stale: list[dict[str, Any]] = field(default_factory=list)
    new_by_sector: list[dict[str, Any]] = field(default_factory=list)


def _values(items: tuple[str, ...]) -> tuple[str, list[Any]]:
    """`VALUES (?, ?), ...` for (name, position) pairs: the list's order is the report's."""
    return ", ".join("(?, ?)" for _ in items), [v for i, name in enumerate(items)
                                                  for v in (name, i)]


def matrix(conn: sqlite3.Connection, *, start: str | None = None, end: str | None = None
           ) -> list[dict[str, Any]]:
    """Engagements and distinct connectors per phase x dimension cell: 20 rows, zeros kept."""
    start, end = _date_range(start, end)
    phase_values, phase_params = _values(PHASES)
    dim_values, dim_params = _values(DIMENSIONS)
    sql = f"""
        WITH phases(phase, p_order) AS (VALUES {phase_values}),
             dims(dimension, d_order) AS (VALUES {dim_values}),
             chosen AS (
                SELECT id, phase, dimension, connectors FROM engagements
                WHERE (? IS NULL OR date >= ?) AND (? IS NULL OR date <= ?)),
             per_cell AS (
                SELECT phase, dimension, count(*) AS engagements
                FROM chosen GROUP BY phase, dimension),
             people AS (
                SELECT c.phase, c.dimension, count(DISTINCT j.value) AS connectors
                FROM chosen c, json_each(c.connectors) j GROUP BY c.phase, c.dimension)
        SELECT p.phase, d.dimension,
               coalesce(pc.engagements, 0) AS engagements,
               coalesce(pp.connectors, 0) AS connectors
        FROM phases p CROSS JOIN dims d
        LEFT JOIN per_cell pc ON pc.phase = p.phase AND pc.dimension = d.dimension
        LEFT JOIN people pp ON pp.phase = p.phase AND pp.dimension = d.dimension
        ORDER BY p.p_order, d.d_order"""
    # Parameters in the order their placeholders appear: phases, dimensions, the date range.
    params = [*phase_params, *dim_params, start, start, end, end]
    return dicts(conn.execute(sql, params))


def stale_connectors(conn: sqlite3.Connection, days: int, *, as_of: date | None = None
                     ) -> list[dict[str, Any]]:
    """Connectors with no engagement dated from `days` days before today through today.

    Engagements dated after today (planned ones) do not count: no input has come from them
    yet. `last_engaged` is the latest engagement on or before today, or null for never.
    """
    if days < 0:
        raise CroError(f"--stale-days {days}: must be 0 or more", hint="e.g. --stale-days 180")
    day = as_of or today()
    cutoff = (day - timedelta(days=days)).isoformat()
    return dicts(conn.execute(
        """WITH last AS (
               SELECT j.value AS connector, max(e.date) AS last_engaged
               FROM engagements e, json_each(e.connectors) j
               WHERE e.date <= ?1 GROUP BY j.value)
           SELECT c.id, c.name, c.organization, c.sector, c.status, l.last_engaged,
                  CAST(julianday(?1) - julianday(l.last_engaged) AS INTEGER) AS days_since
           FROM connectors c LEFT JOIN last l ON l.connector = c.id
           WHERE l.last_engaged IS NULL OR l.last_engaged < ?2
           ORDER BY l.last_engaged IS NOT NULL, l.last_engaged, c.id""",
        (day.isoformat(), cutoff)))


def new_by_sector(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Per sector: connectors, how many are `new`, and how many distinct new organizations
    (a connector without an organization counts as its own)."""
    return dicts(conn.execute(
        """SELECT sector, count(*) AS connectors,
                  sum(status = 'new') AS new_connectors,
                  count(DISTINCT CASE WHEN status = 'new'
                        THEN lower(coalesce(organization, name)) END) AS new_organizations
           FROM connectors GROUP BY sector
           ORDER BY sector IS NULL, lower(sector)"""))


def report(conn: sqlite3.Connection, *, start: str | None = None, end: str | None = None,
           stale_days: int | None = None) -> ConnectorReport:
    """The matrix (over --from/--to), and the connectors not engaged lately (as of today)."""
    days = DEFAULT_STALE_DAYS if stale_days is None else stale_days
    cells = matrix(conn, start=start, end=end)
    return ConnectorReport(cells=cells, stale_days=days, as_of=today().isoformat(),
                           stale=stale_connectors(conn, days), new_by_sector=new_by_sector(conn))
