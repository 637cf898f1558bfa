"""`crotool connectors ...` and `crotool engagements ...` (`crotool report connectors`, where
planning has had their input, is in report/connectors.py).

Community Connectors: the stakeholders and partners (and organizations the district did not
work with before) whose input strengthens school safety planning. Phases, dimensions and
statuses are taken as text and checked by the domain, as a seed load checks them, so a typo
gets "did you mean" and the list of what is allowed; tab completion offers the choices.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from crotool.cli import common
from crotool.cli.common import choices, ids
from crotool.cli.options import EngagedFromOpt, EngagedToOpt, FormatOpt, OutputOpt, out
from crotool.output.messages import message
from crotool.output.view import View
from crotool.program import connectors
from crotool.program.years import today

connectors_app = typer.Typer(help="""Community Connectors: stakeholders and partners who give input
to safety planning.

Examples:

\b
  crotool connectors list --status new
  crotool connectors add pta-council --name "Council president" --status new
  crotool connectors update resident-at-large --status current
""", no_args_is_help=True)
engagements_app = typer.Typer(help="""Engagements: input gathered from connectors, by planning phase
and climate dimension.

Examples:

\b
  crotool engagements list --phase recovery
  crotool engagements list --from 2024-01-01 --connector evpa -f csv
  crotool engagements add "Spring safety forum" --date 2024-03-14 \\
      --phase mitigation --dimension academic -c evpa
""", no_args_is_help=True)


NameOpt = Annotated[str | None, typer.Option(
    "--name", help="Who the connector is (a person's role or the group's name).")]
OrganizationOpt = Annotated[str | None, typer.Option(
    "--organization", help="The organization they come from.")]
SectorOpt = Annotated[str | None, typer.Option(
    "--sector", help="Free text, e.g. parents, nonprofit, faith, business, students.")]
StatusOpt = Annotated[str | None, typer.Option(
    "--status", autocompletion=choices("connectors", "status"),
    help="current, or new: an organization the district did not work with before.")]

def _given(**fields: Any) -> dict[str, Any]:
    """The options the user gave (None: left out, so the stored value stays)."""
    return {k: v for k, v in fields.items() if v is not None}


# ---------------------------------------------------------------- connectors


@connectors_app.command("add")
def connectors_add(
    connector_id: Annotated[str, typer.Argument(
        metavar="ID", help="A new id: lowercase letters, digits and hyphens.")],
    name: Annotated[str, typer.Option(
        "--name", help="Who the connector is (a person's role or the group's name).")],
    organization: OrganizationOpt = None,
    sector: SectorOpt = None,
    status: StatusOpt = None,
) -> None:
    """Add a Community Connectors member (status defaults to current).

    An id that exists already is refused: use `connectors update` to change it.

    Examples:

    \b
      crotool connectors add evpa --name "Safety committee chair" \\
          --organization "Example Valley Parents Association" --sector parents
      crotool connectors add youth-wellness --name "Program director" --status new
    """
    row = connectors.add_connector(common.connect(), _given(
        id=connector_id, name=name, organization=organization, sector=sector, status=status))
    message(f"added connector {row['id']} ({row['name']}, {row['status']}); next: "
            f"crotool engagements add TITLE --connector {row['id']} --phase ... --dimension ...")


@connectors_app.command("update")
def connectors_update(
    connector_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=ids("connectors"),
                                                help="The connector to change.")],
    name: NameOpt = None,
    organization: OrganizationOpt = None,
    sector: SectorOpt = None,
    status: StatusOpt = None,
) -> None:
    """Change a connector: only the options given change; "" clears organization or sector.

    Examples:

      crotool connectors update evpa --status current

      crotool connectors update resident-at-large --sector neighborhood --organization ""
    """
    row, diff = connectors.update_connector(common.connect(), connector_id, _given(
        name=name, organization=organization, sector=sector, status=status))
    if not diff:
        message(f"connector {row['id']} unchanged (it already had those values)")
        return
    def shown(value: Any) -> str:
        return "(none)" if value is None else repr(value)

    changes = "; ".join(f"{k} {shown(old)} -> {shown(new)}" for k, (old, new) in diff.items())
    message(f"updated connector {row['id']}: {changes}")


@connectors_app.command("list")
def connectors_list(
    status: StatusOpt = None,
    sector: Annotated[str | None, typer.Option(
        "--sector", help="Only this sector (any case).")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Connectors, by id, with how many engagements each took part in and the latest one
    (up to today).

    Examples:

      crotool connectors list

      crotool connectors list --status new -f json
    """
    rows = connectors.connectors(common.connect(reads_only=True), status=status, sector=sector)
    out(rows, fmt, output, View(
        title="Community Connectors", justify={"engagements": "right"},
        columns=["id", "name", "organization", "sector", "status", "engagements",
                 "last_engaged"],
        headers={"last_engaged": "last engaged"}, secondary=("sector", "organization"),
        cell_style=lambda c, r: "bold" if c == "status" and r["status"] == "new" else None,
        empty="no connectors yet: crotool connectors add ID --name NAME"))


