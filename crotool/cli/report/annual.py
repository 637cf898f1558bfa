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
from crotool.program.report_rules import definition
from crotool.program.years import today
from crotool.store import reads


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
    students' demographics, complaints, training (the parts the rules list); then
    data-quality warnings.

    What the report holds comes from the rules in force on the year's first day (section
    `report` of a rule pack, or a seed's `annual_report`; the bundled packs carry
    Washington's, with its source): its title, its parts and their letters and titles, the
    incident flags an incident is reported for (ids and names) and the student fields
    shown. Without one: plain titles, the four parts staff, agencies, incidents and
    complaints, the flags discipline, use_of_force and arrest, every student field. html has
    each part in its own section and a chart of incidents by flag (not in the public
    version).

    --format json is ONE object (not an array) with the parts listed: school_year, staff
    (school, name, officers, staff_count, days_per_week: badge -> days or null),
    staff_total, agencies (agency, name, agreement_adopted_on), incidents (reference,
    school, at, one boolean per incident flag, summary, students: seq and the student
    fields), complaints (complaint kind -> count), training (officer, officer_name, agency,
    status, classroom_done, classroom_required, on_the_job_days, on_the_job_required,
    missing) and training_as_of (the year's last day, or today if sooner), warnings. With
    --suppress-under, incidents are rows of group, value, count. --format csv is one row
    per value: part, key, field, value. html is a document to attach to the submission.

    Examples:

      crotool report annual --year 2023-24

      crotool report annual --year 2023-24 -f html -o annual-2023-24.html

      crotool report annual --year 2023-24 --suppress-under 10 -f json
    """
    conn = common.connect(reads_only=True)
    y = school_year(conn, year)
    rule = definition(conn, y["start"])
    report = annual.annual_report(conn, y, rule)
    if suppress_under is not None:
        report = annual.suppress(conn, y, report, suppress_under, rule)
    district = reads.district_name(conn)
    names = reads.names(conn, {"schools", "officers", "agencies"})
    named = rule.titles
    source = f" ({named['source']})" if named["source"] else ""
    meta = {"title": f"{named['title']}, {y['id']}{source}", "titles": named,
            "district": district if district is not None else "(no district name stored)",
            "year": y, "today": today().isoformat(), "version": __version__,
            "names": names, "suppress_under": suppress_under, "flags": rule.flags,
            "student_fields": rule.student_fields, "rules": packs.rules_line(conn)}
    render_annual(report, fmt_of(fmt, output), output, meta=meta,
                  suppressed=suppress_under is not None)


def register(app: typer.Typer) -> None:
    app.command("annual")(report_annual)
