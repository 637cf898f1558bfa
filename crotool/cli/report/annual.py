"""`crotool report annual`: the annual report on the school safety staff, the agreements,
incidents and complaints, as a document to submit.

Thin: `crotool.program.annual` gathers (and, for the public version, suppresses) the counts;
`crotool.output.annual_report` lays them out in every format.
"""

from __future__ import annotations

from typing import Annotated

import typer

from crotool import __version__
from crotool.cli import common
from crotool.cli.common import school_year
from crotool.cli.options import FormatOpt, OutputOpt, YearOpt, fmt_of
from crotool.output.annual_report import render_annual
from crotool.program import annual, packs
from crotool.program.years import today
from crotool.store import reads
from crotool.store.schema import INCIDENT_FLAGS


def report_annual(
    year: YearOpt = None,
    suppress_under: Annotated[int | None, typer.Option(
        "--suppress-under", metavar="N", min=1,
        help="Public version: every count below N is shown as <N, and incidents only as "
        "counts (no incident rows).")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """The annual report on the school safety staff: staff per building and days per week,
    agencies with agreements, incidents with discipline, use of force or arrest and their
    students' demographics, complaints; then data-quality warnings.

    The report's title and its parts' letters and titles come from the stored
    `annual_report` section (the bundled seed carries a state's, with its source); without
    one, plain titles. html has each part in its own section and a chart of incidents by
    flag (not in the public version).

    --format json is ONE object (not an array): school_year, staff (school, name, officers,
    staff_count, days_per_week: badge -> days or null), staff_total, agencies (agency, name,
    agreement_adopted_on), incidents (reference, school, at, discipline, use_of_force,
    arrest, summary, students), complaints (about -> count), warnings. With
    --suppress-under, incidents are rows of group, value, count. --format csv is one row
    per value: part, key, field, value. html is a document to attach to the submission.

    Examples:

      crotool report annual --year 2023-24

      crotool report annual --year 2023-24 -f html -o annual-2023-24.html

      crotool report annual --year 2023-24 --suppress-under 10 -f json
    """
    conn = common.connect(reads_only=True)
    y = school_year(conn, year)
    report = annual.annual_report(conn, y)
    if suppress_under is not None:
        report = annual.suppress(conn, y, report, suppress_under)
    district = reads.district_name(conn)
    names = reads.names(conn, {"schools", "officers", "agencies"})
    named = annual.titles(conn)
    source = f" ({named['source']})" if named["source"] else ""
    meta = {"title": f"{named['title']}, {y['id']}{source}", "titles": named,
            "district": district if district is not None else "(no district name stored)",
            "year": y, "today": today().isoformat(), "version": __version__,
            "names": names, "suppress_under": suppress_under, "flags": INCIDENT_FLAGS,
            "rules": packs.rules_line(conn)}
    render_annual(report, fmt_of(fmt, output), output, meta=meta,
                  suppressed=suppress_under is not None)


def register(app: typer.Typer) -> None:
    app.command("annual")(report_annual)
