"""The reports' own pictures: Rich renderables for the terminal (the coverage matrix, the duty
bars, the connectors heat map) and the data each report's SVG chart is drawn from.

Commands call these through `View(build=..., chart=...)`; Rich is imported inside each
terminal builder (table output only). `colour` is whether the terminal shows colour: the colour
legend appears only then. Everything a picture knows of the domain comes in its arguments (the
rows, the gap kinds, the year's days): nothing here reads a database.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, timedelta
from typing import Any

from crotool.output import charts
from crotool.output.view import clean, shown

# One colour per kind: gaps by how bad they are (nobody assigned is worst), conflicts apart.
KIND_STYLE = {
    "unassigned": "bold red",
    "inactive": "yellow",
    "untrained": "dark_orange",
    "on_leave": "cyan",
    "duplicate": "magenta",
    "out_of_jurisdiction": "magenta",
    "untrained_additional": "magenta",
}


class Fit:
    """The first of several renderables that fits the width it is given (the last if none):
    a matrix on a wide terminal, a list on a narrow one, never a broken date or id."""

    def __init__(self, *choices: Any) -> None:
        self.choices = choices

    def __rich_measure__(self, console: Any, options: Any) -> Any:
        from rich.measure import Measurement

        return Measurement.get(console, options, self.choices[0])

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.measure import Measurement

        for choice in self.choices[:-1]:
            # Its natural width: a narrower fit would make Rich squeeze no-wrap columns.
            if Measurement.get(console, options.update_width(10_000), choice).maximum \
                    <= options.max_width:
                yield choice
                return
        yield self.choices[-1]


# ---------------------------------------------------------------- coverage


def coverage_tone(row: dict[str, Any]) -> str:
    if row["gap_days"] == 0:
        return "ok"
    return "bad" if row["covered_days"] == 0 else "partial"


def coverage_matrix(rows: list[dict[str, Any]], patterns: list[str], agencies: list[str],
                    names: dict[str, str], title: str, colour: bool) -> Any:
    """The pattern x agency matrix as a Rich table; a list where the matrix cannot fit."""
    from rich.table import Table
    from rich.text import Text

    cells = {(r["feeder_pattern"], r["agency"]): r for r in rows}
    if not cells:
        return Text(f"{title}: no required pairs (no school lies in an agency's jurisdiction)",
                    style="dim")
    style_of = {"ok": "green", "bad": "bold red", "partial": "dark_orange"}
    legend = ("green: covered all year · amber: partly · red: never · —: not required"
              if colour else "—: not required")
    table = Table(title=Text(title), title_justify="left", header_style="bold",
                  show_lines=True, caption=Text(legend), caption_justify="left")
    table.add_column(Text("feeder pattern"), no_wrap=True)
    for agency in agencies:
        table.add_column(Text(clean(agency)), no_wrap=True)
    flat = Table(title=Text(title), title_justify="left", header_style="bold",
                 show_lines=True)
    for col in ("pattern / agency", "CRO", "days covered"):
        flat.add_column(Text(col))
    for pattern in patterns:
        line: list[Any] = [Text(clean(pattern), style="bold")]
        for agency in agencies:
            r = cells.get((pattern, agency))
            if r is None:
                line.append(Text("—", style="dim"))
                continue
            style = style_of[coverage_tone(r)]
            who = [f"{b} {names[b]}" if b in names else b for b in r["officers"]] or ["no CRO"]
            cell = Text("\n".join(clean(w) for w in who), style=style)
            cell.append(f"\n{r['covered_days']}/{r['days']} days covered", style=style)
            if "school_days" in r:
                cell.append(f"\n{r['covered_school_days']}/{r['school_days']} school days",
                            style=style)
            if r["gap_days"]:
                lost = (f", {r['gap_school_days']} school days" if "gap_school_days" in r
                        else "")
                cell.append(f"\n{r['gap_days']} gap days{lost}", style=style)
            line.append(cell)
            school = (f"\n{r['covered_school_days']}/{r['school_days']} school days"
                      if "school_days" in r else "")
            flat.add_row(Text(f"{clean(pattern)}\n{clean(agency)}", style="bold"),
                         Text("\n".join(clean(w) for w in who)),
                         Text(f"{r['covered_days']}/{r['days']}" + (
                             f", {r['gap_days']} gap days" if r["gap_days"] else "") + school,
                             style=style))
        table.add_row(*line)
    return Fit(table, flat)


def coverage_chart(pairs: Sequence[dict[str, Any]], gap_rows: Sequence[dict[str, Any]],
                   year: Any, handovers: dict[tuple[str, str], list[tuple[date, str]]],
                   names: dict[str, str], *, title: str, gap_kinds: Collection[str],
                   closures: Sequence[tuple[date, date]] = ()) -> str:
    """The coverage timeline: one bar per required pair over the year's days (`year`: its
    `start` and `end`), the runs of a kind in `gap_kinds` as gaps and the other kinds as
    conflicts. `closures` (start, end) are shaded (school breaks, when the year carries them)."""
    by_pair: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in gap_rows:
        by_pair.setdefault((r["feeder_pattern"], r["agency"]), []).append(r)
    bars = []
    for p in pairs:
        key = (p["feeder_pattern"], p["agency"])
        runs = by_pair.get(key, [])
        gaps = sorted((_day(r["start"]), _day(r["end"]), r["kind"]) for r in runs
                      if r["kind"] in gap_kinds)
        segments: list[tuple[date, date, str]] = []
        cursor = year.start
        for s, e, kind in gaps:
            if s > cursor:
                segments.append((cursor, s - timedelta(days=1), "covered"))
            segments.append((s, e, kind))
            cursor = max(cursor, e + timedelta(days=1))
        if cursor <= year.end:
            segments.append((cursor, year.end, "covered"))
        conflicts = [(_day(r["start"]), _day(r["end"]), r["kind"]) for r in runs
                     if r["kind"] not in gap_kinds]
        marks = [(day, f"{b} {names.get(b, '')}".strip()) for day, b in handovers.get(key, [])]
        note = f"{p['covered_days']} of {p['days']} days covered"
        bars.append(charts.Bar(f"{p['feeder_pattern']} · {p['agency']}", segments, marks,
                               note, conflicts))
    return charts.timeline(year.start, year.end, bars, title=title, closures=closures)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# ---------------------------------------------------------------- duties


def duty_bars(rows: list[dict[str, Any]], key: str, title: str, colour: bool) -> Any:
    """One row per key with a bar proportional to its minutes (to its count when no duty in
    the range has minutes), and the totals underneath."""
    from rich.table import Table
    from rich.text import Text

    if not rows:
        return Text("no duties in this range", style="dim")
    total_count = sum(r["count"] for r in rows)
    total_minutes = sum(r["minutes"] for r in rows)
    measure = "minutes" if total_minutes else "count"
    top = max((r[measure] for r in rows), default=0)
    hours = f" ({total_minutes / 60:.1f} h)" if total_minutes else ""

    def table(with_names: bool, width: int) -> Any:
        t = Table(title=Text(title), title_justify="left", header_style="bold",
                  caption=Text(f"{counted(total_count, 'duty', 'duties')}, {shown(total_minutes)} "
                               f"minutes{hours}"),
                  caption_justify="left")
        t.add_column(Text(key), no_wrap=True)
        if with_names:
            t.add_column(Text("name"))
        t.add_column(Text("count"), justify="right", no_wrap=True)
        t.add_column(Text("minutes"), justify="right", no_wrap=True)
        t.add_column(Text(f"{measure} bar"), min_width=width, no_wrap=True)
        for r in rows:
            # The duties whose category has no role: no id, only the name "(no role)".
            cells = [Text(clean(r[key]) if r[key] is not None else clean(r.get("name")))]
            if with_names:
                cells.append(Text(clean(r["name"])))
            cells += [Text(shown(r["count"], "count")), Text(shown(r["minutes"], "minutes"))]
            cells.append(Text(_bar(r[measure], top, width), style="cyan"))
            t.add_row(*cells, style="dim" if r["count"] == 0 else None)
        return t

    named = "name" in rows[0]
    return Fit(table(named, 30), table(named, 12), table(False, 10))


def _bar(value: int, top: int, width: int) -> str:
    """A horizontal bar of block characters, in eighths of a cell."""
    if top <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / top * width * 8))
    full, part = divmod(eighths, 8)
    return "█" * full + ("" if part == 0 else " ▏▎▍▌▋▊▉"[part])


def duty_chart(rows: list[dict[str, Any]], key: str, title: str) -> str:
    total_minutes = sum(r["minutes"] for r in rows)
    measure = "minutes" if total_minutes else "count"
    items = [(label(r, key), r[measure],
              f"{counted(r['count'], 'duty', 'duties')}, {shown(r['minutes'])} min") for r in rows]
    return charts.bars(items, title=f"{title} (bars: {measure})")


def label(row: dict[str, Any], key: str) -> str:
    """A bar's label: the id and its name beside it; a row without an id (the duties whose
    category has no role) by its name alone."""
    if row.get(key) is None:
        return str(row.get("name") or "(none)")
    return f"{row[key]}" + (f" · {row['name']}" if row.get("name") else "")


# ---------------------------------------------------------------- presence


def presence_tone(row: dict[str, Any]) -> str:
    if row["last_duty_at"] is None:
        return "bad"
    return "partial" if row["stale"] else "ok"


PRESENCE_WORDS = {"ok": "a duty within the stale limit", "partial": "stale: the last duty "
                  "is older than the limit", "bad": "no duty in the year yet"}


def presence_chart(rows: list[dict[str, Any]], patterns: dict[str, str], year: str,
                   stale_days: int, title: str) -> str:
    """Days since the last duty per school, under a heading per feeder pattern (the rows
    come ordered by pattern); the stale limit is a dashed line, a school with no duty in the
    year says so in words."""
    items: list[tuple[str, int | None, str]] = []
    headings: dict[int, str] = {}
    tones: list[str | None] = []
    for i, r in enumerate(rows):
        pattern = r["feeder_pattern"]
        if i == 0 or rows[i - 1]["feeder_pattern"] != pattern:
            named = patterns.get(str(pattern))
            headings[i] = f"{pattern} · {named}" if named else str(pattern)
        if r["days_since"] is None:
            text = f"never visited in {year}"
        else:
            d = r["days_since"]
            text = f"{d} day{'s' if d != 1 else ''}" + (" · stale" if r["stale"] else "")
        items.append((f"{r['school']} · {r['name']}", r["days_since"], text))
        tones.append(presence_tone(r))
    return charts.bars(items, title=title, headings=headings, tones=tones,
                       marker=(stale_days, f"stale after {stale_days} days"))


# ---------------------------------------------------------------- training


TRAINING_TONES = {"overdue": "bad", "expired": "bad", "due_soon": "partial", "complete": "ok"}
TRAINING_WORDS = {"bad": "overdue: a deadline passed with its part not done",
                  "partial": "due soon: a deadline within the warning days", "ok": "complete"}
# Where topics have refreshers (the rows carry `expired`), the legend says what else is bad.
TRAINING_WORDS_EXPIRED = {
    **TRAINING_WORDS,
    "bad": "overdue: a deadline passed with its part not done; expired: a topic's completion "
           "no longer counts"}


def training_chart(rows: list[dict[str, Any]], title: str, as_of: str) -> str:
    """Per officer: classroom topics done of required and on-the-job days done of required,
    with the status as a word, each part in its own tone: done, past its deadline at `as_of`
    (overdue), or not done yet (due soon when the officer's status says so)."""

    def tone(done: int, required: int, due: str | None, status: str) -> str | None:
        if done >= required:
            return TRAINING_TONES["complete"]
        if due and due < as_of:
            return TRAINING_TONES["overdue"]
        return TRAINING_TONES.get(status) if status == "due_soon" else None

    def parts(r: dict[str, Any]) -> list[tuple[str, int, int, str | None]]:
        out = [("classroom topics", r["classroom_done"], r["classroom_required"],
                tone(r["classroom_done"], r["classroom_required"], r["classroom_due"],
                     r["status"]))]
        # Rules with no on-the-job days (no training_policy) show no empty bar for them.
        if r["on_the_job_required"] or r["on_the_job_days"]:
            out.append(("on-the-job days", r["on_the_job_days"], r["on_the_job_required"],
                        tone(r["on_the_job_days"], r["on_the_job_required"],
                             r["on_the_job_due"], r["status"])))
        return out

    items = [charts.Progress(
        f"{r['officer']} {r['officer_name'] or ''}".strip(), parts(r),
        str(r["status"]).replace("_", " "), TRAINING_TONES.get(r["status"])) for r in rows]
    return charts.progress(items, title=title)


# ---------------------------------------------------------------- connectors


def _axes(cells: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The phases and the dimensions of the connectors matrix, in the cells' order: the cells
    come as the whole grid, a phase's row of dimensions after another (zeros kept)."""
    return (list(dict.fromkeys(c["phase"] for c in cells)),
            list(dict.fromkeys(c["dimension"] for c in cells)))


def connectors_chart(cells: list[dict[str, Any]], title: str) -> str:
    phases, dimensions = _axes(cells)
    counts = {(c["phase"], c["dimension"]): c["engagements"] for c in cells}
    detail = {(c["phase"], c["dimension"]): f"{c['connectors']} conn" for c in cells}
    return charts.heat_map(phases, dimensions, counts, title=title, detail=detail, unit="eng")


def connectors_heat_map(start: str | None, end: str | None, cells: list[dict],
                        colour: bool) -> Any:
    """The terminal view of the matrix: a heat map. The stale list and the sectors are the
    view's extra tables, drawn after it by `terminal.rich_tables` (as every document has them)."""
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    phases, dimensions = _axes(cells)
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
                         f"{len(cells) - with_input} "
                         f"{'has' if len(cells) - with_input == 1 else 'have'} none. "
                         "eng = engagements, conn = distinct connectors."
                         + (" Darker green: more input." if colour else "")),
            caption_justify="left")
        table.add_column(Text(" phase "), style="bold", no_wrap=True)
        for d in dimensions:
            table.add_column(Text(f" {d} "), justify="center", no_wrap=True)
        for p in phases:
            row = []
            for d in dimensions:
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

    return Fit(grid(" / "), grid("\n"))


# ---------------------------------------------------------------- tones of the lists

AGREEMENT_TONES = {"no_agreement": "bad", "not_adopted": "partial", "review_due": "partial",
                   "incomplete": "partial"}
AGREEMENT_WORDS = {"ok": "in order",
                   "partial": "not adopted, or incomplete, or due for review (see problem)",
                   "bad": "no agreement stored"}
FOLLOWUP_TONES = {"overdue": "bad", "late": "partial", "done": "ok"}
FOLLOWUP_WORDS = {"bad": "overdue: not done, past due", "partial": "late: done after its due "
                  "time", "ok": "done on time"}
COMPLAINT_WORDS = {"partial": "open"}
YEAR_TONES = {"current": "ok", "past": "muted"}
YEAR_WORDS = {"ok": "the current year", "muted": "a past year"}


def agreement_tone(row: dict[str, Any]) -> str:
    return AGREEMENT_TONES.get(row.get("problem") or "", "ok")


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """"1 officer", "3 officers", "12,500 duties" (the number as `shown` writes it)."""
    return f"{shown(n)} {noun if n == 1 else plural or noun + 's'}"

