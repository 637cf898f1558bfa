"""`crotool incidents add/list` and `crotool complaints add/list` (`crotool report annual`,
which reports them, is in report/annual.py).

Thin: options in as the text typed (the domain converts them with load's field rules), the
domain (`crotool.program.incidents`) called, rows rendered.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from crotool.cli import common
from crotool.cli.common import ids, school_year
from crotool.cli.options import FormatOpt, IncludeNotesOpt, OutputOpt, YearOpt, out
from crotool.output.messages import message
from crotool.output.pictures import COMPLAINT_WORDS, counted
from crotool.output.view import View
from crotool.program import incidents
from crotool.store.reads import period_of
from crotool.store.schema import INCIDENT_FLAGS

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
    values = _given(reference=reference, school=school, at=at, officers=officer or [],
                    discipline=str(discipline).lower(), use_of_force=str(use_of_force).lower(),
                    arrest=str(arrest).lower(), summary=summary, notes=notes)
    row = incidents.add_incident(common.connect(), values, student or [])
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
    conn = common.connect(reads_only=True)
    y = school_year(conn, year)
    rows = incidents.list_incidents(conn, year=y, school=school, include_notes=include_notes)
    columns = ([*incidents.INCIDENT_COLUMNS, "notes"] if include_notes
               else list(incidents.INCIDENT_COLUMNS))
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
    row = incidents.add_complaint(common.connect(), _given(
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
    conn = common.connect(reads_only=True)
    y = school_year(conn, year)
    rows = incidents.list_complaints(conn, year=y, status=status, agency=agency)
    still = sum(1 for r in rows if r["status"] == "open")
    out(rows, fmt, output, View(
        title=f"Complaints, {y['id']}", columns=list(incidents.COMPLAINT_COLUMNS),
        headers={"received_on": "received", "filed_with": "filed with", "closed_on": "closed"},
        tone=lambda r: "partial" if r["status"] == "open" else None,
        tone_words=COMPLAINT_WORDS, secondary=("filed_with", "school", "officer", "closed_on"),
        summary=f"{counted(len(rows), 'complaint')}, {still} open", period=period_of(y),
        empty="no complaints this year"))


def register(app: typer.Typer) -> None:
    app.add_typer(incidents_app, name="incidents")
    app.add_typer(complaints_app, name="complaints")
