"""The terminal's tables: Rich tables fitted to the width, plain text off a terminal, a long
listing streamed (through the pager on a terminal), and when colour is allowed.

Rich is imported only here and only when a table is drawn (and by pictures.py's builders): JSON
and CSV for cron never pay for it. Data is never read as Rich markup (cells are `Text`).

Plain tables never break a date, an id or a number at any width from 80 up: columns get at
least their longest word, lists wrap between items, and `View.secondary` columns are dropped
first, in order, when the table cannot fit (the caption says which, under the last group of a
grouped table). A view's `build` may draw the main table as its own picture (pictures.py); its
`extra` tables always come from the view, after it, as in every document, so a builder never
draws them. Off a terminal, no line ends in a space. Colour only on a terminal, and never under
$NO_COLOR or TERM=dumb.
"""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from itertools import chain, islice
from typing import Any

from crotool.output.files import stdout_write
from crotool.output.view import STREAM_CHUNK, View, clean, columns_of, grouped, shown


def terminal_width(terminal: bool) -> int | None:
    """$COLUMNS when set (a cron mail, `COLUMNS=80 crotool ... | less`), the terminal's width
    on a terminal, else None: a file gets the table at its natural width."""
    raw = os.environ.get("COLUMNS", "")
    if raw.isdigit() and int(raw) >= 20:
        return int(raw)
    if terminal:
        import shutil

        return shutil.get_terminal_size().columns
    return None


def fit_widths(spans: Sequence[tuple[int, int]], width: int) -> list[int] | None:
    """Column widths (min, max each) that fit `width`: every column its minimum, the room left
    shared out in proportion to what each still wants. None when the minimums do not fit."""
    need = sum(lo for lo, _ in spans)
    if need > width:
        return None
    widths = [lo for lo, _ in spans]
    room = width - need
    want = [hi - lo for lo, hi in spans]
    total = sum(want)
    if total <= room:
        return [hi for _, hi in spans]
    for i, w in enumerate(want):
        widths[i] += room * w // total
    return widths


_RELAX = object()
_DIGIT = re.compile(r"\d")
_FOLDABLE = 10  # a digit-free word of free text may fold down to this many characters


def _words(text: str, relax: bool = False) -> int:
    """The longest word: the narrowest a column can be without breaking one."""
    if relax and " " in text:
        # Folding keeps a word's first characters together: room up to its last digit
        # keeps `2024-04-16/After-incident` or `"2024-03-12",` whole where it matters.
        return max((max(m.end() for m in _DIGIT.finditer(w)) if _DIGIT.search(w)
                    else min(len(w), _FOLDABLE) for w in text.split()), default=0)
    return max((len(w) for w in text.split()), default=0)


def rich_tables(rows: list[dict], view: View, *, width: int | None = None,
                colour: bool = False, plan: Any = None, show_caption: bool = True) -> Any:
    """The Rich renderable for table output, fitted to `width` when given; the view's extra
    tables follow the main one (its `build`'s picture, or a plain table), each under its
    title: this is the one place that lays out what the terminal shows."""
    from rich.console import Group
    from rich.text import Text

    if view.extra:
        main = rich_tables(rows, replace(view, extra=()), width=width, colour=colour)
        parts = [main]
        for extra_rows, extra_view in view.extra:
            parts.append(Text(""))
            if extra_rows:
                parts.append(rich_tables(extra_rows, extra_view, width=width, colour=colour))
            else:
                parts += [Text(clean(extra_view.title or ""), style="bold"),
                          Text(extra_view.empty, style="dim")]
        return Group(*parts)
    if view.build is not None:
        return view.build(rows, colour)
    if not rows:
        return Text(view.empty, style="dim")
    cols, heads, widths, dropped = plan_table(rows, view, width) if plan is None else plan
    return _tables(rows, view, cols, heads, widths, dropped, width,
                   show_caption=show_caption)


