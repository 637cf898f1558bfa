"""Charts as inline SVG, drawn here: no library, no script, no external request.

Each function returns one `<svg>` element as text, sized by its viewBox so that it scales to
the page (never wider than its container: no horizontal scrolling at 800 px). Every value from
data is escaped. Colour is never alone: each kind also has a fill pattern (hatching, dots,
stripes) or a mark and a word in the legend, and every shape has a `<title>` a screen reader
or a mouse hover can read. `standalone` wraps one for `--format svg`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from html import escape

# kind -> (fill colour, pattern id or "" for solid, word). Colours pass WCAG's 3:1 for graphics
# against white, and each gap kind has its own pattern, so print and colour-blind readers can
# tell them apart.
KINDS: dict[str, tuple[str, str, str]] = {
    "covered": ("#2da44e", "", "covered"),
    "unassigned": ("#cf222e", "hatch", "unassigned (no CRO)"),
    "inactive": ("#9a6700", "dots", "officer inactive"),
    "untrained": ("#bc4c00", "cross", "officer not school-trained"),
    "on_leave": ("#0969da", "stripes", "officer on leave"),
    "conflict": ("#8250df", "", "conflict (duplicate, out of jurisdiction, untrained additional)"),
}
CLOSED = "#8c959f"
INK = "#1f2328"
MUTED = "#57606a"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _defs() -> str:
    """Fill patterns: white marks over the kind's colour."""
    out = []
    for kind, (colour, pattern, _) in KINDS.items():
        if not pattern:
            continue
        if pattern == "hatch":
            marks = '<path d="M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2" stroke="#fff" stroke-width="1.4"/>'
        elif pattern == "dots":
            marks = '<circle cx="3" cy="3" r="1.3" fill="#fff"/>'
        elif pattern == "cross":
            marks = ('<path d="M0,0 l6,6 M6,0 l-6,6" stroke="#fff" stroke-width="1"/>')
        else:
            marks = '<path d="M0,3 h6" stroke="#fff" stroke-width="1.4"/>'
        out.append(f'<pattern id="p-{kind}" width="6" height="6" patternUnits="userSpaceOnUse">'
                   f'<rect width="6" height="6" fill="{colour}"/>{marks}</pattern>')
    out.append('<pattern id="p-closed" width="8" height="8" patternUnits="userSpaceOnUse" '
               f'patternTransform="rotate(45)"><rect width="8" height="8" fill="{CLOSED}" '
               'fill-opacity="0.25"/><path d="M0,0 v8" stroke="#57606a" stroke-opacity="0.5" '
               'stroke-width="1.5"/></pattern>')
    return "<defs>" + "".join(out) + "</defs>"


def _fill(kind: str) -> str:
    colour, pattern, _ = KINDS.get(kind, KINDS["conflict"])
    return f"url(#p-{kind})" if pattern else colour


def _svg(width: int, height: int, title: str, desc: str, body: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="100%" style="max-width:{width}px;height:auto" role="img" '
            f'font-family="{_e(FONT)}" font-size="13" fill="{INK}">'
            f'<title>{_e(title)}</title><desc>{_e(desc)}</desc>{body}</svg>')


def standalone(svg: str) -> str:
    """One chart as a whole SVG document (`--format svg`), on a white background."""
    head, rest = svg.split(">", 1)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + head
            + '><rect width="100%" height="100%" fill="#fff"/>' + rest + "\n")


def _legend(items: Sequence[tuple[str, str]], y: int, width: int) -> tuple[str, int]:
    """Swatch + word per item, wrapped over as many lines as the width needs."""
    out: list[str] = []
    x, line = 0.0, 0
    for fill, word in items:
        w = 34 + 7.5 * len(word)
        if x and x + w > width:
            x, line = 0.0, line + 1
        yy = y + 20 * line
        out.append(f'<rect x="{x}" y="{yy}" width="16" height="12" fill="{fill}" '
                   f'stroke="{INK}" stroke-width="0.5"/>'
                   f'<text x="{x + 21}" y="{yy + 11}">{_e(word)}</text>')
        x += w
    return "".join(out), y + 20 * (line + 1)


# ---------------------------------------------------------------- timeline


@dataclass(frozen=True)
class Bar:
    """One bar of a timeline: a label, runs of days by kind (inclusive), marks on days."""

    label: str
    segments: Sequence[tuple[date, date, str]]
    marks: Sequence[tuple[date, str]] = ()  # e.g. an officer hand-over: (first day, who)
    note: str = ""  # after the label, e.g. "263 of 291 days covered"
    conflicts: Sequence[tuple[date, date, str]] = field(default_factory=tuple)


