"""`crotool report annual`: the items a state asks of a district about its school safety
staff, for one school year, as one object. What the report holds is data: the `report` (or
`annual_report`) rule in force on the year's first day (report_rules.py) says its title, its
parts, the incident flags it counts and the student fields it shows; the bundled packs carry
Washington's (RCW 28A.320.1241). A part the rule does not list is not in the object.

`staff`: one row per school, with the officers assigned to it through its feeder patterns
    (its `feeder_pattern` or any of `also_feeds`; any role, whatever their status or agency)
    and the days per week each works there (from `schedules`, or null); `staff_total` is the
    number of distinct officers over all schools.
`agencies`: each agency with an officer assigned in the year or an agreement that covers it
    (agreements.covering: its own, or an earlier one within its term), and the day that
    agreement was adopted (or null).
`incidents`: every incident in the year with any of the report's flags, with one boolean per
    flag (by its id) and its students' rows (seq and the report's student fields).
`complaints`: how many complaints received in the year were of each complaint kind in force
    (zeros included).
`training`: one row per officer assigned in the year, with their training status as of the
    year's last day or today, whichever comes first (`training_as_of`).
`warnings`: data that makes the listed parts less than complete, as text.

`suppress` makes the public version: every count below N becomes the text "<N", and the
incident rows give way to counts (of incidents by flag and of students by each field).
Every part is an SQL query; only the grouping of students under their incident is Python.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from crotool.errors import CroError
from crotool.program import kinds, training
from crotool.program.agreements import check, covering
from crotool.program.report_rules import Definition
from crotool.program.years import today
from crotool.store import db
from crotool.store.reads import dicts
from crotool.store.rule_schema import STUDENT_CATEGORY_KINDS, STUDENT_FIELDS
from crotool.store.schema import UNKNOWN_CATEGORY

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
TRAINING_COLUMNS = ("officer", "officer_name", "agency", "status", "classroom_done",
                    "classroom_required", "missing", "on_the_job_days", "on_the_job_required")


def _flagged(d: Definition) -> str:
    """SQL true for an incident `i` that carries any of the report's flags."""
    ids = ", ".join("'" + f.replace("'", "''") + "'" for f in d.flag_ids) or "NULL"
    return f"EXISTS (SELECT 1 FROM json_each(i.flags) j WHERE j.value IN ({ids}))"


def _student_fields(d: Definition) -> tuple[str, ...]:
    return tuple(f for f in d.student_fields if f in STUDENT_FIELDS)


def agreement_dates(conn: sqlite3.Connection, year_id: str) -> dict[str, str | None]:
    """agency -> the day the agreement that covers the year was adopted (None: not adopted)."""
    return {agency: a["adopted_on"] for agency, a in covering(conn, year_id).items()}


def annual_report(conn: sqlite3.Connection, year: dict[str, str], d: Definition
                  ) -> dict[str, Any]:
    """The report for `year` (a school_years row) as `d` (the report in force on its first
    day) defines it, read from one snapshot."""
    with db.read(conn):
        return _annual_report(conn, year, d)


def _annual_report(conn: sqlite3.Connection, year: dict[str, str], d: Definition
                   ) -> dict[str, Any]:
    p = {"year": year["id"], "start": year["start"], "end": year["end"]}
    staff = _staff(conn, p)  # the incidents' warnings ask which schools are served, too
    report: dict[str, Any] = {"school_year": year["id"]}
    if d.has("staff"):
        report["staff"] = staff
        report["staff_total"] = len({b for row in staff for b in row["officers"]})
    agencies = _agencies(conn, p) if d.has("agencies") else []
    if d.has("agencies"):
        report["agencies"] = agencies
    incidents = _incidents(conn, p, d) if d.has("incidents") else []
    if d.has("incidents"):
        report["incidents"] = incidents
    if d.has("complaints"):
        report["complaints"] = _complaints(conn, p)
    warnings: list[str] = []
    if d.has("training"):
        as_of = min(date.fromisoformat(year["end"]), today())
        report["training"] = _training(conn, staff, as_of, warnings)
        report["training_as_of"] = as_of.isoformat()
    report["warnings"] = _warnings(conn, p, d, staff, agencies, incidents) + warnings
    return report


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


