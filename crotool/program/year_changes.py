"""Keeping school years: list, add, move, and roll one year's assignments into the next.

Every year typed at the command line goes through the rules `load` applies to the
`school_years` section (`checker.Checker`: the id's form; and `years.SchoolYearRules`: the id
naming the start's year, an end after the start, at most 400 days, no overlap with another
year), and every refusal is
listed at once with nothing written. Moving a year is refused while one of its assignments (or
closures) would fall outside the new dates; leaves may run past a year, so they never block.

A rollover copies into TO every assignment of FROM in force on FROM's last day (any role),
for the whole of TO, stored with TO's dates as any assignment's defaults are stored. Officers
who are inactive now are left out and named. Copies whose key (officer, pattern, TO, TO's
start) is already stored are not touched, nor a place (pattern, agency, role) that TO gives
another officer on its first day (a hand-over), so the same rollover again adds nothing. The copies
and their audit rows are one transaction. The conflicts a copy is part of come back as
warnings, found by running the coverage engine on TO once (in memory for a dry run: the
engine is pure, so a dry run sees exactly what a real run would make, and writes nothing).

Nothing here prints: commands format the returned rows and messages.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from crotool.errors import CroError, Problem, ValidationFailed
from crotool.program import coverage, years
from crotool.program.checker import check_options
from crotool.program.coverage_rule import Assignment, Officer, Row
from crotool.program.roster import GAP_NOTES, involving
from crotool.store import db
from crotool.store.audit import Auditor
from crotool.store.fields import option_date
from crotool.store.schema import SECTIONS
from crotool.store.writes import upsert

YEARS = SECTIONS["school_years"]
ASSIGNMENTS = SECTIONS["assignments"]
_OPTION = {"id": "ID", "start": "--start", "end": "--end"}
LIST_COLUMNS = ("id", "start", "end", "days", "school_days", "state", "assignments")
ROLLOVER_COLUMNS = ("id", "officer", "officer_name", "agency", "feeder_pattern", "role",
                    "start", "end")


def list_years(conn: sqlite3.Connection, on: date | None = None) -> list[dict[str, Any]]:
    """Every year by start, with its length, school days, state on `on` (default today) and
    how many assignments it holds."""
    day = on or years.today()
    counts = dict(conn.execute(
        "SELECT school_year, count(*) FROM assignments GROUP BY school_year").fetchall())
    return [{"id": y.id, "start": y.start.isoformat(), "end": y.end.isoformat(),
             "days": y.days, "school_days": y.school_days(), "state": y.state(day),
             "assignments": counts.get(y.id, 0)} for y in years.all_years(conn)]


def _checked(conn: sqlite3.Connection, raw: dict[str, Any], subject: str,
             extra: list[Problem]) -> dict[str, Any]:
    """`raw` through the school_years rules, plus `extra` problems: all listed at once."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    try:
        values = check_options(conn, YEARS, raw, subject, options=_OPTION)
    except ValidationFailed as exc:
        problems = list(exc.problems)
    start = str(raw.get("start") or "").strip()
    if any(p.where == "ID" for p in problems) and start[:4].isdigit():
        # A bad id stops the record at conversion; the dates still get their own checks, so
        # that every refusal is listed at once (under an id that names the start's year).
        stand_in = f"{start[:4]}-{(int(start[:4]) + 1) % 100:02d}"
        try:
            check_options(conn, YEARS, {**raw, "id": stand_in}, subject, options=_OPTION)
        except ValidationFailed as exc:
            problems += [p for p in exc.problems if p.where != "ID"]
    problems += extra
    if problems:
        raise ValidationFailed(problems, subject=subject)
    return values


def _write(conn: sqlite3.Connection, values: dict[str, Any]) -> dict[str, Any]:
    changes: list[tuple[str, str, dict[str, Any]]] = []
    upsert(conn, YEARS, [values], Auditor(conn), changes_out=changes)
    return changes[0][2] if changes else {}


def add_year(conn: sqlite3.Connection, year_id: str, *, start: str, end: str
             ) -> dict[str, Any]:
    """A new school year; an id that is stored already is refused (move it with update)."""
    subject = f"years add {year_id}"
    with db.transaction(conn):
        extra = []
        stored = conn.execute("SELECT start, end FROM school_years WHERE id = ?",
                              (year_id.strip(),)).fetchone()
        if stored is not None:
            extra.append(Problem("ID", f"school year {year_id.strip()} already exists "
                                 f"({stored['start']} to {stored['end']}); move its dates with "
                                 f"`crotool years update {year_id.strip()} --start D --end D`"))
        values = _checked(conn, {"id": year_id, "start": start, "end": end}, subject, extra)
        _write(conn, values)
    return values


