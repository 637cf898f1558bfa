"""Documents for people: the HTML page and the Markdown text of any View (see render.py).

HTML comes from one Jinja2 template (templates/document.html.j2) with autoescaping on: every
value from data is escaped by the template; the only markup passed through is the chart, which
charts.py builds with every value escaped. Jinja2 is imported here, and this module only on the
HTML path.
"""

from __future__ import annotations

import re
from typing import Any

from crotool import __version__
from crotool.render import NAME_COLUMNS, Context, View, clean, columns_of, shown

MARKS = {"ok": "✓", "partial": "◐", "bad": "✕", "conflict": "!", "muted": "–"}


def _made_on(ctx: Context) -> str:
    if ctx.made_on is not None:
        return ctx.made_on.isoformat()
    from crotool.years import today

    return today().isoformat()


def _summary(rows: list[dict], view: View) -> str:
    if view.summary:
        return view.summary
    return view.empty if not rows else f"{len(rows):,} record{'s' if len(rows) != 1 else ''}"


def _tables(rows: list[dict], view: View, ctx: Context, heading: str | None) -> list[dict]:
    """The view's rows as template tables: one per group, names beside ids."""
    names = NAME_COLUMNS if view.names is None else view.names
    cols = [c for c in columns_of(rows, view) if c not in view.table_hide]
    groups: list[tuple[Any, list[dict]]] = []
    if view.group_by:
        cols = [c for c in cols if c != view.group_by]
        for row in rows:
            key = row.get(view.group_by)
            if not groups or groups[-1][0] != key:
                groups.append((key, []))
            groups[-1][1].append(row)
    else:
        groups.append((None, rows))
    labels = {c: view.headers.get(c, c.replace("_", " ")) for c in cols}
    num = {c for c in cols if view.justify.get(c) == "right"}
    legend = [(MARKS[t], w) for t, w in view.tone_words.items() if t in MARKS]
    out: list[dict[str, Any]] = []
    for key, members in groups:
        body = []
        for row in members:
            cells = []
            for c in cols:
                value = row.get(c)
                items = None
                section = names.get(c)
                if section is not None and value not in (None, "", [], ()):
                    lookup = ctx.names.get(section, {})
                    ids = value if isinstance(value, (list, tuple)) else [value]
                    items = [(clean(i), clean(lookup.get(str(i), ""))) for i in ids]
                text = shown(value, c, view)
                # A date, an id or a number never breaks inside (a browser would, at will).
                cells.append({"label": labels[c], "num": c in num, "parts": items,
                              "text": text,
                              "nw": items is None and " " not in text and len(text) <= 32})
            tone = view.tone(row) if view.tone else None
            body.append({"cells": cells, "tone": tone, "mark": MARKS.get(tone or "")})
        title = heading
        if key is not None:
            title = f"{heading}: {clean(key)}" if heading else clean(key)
            group_names = ctx.names.get(names.get(view.group_by or "", ""), {})
            if group_names.get(str(key)):
                title += f" ({clean(group_names[str(key)])})"
        out.append({"heading": title, "headers": [{"label": labels[c], "num": c in num}
                                                  for c in cols],
                    "rows": body, "caption": view.caption if key is None else None,
                    "legend": legend if body and (key is None or not out) else [],
                    "empty": view.empty, "level": view.level})
    return out


def html(rows: list[dict], view: View, ctx: Context) -> str:
    import jinja2
    from markupsafe import Markup

    from crotool.templates import folder

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder()), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    title = clean(view.title or "crotool")
    tables = _tables(rows, view, ctx, None if view.group_by else (view.heading or "Details"))
    for extra_rows, extra_view in view.extra:
        tables += _tables(extra_rows, extra_view, ctx, clean(extra_view.title or ""))
    chart = Markup(view.chart(rows)) if view.chart else None  # noqa: S704 - built escaped
    # One <section> per part: a table of level 3 belongs to the section before it.
    sections: list[list[dict[str, Any]]] = []
    for t in tables:
        if t["level"] > 2 and sections:
            sections[-1].append(t)
        else:
            sections.append([t])
    lists = [(clean(heading), [clean(item) for item in items]) for heading, items in view.lists]
    return env.get_template("document.html.j2").render(
        title=title, district=clean(ctx.district or ""), period=clean(view.period or ""),
        # A report over another span (engagements, a date range) still names the year.
        year=clean(ctx.period or "") if "school year" not in (view.period or "") else "",
        summary=clean(_summary(rows, view)), chart=chart, sections=sections, lists=lists,
        made_on=_made_on(ctx), version=__version__)


# ---------------------------------------------------------------- Markdown

# Every ASCII punctuation character that Markdown (CommonMark, GitHub) can read as syntax:
# a backslash makes it text. `@`, `://` and `www.` too, so that GitHub's bare-URL and e-mail
# autolinks (https://..., www...., a@b.example) never form from data.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()!|~@])")
_MD_LINE_START = re.compile(r"^([-+#=>]|\d+(?=[.)]))")  # a list, a heading, a quote


def md_escape(value: Any) -> str:
    text = clean(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = re.sub(r"(?i)\bwww\.", lambda m: m.group()[:-1] + "\\.", text)
    text = text.replace("://", "\\://")
    text = re.sub(r"\s*[\r\n]+\s*", " ", text)
    # "1." starts a list: escape the dot after the digits; "-", "#", ... escape themselves.
    return _MD_LINE_START.sub(lambda m: m.group() + "\\" if m.group()[0].isdigit()
                              else "\\" + m.group(), text)


def _md_table(rows: list[dict], view: View) -> list[str]:
    cols = columns_of(rows, view)
    out = ["| " + " | ".join(md_escape(view.headers.get(c, c)) for c in cols) + " |",
           "|" + "|".join(" ---: " if view.justify.get(c) == "right" else " --- "
                          for c in cols) + "|"]
    for row in rows:
        out.append("| " + " | ".join(md_escape(shown(row.get(c), c, view)) for c in cols)
                   + " |")
    return out


def markdown(rows: list[dict], view: View, ctx: Context) -> str:
    """`# title`, the summary (and what the report covers), then GitHub tables."""
    out = [f"# {md_escape(view.title or 'crotool')}", ""]
    period = view.period or ctx.period
    if ctx.district:
        out += [md_escape(ctx.district), ""]
    if period:
        out += [md_escape(period), ""]
    out += [md_escape(_summary(rows, view)), ""]
    if view.heading:
        out += [f"## {md_escape(view.heading)}", ""]
    out += _md_table(rows, view)
    for extra_rows, extra_view in view.extra:
        out += ["", f"{'#' * extra_view.level} {md_escape(extra_view.title or '')}", ""]
        out += _md_table(extra_rows, extra_view) if extra_rows else [md_escape(extra_view.empty)]
    for heading, items in view.lists:
        out += ["", f"## {md_escape(heading)}", ""]
        out += [f"- {md_escape(item)}" for item in items]
    out += ["", f"Made on {_made_on(ctx)} by crotool {__version__}."]
    return "\n".join(out) + "\n"
