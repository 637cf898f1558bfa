"""`crotool officers ...`: the roster (list, add, update, leave).

The commands parse options and print; `crotool.program.roster` checks each change with the
rules that `load` and `import` use and writes it, with its audit row, in one transaction.
"""

from __future__ import annotations

from typing import Annotated

import typer

from crotool.cli import common
from crotool.cli.common import choices, ids
from crotool.cli.options import FormatOpt, OutputOpt, out
from crotool.output.messages import message
from crotool.output.view import View
from crotool.program import officer_kinds, roster
from crotool.store import reads
from crotool.store.schema import OFFICER_STATUSES, SECTIONS

officers_app = typer.Typer(help="""Officers each agency selects, their training and leave.

Examples:

\b
  crotool officers list --agency kirkland-pd
  crotool officers add 2412 --name "Sam Sample" --agency redmond-pd
  crotool officers update 2350 --trained-on 2024-03-01
  crotool officers leave 2307 --start 2024-04-08 --end 2024-04-21 \\
      --reason "Scheduled leave"
""", no_args_is_help=True)

# --status is text, checked by the domain as `load` checks the field (a typo gets "did you
# mean" and exit 1); completion and help list the choices schema.py holds.
_STATUSES = " or ".join(OFFICER_STATUSES)
_DEFAULT_STATUS = SECTIONS["officers"].field("status").default_from