def _incidents(conn: sqlite3.Connection, p: dict[str, str], d: Definition
               ) -> list[dict[str, Any]]:
    flagged = _flagged(d)
    fields = ("seq", *_student_fields(d))
    rows = dicts(conn.execute(
        f"""SELECT i.reference, i.school, i.at, i.flags, i.summary FROM incidents i
            WHERE {_IN_YEAR} AND {flagged} ORDER BY i.at, i.reference""", p))
    students: dict[str, list[dict[str, Any]]] = {}
    for r in conn.execute(
            f"""SELECT t.incident, {', '.join('t.' + c for c in fields)}
                FROM incident_students t JOIN incidents i ON i.reference = t.incident
                WHERE {_IN_YEAR} AND {flagged} ORDER BY t.incident, t.seq""", p):
        row = dict(zip(fields, tuple(r)[1:], strict=True))
        for f in ("iep", "plan_504"):
            if f in row:
                row[f] = None if row[f] is None else bool(row[f])
        students.setdefault(r[0], []).append(row)
    out = []
    for row in rows:
        carried = set(row["flags"])
        out.append({"reference": row["reference"], "school": row["school"], "at": row["at"],
                    **{f: f in carried for f in d.flag_ids}, "summary": row["summary"],
                    "students": students.get(row["reference"], [])})
    return out


def _complaints(conn: sqlite3.Connection, p: dict[str, str]) -> dict[str, int]:
    """Complaints received in the year by kind: every kind in force on its first day (zeros
    included), then any other kind they name."""
    counts = {about: 0 for about in kinds.choices(conn, "complaint_kinds", p["start"])}
    for about, n in conn.execute("SELECT about, count(*) FROM complaints WHERE received_on "
                                 "BETWEEN :start AND :end GROUP BY about ORDER BY about", p):
        counts[about] = n
    return counts


def _training(conn: sqlite3.Connection, staff: list[dict[str, Any]], as_of: date,
              warnings: list[str]) -> list[dict[str, Any]]:
    """One row per officer assigned in the year: their `training due` row as of `as_of`
    (status null for an officer it has none for: inactive, or no first_on_campus)."""
    assigned = sorted({b for row in staff for b in row["officers"]})
    try:
        due = {r["officer"]: r for r in training.due(conn, as_of=as_of, warn_days=0)}
    except CroError:  # no training policy in force: no deadline to hold anyone to
        due = {}
        if assigned:
            warnings.append("no training policy is in force: the officers' training status "
                            "is unknown")
    names = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT badge, name, agency FROM officers")}
    rows = []
    for badge in assigned:
        found = due.get(badge)
        name, agency = names.get(badge, (None, None))
        if found is None:
            rows.append({"officer": badge, "officer_name": name, "agency": agency,
                         **{c: None for c in TRAINING_COLUMNS[3:]}})
            if due:
                warnings.append(f"officer {badge} has no training status as of {as_of} "
                                "(inactive, or no first_on_campus)")
        else:
            rows.append({c: found.get(c) for c in TRAINING_COLUMNS})
    return rows