def plan_table(rows: list[dict], view: View, width: int | None
               ) -> tuple[list[str], dict[str, str], list[int] | None, list[str]]:
    """The columns a table of `rows` shows, their headers, their widths (None: natural) and
    the secondary columns dropped to fit `width`."""
    cols = [c for c in columns_of(rows, view) if c not in view.table_hide]
    if view.group_by:
        cols = [c for c in cols if c != view.group_by]
    texts = {c: [shown(r.get(c), c, view) for r in rows] for c in cols}
    heads = {c: view.headers.get(c, c.replace("_", " ")) for c in cols}
    dropped: list[str] = []
    widths: list[int] | None = None
    if width is not None:
        relax = False
        for candidate in [None, *view.secondary, _RELAX]:
            if candidate is _RELAX:
                relax = True
            elif candidate is not None and candidate in cols:
                cols.remove(candidate)
                dropped.append(heads[candidate])
            # A column is at least its longest word (a date, an id, a number, a list item)
            # and its header's longest word; borders and padding take 3 per column, plus 1.
            # Last resort (secondary columns gone): words without digits in free text (names,
            # titles) may fold; a word with a date, id or number in it never does.
            spans = [(max(_words(heads[c], relax), *(_words(x, relax) for x in texts[c]), 1),
                      max(len(heads[c]), *(len(x) for x in texts[c]), 1)) for c in cols]
            widths = fit_widths(spans, width - 3 * len(cols) - 1)
            if widths is not None:
                break
    return cols, heads, widths, dropped


def _tables(rows: list[dict], view: View, cols: list[str], heads: dict[str, str],
            widths: list[int] | None, dropped: list[str], width: int | None, *,
            show_caption: bool = True) -> Any:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    groups = grouped(rows, view)

    caption = view.caption if show_caption else None
    if dropped and show_caption:
        caption = ((caption + " ") if caption else "") + (
            f"Left out to fit: {', '.join(dropped)} (a wider terminal or -f csv shows them).")
    tables = []
    for n, (key, members) in enumerate(groups, 1):
        prefix = f"{view.title}: " if view.title else ""
        title = view.title if key is None else f"{prefix}{clean(key)}"
        heading = Text(title) if title else None
        # Rich wraps a title to its table's width: without a minimum, a narrow table broke
        # "Schools: east" over three lines.
        min_width = heading.cell_len if heading else None
        if min_width and width:
            min_width = min(min_width, width)
        table = Table(title=heading, title_justify="left",
                      caption=Text(caption) if caption and n == len(groups) else None,
                      caption_justify="left", header_style="bold", expand=False,
                      min_width=min_width)
        for i, c in enumerate(cols):
            table.add_column(Text(heads[c]),
                             justify=view.justify.get(c, "left"),  # type: ignore[arg-type]
                             overflow="fold", width=widths[i] if widths else None)
        for row in members:
            cells = []
            for c in cols:
                style = view.cell_style(c, row) if view.cell_style else None
                cells.append(Text(shown(row.get(c), c, view), style=style or ""))
            table.add_row(*cells, style=view.row_style(row) if view.row_style else None)
        tables.append(table)
    return tables[0] if len(tables) == 1 else Group(*tables)


def colour_allowed(stream: Any) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def make_console(*, file: Any = None, record: bool = False, width: int | None = None,
                 colour: bool = False) -> Any:
    from rich.console import Console

    return Console(
        file=file, record=record, width=width, force_terminal=colour,
        no_color=not colour, color_system="auto" if colour else None,
        highlight=False, emoji=False, markup=False, soft_wrap=False,
        legacy_windows=False,
    )


def _natural_width(renderable: Any) -> int:
    probe = make_console(file=io.StringIO(), width=4000)
    return max(60, min(4000, probe.measure(renderable).maximum))


def to_table_text(rows: list[dict], view: View, *, terminal: Any = None) -> str | None:
    """The table as plain text (no trailing spaces); with `terminal`, printed straight to it
    in colour instead."""
    if terminal is not None:
        width = terminal_width(True)
        make_console(file=terminal, colour=True, width=width).print(
            rich_tables(rows, view, width=width, colour=True))
        return None
    width = terminal_width(False)
    renderable = rich_tables(rows, view, width=width)
    console = make_console(file=io.StringIO(), record=True,
                           width=width or _natural_width(renderable))
    console.print(renderable)
    text = console.export_text(styles=False)
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