def timeline(start: date, end: date, bars: Sequence[Bar], *, title: str,
             closures: Sequence[tuple[date, date]] = (), width: int = 800) -> str:
    """One bar per row across the days start..end (inclusive): each segment in its kind's
    colour and pattern, conflicts as a thin strip above the bar, marks (hand-overs) as a
    triangle and a line, month ticks on the axis, and `closures` (start, end) shaded over
    every bar (school breaks: a closed day is not a gap a reader should worry about)."""
    days = (end - start).days + 1
    left, right, top = 8, 8, 46
    plot = width - left - right
    row_h, bar_h = 40, 14

    def x(day: date) -> float:
        return left + plot * max(0, min(days, (day - start).days)) / days

    out: list[str] = [_defs()]
    out.append(f'<text x="{left}" y="16" font-size="15" font-weight="600">{_e(title)}</text>')
    height = top + row_h * max(1, len(bars))
    # Month ticks: a faint line at each first of the month, its name on the axis.
    month = date(start.year, start.month, 1)
    ticks = []
    while month <= end:
        if month >= start:
            mx = x(month)
            ticks.append(f'<line x1="{mx:.1f}" y1="{top - 6}" x2="{mx:.1f}" y2="{height}" '
                         f'stroke="#d0d7de" stroke-width="1"/>')
        label_day = max(month, start)
        name = MONTHS[month.month - 1] + (f" {month.year}" if month.month == 1
                                          or month == date(start.year, start.month, 1) else "")
        ticks.append(f'<text x="{x(label_day) + 2:.1f}" y="{top - 9}" font-size="11" '
                     f'fill="{MUTED}">{_e(name)}</text>')
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    out += ticks
    for i, bar in enumerate(bars):
        y = top + row_h * i
        by = y + 18
        label = bar.label + (f" · {bar.note}" if bar.note else "")
        out.append(f'<text x="{left}" y="{y + 13}">{_e(label)}</text>')
        out.append(f'<rect x="{left}" y="{by}" width="{plot}" height="{bar_h}" fill="#f6f8fa" '
                   f'stroke="#8c959f" stroke-width="0.5"/>')
        for s, e, kind in bar.segments:
            x0, x1 = x(s), x(e + timedelta(days=1))
            word = KINDS.get(kind, (None, None, kind))[2]
            out.append(f'<rect x="{x0:.1f}" y="{by}" width="{max(x1 - x0, 1):.1f}" '
                       f'height="{bar_h}" fill="{_fill(kind)}"><title>{_e(word)}: {s} to {e}'
                       f'</title></rect>')
        for s, e, kind in bar.conflicts:
            x0, x1 = x(s), x(e + timedelta(days=1))
            out.append(f'<rect x="{x0:.1f}" y="{by - 4}" width="{max(x1 - x0, 1):.1f}" '
                       f'height="3" fill="{KINDS["conflict"][0]}"><title>conflict '
                       f'({_e(kind)}): {s} to {e}</title></rect>')
        for day, who in bar.marks:
            mx = x(day)
            out.append(f'<g><title>hand-over to {_e(who)} on {day}</title>'
                       f'<line x1="{mx:.1f}" y1="{by - 2}" x2="{mx:.1f}" y2="{by + bar_h + 2}" '
                       f'stroke="{INK}" stroke-width="2"/>'
                       f'<path d="M{mx - 5:.1f},{by - 8} h10 l-5,6 z" fill="{INK}"/></g>')
    for s, e in closures:
        if e < start or s > end:
            continue
        x0, x1 = x(max(s, start)), x(min(e, end) + timedelta(days=1))
        out.append(f'<rect x="{x0:.1f}" y="{top - 4}" width="{max(x1 - x0, 1):.1f}" '
                   f'height="{height - top + 4}" fill="url(#p-closed)"><title>closed: '
                   f'{max(s, start)} to {min(e, end)}</title></rect>')
    used = {k for b in bars for *_, k in b.segments}
    items = [(_fill(k), KINDS[k][2]) for k in KINDS if k in used and k != "conflict"]
    if any(b.conflicts for b in bars):
        items.append((KINDS["conflict"][0], "thin strip above: " + KINDS["conflict"][2]))
    if any(b.marks for b in bars):
        items.append((INK, "black line and ▼: officer hand-over"))
    if closures:
        items.append(("url(#p-closed)", "shaded: school closed"))
    legend, height = _legend(items, height + 8, plot)
    out.append(f'<g transform="translate({left},0)">{legend}</g>')
    desc = (f"{len(bars)} bars from {start} to {end}; " +
            "; ".join(word for _, word in items))
    return _svg(width, height + 4, title, desc, "".join(out))


