"""Agreements with the agencies that supply officers, and what each lacks.

What an agreement must contain (`agreement_elements`) and whose input its review must involve
(`stakeholder_groups`) are data: the bundled seed carries Washington's (RCW 28A.320.1242 and
the policy elements of RCW 28A.320.124). Nothing here knows them.

How long an agreement lasts and how often it is reviewed is data too: the `agreement_policy`
of the applied packs (`Policy`), the version in force on the school year's first day:
- `term_years` (default 1): an agreement of year Y also covers the next term-1 years; the
  newest agreement of an agency within that reach is the one a year is checked against (a
  newer one replaces an older one from its own year on);
- `review_every_months` (default none): an agreement whose last review (`reviewed_on`, else
  `adopted_on`) is older than that at the year's start has problem `review_due`;
- `input_within_months` (default 12, REVIEW_WINDOW_MONTHS): the review window below.

A group's input comes from the agreement's own `input_from`, or from Community Connectors
engagements held in the review window: an engagement counts for every group whose `sectors`
list holds the sector of one of its connectors (compared ignoring case and surrounding space).
The review window is the `input_within_months` months up to and including the review date
(`reviewed_on`, else `adopted_on`, else the school year's last day): a review draws on the year
of input before it, often before its school year starts, and nothing said after it informed it.

`assess` is a pure function of one agreement (or None), the rule and the policy; the functions
below it read those from SQL. Nothing here prints.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from crotool.program import years
from crotool.program.training_rule import add_months
from crotool.store import reads
from crotool.store.rules import in_force_sql

CHECK_COLUMNS = ("agency", "agency_name", "school_year", "adopted_on", "reviewed_on",
                 "missing_elements", "missing_input", "input_from_engagements", "problem")
LIST_COLUMNS = ("agency", "agency_name", "school_year", "reviewed_on", "adopted_on",
                "document", "elements", "input_from")
REVIEW_WINDOW_MONTHS = 12


@dataclass(frozen=True, slots=True)
class Policy:
    """An agreement's term, how often it is reviewed, and its window of input (SPEC §5.2)."""

    term_years: int = 1
    review_every_months: int | None = None
    input_within_months: int = REVIEW_WINDOW_MONTHS


@dataclass(frozen=True, slots=True)
class Requirements:
    elements: tuple[str, ...]  # every element id, sorted
    groups: dict[str, frozenset[str]]  # group id -> connector sectors (casefolded) that count


def _sector(text: str | None) -> str:
    return (text or "").strip().casefold()


def review_window(agreement: dict[str, Any], year_end: str,
                  months: int = REVIEW_WINDOW_MONTHS) -> tuple[date, date]:
    """(first, last) day, inclusive, whose engagements count as input to this review: the
    `months` months up to the review."""
    last = date.fromisoformat(agreement.get("reviewed_on") or agreement.get("adopted_on")
                              or year_end)
    return add_months(last, -months) + timedelta(days=1), last


def review_due(agreement: dict[str, Any], year_start: str, policy: Policy) -> bool:
    """Whether the agreement's last review (reviewed_on, else adopted_on) is older than the
    policy's review_every_months at the year's start. None of either date: not adopted, which
    is its own problem."""
    last = agreement.get("reviewed_on") or agreement.get("adopted_on")
    if policy.review_every_months is None or last is None:
        return False
    due = add_months(date.fromisoformat(last), policy.review_every_months)
    return due < date.fromisoformat(year_start)


def covers(agreement_year: str, year: str, policy: Policy) -> bool:
    """Whether an agreement of `agreement_year` covers `year` (ids like 2024-25): the same
    year or one of the next term_years - 1."""
    ahead = int(year[:4]) - int(agreement_year[:4])
    return 0 <= ahead < policy.term_years


def groups_reached(req: Requirements, sectors: Iterable[str | None]) -> list[str]:
    """The groups whose sectors include any of `sectors` (of engagements' connectors)."""
    seen = {_sector(s) for s in sectors}
    return sorted(g for g, wanted in req.groups.items() if wanted & seen)


def assess(agency: dict[str, Any], year_id: str, agreement: dict[str, Any] | None,
           req: Requirements, engaged: list[str], *, year_start: str | None = None,
           policy: Policy = Policy()) -> dict[str, Any]:
    """One `agreements check` row. `engaged`: the groups reached by engagements in the
    agreement's review window (ignored when there is no agreement: nothing was reviewed).
    `agreement`: the one that covers the year (its own, or an earlier one within its term);
    with `year_start`, its last review is held to the policy's review_every_months."""
    row: dict[str, Any] = {"agency": agency["id"], "agency_name": agency["name"],
                           "school_year": year_id, "adopted_on": None, "reviewed_on": None}
    if agreement is None:
        return {**row, "missing_elements": list(req.elements), "missing_input": sorted(req.groups),
                "input_from_engagements": [], "problem": "no_agreement"}
    present = set(agreement["elements"])
    consulted = set(agreement["input_from"]) | set(engaged)
    missing_elements = [e for e in req.elements if e not in present]
    missing_input = [g for g in sorted(req.groups) if g not in consulted]
    if agreement["adopted_on"] is None:
        problem: str | None = "not_adopted"
    elif year_start is not None and review_due(agreement, year_start, policy):
        problem = "review_due"
    elif missing_elements or missing_input:
        problem = "incomplete"
    else:
        problem = None
    return {**row, "adopted_on": agreement["adopted_on"], "reviewed_on": agreement["reviewed_on"],
            "missing_elements": missing_elements, "missing_input": missing_input,
            "input_from_engagements": [g for g in engaged if g not in agreement["input_from"]],
            "problem": problem}


