"""`crotool incidents add/list`, `crotool complaints add/list` and `crotool report annual`.

Thin: options in as the text typed (the domain converts them with load's field rules), the
domain (`crotool.program.incidents`, `crotool.program.annual`) called, rows rendered.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from crotool.cli.common import ids
from crotool.cli.options import FormatOpt, IncludeNotesOpt, OutputOpt, YearOpt, fmt_of, out
from crotool.cli.report import report_app

WORDS = "incidents complaints"
REPORTS = "annual"
ORDER = 95

incidents_app = typer.Typer(help="""Incidents that involved the officers (discipline, use of force,
arrest), with their students' demographics (never a name).

Examples:

\b
  crotool incidents list --year 2023-24
  crotool incidents list --school juanita-hs -f csv -o incidents.csv
""", no_args_is_help=True)
complaints_app = typer.Typer(help="""Complaints about the officers' job duties and their
interactions with students.

Examples:

\b
  crotool complaints list --year 2023-24
  crotool complaints list --status open -f json
""", no_args_is_help=True)

SchoolFilter = Annotated[str | None, typer.Option(
    "--school", autocompletion=ids("schools"), metavar="SCHOOL", help="Only this school.")]


def _given(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


@incidents_app.command("add")
def incidents_add(
    reference: Annotated[str, typer.Argument(metavar="REFERENCE",
                                             help="The case or incident number.")],
    school: Annotated[str, typer.Option("--school", autocompletion=ids("schools"),
                                        metavar="SCHOOL", help="Where (school id).")],
    at: Annotated[str, typer.Option("--at", metavar="DATETIME",
                                    help="When, ISO 8601 (e.g. 2024-01-15T09:30).")],
    officer: Annotated[list[str] | None, typer.Option(
        "--officer", autocompletion=ids("officers"), metavar="BADGE",
        help="An officer involved (repeat for each).")] = None,
    discipline: Annotated[bool, typer.Option("--discipline",
                                             help="It resulted in student discipline.")] = False,
    use_of_force: Annotated[bool, typer.Option(
        "--use-of-force", help="Force was used against a student.")] = False,
    arrest: Annotated[bool, typer.Option("--arrest", help="A student was arrested.")] = False,
    student: Annotated[list[str] | None, typer.Option(
        "--student", metavar="FIELD=VALUE,...",
        help="One student's demographic row (repeat for each): race, ethnicity, gender "
        "(ids of `student_categories`, or unknown), grade (pk, k, 1-12, unknown), iep, "
        "plan_504 (yes/no). Never a name or student id.")] = None,
    summary: Annotated[str | None, typer.Option(
        "--summary", help="What happened, for the annual report (exported).")] = None,
    notes: Annotated[str | None, typer.Option(
        "--notes", metavar="TEXT", help="Private notes: never echoed, audited or exported "
        "(unless --include-notes).")] = None,
) -> None:
    """Record one incident and its students' demographic rows, in one transaction.

    An incident with --discipline, --use-of-force or --arrest needs at least one --student.
    A reference that exists already is refused.

    Examples:

    \b
      crotool incidents add KPD-24-0193 --school juanita-hs --at 2024-02-06T11:20 \\
          --officer 0417 --discipline \\
          --student race=white,ethnicity=not-hispanic,gender=male,grade=10,iep=no,plan_504=no
      crotool incidents add RPD-24-0071 --school redmond-ms --at 2024-03-01T13:05 \\
          --officer 2291 --summary "Officer helped staff with a lost child"
    """
    from crotool.cli.common import connect
    from crotool.output.render import message
    from crotool.program.incidents import add_incident

    values = _given(reference=reference, school=school, at=at, officers=officer or [],
                    discipline=str(discipline).lower(), use_of_force=str(use_of_force).lower(),
                    arrest=str(arrest).lower(), summary=summary, notes=notes)
    row = add_incident(connect(), values, student or [])
    message(f"added incident {row['reference']} at {row['school']}, {row['at']}, with "
            f"{row['students']} student row{'s' if row['students'] != 1 else ''}")


@incidents_app.command("list")
def incidents_list(
    year: YearOpt = None,
    school: SchoolFilter = None,
    include_notes: IncludeNotesOpt = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Incidents of a school year (default: the current one), oldest first.

    `students` is how many student rows each has. Notes are private and left out of every
    format unless --include-notes.

    Examples:

      crotool incidents list --year 2023-24

      crotool incidents list --school juanita-hs -f csv -o incidents.csv
    """
    from crotool.cli.common import connect, school_year
    from crotool.output.render import View
    from crotool.program.incidents import INCIDENT_COLUMNS, list_incidents

    conn = connect(reads_only=True)
    y = school_year(conn, year)
    rows = list_incidents(conn, year=y, school=school, include_notes=include_notes)
    columns = [*INCIDENT_COLUMNS, "notes"] if include_notes else list(INCIDENT_COLUMNS)
    from crotool.output.pictures import counted
    from crotool.store.reads import period_of
    from crotool.store.schema import INCIDENT_FLAGS

    # Flags overlap (an arrest after discipline): each is counted over all the incidents.
    flags = ", ".join(f"{f.replace('_', ' ')} in {sum(1 for r in rows if r[f])}"
                      for f in INCIDENT_FLAGS)
    none = sum(1 for r in rows if not any(r[f] for f in INCIDENT_FLAGS))
    out(rows, fmt, output, View(
        title=f"Incidents, {y['id']}" + (f", {school}" if school else ""), columns=columns,
        headers={"school_name": "school name", "use_of_force": "use of force"},
        justify={"students": "right"}, names={"officers": "officers"},
        secondary=("notes", "summary", "school_name", "officers", "students"),
        summary=f"{counted(len(rows), 'incident')}: {flags}; {none} with none of them",
        period=period_of(y),
        empty="no incidents this year"))