# ---------------------------------------------------------------- engagements


@engagements_app.command("add")
def engagements_add(
    title: Annotated[str, typer.Argument(metavar="TITLE", help="What the engagement was.")],
    phase: Annotated[str, typer.Option(
        "--phase", "-p", autocompletion=choices("engagements", "phase"),
        help="Planning phase: prevention, mitigation, response or recovery.")],
    dimension: Annotated[str, typer.Option(
        "--dimension", "-d", autocompletion=choices("engagements", "dimension"),
        help="Climate dimension: physical, emotional, social, behavioral or academic.")],
    connector: Annotated[list[str] | None, typer.Option(
        "--connector", "-c", autocompletion=ids("connectors"), metavar="ID",
        help="A connector who took part (repeat the option for each).")] = None,
    on: Annotated[str | None, typer.Option(
        "--date", metavar="DATE", help="When (YYYY-MM-DD; default: today).")] = None,
    summary: Annotated[str | None, typer.Option(
        "--summary", "-s", help="What was heard.")] = None,
) -> None:
    """Record an engagement: input gathered from connectors for one planning phase and one
    dimension of a secure climate.

    Examples:

    \b
      crotool engagements add "Back-to-school listening session" --date 2023-09-19 \\
          --phase prevention --dimension physical -c evpa -c student-voice \\
          --summary "Parents asked for clearer drop-off routes."
    """
    row = connectors.add_engagement(common.connect(), _given(
        date=on if on is not None else today().isoformat(), title=title,
        connectors=list(connector or []), phase=phase, dimension=dimension, summary=summary))
    who = ", ".join(row["connectors"]) or "no connectors named"
    message(f"added engagement {row['date']} '{row['title']}' ({row['phase']} x "
            f"{row['dimension']}; {who}); see: crotool report connectors")


@engagements_app.command("list")
def engagements_list(
    start: EngagedFromOpt = None,
    end: EngagedToOpt = None,
    phase: Annotated[str | None, typer.Option(
        "--phase", "-p", autocompletion=choices("engagements", "phase"),
        help="Only this planning phase.")] = None,
    dimension: Annotated[str | None, typer.Option(
        "--dimension", "-d", autocompletion=choices("engagements", "dimension"),
        help="Only this climate dimension.")] = None,
    connector: Annotated[str | None, typer.Option(
        "--connector", "-c",
        autocompletion=ids("connectors"), metavar="ID",
        help="Only engagements this connector took part in."
    )] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Engagements, oldest first: every one unless a filter narrows it.

    Examples:

      crotool engagements list --phase recovery

      crotool engagements list --from 2024-01-01 --connector evpa -f csv
    """
    rows = connectors.engagements(common.connect(reads_only=True), start=start, end=end,
                                  phase=phase, dimension=dimension, connector=connector)
    out(rows, fmt, output, View(
        title="Engagements", columns=["id", "date", "title", "phase", "dimension", "connectors",
                                      "summary"],
        justify={"id": "right"}, secondary=("summary",), empty="no engagements match"))


def register(app: typer.Typer) -> None:
    app.add_typer(connectors_app, name="connectors")
    app.add_typer(engagements_app, name="engagements")