# ---------------------------------------------------------------- bars


TONE_FILL = {None: "#0969da", "ok": "#2da44e", "partial": "#bf8700", "bad": "#cf222e",
             "muted": "#8c959f"}


def bars(items: Sequence[tuple[str, int | None, str]], *, title: str, width: int = 800,
         marker: tuple[float, str] | None = None, headings: Mapping[int, str] | None = None,
         tones: Sequence[str | None] | None = None) -> str:
    """Horizontal bars: (label, value, text shown after the bar), longest = full width.

    A value of None draws no bar, only its text (which must say why: "no duty yet").
    `marker` (value, word) draws a dashed line across every bar at that value, labelled;
    `headings` puts a group heading before the item at that index; `tones` colours each bar
    (charts.TONE_FILL): the text after a bar always carries the same meaning in words."""
    left, top, row_h, bar_h, head_h = 8, 30, 36, 14, 26
    plot = width - 2 * left - 190
    values = [v for _, v, _ in items if v is not None]
    most = max([*values, marker[0] if marker else 0], default=0)
    headings = headings or {}
    out = [f'<text x="{left}" y="16" font-size="15" font-weight="600">{_e(title)}</text>']
    if marker:
        top += 18
    y = top
    for i, (label, value, text) in enumerate(items):
        if i in headings:
            out.append(f'<text x="{left}" y="{y + 18}" font-size="14" font-weight="600">'
                       f'{_e(headings[i])}</text>')
            y += head_h
        w = plot * value / most if most and value is not None else 0
        fill = TONE_FILL.get(tones[i] if tones else None, TONE_FILL[None])
        out.append(f'<text x="{left}" y="{y + 11}">{_e(label)}</text>')
        if value is not None:
            out.append(f'<rect x="{left}" y="{y + 15}" width="{max(w, 0):.1f}" '
                       f'height="{bar_h}" fill="{fill}"><title>{_e(label)}: {_e(text)}'
                       '</title></rect>')
        weight = ' font-weight="600"' if value is None else ""
        out.append(f'<text x="{left + w + 6:.1f}" y="{y + 27}" font-size="12"{weight}>'
                   f'{_e(text)}</text>')
        y += row_h
    height = max(y, top + row_h) + 4
    if marker and most:  # under the labels and bars: drawn right after the title
        x = left + plot * marker[0] / most
        out.insert(1, f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 4}" '
                   f'stroke="{INK}" stroke-width="1.2" stroke-dasharray="5 3"/>'
                   f'<text x="{x + 4:.1f}" y="{top - 8}" font-size="12">'
                   f'{_e(marker[1])}</text>')
    if not items:
        out.append(f'<text x="{left}" y="{top + 14}" fill="{MUTED}">nothing to show</text>')
    return _svg(width, height, title, f"{len(items)} bars", "".join(out))


@dataclass(frozen=True)
class Progress:
    """One subject of a progress chart (an officer): tracks of done of required, a word."""

    label: str
    tracks: Sequence[tuple[str, int, int, str | None]]  # (what, done, required, its tone)
    word: str  # the status, in words
    tone: str | None = None


def progress(items: Sequence[Progress], *, title: str, width: int = 800) -> str:
    """Per subject, a heading with its status word, then one track per part: a grey rail as
    long as what is required, filled as far as what is done in the part's own tone (a part
    done is green though the other is overdue), "done of required" after it."""
    left, track_h, gap = 8, 12, 8
    name_w = 150
    plot = width - 2 * left - name_w - 150
    out = [f'<text x="{left}" y="16" font-size="15" font-weight="600">{_e(title)}</text>']
    y = 30
    for item in items:
        out.append(f'<text x="{left}" y="{y + 13}" font-weight="600">{_e(item.label)}'
                   f'<tspan font-weight="400"> · {_e(item.word)}</tspan></text>')
        y += 20
        for what, done, required, tone in item.tracks:
            fill = TONE_FILL.get(tone, TONE_FILL[None])
            share = min(done / required, 1.0) if required else 1.0
            note = f"{done} of {required}"
            out.append(f'<text x="{left + 12}" y="{y + 10}" font-size="12">{_e(what)}</text>'
                       f'<rect x="{left + name_w}" y="{y}" width="{plot}" height="{track_h}" '
                       f'fill="#eaeef2" stroke="{MUTED}" stroke-width="0.5"/>'
                       f'<rect x="{left + name_w}" y="{y}" width="{plot * share:.1f}" '
                       f'height="{track_h}" fill="{fill}"><title>{_e(item.label)}, '
                       f'{_e(what)}: {_e(note)} ({_e(item.word)})</title></rect>'
                       f'<text x="{left + name_w + plot + 6}" y="{y + 10}" font-size="12">'
                       f'{_e(note)}</text>')
            y += track_h + gap
        y += 8
    if not items:
        out.append(f'<text x="{left}" y="{y + 14}" fill="{MUTED}">nothing to show</text>')
        y += 24
    return _svg(width, y + 4, title, f"{len(items)} subjects", "".join(out))