@officers_app.command("list")
def officers_list(
    agency: Annotated[str | None, typer.Option(
        "--agency", "-a",
        autocompletion=ids("agencies"), help="Only this agency's officers.")] = None,
    status: Annotated[str | None, typer.Option(
        "--status", "-s", autocompletion=choices("officers", "status"), metavar="STATUS",
        help=f"Only officers of this status: {_STATUSES}.")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Officers, by agency and badge.

    `kind` is the officer's kind (an officer_kinds id of the applied packs: e.g. sworn,
    guardian); an officer given none is of the first kind the packs list.

    Examples:

      crotool officers list --agency kirkland-pd

      crotool officers list --status inactive -f json
    """
    conn = common.connect(reads_only=True)
    rows = reads.officers(conn, agency=agency, status=status,
                          default_kind=officer_kinds.Kinds.load(conn).default)
    out(rows, fmt, output, View(
        title="Officers", columns=["badge", "name", "rank", "agency", "status", "kind",
                                   "school_trained_on", "first_on_campus", "phone", "email"],
        row_style=lambda r: "dim" if r["status"] == "inactive" else None,
        tone=lambda r: "muted" if r["status"] == "inactive" else None,
        headers={"school_trained_on": "trained on", "first_on_campus": "first on campus"},
        secondary=("email", "phone", "rank", "first_on_campus", "kind")))


@officers_app.command("add")
def officers_add(
    badge: Annotated[str, typer.Argument(metavar="BADGE", help="The officer's badge number "
                                         "(text: a leading zero is kept).")],
    name: Annotated[str, typer.Option("--name", metavar="NAME", help="Full name.")],
    agency: Annotated[str, typer.Option("--agency", "-a",
                                        autocompletion=ids("agencies"), metavar="AGENCY",
                                        help="The officer's agency (agency id).")],
    status: Annotated[str | None, typer.Option(
        "--status", "-s", autocompletion=choices("officers", "status"), metavar="STATUS",
        help=f"{_STATUSES} (default: {_DEFAULT_STATUS}).")] = None,
    trained_on: Annotated[str | None, typer.Option(
        "--trained-on", metavar="DATE", help="The day the officer was school-trained "
        "(YYYY-MM-DD); leave out while not trained yet.")] = None,
    rank: Annotated[str | None, typer.Option("--rank", help="e.g. Officer, Deputy.")
                    ] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="Work phone.")
                     ] = None,
    email: Annotated[str | None, typer.Option("--email", help="Work e-mail.")
                     ] = None,
    first_on_campus: Annotated[str | None, typer.Option(
        "--first-on-campus", metavar="DATE", help="First day on school property "
        "(YYYY-MM-DD): the training deadlines run from it.")] = None,
    kind: Annotated[str | None, typer.Option(
        "--kind", autocompletion=ids("officer_kinds"), metavar="KIND",
        help="The officer's kind (an officer_kinds id in force, e.g. sworn; default: the "
        "first kind the applied packs list).")] = None,
) -> None:
    """Add an officer to the roster. A badge that exists is refused: use `officers update`.

    An officer covers a feeder pattern only once school-trained (--trained-on) and while
    active; see `crotool gaps`. --kind says what kind of officer (the training topics that
    apply to it follow from it).

    Examples:

    \b
      crotool officers add 2412 --name "Sam Sample" --agency redmond-pd \\
          --trained-on 2024-01-08 --rank Officer --phone 425-555-0124

    \b
      crotool officers add 0977 --name "Lee Example" --agency kcso --status inactive
    """
    change = roster.add_officer(common.connect(), badge=badge, name=name, agency=agency,
                                status=status, trained_on=trained_on, rank=rank, phone=phone,
                                email=email, first_on_campus=first_on_campus, kind=kind)
    r = change.record
    trained = (f"school-trained on {r['school_trained_on']}" if r["school_trained_on"]
               else "not school-trained yet")
    message(f"added officer {r['badge']} ({r['name']}, {r['agency']}, {r['status']}, {trained})")
    message(f"next: crotool assign {r['badge']} PATTERN")


@officers_app.command("update")
def officers_update(
    badge: Annotated[str, typer.Argument(metavar="BADGE", autocompletion=ids("officers"),
                                         help="The officer's badge.")],
    name: Annotated[str | None, typer.Option("--name", help="New full name.")
                    ] = None,
    status: Annotated[str | None, typer.Option(
        "--status", "-s", autocompletion=choices("officers", "status"), metavar="STATUS",
        help=f"{_STATUSES}.")] = None,
    trained_on: Annotated[str | None, typer.Option(
        "--trained-on", metavar="DATE", help="The day the officer was school-trained "
        "(YYYY-MM-DD); 'none' clears it (not trained).")] = None,
    rank: Annotated[str | None, typer.Option(
        "--rank", help="Rank; 'none' clears it.")] = None,
    phone: Annotated[str | None, typer.Option(
        "--phone", help="Work phone; 'none' clears it.")] = None,
    email: Annotated[str | None, typer.Option(
        "--email", help="Work e-mail; 'none' clears it.")] = None,
    first_on_campus: Annotated[str | None, typer.Option(
        "--first-on-campus", metavar="DATE", help="First day on school property "
        "(YYYY-MM-DD), from which the training deadlines run; 'none' clears it.")] = None,
    kind: Annotated[str | None, typer.Option(
        "--kind", autocompletion=ids("officer_kinds"), metavar="KIND",
        help="The officer's kind (an officer_kinds id in force, e.g. sworn).")] = None,
) -> None:
    """Change an officer's status, training date, rank, contact or kind; the rest is kept.

    `none` (also `null` or `-`) clears --trained-on, --rank, --phone, --email or
    --first-on-campus.

    Examples:

      crotool officers update 2307 --trained-on 2023-10-16

      crotool officers update 0923 --status active --phone 206-555-0199

      crotool officers update 2350 --trained-on none

      crotool officers update 2412 --first-on-campus 2024-01-29

      crotool officers update 2412 --kind security-staff
    """
    change = roster.update_officer(common.connect(), badge, name=name, status=status,
                                   trained_on=trained_on, rank=rank, phone=phone, email=email,
                                   first_on_campus=first_on_campus, kind=kind)
    if change.action == "unchanged":
        message(f"officer {badge} already says so; nothing changed")
        return
    shown = ", ".join(f"{'trained_on' if k == 'school_trained_on' else k}: "
                      f"{_text(old)} -> {_text(new)}" for k, (old, new) in change.changes.items())
    message(f"updated officer {badge}: {shown}")
    message("see what it changes: crotool gaps")


@officers_app.command("leave")
def officers_leave(
    badge: Annotated[str, typer.Argument(metavar="BADGE", autocompletion=ids("officers"),
                                         help="The officer's badge.")],
    start: Annotated[str, typer.Option("--start", metavar="DATE",
                                       help="First day away (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--end", metavar="DATE",
                                     help="Last day away, inclusive (YYYY-MM-DD).")],
    reason: Annotated[str | None, typer.Option(
        "--reason", metavar="TEXT", help="Why, in general words (e.g. 'Scheduled leave'); "
        "it is stored and shown, so keep medical or personal detail out.")] = None,
) -> None:
    """Record a leave: the officer is unavailable every day from --start to --end inclusive.

    The same officer and --start again changes that leave's end and reason. Prints the
    coverage gaps the leave opens (feeder patterns the officer is the CRO of).

    Examples:

      crotool officers leave 2307 --start 2024-04-08 --end 2024-04-21 --reason "Scheduled leave"
    """
    change = roster.add_leave(common.connect(), badge, start=start, end=end, reason=reason)
    r = change.record
    verb = {"insert": "recorded", "update": "updated", "unchanged": "already recorded:"}[
        change.action]
    message(f"{verb} leave of officer {r['officer']}, {r['start']} to {r['end']}"
            + (" (nothing changed)" if change.action == "unchanged" else ""))
    for row in change.notes:
        message(f"gap: {roster.describe_row(row)}")


def _text(value: object) -> str:
    return "none" if value is None else str(value)


def register(app: typer.Typer) -> None:
    app.add_typer(officers_app, name="officers")
