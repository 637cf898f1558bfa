"""`crotool report annual`: the items a state asks of a district about its school safety
staff, for one school year, as one object. (The bundled seed's are Washington's, RCW
28A.320.1241; what the report and its parts are called is data, `titles`.)

(a) `staff`: one row per school, with the officers assigned to it through its feeder patterns
    (its `feeder_pattern` or any of `also_feeds`; any role, whatever their status or agency)
    and the days per week each works there (from `schedules`, or null); `staff_total` is the
    number of distinct officers over all schools.
(b) `agencies`: each agency with an officer assigned in the year or an agreement for it, and
    the day that agreement was adopted (or null).
(c) `incidents`: every incident in the year with discipline, use of force or arrest, with its
    students' demographic rows.
(d) `complaints`: how many complaints received in the year were about job duties and how many
    about student interaction (zeros included).
`warnings`: data that makes the report less than complete, as text.

`suppress` makes the public version: every count below N becomes the text "<N", and the
incident rows give way to counts (of incidents by flag and of students by each category).
Every part is an SQL query; only the grouping of students under their incident is Python.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from crotool.program.agreements import check
from crotool.store import db
from crotool.store.reads import dicts
from crotool.store.schema import (
    ANNUAL_REPORT,
    COMPLAINT_ABOUT,
    GRADES,
    INCIDENT_FLAGS,
    SECTIONS,
    STUDENT_CATEGORY_KINDS,
)

# A student row as the report shows it: every field but the incident it belongs to.
STUDENT_COLUMNS = tuple(n for n in SECTIONS["incident_students"].field_names if n != "incident")
_FLAGGED = "(" + " OR ".join(f"i.{flag} = 1" for flag in INCIDENT_FLAGS) + ")"
_IN_YEAR = "i.at >= :start AND i.at < date(:end, '+1 day')"

# Which officers serve which school in the year: assigned to one of its patterns. The
# school -> pattern pairs come first (main pattern and also_feeds), so that assignments are
# found through their (school_year, feeder_pattern) index instead of a scan per school.
_ASSIGNED = """
    SELECT DISTINCT sp.school AS school, a.officer AS officer
    FROM (SELECT s.id AS school, s.feeder_pattern AS pattern FROM schools s
          UNION SELECT s.id, j.value FROM schools s, json_each(s.also_feeds) j) sp
    JOIN assignments a ON a.school_year = :year AND a.feeder_pattern = sp.pattern
    ORDER BY sp.school, a.officer"""


# Plain titles, used when the database has no `annual_report` section (or a part is empty).
TITLES = {"title": "Annual report", "source": None,
          "staff_letter": None, "staff_title": "Staff by building",
          "agencies_letter": None, "agencies_title": "Agencies with officers or an agreement",
          "incidents_letter": None,
          "incidents_title": "Incidents with discipline, use of force or arrest",
          "complaints_letter": None, "complaints_title": "Complaints about the staff"}


def titles(conn: sqlite3.Connection) -> dict[str, str | None]:
    """The report's title, source and its parts' letters and titles: the stored
    `annual_report` section, each empty field filled from TITLES."""
    names = ANNUAL_REPORT.field_names
    row = conn.execute(f"SELECT {', '.join(names)} FROM annual_report WHERE id = 1").fetchone()
    stored = dict(zip(names, tuple(row), strict=True)) if row else {}
    return {k: stored.get(k) or v for k, v in TITLES.items()}


def agreement_dates(conn: sqlite3.Connection, year_id: str) -> dict[str, str | None]:
    """agency -> the day its agreement for the year was adopted (None: not adopted)."""
    return {r[0]: r[1] for r in conn.execute(
        "SELECT agency, adopted_on FROM agreements WHERE school_year = ?", (year_id,))}


def annual_report(conn: sqlite3.Connection, year: dict[str, str]) -> dict[str, Any]:
    """The report for `year` (a school_years row): as the README's annual report
    describes it, read from one snapshot."""
    with db.read(conn):
        return _annual_report(conn, year)


def _annual_report(conn: sqlite3.Connection, year: dict[str, str]) -> dict[str, Any]:
    p = {"year": year["id"], "start": year["start"], "end": year["end"]}
    staff = _staff(conn, p)
    officers = sorted({b for row in staff for b in row["officers"]})
    agencies = _agencies(conn, p)
    incidents = _incidents(conn, p)
    complaints = {about: 0 for about in COMPLAINT_ABOUT}
    for about, n in conn.execute("SELECT about, count(*) FROM complaints WHERE received_on "
                                 "BETWEEN :start AND :end GROUP BY about", p):
        complaints[about] = n
    return {"school_year": year["id"], "staff": staff, "staff_total": len(officers),
            "agencies": agencies, "incidents": incidents, "complaints": complaints,
            "warnings": _warnings(conn, p, staff, agencies, incidents)}


def _staff(conn: sqlite3.Connection, p: dict[str, str]) -> list[dict[str, Any]]:
    rows = dicts(conn.execute("SELECT id AS school, name FROM schools ORDER BY id"))
    assigned: dict[str, list[str]] = {}
    for school, officer in conn.execute(_ASSIGNED, p):
        assigned.setdefault(school, []).append(officer)
    days: dict[tuple[str, str], float] = {
        (r[0], r[1]): r[2] for r in conn.execute(
            "SELECT school, officer, days_per_week FROM schedules WHERE school_year = :year", p)}
    for row in rows:
        row["officers"] = assigned.get(row["school"], [])
        row["staff_count"] = len(row["officers"])
        row["days_per_week"] = {b: days.get((row["school"], b)) for b in row["officers"]}
    return rows


def _agencies(conn: sqlite3.Connection, p: dict[str, str]) -> list[dict[str, Any]]:
    adopted = agreement_dates(conn, p["year"])
    rows = dicts(conn.execute(
        """SELECT g.id AS agency, g.name AS name FROM agencies g
           WHERE EXISTS (SELECT 1 FROM assignments a JOIN officers o ON o.badge = a.officer
                         WHERE a.school_year = :year AND o.agency = g.id)
           ORDER BY g.id""", p))
    listed = {r["agency"] for r in rows}
    extra = sorted(a for a in adopted if a not in listed)
    names = dict(conn.execute("SELECT id, name FROM agencies"))
    rows += [{"agency": a, "name": names.get(a)} for a in extra]
    rows.sort(key=lambda r: r["agency"])
    for r in rows:
        r["agreement_adopted_on"] = adopted.get(r["agency"])
    return rows


def _incidents(conn: sqlite3.Connection, p: dict[str, str]) -> list[dict[str, Any]]:
    rows = dicts(conn.execute(
        f"""SELECT i.reference, i.school, i.at, i.discipline, i.use_of_force, i.arrest,
                   i.summary FROM incidents i WHERE {_IN_YEAR} AND {_FLAGGED}
            ORDER BY i.at, i.reference""", p))
    students: dict[str, list[dict[str, Any]]] = {}
    for r in conn.execute(
            f"""SELECT t.incident, {', '.join('t.' + c for c in STUDENT_COLUMNS)}
                FROM incident_students t JOIN incidents i ON i.reference = t.incident
                WHERE {_IN_YEAR} AND {_FLAGGED} ORDER BY t.incident, t.seq""", p):
        row = dict(zip(STUDENT_COLUMNS, tuple(r)[1:], strict=True))
        for f in ("iep", "plan_504"):
            row[f] = None if row[f] is None else bool(row[f])
        students.setdefault(r[0], []).append(row)
    for row in rows:
        for f in INCIDENT_FLAGS:
            row[f] = bool(row[f])
        row["students"] = students.get(row["reference"], [])
    return rows


def _warnings(conn: sqlite3.Connection, p: dict[str, str], staff: list[dict[str, Any]],
              agencies: list[dict[str, Any]], incidents: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    year = p["year"]
    scheduled = {r[0] for r in conn.execute(
        "SELECT DISTINCT school FROM schedules WHERE school_year = :year", p)}
    unscheduled = [r["school"] for r in staff if r["officers"] and r["school"] not in scheduled]
    if unscheduled:
        out.append(f"buildings with assigned officers but no schedule in {year} (days per week "
                   f"unknown): {', '.join(unscheduled)}")
    assigned = {(r["school"], b) for r in staff for b in r["officers"]}
    for officer, name, school in conn.execute(
            "SELECT s.officer, o.name, s.school FROM schedules s"
            " LEFT JOIN officers o ON o.badge = s.officer WHERE s.school_year = :year"
            " ORDER BY s.officer, s.school", p):
        if (school, officer) in assigned:
            continue
        who = f"officer {officer} ({name})" if name else f"officer {officer}"
        out.append(f"{who} has a schedule at {school} in {year} but no assignment to its "
                   "feeder patterns")
    for ref, received, status, closed in conn.execute(
            """SELECT reference, received_on, status, closed_on FROM complaints
               WHERE received_on BETWEEN :start AND :end
                 AND (status = 'open' OR closed_on IS NULL OR closed_on > :end)
               ORDER BY received_on, reference""", p):
        when = f"closed {closed}" if status == "closed" and closed else "still open"
        out.append(f"complaint {ref} (received {received}) was not closed by the end of "
                   f"{year} ({p['end']}): {when}")
    served = {r["school"] for r in staff if r["officers"]}
    for row in incidents:
        if row["school"] not in served:
            out.append(f"incident {row['reference']} is at {row['school']}, a school no "
                       f"officer assigned in {year} serves")
    # The requirements `agreements check` holds an agreement to (one source of them).
    assessed = {r["agency"]: r for r in check(conn, year=year)[1]}
    for row in agencies:
        if row["agreement_adopted_on"] is None:
            out.append(f"agency {row['agency']} has no adopted agreement on record for {year}")
        elif (a := assessed.get(row["agency"])) is not None and a["problem"] == "incomplete":
            gaps = ([f"elements missing: {', '.join(a['missing_elements'])}"]
                    if a["missing_elements"] else []) + (
                [f"no input from: {', '.join(a['missing_input'])}"] if a["missing_input"]
                else [])
            out.append(f"agency {row['agency']}'s agreement for {year} is incomplete "
                       f"({'; '.join(gaps)}); see `crotool agreements check --year {year}`")
    return out


# ---------------------------------------------------------------- the public version


def suppress(conn: sqlite3.Connection, year: dict[str, str], report: dict[str, Any], n: int
             ) -> dict[str, Any]:
    """The report with every count below `n` as "<n" and incidents as counts only."""
    def small(value: int) -> int | str:
        return f"<{n}" if value < n else value

    p = {"year": year["id"], "start": year["start"], "end": year["end"]}
    staff = [{**row, "staff_count": small(row["staff_count"])} for row in report["staff"]]
    counts = [{"group": g, "value": v, "count": small(c)} for g, v, c in _counts(conn, p)]
    served = {r["school"] for r in report["staff"] if r["officers"]}
    unserved = sorted({r["school"] for r in report["incidents"] if r["school"] not in served})
    # An incident's reference would identify it: the public warning names only schools.
    warnings = [w for w in report["warnings"] if not w.startswith("incident ")]
    if unserved:
        warnings.append(f"incidents at schools no officer assigned in {year['id']} serves: "
                        f"{', '.join(unserved)}")
    return {**report, "staff": staff, "staff_total": small(report["staff_total"]),
            "incidents": counts,
            "complaints": {k: small(v) for k, v in report["complaints"].items()},
            "warnings": warnings}


def _counts(conn: sqlite3.Connection, p: dict[str, str]) -> list[tuple[str, str, int]]:
    """(group, value, count): incidents by flag, then students by each demographic field,
    every student category listed (zeros included)."""
    out: list[tuple[str, str, int]] = []
    total, *flags = conn.execute(
        f"SELECT count(*), {', '.join(f'coalesce(sum(i.{f}), 0)' for f in INCIDENT_FLAGS)} "
        f"FROM incidents i WHERE {_IN_YEAR} AND {_FLAGGED}", p).fetchone()
    out.append(("incidents", "total", total))
    out += [("incidents", f, c) for f, c in zip(INCIDENT_FLAGS, flags, strict=True)]
    base = (f"FROM incident_students t JOIN incidents i ON i.reference = t.incident "
            f"WHERE {_IN_YEAR} AND {_FLAGGED}")
    out.append(("students", "total", conn.execute(f"SELECT count(*) {base}", p).fetchone()[0]))
    for kind in STUDENT_CATEGORY_KINDS:
        found = dict(conn.execute(f"SELECT t.{kind}, count(*) {base} GROUP BY t.{kind}", p))
        values = [r[0] for r in conn.execute(
            "SELECT id FROM student_categories WHERE kind = ? ORDER BY id", (kind,))]
        values += sorted(v for v in found if v not in values and v != "unknown") + ["unknown"]
        out += [(kind, v, found.get(v, 0)) for v in values]
    found = dict(conn.execute(f"SELECT t.grade, count(*) {base} GROUP BY t.grade", p))
    out += [("grade", g, c) for g, c in sorted(found.items(), key=lambda kv: _grade_order(kv[0]))]
    for f in ("iep", "plan_504"):
        found = dict(conn.execute(
            f"SELECT CASE t.{f} WHEN 1 THEN 'yes' WHEN 0 THEN 'no' ELSE 'unknown' END AS v, "
            f"count(*) {base} GROUP BY v", p))
        out += [(f, v, found.get(v, 0)) for v in ("yes", "no", "unknown")]
    return out


def _grade_order(grade: str) -> int:
    return GRADES.index(grade) if grade in GRADES else len(GRADES)
