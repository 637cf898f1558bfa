"""The coverage rule over the database: load one school year's plain data, run the engine.

`crotool.program.coverage_rule` is pure (no SQL, no clock); this module is its only reader.
It loads, for one school year, exactly what `coverage.analyse` needs, with one query per table
and every value bound:

- the year itself (a `years.SchoolYear`, with the closures its school-day counts need);
- every school (pattern, agency, also_feeds): schools have no year, and the required pairs
  depend on all of them;
- the officers that hold an assignment in the year (no other officer can cover, or conflict);
- the year's assignments (served by the `assignments_year_pattern` index);
- the leaves of those officers that overlap the year (a leave that runs past the year counts
  only inside it; the engine clips it);
- where a training topic of the applied packs is marked `required_to_cover` (SPEC §5.2), each
  of those officers' trained spans (`with_training`: their kinds, their trainings of those
  topics, `training_rule.cover_spans`); where none is, one query says so and
  `school_trained_on` decides, as before packs.

Everything else a command needs around the engine (which year `--year`/`--on` mean, the
`--pattern`/`--agency`/`--on` filters, the feeder patterns and agencies a matrix lays out,
officers' names for people to read, the rows with their school days) is here too, so
commands stay thin and `assign` can ask for the conflicts of the year it just wrote to.
School days are counted here, around the engine: coverage stays a rule over calendar days.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from crotool.errors import CroError
from crotool.program import officer_kinds, years
from crotool.program.coverage_rule import (
    CONFLICT_KINDS,
    Assignment,
    Leave,
    Officer,
    PairCoverage,
    Row,
    School,
    analyse,
    rows_on,
)
from crotool.program.topics import required_topics
from crotool.program.training_rule import cover_spans
from crotool.program.years import SchoolYear
from crotool.store import db, reads

__all__ = [
    "Analysis",
    "YearData",
    "analyse_year",
    "coverage",
    "coverage_rows",
    "gap_rows",
    "gaps",
    "gaps_summary",
    "load_year",
    "with_training",
]


@dataclass(frozen=True, slots=True)
class YearData:
    """The engine's input for one school year, and the names of the officers in it."""

    year: SchoolYear
    schools: list[School]
    officers: list[Officer]
    assignments: list[Assignment]
    leaves: list[Leave]
    names: dict[str, str] = field(default_factory=dict)  # badge -> name


@dataclass(frozen=True, slots=True)
class Analysis:
    """The engine's output for one school year (rows possibly filtered), plus what a report
    lays out around it."""

    year: SchoolYear
    rows: list[Row]
    pairs: list[PairCoverage]
    names: dict[str, str]
    patterns: list[str] = field(default_factory=list)  # every feeder pattern id, sorted
    agencies: list[str] = field(default_factory=list)  # every agency id, sorted
    # The stale-year warning when the year was a fallback (see years.resolve_year).
    warning: str | None = None
    # (pattern, agency) -> [(first day, badge)]: a cro assignment that takes over the pair
    # from another officer during the year (the timeline marks it).
    handovers: dict[tuple[str, str], list[tuple[date, str]]] = field(default_factory=dict)


def load_year(conn: sqlite3.Connection, year: SchoolYear) -> YearData:
    """One query per table, filtered by the year wherever the table allows it; all of them
    from one snapshot (an import committing meanwhile is seen whole or not at all)."""
    with db.read(conn):
        return _load_year(conn, year)


def _load_year(conn: sqlite3.Connection, year: SchoolYear) -> YearData:
    schools = [
        School(r["id"], r["feeder_pattern"], r["agency"], tuple(json.loads(r["also_feeds"])))
        for r in conn.execute("SELECT id, feeder_pattern, agency, also_feeds FROM schools")
    ]
    officers: list[Officer] = []
    names: dict[str, str] = {}
    for r in conn.execute(
        "SELECT badge, name, agency, status, school_trained_on FROM officers"
        " WHERE badge IN (SELECT officer FROM assignments WHERE school_year = ?)",
        (year.id,),
    ):
        trained = r["school_trained_on"]
        officers.append(Officer(r["badge"], r["agency"], r["status"],
                                date.fromisoformat(trained) if trained else None))
        names[r["badge"]] = r["name"]
    officers = with_training(conn, year, officers)
    assignments = [
        Assignment(r["officer"], r["feeder_pattern"], r["school_year"], r["role"],
                   date.fromisoformat(r["start"]), date.fromisoformat(r["end"]))
        for r in conn.execute(
            "SELECT officer, feeder_pattern, school_year, role, start, end FROM assignments"
            " WHERE school_year = ?", (year.id,))
    ]
    first, last = year.start.isoformat(), year.end.isoformat()
    leaves = [
        Leave(r["officer"], date.fromisoformat(r["start"]), date.fromisoformat(r["end"]))
        for r in conn.execute(
            "SELECT officer, start, end FROM leaves WHERE start <= ? AND end >= ?"
            " AND officer IN (SELECT officer FROM assignments WHERE school_year = ?)",
            (last, first, year.id))
    ]
    return YearData(year, schools, officers, assignments, leaves, names)