# ---------------------------------------------------------------- from the database


def requirements(conn: sqlite3.Connection) -> Requirements:
    elements = tuple(r[0] for r in conn.execute("SELECT id FROM agreement_elements ORDER BY id"))
    groups = {r[0]: frozenset(_sector(s) for s in json.loads(r[1]))
              for r in conn.execute("SELECT id, sectors FROM stakeholder_groups ORDER BY id")}
    return Requirements(elements, groups)


def _engagement_sectors(conn: sqlite3.Connection, first: date, last: date) -> list[str | None]:
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT c.sector FROM engagements e, json_each(e.connectors) j"
        " JOIN connectors c ON c.id = j.value WHERE e.date BETWEEN ? AND ?",
        (first.isoformat(), last.isoformat()))]


def policy(conn: sqlite3.Connection, day: str) -> Policy:
    """The agreement policy in force on `day` (a school year's first day), each field it
    leaves out (or no policy at all) at its default."""
    row = conn.execute(
        "SELECT term_years, review_every_months, input_within_months FROM agreement_policy r"
        f" WHERE {in_force_sql(':day')} ORDER BY r.effective_from DESC LIMIT 1",
        {"day": day}).fetchone()
    if row is None:
        return Policy()
    default = Policy()
    return Policy(row[0] or default.term_years, row[1],
                  row[2] or default.input_within_months)


def check(conn: sqlite3.Connection, *, year: str | None = None) -> tuple[dict, list[dict]]:
    """(the school year, one row per agency with any assignment in it), by agency."""
    y = years.get(conn, year).as_dict() if year is not None else (
        years.current_year(conn).year.as_dict())
    req = requirements(conn)
    rule = policy(conn, y["start"])
    agencies = [dict(r) for r in conn.execute(
        "SELECT DISTINCT g.id, g.name FROM assignments a JOIN officers o ON o.badge = a.officer"
        " JOIN agencies g ON g.id = o.agency WHERE a.school_year = ? ORDER BY g.id", (y["id"],))]
    stored = covering(conn, y["id"], rule)
    rows = []
    for agency in agencies:
        agreement = stored.get(agency["id"])
        engaged: list[str] = []
        if agreement is not None:
            first, last = review_window(agreement, y["end"], rule.input_within_months)
            engaged = groups_reached(req, _engagement_sectors(conn, first, last))
        rows.append(assess(agency, y["id"], agreement, req, engaged, year_start=y["start"],
                           policy=rule))
    return y, rows


def covering(conn: sqlite3.Connection, year_id: str, rule: Policy | None = None,
             *, agency: str | None = None) -> dict[str, dict[str, Any]]:
    """agency -> the agreement that covers `year_id`: the newest of its agreements of that
    year or of the term_years - 1 before it (`rule`: the policy; default, the one in force on
    the year's first day)."""
    if rule is None:
        start = conn.execute("SELECT start FROM school_years WHERE id = ?",
                             (year_id,)).fetchone()
        rule = policy(conn, start[0]) if start else Policy()
    found: dict[str, dict[str, Any]] = {}
    for a in _agreements(conn, agency=agency, until=year_id):
        if covers(a["school_year"], year_id, rule):
            found[a["agency"]] = a  # by year: a newer one replaces an older one
    return found


def _agreements(conn: sqlite3.Connection, *, year: str | None = None,
                agency: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
    where = reads.Where()
    where.ref(conn, "school_years", year, "--year", "a.school_year = ?")
    where.ref(conn, "agencies", agency, "--agency", "a.agency = ?")
    if until is not None:
        where.add("a.school_year <= ?", until)
    return reads.dicts(conn.execute(
        "SELECT a.agency, g.name AS agency_name, a.school_year, a.reviewed_on, a.adopted_on,"
        " a.document, a.elements, a.input_from FROM agreements a"
        " JOIN agencies g ON g.id = a.agency" + where.sql
        + " ORDER BY a.school_year, a.agency", where.params))


def list_agreements(conn: sqlite3.Connection, *, year: str | None = None,
                    agency: str | None = None) -> list[dict[str, Any]]:
    """Every stored agreement unless --year or --agency narrows it; by year, agency. With
    --year, the agreements that cover that year (its own, or an earlier one still within its
    term: agreement_policy.term_years)."""
    if year is None:
        return _agreements(conn, agency=agency)
    reads.require(conn, "school_years", year, "--year")
    if agency is not None:
        reads.require(conn, "agencies", agency, "--agency")
    found = covering(conn, year, agency=agency)
    return sorted(found.values(), key=lambda a: a["agency"])