@complaints_app.command("add")
def complaints_add(
    reference: Annotated[str, typer.Argument(metavar="REFERENCE",
                                             help="The complaint's number.")],
    received_on: Annotated[str, typer.Option("--received-on", metavar="DATE",
                                             help="The day it was received (YYYY-MM-DD).")],
    agency: Annotated[str, typer.Option("--agency", autocompletion=ids("agencies"),
                                        metavar="AGENCY", help="The officer's agency.")],
    about: Annotated[str, typer.Option("--about", metavar="ABOUT",
                                       help="job_duties or student_interaction.")],
    filed_with: Annotated[str, typer.Option("--filed-with", metavar="WHERE",
                                            help="school or agency.")],
    officer: Annotated[str | None, typer.Option(
        "--officer", autocompletion=ids("officers"), metavar="BADGE",
        help="The officer it is about, if known.")] = None,
    school: Annotated[str | None, typer.Option(
        "--school", autocompletion=ids("schools"), metavar="SCHOOL",
        help="The school it concerns, if any.")] = None,
    status: Annotated[str | None, typer.Option(
        "--status", metavar="STATUS", help="open (default) or closed.")] = None,
    closed_on: Annotated[str | None, typer.Option(
        "--closed-on", metavar="DATE", help="The day it was closed (with --status closed).")
    ] = None,
) -> None:
    """Record one complaint about an officer's job duties or interaction with students.

    Examples:

    \b
      crotool complaints add C-24-004 --received-on 2024-03-12 --agency redmond-pd \\
          --about student_interaction --filed-with school --school redmond-hs
      crotool complaints add C-24-005 --received-on 2024-04-02 --agency kirkland-pd \\
          --about job_duties --filed-with agency --status closed --closed-on 2024-04-20
    """
    from crotool.cli.common import connect
    from crotool.output.render import message
    from crotool.program.incidents import add_complaint

    row = add_complaint(connect(), _given(
        reference=reference, received_on=received_on, agency=agency, officer=officer,
        school=school, about=about, filed_with=filed_with, status=status, closed_on=closed_on))
    message(f"added complaint {row['reference']} ({row['about']}, {row['status']})")


@complaints_app.command("list")
def complaints_list(
    year: YearOpt = None,
    status: Annotated[str | None, typer.Option(
        "--status", metavar="STATUS", help="Only open or only closed complaints.")] = None,
    agency: Annotated[str | None, typer.Option(
        "--agency", autocompletion=ids("agencies"), metavar="AGENCY",
        help="Only this agency's.")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Complaints received in a school year (default: the current one), by the day received.

    Examples:

      crotool complaints list --year 2023-24

      crotool complaints list --status open -f json
    """
    from crotool.cli.common import connect, school_year
    from crotool.output.render import View
    from crotool.program.incidents import COMPLAINT_COLUMNS, list_complaints

    conn = connect(reads_only=True)
    y = school_year(conn, year)
    rows = list_complaints(conn, year=y, status=status, agency=agency)
    from crotool.output.pictures import COMPLAINT_WORDS, counted
    from crotool.store.reads import period_of

    still = sum(1 for r in rows if r["status"] == "open")
    out(rows, fmt, output, View(
        title=f"Complaints, {y['id']}", columns=list(COMPLAINT_COLUMNS),
        headers={"received_on": "received", "filed_with": "filed with", "closed_on": "closed"},
        tone=lambda r: "partial" if r["status"] == "open" else None,
        tone_words=COMPLAINT_WORDS, secondary=("filed_with", "school", "officer", "closed_on"),
        summary=f"{counted(len(rows), 'complaint')}, {still} open", period=period_of(y),
        empty="no complaints this year"))


@report_app.command("annual")
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
    from crotool import __version__
    from crotool.cli.common import connect, school_year
    from crotool.output.annual_report import render_annual
    from crotool.program.annual import annual_report, suppress, titles
    from crotool.program.years import today

    conn = connect(reads_only=True)
    y = school_year(conn, year)
    report = annual_report(conn, y)
    if suppress_under is not None:
        report = suppress(conn, y, report, suppress_under)
    district = conn.execute("SELECT name FROM district WHERE id = 1").fetchone()
    names = {t: dict(conn.execute(f"SELECT {k}, name FROM {t}"))
             for t, k in (("schools", "id"), ("officers", "badge"), ("agencies", "id"))}
    named = titles(conn)
    source = f" ({named['source']})" if named["source"] else ""
    meta = {"title": f"{named['title']}, {y['id']}{source}", "titles": named,
            "district": district[0] if district else "(no district name stored)",
            "year": y, "today": today().isoformat(), "version": __version__,
            "names": names, "suppress_under": suppress_under}
    render_annual(report, fmt_of(fmt, output), output, meta=meta,
                  suppressed=suppress_under is not None)


def register(app: typer.Typer) -> None:
    app.add_typer(incidents_app, name="incidents")
    app.add_typer(complaints_app, name="complaints")