def stream_table(rows: Iterator[dict], view: View, write: Callable[[str], Any],
                 width: int | None) -> None:
    """A table as plain text, STREAM_CHUNK rows at a time. Up to one chunk it is the table
    `to_table_text` draws; past that, a chunk plans the columns (what fits `width`, or their
    natural widths), Rich draws it with those widths, and the later rows are laid out in the
    same columns and box, their cells wrapped between words as Rich wraps them. A row with a
    word too long for its column (an id past the first chunk's longest) closes the box and
    starts a new one planned from its chunk: a word is never broken."""
    first = list(islice(rows, STREAM_CHUNK))
    if len(first) < STREAM_CHUNK:
        write(to_table_text(first, view) or "")
        return
    chunk: list[dict] = first
    segment_view = view
    dropped: list[str] = []
    total = 20
    while chunk:
        cols, heads, widths, dropped = plan_table(chunk, segment_view, width)
        if widths is None:  # natural widths: the chunk's longest cells
            widths = [max(len(heads[c]), *(len(shown(r.get(c), c, view)) for r in chunk), 1)
                      for c in cols]
        total = sum(widths) + 3 * len(cols) + 1
        renderable = _tables(chunk, segment_view, cols, heads, widths, dropped, total,
                             show_caption=False)
        console = make_console(file=io.StringIO(), record=True, width=max(total, 20))
        console.print(renderable)
        lines = [line.rstrip() for line in console.export_text(styles=False).splitlines()]
        bottom = lines.pop()  # the box's last line: it closes the table, after every row
        write("".join(line + "\n" for line in lines))
        justify = [view.justify.get(c, "left") for c in cols]
        chunk = []
        while batch := list(islice(rows, STREAM_CHUNK)):
            out: list[str] = []
            for n, row in enumerate(batch):
                texts = [shown(row.get(c), c, view) for c in cols]
                if any(len(t) > w and _words(t) > w for t, w in zip(texts, widths, strict=True)):
                    chunk = batch[n:]  # re-plan from here
                    break
                cells = [_wrap_cell(t, w) for t, w in zip(texts, widths, strict=True)]
                for i in range(max(len(c) for c in cells)):
                    parts = []
                    for cell, w, j in zip(cells, widths, justify, strict=True):
                        text = cell[i] if i < len(cell) else ""
                        parts.append(text.rjust(w) if j == "right" else
                                     text.center(w) if j == "center" else text.ljust(w))
                    out.append("│ " + " │ ".join(parts) + " │\n")
            write("".join(out))
            if chunk:
                chunk += list(islice(rows, STREAM_CHUNK - len(chunk)))
                break
        write(bottom + "\n")
        segment_view = replace(view, title=None)
    caption = view.caption
    if dropped:
        caption = ((caption + " ") if caption else "") + (
            f"Left out to fit: {', '.join(dropped)} (a wider terminal or -f csv shows them).")
    if caption:
        import textwrap

        write("".join(line.rstrip() + "\n" for line in textwrap.wrap(
            clean(caption), max(total, 20), break_on_hyphens=False)))


def _wrap_cell(text: str, width: int) -> list[str]:
    if len(text) <= width and "\n" not in text:
        return [text]
    import textwrap

    lines: list[str] = []
    for part in text.split("\n"):
        lines += textwrap.wrap(part, width, break_on_hyphens=False) or [""]
    return lines


def table_on_terminal(rows: Iterator[dict], view: View) -> None:
    """On a terminal: a table that fits one chunk in colour, as always; a longer one through
    $PAGER (`less -FRX` when unset, as git does; an empty $PAGER or `cat` streams it)."""
    first = list(islice(rows, STREAM_CHUNK))
    if len(first) < STREAM_CHUNK:
        to_table_text(first, view, terminal=sys.stdout)
        return
    import shlex
    import subprocess

    width = terminal_width(True)
    pager = os.environ.get("PAGER", "less -FRX").strip()
    everything = chain(first, rows)
    if not pager or pager == "cat":
        stream_table(everything, view, stdout_write, width)
        return
    try:
        proc = subprocess.Popen(shlex.split(pager), stdin=subprocess.PIPE,
                                env={**os.environ, "LESSCHARSET": "utf-8"})
    except (OSError, ValueError):
        stream_table(everything, view, stdout_write, width)
        return
    assert proc.stdin is not None
    pipe = io.TextIOWrapper(proc.stdin, encoding="utf-8")
    try:
        stream_table(everything, view, pipe.write, width)
        pipe.close()
    except BrokenPipeError:
        pass  # the reader quit the pager before the end: nothing more to show
    finally:
        try:
            pipe.close()
        except BrokenPipeError:
            pass
        proc.wait()