def _warnings(conn: sqlite3.Connection, p: dict[str, str], d: Definition,
              staff: list[dict[str, Any]], agencies: list[dict[str, Any]],
              incidents: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    year = p["year"]
    if d.has("staff"):
        out += _staff_warnings(conn, p, staff)
    if d.has("complaints"):
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
    if not d.has("agencies"):
        return out
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
        elif a is not None and a["problem"] == "review_due":
            out.append(f"agency {row['agency']}'s agreement for {year} is due for review (last "
                       f"reviewed {a['reviewed_on'] or a['adopted_on']}); see `crotool "
                       f"agreements check --year {year}`")
    return out


def _staff_warnings(conn: sqlite3.Connection, p: dict[str, str], staff: list[dict[str, Any]]
                    ) -> list[str]:
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
    return out


# ---------------------------------------------------------------- the public version


def suppress(conn: sqlite3.Connection, year: dict[str, str], report: dict[str, Any], n: int,
             d: Definition) -> dict[str, Any]:
    """The report with every count below `n` as "<n" and incidents as counts only."""
    def small(value: int) -> int | str:
        return f"<{n}" if value < n else value

    p = {"year": year["id"], "start": year["start"], "end": year["end"]}
    out = dict(report)
    if "staff" in report:
        out["staff"] = [{**row, "staff_count": small(row["staff_count"])}
                        for row in report["staff"]]
        out["staff_total"] = small(report["staff_total"])
    if "incidents" in report:
        out["incidents"] = [{"group": g, "value": v, "count": small(c)}
                            for g, v, c in _counts(conn, p, d)]
    if "complaints" in report:
        out["complaints"] = {k: small(v) for k, v in report["complaints"].items()}
    # An incident's reference would identify it: the public warning names only schools.
    warnings = [w for w in report["warnings"] if not w.startswith("incident ")]
    served = {s for s, _ in conn.execute(_ASSIGNED, p)}
    unserved = sorted({r["school"] for r in report.get("incidents", ())
                       if r["school"] not in served})
    if unserved:
        warnings.append(f"incidents at schools no officer assigned in {year['id']} serves: "
                        f"{', '.join(unserved)}")
    out["warnings"] = warnings
    return out


def _counts(conn: sqlite3.Connection, p: dict[str, str], d: Definition
            ) -> list[tuple[str, str, int]]:
    """(group, value, count): incidents by flag, then students by each of the report's
    student fields, every student category and grade listed (zeros included)."""
    flagged = _flagged(d)
    out: list[tuple[str, str, int]] = []
    has = ", ".join(f"coalesce(sum(EXISTS (SELECT 1 FROM json_each(i.flags) j WHERE j.value ="
                    f" :flag{k})), 0)" for k in range(len(d.flag_ids)))
    params = {**p, **{f"flag{k}": f for k, f in enumerate(d.flag_ids)}}
    total, *flags = conn.execute(
        f"SELECT count(*){', ' + has if has else ''} FROM incidents i WHERE {_IN_YEAR} AND "
        f"{flagged}", params).fetchone()
    out.append(("incidents", "total", total))
    out += [("incidents", f, c) for f, c in zip(d.flag_ids, flags, strict=True)]
    base = (f"FROM incident_students t JOIN incidents i ON i.reference = t.incident "
            f"WHERE {_IN_YEAR} AND {flagged}")
    out.append(("students", "total", conn.execute(f"SELECT count(*) {base}", p).fetchone()[0]))
    for field in _student_fields(d):
        if field in STUDENT_CATEGORY_KINDS:
            found = dict(conn.execute(f"SELECT t.{field}, count(*) {base} GROUP BY t.{field}",
                                      p))
            values = list(dict.fromkeys(r[0] for r in conn.execute(
                "SELECT id FROM student_categories WHERE kind = ? ORDER BY id", (field,))))
            values += sorted(v for v in found if v not in values and v != UNKNOWN_CATEGORY)
            out += [(field, v, found.get(v, 0)) for v in [*values, UNKNOWN_CATEGORY]]
        elif field == "grade":
            # In the grades' order; one no rule lists after them, `unknown` last.
            order = {g: i for i, g in enumerate([*kinds.choices(conn, "grades"),
                                                 UNKNOWN_CATEGORY])}
            found = dict(conn.execute(f"SELECT t.grade, count(*) {base} GROUP BY t.grade", p))
            out += [("grade", g, c) for g, c in sorted(
                found.items(), key=lambda kv: (kv[0] == UNKNOWN_CATEGORY,
                                               order.get(kv[0], len(order)), kv[0]))]
        else:
            found = dict(conn.execute(
                f"SELECT CASE t.{field} WHEN 1 THEN 'yes' WHEN 0 THEN 'no' ELSE 'unknown' END"
                f" AS v, count(*) {base} GROUP BY v", p))
            out += [(field, v, found.get(v, 0)) for v in ("yes", "no", "unknown")]
    return out