def with_training(conn: sqlite3.Connection, year: SchoolYear, officers: list[Officer]
                  ) -> list[Officer]:
    """The officers, each with the days of the year on which it counts as trained, where a
    training topic of the applied packs is marked `required_to_cover`
    (`training_rule.cover_spans`); where none is, as given (trained from school_trained_on).

    One query for the required topics, which answers at once where none is (the bundled
    seed); else one for the officers' kinds and one for their trainings of those topics up to
    the year's end (earlier hours add up; an earlier completion may still count)."""
    topics = required_topics(conn)
    if not topics or not officers:
        return officers
    badges = json.dumps([o.badge for o in officers])
    kinds = officer_kinds.Kinds.load(conn, year.start)
    kind_of = {b: kinds.resolve(k) for b, k in conn.execute(
        "SELECT badge, kind FROM officers WHERE badge IN (SELECT value FROM json_each(?))",
        (badges,))}
    done: dict[str, list[tuple[str, date, float | None]]] = {}
    for badge, topic, day, hours in conn.execute(
            "SELECT officer, topic, completed_on, hours FROM trainings"
            " WHERE officer IN (SELECT value FROM json_each(?))"
            " AND topic IN (SELECT value FROM json_each(?)) AND completed_on <= ?",
            (badges, json.dumps(sorted({t.id for t in topics})), year.end.isoformat())):
        done.setdefault(badge, []).append((topic, date.fromisoformat(day), hours))
    return [replace(o, trained=cover_spans(topics, kind_of.get(o.badge), o.school_trained_on,
                                           done.get(o.badge, ()), year.start, year.end))
            for o in officers]


def analyse_year(conn: sqlite3.Connection, year_id: str | None = None, *,
                 on: date | None = None) -> Analysis:
    """Every gap and conflict row, and every required pair's coverage, of one year."""
    with db.read(conn):
        resolution = years.resolve_year(conn, year_id, on=on)
        data = load_year(conn, resolution.year)
    return analyse_data(data, resolution.warning)


def analyse_data(data: YearData, warning: str | None = None) -> Analysis:
    """The engine over already loaded data (a rollover's dry run adds what it would write)."""
    rows, pairs = analyse(data.year, data.schools, data.officers, data.assignments, data.leaves)
    return Analysis(data.year, rows, pairs, data.names, warning=warning,
                    handovers=_handovers(data))


def _handovers(data: YearData) -> dict[tuple[str, str], list[tuple[date, str]]]:
    agency = {o.badge: o.agency for o in data.officers}
    by_pair: dict[tuple[str, str], list[Assignment]] = {}
    for a in sorted(data.assignments, key=lambda a: (a.start, a.officer)):
        if a.role == "cro" and a.officer in agency:
            by_pair.setdefault((a.feeder_pattern, agency[a.officer]), []).append(a)
    out: dict[tuple[str, str], list[tuple[date, str]]] = {}
    for pair, spans in by_pair.items():
        for before, after in zip(spans, spans[1:], strict=False):
            if after.officer != before.officer and after.start > data.year.start:
                out.setdefault(pair, []).append((after.start, after.officer))
    return out