# ---------------------------------------------------------------- heat map


def heat_map(rows: Sequence[str], cols: Sequence[str], cells: Mapping[tuple[str, str], int],
             *, title: str, detail: Mapping[tuple[str, str], str] | None = None,
             unit: str = "", width: int = 800) -> str:
    """A grid of counts: darker green = more; an empty cell is white with a red ✕ and the word
    "none", so it reads without colour."""
    left, top = 110, 50
    cw = (width - left - 8) / max(1, len(cols))
    ch = 46
    most = max(cells.values(), default=0)
    out = [f'<text x="8" y="16" font-size="15" font-weight="600">{_e(title)}</text>']
    for j, c in enumerate(cols):
        out.append(f'<text x="{left + cw * j + cw / 2:.1f}" y="{top - 10}" text-anchor="middle" '
                   f'font-weight="600">{_e(c)}</text>')
    for i, r in enumerate(rows):
        y = top + ch * i
        out.append(f'<text x="8" y="{y + ch / 2 + 5:.1f}" font-weight="600">{_e(r)}</text>')
        for j, c in enumerate(cols):
            n = cells.get((r, c), 0)
            x0 = left + cw * j
            extra = (detail or {}).get((r, c), "")
            if n == 0:
                fill, ink, text = "#ffffff", "#a40e26", "✕ none"
            else:
                share = n / most
                fill, ink = (("#dafbe1", INK) if share <= 1 / 3 else
                             ("#6fdd8b", INK) if share <= 2 / 3 else ("#116329", "#ffffff"))
                text = f"{n}{' ' + unit if unit else ''}" + (f" · {extra}" if extra else "")
            out.append(f'<g><title>{_e(r)} × {_e(c)}: {n} {_e(extra)}</title>'
                       f'<rect x="{x0 + 1:.1f}" y="{y + 1}" width="{cw - 2:.1f}" '
                       f'height="{ch - 2}" fill="{fill}" stroke="#8c959f"/>'
                       f'<text x="{x0 + cw / 2:.1f}" y="{y + ch / 2 + 5:.1f}" '
                       f'text-anchor="middle" fill="{ink}">{_e(text)}</text></g>')
    height = top + ch * len(rows)
    legend, height = _legend([("#dafbe1", "some input"), ("#6fdd8b", "more"),
                              ("#116329", "most"), ("#ffffff", "✕ none: no input")],
                             height + 10, width - 16)
    out.append(f'<g transform="translate(8,0)">{legend}</g>')
    return _svg(width, height + 4, title, f"{len(rows)} × {len(cols)} grid of counts",
                "".join(out))


# ---------------------------------------------------------------- a list as a picture


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A list that has no chart, drawn as a plain grid of text (`-f svg` of a list): a header
    row, one line per record, columns as wide as their longest value."""
    char, left, row_h = 7.4, 8, 20
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    xs, x = [], float(left)
    for w in widths:
        xs.append(x)
        x += w * char + 16
    width = max(int(x) + left, 320)
    out = [f'<text x="{left}" y="18" font-size="15" font-weight="600">{_e(title)}</text>']
    y = 44
    out += [f'<text x="{xs[i]:.1f}" y="{y}" font-weight="600">{_e(h)}</text>'
            for i, h in enumerate(headers)]
    out.append(f'<line x1="{left}" y1="{y + 6}" x2="{width - left}" y2="{y + 6}" '
               f'stroke="{MUTED}"/>')
    for r in rows:
        y += row_h
        out += [f'<text x="{xs[i]:.1f}" y="{y}">{_e(v)}</text>' for i, v in enumerate(r)]
    return _svg(width, y + 10, title, f"{len(rows)} rows", "".join(out))
