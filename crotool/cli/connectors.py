"""`crotool connectors ...`, `crotool engagements ...` and `crotool report connectors`.

Community Connectors: the stakeholders and partners (and organizations the district did not
work with before) whose input strengthens school safety planning. Phases, dimensions and
statuses are taken as text and checked by the domain, as a seed load checks them, so a typo
gets "did you mean" and the list of what is allowed; tab completion offers the choices.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from crotool.cli.common import choices, ids, views
from crotool.cli.options import MAX_DAYS, FormatOpt, OutputOpt, out
from crotool.cli.report import report_app

# Read by crotool.cli.commands without importing this module (see there).
WORDS = "connectors engagements"
REPORTS = "connectors"
ORDER = 90

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
FromOpt = Annotated[str | None, typer.Option(
    "--from", metavar="DATE", help="Only engagements on or after DATE (YYYY-MM-DD).")]
ToOpt = Annotated[str | None, typer.Option(
    "--to", metavar="DATE", help="Only engagements on or before DATE (YYYY-MM-DD).")]


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
    from crotool.cli.common import connect
    from crotool.output.render import message
    from crotool.program.connectors import add_connector

    row = add_connector(connect(), _given(id=connector_id, name=name, organization=organization,
                                          sector=sector, status=status))
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
    from crotool.cli.common import connect
    from crotool.output.render import message
    from crotool.program.connectors import update_connector

    row, diff = update_connector(connect(), connector_id, _given(
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
    from crotool.cli.common import connect
    from crotool.output.render import View
    from crotool.program.connectors import connectors

    rows = connectors(connect(reads_only=True), status=status, sector=sector)
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
    from crotool.cli.common import connect
    from crotool.output.render import message
    from crotool.program.connectors import add_engagement
    from crotool.program.years import today

    row = add_engagement(connect(), _given(
        date=on if on is not None else today().isoformat(), title=title,
        connectors=list(connector or []), phase=phase, dimension=dimension, summary=summary))
    who = ", ".join(row["connectors"]) or "no connectors named"
    message(f"added engagement {row['date']} '{row['title']}' ({row['phase']} x "
            f"{row['dimension']}; {who}); see: crotool report connectors")


@engagements_app.command("list")
def engagements_list(
    start: FromOpt = None,
    end: ToOpt = None,
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
    from crotool.cli.common import connect
    from crotool.output.render import View
    from crotool.program.connectors import engagements

    rows = engagements(connect(reads_only=True), start=start, end=end, phase=phase,
                       dimension=dimension, connector=connector)
    out(rows, fmt, output, View(
        title="Engagements", columns=["id", "date", "title", "phase", "dimension", "connectors",
                                      "summary"],
        justify={"id": "right"}, secondary=("summary",), empty="no engagements match"))


# ---------------------------------------------------------------- the report


@report_app.command("connectors")
def report_connectors(
    start: FromOpt = None,
    end: ToOpt = None,
    stale_days: Annotated[int | None, typer.Option(
        "--stale-days", metavar="N", min=0, max=MAX_DAYS,
        help="List connectors not engaged in the N days up to today (default 180 in the "
        "table view). With -f json, the output becomes {\"rows\": [...], "
        "\"stale_connectors\": [...], \"new_by_sector\": [...]}.")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Where safety planning has had community input: planning phase x climate dimension.

    Each of the 20 cells counts the engagements filed under it and the distinct connectors
    who took part; an empty cell ("none", red) is a part of planning no one has spoken to.
    The table view then lists the connectors not engaged lately (--stale-days, default 180,
    counted back from today; planned engagements dated after today do not count) and, per
    sector, how many connectors and new organizations the program has brought in.

    JSON and CSV carry one row per cell, all 20, zeros included: phase, dimension,
    engagements, connectors. CSV always carries just the 20 cells; only with --stale-days
    does JSON wrap them as {"rows": [...], "stale_connectors": [...], "new_by_sector": [...]}.
    Markdown and HTML (documents for people) carry the 20 cells, then the same two tables
    as the table view.

    Examples:

      crotool report connectors

      crotool report connectors --from 2023-09-01 --to 2024-06-30 -f json

      crotool report connectors --stale-days 90 -f json -o connectors.json
    """
    from crotool.cli.common import connect
    from crotool.output.render import View
    from crotool.program import connectors

    result = connectors.report(connect(reads_only=True), start=start, end=end,
                               stale_days=stale_days)
    counted = views().counted
    wrap = None
    if stale_days is not None:
        wrap = {"stale_connectors": result.stale, "new_by_sector": result.new_by_sector}
    with_input = sum(1 for c in result.cells if c["engagements"])
    span = (f"engagements from {start or 'the first'} to {end or 'the last'}"
            if start or end else "every engagement")
    title = "Community input by phase and dimension"
    days = counted(result.stale_days, "day")
    # The heat map is the main table; the stale list and the sectors follow it, in the
    # terminal as in every document, from these two views alone.
    out(result.cells, fmt, output, View(
        title=title, build=lambda cells, colour: views().connectors_heat_map(
            start, end, cells, colour),
        chart=lambda cells: views().connectors_chart(cells, title),
        columns=["phase", "dimension", "engagements", "connectors"],
        justify={"engagements": "right", "connectors": "right"}, names={},
        tone=lambda c: "bad" if c["engagements"] == 0 else None,
        tone_words={"bad": "no input in this cell"},
        summary=f"{with_input} of {len(result.cells)} cells "
                f"{'has' if with_input == 1 else 'have'} input; "
                f"{counted(len(result.stale), 'connector')} not engaged in the last {days}",
        period=f"{span}; as of {result.as_of}",
        extra=[(result.stale, View(
                    title=f"Connectors not engaged in the last {days} (as of {result.as_of})",
                    columns=["id", "name", "organization", "sector", "status",
                             "last_engaged", "days_since"],
                    justify={"days_since": "right"}, names={},
                    blanks={"last_engaged": "never"},
                    cell_style=lambda c, r: "bold red" if c == "last_engaged" and not (
                        r["last_engaged"]) else None,
                    empty=f"Every connector was engaged in the last {days}.")),
               (result.new_by_sector, View(
                    title="Connectors by sector",
                    columns=["sector", "connectors", "new_connectors", "new_organizations"],
                    justify={"connectors": "right", "new_connectors": "right",
                             "new_organizations": "right"}, names={},
                    blanks={"sector": "(no sector)"},
                    empty="No connectors yet."))]),
        wrap=wrap)


def register(app: typer.Typer) -> None:
    app.add_typer(connectors_app, name="connectors")
    app.add_typer(engagements_app, name="engagements")
