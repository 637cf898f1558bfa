"""`crotool connectors ...`, `crotool engagements ...` and `crotool report connectors`.

Community Connectors: the stakeholders and partners (and organizations the district did not
work with before) whose input strengthens school safety planning. Phases, dimensions and
statuses are taken as text and checked by the domain, as a seed load checks them, so a typo
gets "did you mean" and the list of what is allowed; tab completion offers the choices.
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from crotool.commands.common import ids
from crotool.commands.report import report_app
from crotool.options import MAX_DAYS, Fmt, FormatOpt, OutputOpt, out

connectors_app = typer.Typer(
    help="Community Connectors: stakeholders and partners who give input to safety planning.",
    no_args_is_help=True)
engagements_app = typer.Typer(
    help="Engagements: input gathered from connectors, by planning phase and climate dimension.",
    no_args_is_help=True)


def _phases(incomplete: str) -> list[str]:
    from crotool.schema import PHASES

    return [p for p in PHASES if p.startswith(incomplete)]


def _dimensions(incomplete: str) -> list[str]:
    from crotool.schema import DIMENSIONS

    return [d for d in DIMENSIONS if d.startswith(incomplete)]


def _statuses(incomplete: str) -> list[str]:
    from crotool.schema import CONNECTOR_STATUSES

    return [s for s in CONNECTOR_STATUSES if s.startswith(incomplete)]


NameOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--name", help="Who the connector is (a person's role or the group's name).")]
OrganizationOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--organization", help="The organization they come from.")]
SectorOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--sector", help="Free text, e.g. parents, nonprofit, faith, business, students.")]
StatusOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--status", autocompletion=_statuses,
    help="current, or new: an organization the district did not work with before.")]
FromOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--from", metavar="DATE", help="Only engagements on or after DATE (YYYY-MM-DD).")]
ToOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
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
    from crotool.commands.common import connect
    from crotool.connectors import add_connector
    from crotool.render import message

    row = add_connector(connect(), _given(id=connector_id, name=name, organization=organization,
                                          sector=sector, status=status))
    message(f"added connector {row['id']} ({row['name']}, {row['status']}); next: "
            f"crotool engagements add TITLE --connector {row['id']} --phase ... --dimension ...")


@connectors_app.command("update")
def connectors_update(
    connector_id: Annotated[str, typer.Argument(metavar="ID", help="The connector to change.")],
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
    from crotool.commands.common import connect
    from crotool.connectors import update_connector
    from crotool.render import message

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
    sector: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--sector", help="Only this sector (any case).")] = None,
    fmt: FormatOpt = Fmt.table,
    output: OutputOpt = None,
) -> None:
    """Connectors, by id, with how many engagements each took part in and the latest one
    (up to today).

    Examples:

      crotool connectors list

      crotool connectors list --status new -f json
    """
    from crotool.commands.common import connect
    from crotool.connectors import connectors
    from crotool.render import View

    rows = connectors(connect(), status=status, sector=sector)
    out(rows, fmt, output, View(
        title="Community Connectors", justify={"engagements": "right"},
        columns=["id", "name", "organization", "sector", "status", "engagements",
                 "last_engaged"],
        headers={"last_engaged": "last engaged"},
        cell_style=lambda c, r: "bold" if c == "status" and r["status"] == "new" else None,
        empty="no connectors yet: crotool connectors add ID --name NAME"))


# ---------------------------------------------------------------- engagements


@engagements_app.command("add")
def engagements_add(
    title: Annotated[str, typer.Argument(metavar="TITLE", help="What the engagement was.")],
    phase: Annotated[str, typer.Option(
        "--phase", "-p", autocompletion=_phases,
        help="Planning phase: prevention, mitigation, response or recovery.")],
    dimension: Annotated[str, typer.Option(
        "--dimension", "-d", autocompletion=_dimensions,
        help="Climate dimension: physical, emotional, social, behavioral or academic.")],
    connector: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
        "--connector", "-c", autocompletion=ids("connectors"), metavar="ID",
        help="A connector who took part (repeat the option for each).")] = None,
    on: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--date", metavar="DATE", help="When (YYYY-MM-DD; default: today).")] = None,
    summary: Annotated[Optional[str], typer.Option(  # noqa: UP045
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
    from crotool.commands.common import connect
    from crotool.connectors import add_engagement
    from crotool.queries import today
    from crotool.render import message

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
    phase: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--phase", "-p", autocompletion=_phases, help="Only this planning phase.")] = None,
    dimension: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--dimension", "-d", autocompletion=_dimensions,
        help="Only this climate dimension.")] = None,
    connector: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--connector", "-c",
        autocompletion=ids("connectors"), metavar="ID",
        help="Only engagements this connector took part in."
    )] = None,
    fmt: FormatOpt = Fmt.table,
    output: OutputOpt = None,
) -> None:
    """Engagements, oldest first: every one unless a filter narrows it.

    Examples:

      crotool engagements list --phase recovery

      crotool engagements list --from 2024-01-01 --connector evpa -f csv
    """
    from crotool.commands.common import connect
    from crotool.connectors import engagements
    from crotool.render import View

    rows = engagements(connect(), start=start, end=end, phase=phase, dimension=dimension,
                       connector=connector)
    out(rows, fmt, output, View(
        title="Engagements", columns=["id", "date", "title", "phase", "dimension", "connectors",
                                      "summary"],
        empty="no engagements match"))


# ---------------------------------------------------------------- the report


@report_app.command("connectors")
def report_connectors(
    start: FromOpt = None,
    end: ToOpt = None,
    stale_days: Annotated[Optional[int], typer.Option(  # noqa: UP045
        "--stale-days", metavar="N", min=0, max=MAX_DAYS,
        help="List connectors not engaged in the N days up to today (default 180 in the "
        "table view). With -f json, the output becomes {\"rows\": [...], "
        "\"stale_connectors\": [...], \"new_by_sector\": [...]}.")] = None,
    fmt: FormatOpt = Fmt.table,
    output: OutputOpt = None,
) -> None:
    """Where safety planning has had community input: planning phase x climate dimension.

    Each of the 20 cells counts the engagements filed under it and the distinct connectors
    who took part; an empty cell ("none", red) is a part of planning no one has spoken to.
    The table view then lists the connectors not engaged lately (--stale-days, default 180,
    counted back from today; planned engagements dated after today do not count) and, per
    sector, how many connectors and new organizations the program has brought in.

    JSON, CSV and Markdown carry one row per cell, all 20, zeros included: phase, dimension,
    engagements, connectors. Only with --stale-days does JSON wrap them as
    {"rows": [...], "stale_connectors": [...], "new_by_sector": [...]}.

    Examples:

      crotool report connectors

      crotool report connectors --from 2023-09-01 --to 2024-06-30 -f json

      crotool report connectors --stale-days 90 -f json -o connectors.json
    """
    from crotool.commands.common import connect
    from crotool.connectors import report

    result = report(connect(), start=start, end=end, stale_days=stale_days)
    wrap = None
    if stale_days is not None:
        wrap = {"stale_connectors": result.stale, "new_by_sector": result.new_by_sector}
    out(result.cells, fmt, output, _heat_map_view(result, start, end), wrap=wrap)


def _heat_map_view(result: Any, start: str | None, end: str | None) -> Any:
    """The table view: the matrix as a heat map, then the stale list and the sector table."""
    from crotool.render import View

    def build(cells: list[dict]) -> Any:
        from rich.console import Group
        from rich.measure import Measurement
        from rich.padding import Padding
        from rich.table import Table
        from rich.text import Text

        from crotool.render import clean
        from crotool.schema import DIMENSIONS, PHASES

        by_cell = {(c["phase"], c["dimension"]): c for c in cells}
        most = max((c["engagements"] for c in cells), default=0)
        with_input = sum(1 for c in cells if c["engagements"])
        span = f" from {start or 'the first'} to {end or 'the last'} engagement" \
            if start or end else ""

        def grid(sep: str) -> Any:
            """The heat map; `sep` joins "3 eng" and "5 conn" (a newline when narrow)."""
            lines = sep.count("\n") + 1
            table = Table(
                title=Text("Community input by planning phase and climate dimension" + span),
                title_justify="left", header_style="bold", padding=(0, 0),
                caption=Text(f"{with_input} of {len(cells)} cells "
                             f"{'has' if with_input == 1 else 'have'} input; "
                             f"{len(cells) - with_input} have none. "
                             "eng = engagements, conn = distinct connectors."),
                caption_justify="left")
            table.add_column(Text(" phase "), style="bold")
            for d in DIMENSIONS:
                table.add_column(Text(f" {d} "), justify="center")
            for p in PHASES:
                row = []
                for d in DIMENSIONS:
                    cell = by_cell[(p, d)]
                    n = cell["engagements"]
                    if n == 0:
                        text, style = "none" + "\n " * (lines - 1), "bold white on red3"
                    else:
                        # Shade by share of the busiest cell: darker green = more input.
                        share = n / most
                        style = ("black on honeydew2" if share <= 1 / 3 else
                                 "black on pale_green3" if share <= 2 / 3 else
                                 "bold white on green4")
                        text = f"{n} eng{sep}{cell['connectors']} conn"
                    # Padding with a style colours the whole cell, not just its text.
                    row.append(Padding(Text(text, justify="center"), (0, 1), style=style,
                                       expand=True))
                table.add_row(Padding(Text(p), (0, 1)), *row)
            return table

        class FitGrid:
            """One-line cells when the width allows (files, wide terminals), else two lines,
            so an 80-column terminal never breaks "3 eng / 5 conn" in odd places."""

            def __init__(self) -> None:
                self.wide, self.narrow = grid(" / "), grid("\n")

            def __rich_measure__(self, console: Any, options: Any) -> Any:
                return Measurement.get(console, options, self.wide)

            def __rich_console__(self, console: Any, options: Any) -> Any:
                need = Measurement.get(console, options.update_width(10_000), self.wide).maximum
                yield self.wide if need <= options.max_width else self.narrow

        days = f"{result.stale_days} day{'' if result.stale_days == 1 else 's'}"
        stale = Table(title=Text(f"Connectors not engaged in the last {days} "
                                 f"(as of {result.as_of})"),
                      title_justify="left", header_style="bold")
        for col in ("id", "name", "organization", "sector", "status", "last engaged",
                    "days since"):
            stale.add_column(col, justify="right" if col == "days since" else "left")
        for r in result.stale:
            stale.add_row(*(Text(clean(r[k])) for k in ("id", "name", "organization", "sector",
                                                         "status")),
                          Text(r["last_engaged"] or "never",
                               style="" if r["last_engaged"] else "bold red"),
                          Text(clean(r["days_since"])))
        sectors = Table(title=Text("Connectors by sector"), title_justify="left",
                        header_style="bold")
        for col in ("sector", "connectors", "new connectors", "new organizations"):
            sectors.add_column(col, justify="left" if col == "sector" else "right")
        for r in result.new_by_sector:
            sectors.add_row(Text(clean(r["sector"]) or "(no sector)"), Text(str(r["connectors"])),
                            Text(str(r["new_connectors"])), Text(str(r["new_organizations"])))
        parts: list[Any] = [FitGrid(), Text("")]
        parts.append(stale if result.stale else Text(
            f"Every connector was engaged in the last {days}.", style="dim"))
        parts.append(Text(""))
        parts.append(sectors if result.new_by_sector else Text("No connectors yet.",
                                                               style="dim"))
        return Group(*parts)

    return View(title="Community input by phase and dimension", build=build,
                justify={"engagements": "right", "connectors": "right"})


def register(app: typer.Typer) -> None:
    app.add_typer(connectors_app, name="connectors")
    app.add_typer(engagements_app, name="engagements")