@dataclass(slots=True)
class Moved:
    """A year's dates moved: the year afterwards, {field: [old, new]}, the gap rows (an
    unassigned, untrained, inactive or on-leave run) over the days it gained, cut to those
    days, and the assignments that end on its old last day (an end to move on too)."""

    values: dict[str, Any]
    changes: dict[str, Any]
    uncovered: list[Row] = field(default_factory=list)
    ended_early: list[dict[str, Any]] = field(default_factory=list)


def update_year(conn: sqlite3.Connection, year_id: str, *, start: str | None = None,
                end: str | None = None) -> Moved:
    """Move a year's dates. Refused while an assignment or closure of the year would fall
    outside the new dates (each named). A year that gains days leaves its assignments as
    they are: the gaps over the days it gained come back to be named."""
    if start is None and end is None:
        raise CroError(f"years update {year_id}: nothing to change",
                       hint="give --start, --end or both")
    subject = f"years update {year_id}"
    with db.transaction(conn):
        stored = years.get(conn, year_id, "ID")
        raw = {"id": year_id, "start": start if start is not None else stored.start.isoformat(),
               "end": end if end is not None else stored.end.isoformat()}
        extra = _outside(conn, year_id, *_dates_or_none(raw))
        values = _checked(conn, raw, subject, extra)
        changes = _write(conn, values)
    moved = Moved(values, changes)
    new_start, new_end = date.fromisoformat(values["start"]), date.fromisoformat(values["end"])
    one = timedelta(days=1)
    gained = [(lo, hi) for lo, hi in ((new_start, stored.start - one),
                                      (stored.end + one, new_end)) if lo <= hi]
    if gained:
        moved.uncovered = [replace(r, start=max(r.start, lo), end=min(r.end, hi))
                           for r in coverage.analyse_year(conn, year_id).rows if r.kind in GAP_NOTES
                           for lo, hi in gained if r.start <= hi and r.end >= lo]
        if new_end > stored.end:
            moved.ended_early = [dict(r) for r in conn.execute(
                "SELECT id, officer, feeder_pattern, school_year, start, end FROM assignments"
                " WHERE school_year = ? AND end = ? ORDER BY feeder_pattern, officer, id",
                (year_id, stored.end.isoformat()))]
    return moved


def _dates_or_none(raw: dict[str, Any]) -> tuple[str | None, str | None]:
    """The new dates when both read as dates (a bad one is reported by the checker)."""
    try:
        lo = option_date(raw["start"], "--start")
        hi = option_date(raw["end"], "--end")
    except CroError:
        return None, None
    return (lo.isoformat() if lo else None), (hi.isoformat() if hi else None)


def _outside(conn: sqlite3.Connection, year_id: str, lo: str | None, hi: str | None
             ) -> list[Problem]:
    if lo is None or hi is None:
        return []
    problems = []
    ids = [r[0] for r in conn.execute(
        "SELECT id FROM assignments WHERE school_year = ? AND (start < ? OR end > ?)"
        " ORDER BY id", (year_id, lo, hi))]
    if ids:
        s = "s" if len(ids) > 1 else ""
        problems.append(Problem("--start/--end", f"assignment{s} {', '.join(map(str, ids))} "
                                f"of {year_id} would fall outside {lo} to {hi}; change or "
                                f"remove {'them' if s else 'it'} first (see `crotool "
                                f"assignments list --year {year_id}`)"))
    closures = [f"{r[0]} to {r[1]}" for r in conn.execute(
        "SELECT start, end FROM closures WHERE school_year = ? AND (start < ? OR end > ?)"
        " ORDER BY start", (year_id, lo, hi))]
    if closures:
        problems.append(Problem("--start/--end", f"closure{'s' if len(closures) > 1 else ''} "
                                f"{', '.join(closures)} of {year_id} would fall outside {lo} "
                                f"to {hi}"))
    return problems


# ---------------------------------------------------------------- rollover


@dataclass(slots=True)
class Rollover:
    """What a rollover copied (or would copy), left out, and found."""

    source: years.SchoolYear
    target: years.SchoolYear
    in_force: int  # assignments of FROM in force on its last day
    copied: list[dict[str, Any]] = field(default_factory=list)
    already: list[dict[str, Any]] = field(default_factory=list)  # the same copy is stored
    # left alone: the agency's place in that pattern and role is held on TO's first day by
    # another officer (a hand-over after an earlier rollover); each with "holder", "holder_name"
    taken: list[dict[str, Any]] = field(default_factory=list)
    inactive: list[dict[str, Any]] = field(default_factory=list)  # left out: officer inactive
    warnings: list[Row] = field(default_factory=list)  # conflicts a copy is part of
    gap_rows: list[dict[str, Any]] = field(default_factory=list)  # TO's gaps afterwards
    dry_run: bool = False