def gaps(conn: sqlite3.Connection, *, year: str | None = None, on: date | None = None,
         pattern: str | None = None, agency: str | None = None) -> Analysis:
    """`crotool gaps`: the year's rows, narrowed by --on, --pattern and --agency.

    With --on and no --year, the year is the one that contains that day. A day outside the
    chosen year is refused: it could only ever show nothing, which would read as "no gaps".
    """
    with db.read(conn):
        if pattern is not None:
            reads.require(conn, "feeder_patterns", pattern, "--pattern")
        if agency is not None:
            reads.require(conn, "agencies", agency, "--agency")
        result = analyse_year(conn, year, on=on)
    y = result.year
    if on is not None and not y.start <= on <= y.end:
        where = f"school year {y.id} ({y.start} to {y.end})"
        if year is None:
            raise CroError(f"--on {on}: no school year contains that day; the nearest is {where}",
                           hint="give a day inside a stored school year")
        raise CroError(f"--on {on} is outside {where}",
                       hint="give a day inside the year, or leave --year out")
    rows = result.rows
    if on is not None:
        rows = rows_on(rows, on)
    if pattern is not None:
        rows = [r for r in rows if r.feeder_pattern == pattern]
    if agency is not None:
        rows = [r for r in rows if r.agency == agency]
    return Analysis(y, rows, result.pairs, result.names, warning=result.warning,
                    handovers=result.handovers)


def coverage(conn: sqlite3.Connection, *, year: str | None = None) -> Analysis:
    """`crotool report coverage`: one PairCoverage per required pair, with every feeder
    pattern and agency (a report lays out the whole matrix, required or not)."""
    with db.read(conn):
        result = analyse_year(conn, year)
        patterns = {r[0] for r in conn.execute("SELECT id FROM feeder_patterns")}
        agencies = {r[0] for r in conn.execute("SELECT id FROM agencies")}
    # Foreign keys keep pairs inside those sets; the union only guards a hand-edited file.
    patterns.update(p.feeder_pattern for p in result.pairs)
    agencies.update(p.agency for p in result.pairs)
    # Every badge a cell shows holds a cro assignment in the year: load_year has its name.
    return Analysis(result.year, result.rows, result.pairs, result.names, sorted(patterns),
                    sorted(agencies), result.warning, result.handovers)


# ---------------------------------------------------------------- rows for reports


def gap_rows(result: Analysis) -> list[dict[str, Any]]:
    """The rows of `gaps`, each with its `school_days` (school days inside the run)."""
    year = result.year
    out = []
    for row in result.rows:
        d: dict[str, Any] = {}
        for key, value in row.as_dict().items():
            d[key] = value
            if key == "days":  # beside `days`, in the order the JSON rows show it
                d["school_days"] = year.school_days(row.start, row.end)
        out.append(d)
    return out


def coverage_rows(result: Analysis) -> list[dict[str, Any]]:
    """One row per required pair, with its school days, covered and lost.

    A pair's gap rows partition the days it is not covered (conflicts are not gaps), so its
    lost school days are the school days of its gap rows.
    """
    year = result.year
    school_days = year.school_days()
    lost: dict[tuple[str, str], int] = {}
    for row in result.rows:
        if row.kind not in CONFLICT_KINDS:
            key = (row.feeder_pattern, row.agency)
            lost[key] = lost.get(key, 0) + year.school_days(row.start, row.end)
    out = []
    for pair in result.pairs:
        d = pair.as_dict()
        gap = lost.get((pair.feeder_pattern, pair.agency), 0)
        d.update(school_days=school_days, covered_school_days=school_days - gap,
                 gap_school_days=gap)
        out.append(d)
    return out


def gaps_summary(rows: list[dict[str, Any]], scope: str, *, with_days: bool) -> str:
    """The one-line summary `gaps` (and `years rollover`) writes on stderr."""
    if not rows:
        return f"no gaps or conflicts in {scope}"
    conflicts = sum(1 for r in rows if r["kind"] in CONFLICT_KINDS)
    gap_rows_ = len(rows) - conflicts
    gap_days = sum(r["days"] for r in rows if r["kind"] not in CONFLICT_KINDS)
    school = sum(r.get("school_days", 0) for r in rows if r["kind"] not in CONFLICT_KINDS)
    # Over a whole year the uncovered pair-days say how bad it is; on one day (--on) a row's
    # span reaches beyond that day, so its days would mislead.
    days = f" ({gap_days} pattern-agency days uncovered)" if with_days and gap_rows_ else ""
    school_part = f"; {school} of those days are school days" if days else ""
    return (f"{scope}: {gap_rows_} gap{'s' if gap_rows_ != 1 else ''}{days}, "
            f"{conflicts} conflict{'s' if conflicts != 1 else ''}{school_part}")
