"""`crotool assessments schedule/complete/cancel/list`: scheduled safety assessments of school
facilities, "at the request of district administration"."""

from __future__ import annotations

from typing import Annotated

import typer

from crotool.cli import common
from crotool.cli.common import choices, ids
from crotool.cli.options import MAX_INT, FormatOpt, OutputOpt, out
from crotool.output.messages import message
from crotool.output.view import View
from crotool.program import duties
from crotool.store.schema import ASSESSMENT_STATUSES

assessments_app = typer.Typer(help="""Scheduled safety assessments of school facilities, and which
are overdue.

Examples:

\b
  crotool assessments list --overdue
  crotool assessments schedule --school juanita-hs --due 2024-05-20 \\
      --requested-by "Juanita HS principal"
  crotool assessments cancel 2
""", no_args_is_help=True)


@assessments_app.command("schedule")
def schedule(
    school: Annotated[str, typer.Option("--school", autocompletion=ids("schools"), metavar="SCHOOL",
                                        help="The school to assess (school id).")],
    due: Annotated[str, typer.Option("--due", metavar="DATE",
                                     help="The day it is due by (YYYY-MM-DD).")],
    requested_by: Annotated[str, typer.Option(
        "--requested-by", metavar="WHO", help="Who asked for it (a role, e.g. 'District Safety "
        "and Security').")],
) -> None:
    """Schedule a safety assessment of a school; its id is printed on stderr.

    Examples:

    \b
      crotool assessments schedule --school redmond-ms --due 2024-05-15 \\
          --requested-by "District Safety and Security"
    """
    conn = common.connect()
    new_id = duties.schedule_assessment(conn, school=school, due=due, requested_by=requested_by)
    category = (duties.assessment_categories(conn) or [duties.SAFETY_CATEGORY])[0]
    message(f"scheduled safety assessment {new_id}: {school}, due {due}")
    message(f"when it is done: crotool duty log --officer BADGE --school {school} "
            f"--category {category} --assessment {new_id} ...")


@assessments_app.command("complete")
def complete(
    assessment_id: Annotated[int, typer.Argument(
        metavar="ID", min=1, max=MAX_INT, autocompletion=ids("assessments", column="id"),
        help="The assessment's id (`assessments list`).")],
    duty: Annotated[int, typer.Option("--duty", metavar="DUTY_ID", min=1, max=MAX_INT,
                                      help="The logged safety-assessment duty that did it.")],
) -> None:
    """Mark a scheduled assessment done by a duty already logged (same school, a
    safety-assessment category). Logging the duty with `duty log --assessment ID` does both
    at once.

    Examples:

      crotool assessments complete 2 --duty 41
    """
    done = duties.complete_assessment(common.connect(), assessment_id, duty)
    message(f"safety assessment {assessment_id} ({done['school']}, due {done['due']}) is done "
            f"by duty {duty} ({done['at']})")


@assessments_app.command("cancel")
def cancel(
    assessment_id: Annotated[int, typer.Argument(
        metavar="ID", min=1, max=MAX_INT, autocompletion=ids("assessments", column="id"),
        help="The assessment's id (`assessments list`).")],
) -> None:
    """Cancel a scheduled assessment (it is kept, as cancelled, and never counts as overdue).

    Examples:

      crotool assessments cancel 2
    """
    if duties.cancel_assessment(common.connect(), assessment_id):
        message(f"cancelled safety assessment {assessment_id}")
    else:
        message(f"safety assessment {assessment_id} was already cancelled; nothing changed")


@assessments_app.command("list")
def list_(
    overdue: Annotated[bool, typer.Option(
        "--overdue", help="Only those due before today and not done (nor cancelled).")] = False,
    status: Annotated[str | None, typer.Option(
        "--status", "-s", autocompletion=choices("assessments", "status"), metavar="STATUS",
        help=f"Only this status: {', '.join(ASSESSMENT_STATUSES)}.")] = None,
    school: Annotated[str | None, typer.Option(
        "--school",
        autocompletion=ids("schools"), metavar="SCHOOL",
        help="Only this school's assessments.")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Safety assessments by due day; overdue ones are marked (and shown in red).

    Examples:

      crotool assessments list

      crotool assessments list --overdue -f json
    """
    rows = duties.list_assessments(common.connect(reads_only=True), overdue=overdue,
                                   status=status, school=school)
    out(rows, fmt, output, View(
        title="Overdue safety assessments" if overdue else "Safety assessments",
        columns=["id", "school", "due", "requested_by", "status", "duty", "overdue"],
        justify={"id": "right", "duty": "right"},
        row_style=lambda r: "red" if r["overdue"] else ("dim" if r["status"] != "scheduled"
                                                         else None),
        empty="no overdue assessments" if overdue else "no assessments"))


def register(app: typer.Typer) -> None:
    app.add_typer(assessments_app, name="assessments")