_IN_FORCE_SQL = """SELECT a.id, a.officer, o.name AS officer_name, o.agency, o.status,
       o.school_trained_on, a.feeder_pattern, a.role, a.start, a.end
FROM assignments a JOIN officers o ON o.badge = a.officer
WHERE a.school_year = ? AND a.start <= ? AND a.end >= ?
ORDER BY a.feeder_pattern, o.agency, a.officer, a.start"""


def rollover(conn: sqlite3.Connection, source_id: str, target_id: str, *,
             dry_run: bool = False) -> Rollover:
    source = years.get(conn, source_id, "FROM")
    target = years.get(conn, target_id, "TO")
    if source.id == target.id:
        raise CroError(f"FROM and TO are both {source.id}", hint="roll a year into another one")
    last = source.end.isoformat()
    with db.transaction(conn):
        rows = [dict(r) for r in conn.execute(_IN_FORCE_SQL, (source.id, last, last))]
        stored = {(r[0], r[1]) for r in conn.execute(
            "SELECT officer, feeder_pattern FROM assignments WHERE school_year = ? AND start = ?",
            (target.id, target.start.isoformat()))}
        # Who holds each agency's place (pattern, role) on TO's first day already.
        holders: dict[tuple[str, str, str], tuple[str, str]] = {}
        for r in conn.execute(
                "SELECT a.feeder_pattern, o.agency, a.role, a.officer, o.name FROM assignments a"
                " JOIN officers o ON o.badge = a.officer WHERE a.school_year = ? AND a.start <= ?"
                " ORDER BY a.id", (target.id, target.start.isoformat())):
            holders.setdefault((r[0], r[1], r[2]), (r[3], r[4]))
        result = Rollover(source, target, len(rows), dry_run=dry_run)
        for r in rows:
            copy = {**r, "id": None, "school_year": target.id,
                    "start": target.start.isoformat(), "end": target.end.isoformat()}
            holder = holders.get((r["feeder_pattern"], r["agency"], r["role"]))
            if r["status"] != "active":
                result.inactive.append(copy)
            elif (r["officer"], r["feeder_pattern"]) in stored:
                result.already.append(copy)
            elif holder is not None and holder[0] != r["officer"]:
                result.taken.append({**copy, "holder": holder[0], "holder_name": holder[1]})
            elif (r["officer"], r["feeder_pattern"]) not in {
                    (c["officer"], c["feeder_pattern"]) for c in result.copied}:
                result.copied.append(copy)
        if result.copied and not dry_run:
            _insert_copies(conn, result.copied)
    if dry_run:
        data = coverage.load_year(conn, target)
        known = {o.badge for o in data.officers}
        added: list[Officer] = []
        for c in result.copied:
            data.assignments.append(Assignment(c["officer"], c["feeder_pattern"], target.id,
                                               c["role"], target.start, target.end))
            if c["officer"] not in known:
                trained = c["school_trained_on"]
                added.append(Officer(c["officer"], c["agency"], c["status"],
                                     date.fromisoformat(trained) if trained else None))
                known.add(c["officer"])
        # The officers the copies bring, trained as the year's own are (the topics required
        # to cover, where a pack marks any).
        data.officers.extend(coverage.with_training(conn, target, added))
        analysis = coverage.analyse_data(data)
    else:
        analysis = coverage.analyse_year(conn, target.id)
    for c in result.copied:
        result.warnings += [w for w in involving(analysis.rows, c)[0]
                            if w not in result.warnings]
    result.gap_rows = coverage.gap_rows(analysis)
    return result


def _insert_copies(conn: sqlite3.Connection, copies: list[dict[str, Any]]) -> None:
    """The copies through store.upsert (one audit row each), then their new ids."""
    records = [{k: c[k] for k in ASSIGNMENTS.field_names} for c in copies]
    upsert(conn, ASSIGNMENTS, records, Auditor(conn))
    for c in copies:
        c["id"] = conn.execute(
            "SELECT id FROM assignments WHERE officer = ? AND feeder_pattern = ?"
            " AND school_year = ? AND start = ?",
            (c["officer"], c["feeder_pattern"], c["school_year"], c["start"])).fetchone()[0]
