"""Agreements with the agencies that supply officers, and what each lacks.

What an agreement must contain (`agreement_elements`) and whose input its review must involve
(`stakeholder_groups`) are data: the bundled seed carries Washington's (RCW 28A.320.1242 and
the policy elements of RCW 28A.320.124). Nothing here knows them.

A group's input comes from the agreement's own `input_from`, or from Community Connectors
engagements held in the review window: an engagement counts for every group whose `sectors`
list holds the sector of one of its connectors (compared ignoring case and surrounding space).
The review window is the twelve months up to and including the review date (`reviewed_on`,
else `adopted_on`, else the school year's last day): a review draws on the year of input
before it, often before its school year starts, and nothing said after it informed it.

`assess` is a pure function of one agreement (or None) and the rule; the functions below it
read those from SQL. Nothing here prints.
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

CHECK_COLUMNS = ("agency", "agency_name", "school_year", "adopted_on", "reviewed_on",
                 "missing_elements", "missing_input", "input_from_engagements", "problem")
LIST_COLUMNS = ("agency", "agency_name", "school_year", "reviewed_on", "adopted_on",
                "document", "elements", "input_from")
REVIEW_WINDOW_MONTHS = 12


@dataclass(frozen=True, slots=True)
class Requirements:
    elements: tuple[str, ...]  # every element id, sorted
    groups: dict[str, frozenset[str]]  # group id -> connector sectors (casefolded) that count


def _sector(text: str | None) -> str:
    return (text or "").strip().casefold()


def review_window(agreement: dict[str, Any], year_end: str) -> tuple[date, date]:
    """(first, last) day, inclusive, whose engagements count as input to this review."""
    last = date.fromisoformat(agreement.get("reviewed_on") or agreement.get("adopted_on")
                              or year_end)
    return add_months(last, -REVIEW_WINDOW_MONTHS) + timedelta(days=1), last


def groups_reached(req: Requirements, sectors: Iterable[str | None]) -> list[str]:
    """The groups whose sectors include any of `sectors` (of engagements' connectors)."""
    seen = {_sector(s) for s in sectors}
    return sorted(g for g, wanted in req.groups.items() if wanted & seen)


def assess(agency: dict[str, Any], year_id: str, agreement: dict[str, Any] | None,
           req: Requirements, engaged: list[str]) -> dict[str, Any]:
    """One `agreements check` row. `engaged`: the groups reached by engagements in the
    agreement's review window (ignored when there is no agreement: nothing was reviewed)."""
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


def check(conn: sqlite3.Connection, *, year: str | None = None) -> tuple[dict, list[dict]]:
    """(the school year, one row per agency with any assignment in it), by agency."""
    y = years.get(conn, year).as_dict() if year is not None else (
        years.current_year(conn).year.as_dict())
    req = requirements(conn)
    agencies = [dict(r) for r in conn.execute(
        "SELECT DISTINCT g.id, g.name FROM assignments a JOIN officers o ON o.badge = a.officer"
        " JOIN agencies g ON g.id = o.agency WHERE a.school_year = ? ORDER BY g.id", (y["id"],))]
    stored = {a["agency"]: a for a in _agreements(conn, year=y["id"])}
    rows = []
    for agency in agencies:
        agreement = stored.get(agency["id"])
        engaged: list[str] = []
        if agreement is not None:
            first, last = review_window(agreement, y["end"])
            engaged = groups_reached(req, _engagement_sectors(conn, first, last))
        rows.append(assess(agency, y["id"], agreement, req, engaged))
    return y, rows


def _agreements(conn: sqlite3.Connection, *, year: str | None = None,
                agency: str | None = None) -> list[dict[str, Any]]:
    where = reads.Where()
    where.ref(conn, "school_years", year, "--year", "a.school_year = ?")
    where.ref(conn, "agencies", agency, "--agency", "a.agency = ?")
    return reads.dicts(conn.execute(
        "SELECT a.agency, g.name AS agency_name, a.school_year, a.reviewed_on, a.adopted_on,"
        " a.document, a.elements, a.input_from FROM agreements a"
        " JOIN agencies g ON g.id = a.agency" + where.sql
        + " ORDER BY a.school_year, a.agency", where.params))


def list_agreements(conn: sqlite3.Connection, *, year: str | None = None,
                    agency: str | None = None) -> list[dict[str, Any]]:
    """Every stored agreement unless --year or --agency narrows it; by year, agency."""
    return _agreements(conn, year=year, agency=agency)
