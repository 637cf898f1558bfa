"""Markdown and HTML of a plain list stream (issue 14): the same documents as the whole-text
path, written a chunk of rows at a time, in bounded memory, and still a page a browser lays
out (cards on a narrow screen).

The fixed texts below are what the whole-document code wrote before lists streamed (for the
same rows, view and context): the streamed documents must not differ from them by a byte."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import SEED_DUTIES, crotool_exe
from test_documents import CHROMIUM, dumped_dom, parse

from crotool import __version__
from crotool.output import document
from crotool.output.render import render
from crotool.output.view import STREAM_CHUNK, Context, View

ROWS = [
    {"id": 1, "at": "2023-09-06T07:30:00", "officer": "0417", "school": "juanita-hs",
     "category": "traffic-safety", "minutes": 45, "requested_by": None,
     "reference": "R-1", "out_of_pattern": False, "open_followups": []},
    {"id": 2, "at": "2023-09-07T10:15:00", "officer": "1182", "school": "kirkland-ms",
     "category": "threat-assessment", "minutes": 12345,
     "requested_by": "<script>alert(1)</script> | *bold* [x](https://e.example)",
     "reference": "1. www.e.example", "out_of_pattern": True,
     "open_followups": ["cps-report", "appeal-window"]},
    {"id": 10234, "at": "2023-09-08T23:59:00", "officer": "2291", "school": "unknown-es",
     "category": "cps-investigation", "minutes": None, "requested_by": "line\none",
     "reference": "# \x1b[31mred", "out_of_pattern": False, "open_followups": ["cps-report"]},
]
COLUMNS = ["id", "at", "officer", "school", "category", "minutes", "requested_by",
           "reference", "out_of_pattern", "open_followups"]
CONTEXT = Context(
    district="Lake Washington School District", period="as of 2024-01-15: school year 2023-24",
    made_on=date(2024, 1, 15),
    names={"officers": {"0417": "Officer <One>", "1182": "Officer & Two"},
           "schools": {"juanita-hs": "Juanita High School", "kirkland-ms": "Kirkland MS"},
           "duty_categories": {"traffic-safety": "Traffic safety"}})


def view(summary: str | None = "3 duties, 12390 minutes", caption: str | None = None) -> View:
    """A view like duty list's: names beside ids, tones and their legend, numbers right."""
    return View(
        title="Duties, 2023-09-05 to 2024-06-21", columns=COLUMNS,
        justify={"id": "right", "minutes": "right"},
        headers={"out_of_pattern": "out of pattern", "open_followups": "open follow-ups"},
        tone=lambda r: "partial" if r.get("out_of_pattern") else (
            "bad" if r.get("open_followups") else None),
        tone_words={"partial": "out of pattern", "bad": "follow-up open"},
        summary=summary, period="2023-09-05 to 2024-06-21", caption=caption,
        empty="no duties in this range")


MARKDOWN = (
    '# Duties, 2023-09-05 to 2024-06-21\n'
    '\n'
    'Lake Washington School District\n'
    '\n'
    '2023-09-05 to 2024-06-21\n'
    '\n'
    '3 duties, 12390 minutes\n'
    '\n'
    '| id | at | officer | school | category | minutes | requested by | refer'
    'ence | out of pattern | open follow-ups |\n'
    '| ---: | --- | --- | --- | --- | ---: | --- | --- | --- | --- |\n'
    '| 1 | 2023-09-06 07:30:00 | 0417 | juanita-hs | traffic-safety | 45 |  |'
    ' R-1 | no |  |\n'
    '| 2 | 2023-09-07 10:15:00 | 1182 | kirkland-ms | threat-assessment | 12,'
    '345 | &lt;script&gt;alert\\(1\\)&lt;/script&gt; \\| \\*bold\\* \\[x\\]\\(https\\:'
    '//e.example\\) | 1\\. www\\.e.example | yes | cps-report, appeal-window |\n'
    '| 10234 | 2023-09-08 23:59:00 | 2291 | unknown-es | cps-investigation | '
    ' | line one | \\# \\[31mred | no | cps-report |\n'
    '\n'
    'Made on 2024-01-15 by crotool 0.1.0.\n'
)
MARKDOWN_COUNTED = MARKDOWN.replace("3 duties, 12390 minutes\n", "3 records\n")
HTML_MAIN = (
    '<main>\n'
    '<p class="summary"><strong>Summary:</strong> 3 duties, 12390 minutes</p>\n'
    '<section>\n'
    '<h2>Details</h2><p class="legend"><span class="item"><span class="mark" '
    'aria-hidden="true">◐</span>out of pattern</span> <span class="item"><spa'
    'n class="mark" aria-hidden="true">✕</span>follow-up open</span> </p><div'
    ' class="wide">\n'
    '<table>\n'
    '<thead><tr><th scope="col" class="num">id</th><th scope="col">at</th><th'
    ' scope="col">officer</th><th scope="col">school</th><th scope="col">cate'
    'gory</th><th scope="col" class="num">minutes</th><th scope="col">request'
    'ed by</th><th scope="col">reference</th><th scope="col">out of pattern</'
    'th><th scope="col">open follow-ups</th></tr></thead>\n'
    '<tbody>\n'
    '<tr><td data-label="id" class="num">1</td><td data-label="at" class="nw"'
    '>2023-09-06 07:30:00</td><td data-label="officer"><span class="item"><sp'
    'an class="id">0417</span> <span class="nm">Officer &lt;One&gt;</span></s'
    'pan> </td><td data-label="school"><span class="item"><span class="id">ju'
    'anita-hs</span> <span class="nm">Juanita High School</span></span> </td>'
    '<td data-label="category"><span class="item"><span class="id">traffic-sa'
    'fety</span> <span class="nm">Traffic safety</span></span> </td><td data-'
    'label="minutes" class="num">45</td><td data-label="requested by" class="'
    'nw"></td><td data-label="reference" class="nw">R-1</td><td data-label="o'
    'ut of pattern" class="nw">no</td><td data-label="open follow-ups" class='
    '"nw"></td></tr>\n'
    '<tr class="tone-partial"><td data-label="id" class="num"><span class="ma'
    'rk" aria-hidden="true">◐</span>2</td><td data-label="at" class="nw">2023'
    '-09-07 10:15:00</td><td data-label="officer"><span class="item"><span cl'
    'ass="id">1182</span> <span class="nm">Officer &amp; Two</span></span> </'
    'td><td data-label="school"><span class="item"><span class="id">kirkland-'
    'ms</span> <span class="nm">Kirkland MS</span></span> </td><td data-label'
    '="category"><span class="item"><span class="id">threat-assessment</span>'
    '</span> </td><td data-label="minutes" class="num">12,345</td><td data-la'
    'bel="requested by">&lt;script&gt;alert(1)&lt;/script&gt; | *bold* [x](ht'
    'tps://e.example)</td><td data-label="reference">1. www.e.example</td><td'
    ' data-label="out of pattern" class="nw">yes</td><td data-label="open fol'
    'low-ups">cps-report, appeal-window</td></tr>\n'
    '<tr class="tone-bad"><td data-label="id" class="num"><span class="mark" '
    'aria-hidden="true">✕</span>10234</td><td data-label="at" class="nw">2023'
    '-09-08 23:59:00</td><td data-label="officer"><span class="item"><span cl'
    'ass="id">2291</span></span> </td><td data-label="school"><span class="it'
    'em"><span class="id">unknown-es</span></span> </td><td data-label="categ'
    'ory"><span class="item"><span class="id">cps-investigation</span></span>'
    ' </td><td data-label="minutes" class="num"></td><td data-label="requeste'
    'd by" class="nw">line\n'
    'one</td><td data-label="reference"># [31mred</td><td data-label="out of '
    'pattern" class="nw">no</td><td data-label="open follow-ups" class="nw">c'
    'ps-report</td></tr>\n'
    '</tbody>\n'
    '</table>\n'
    '</div>\n'
    '</section>\n'
    '</main>\n'
    '<footer>Made on 2024-01-15 by crotool 0.1.0.</footer>\n'
    '</body>\n'
    '</html>'
)
HTML_MAIN_EMPTY = (
    '<main>\n'
    '<p class="summary"><strong>Summary:</strong> no duties in this range</p>'
    '\n'
    '<section>\n'
    '<h2>Details</h2><p class="empty">no duties in this range</p></section>\n'
    '</main>\n'
    '<footer>Made on 2024-01-15 by crotool 0.1.0.</footer>\n'
    '</body>\n'
    '</html>'
)


def fixed(text: str) -> str:
    return text.replace("crotool 0.1.0.", f"crotool {__version__}.")


def streamed(rows: list[dict], fmt: str, v: View, tmp_path: Path) -> str:
    """`render` of the rows as a generator (as a cursor gives them), to a file."""
    out = tmp_path / f"list.{fmt}"
    render((dict(r) for r in rows), fmt, view=v, output=str(out), context=CONTEXT)
    return out.read_bytes().decode("utf-8")


def many(n: int) -> list[dict]:
    """n rows made of the sample rows, each with its own id and time."""
    first = datetime(2023, 9, 6, 7, 0)
    return [{**ROWS[i % len(ROWS)], "id": i + 1,
             "at": (first + timedelta(minutes=i)).isoformat()} for i in range(n)]


# ---------------------------------------------------------------- the same documents


def test_streamed_markdown_is_the_text_the_whole_document_had(tmp_path: Path) -> None:
    assert streamed(ROWS, "markdown", view(), tmp_path) == fixed(MARKDOWN)
    assert document.markdown(ROWS, view(), CONTEXT) == fixed(MARKDOWN)
    # No summary in the view, rows within one chunk: the count is known before the table.
    counted = view(None, "A caption.")
    assert streamed(ROWS, "markdown", counted, tmp_path) == fixed(MARKDOWN_COUNTED)


def test_streamed_html_is_the_page_the_whole_document_had(tmp_path: Path) -> None:
    page = streamed(ROWS, "html", view(), tmp_path)
    assert page[page.index("<main>"):] == fixed(HTML_MAIN)
    assert page == document.html(ROWS, view(), CONTEXT)  # the head and styles too
    counted = view(None, "A caption.")
    assert streamed(ROWS, "html", counted, tmp_path) == document.html(ROWS, counted, CONTEXT)
    parse(page)  # tags balance


def test_an_empty_list_streams_the_same_documents(tmp_path: Path) -> None:
    empty = view(None)
    page = streamed([], "html", empty, tmp_path)
    assert page[page.index("<main>"):] == fixed(HTML_MAIN_EMPTY)
    assert page == document.html([], empty, CONTEXT)
    assert (streamed([], "markdown", empty, tmp_path)
            == document.markdown([], empty, CONTEXT))


@pytest.mark.slow
@pytest.mark.parametrize("n", [STREAM_CHUNK - 1, STREAM_CHUNK, STREAM_CHUNK + 1,
                               3 * STREAM_CHUNK + 7])
def test_chunk_boundaries_change_nothing(tmp_path: Path, n: int) -> None:
    rows = many(n)
    v = view(f"{n} duties")
    assert streamed(rows, "markdown", v, tmp_path) == document.markdown(rows, v, CONTEXT)
    assert streamed(rows, "html", v, tmp_path) == document.html(rows, v, CONTEXT)


def test_a_long_list_without_a_summary_says_its_count_after_the_table(tmp_path: Path
                                                                      ) -> None:
    """Past one chunk, a count is not known before the rows: the summary line moves after
    the table (duty list never gets here: its summary comes from its count query)."""
    n = STREAM_CHUNK + 1
    rows, v = many(n), view(None)
    line = f"{n} records"
    whole = document.markdown(rows, v, CONTEXT)
    text = streamed(rows, "markdown", v, tmp_path)
    assert text.index(line) > text.index(f"| {n} |")  # after the last row
    assert text == whole.replace(f"{line}\n\n", "", 1).replace(
        "\nMade on", f"\n{line}\n\nMade on", 1)

    summary = f'<p class="summary"><strong>Summary:</strong> {line}</p>\n'
    page = streamed(rows, "html", v, tmp_path)
    assert page.count(summary) == 1
    assert page.index("</section>") < page.index(summary) < page.index("</main>")
    assert page.replace(summary, "") == document.html(rows, v, CONTEXT).replace(summary, "")
    parse(page)


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_rows_are_written_as_they_are_read(fmt: str) -> None:
    """At every write, at most two chunks have been read past what is written."""
    n = 6 * STREAM_CHUNK
    pulled = 0

    def rows():
        nonlocal pulled
        for row in many(n):
            pulled += 1
            yield row

    writes: list[tuple[int, int]] = []  # (rows read so far, rows written so far)
    written = 0

    def write(text: str) -> None:
        nonlocal written
        written += (text.count("<tr") if fmt == "html" else text.count("\n| ")
                    + text.startswith("| "))
        writes.append((pulled, written))

    stream = document.stream_html if fmt == "html" else document.stream_markdown
    stream(rows(), view(f"{n} duties"), CONTEXT, write)
    header = 1 if fmt == "html" else 2  # the <thead>'s row; Markdown's header and rule
    assert written - header == n
    assert len(writes) >= n // STREAM_CHUNK
    assert all(read - max(done - header, 0) <= 2 * STREAM_CHUNK for read, done in writes)


# ---------------------------------------------------------------- bounded memory, for real

BIG = 100_000
# The whole-document code peaked at 135 MB (Markdown) and 883 MB (HTML) for 100,000 duties
# (measured); streamed, both stay near JSON's ~30 MB.
PEAK_MB = 80


@pytest.fixture
def big_log(seeded: Path) -> Path:
    """The seed with 100,000 more duties of 2023-24, written straight into the file."""
    from crotool.store import db

    conn = db.connect(seeded)
    badges = [r[0] for r in conn.execute("SELECT badge FROM officers ORDER BY badge")]
    schools = [r[0] for r in conn.execute("SELECT id FROM schools ORDER BY id")]
    cats = [r[0] for r in conn.execute("SELECT id FROM duty_categories ORDER BY id")]
    first = datetime(2023, 9, 6, 0, 0)
    with db.transaction(conn):
        conn.executemany(
            "INSERT INTO duties (officer, school, category, at, minutes, requested_by,"
            " reference) VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((badges[i % len(badges)], schools[i % len(schools)], cats[i % len(cats)],
              (first + timedelta(minutes=2 * i)).isoformat(), 5 + i % 200, "Principal",
              f"R-{i}") for i in range(BIG)))
    conn.close()
    return seeded


# Linux keeps a child's peak RSS from the process it was forked from (exec records the copied
# memory's peak): a child of this pytest process would report pytest's size. A small launcher
# forks crotool instead and reports wait4's figure for it alone.
LAUNCH = ("import os, subprocess, sys\n"
          "proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
          "_, status, usage = os.wait4(proc.pid, 0)\n"
          "print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)\n")


def peak_of(args: list[str]) -> tuple[int, float]:
    """(exit code, peak resident MB) of one real crotool process."""
    result = subprocess.run([sys.executable, "-c", LAUNCH, *crotool_exe(), *args],
                            capture_output=True, text=True, timeout=600)
    code, kib = result.stdout.split()
    return int(code), int(kib) / 1024


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_a_long_duty_list_document_streams_in_bounded_memory(big_log: Path, tmp_path: Path,
                                                            fmt: str) -> None:
    out = tmp_path / f"duties.{fmt}"
    code, peak = peak_of(["--db", str(big_log), "duty", "list", "--year", "2023-24", "-f", fmt,
                          "-o", str(out)])
    assert code == 0
    text = out.read_text(encoding="utf-8")
    total = BIG + SEED_DUTIES
    if fmt == "html":
        assert text.count("<tr") == total + 1  # and the header's
        assert text.rstrip().endswith("</html>")
        assert f"{total:,} duties" in text or f"{total} duties" in text
    else:
        assert sum(line.startswith("| ") for line in text.splitlines()) == total + 2
    assert peak < PEAK_MB, f"duty list -f {fmt} of {total:,} duties peaked at {peak:.0f} MB"


# ---------------------------------------------------------------- a real browser


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it "
                    "where apt-get is available)")
def test_a_streamed_list_is_a_page_chromium_lays_out_as_before(cli, seeded: Path,
                                                               tmp_path: Path) -> None:
    """duty list past several chunks, -o page.html: no horizontal overflow at 800 or 1400
    px, its rows stacked into cards on the narrow screen and a table on the wide one."""
    from crotool.store import db

    conn = db.connect(seeded)
    with db.transaction(conn):
        conn.executemany(
            "INSERT INTO duties (officer, school, category, at, minutes, reference) VALUES"
            " ('0417', 'juanita-hs', 'traffic-safety', ?, 30, ?)",
            [(f"2023-10-{1 + i // 200:02d}T{(i % 200) // 60:02d}:{i % 60:02d}:00",
              f"R-{i} <b>x</b>") for i in range(2 * STREAM_CHUNK + 50)])
    conn.close()
    page = tmp_path / "page.html"
    result = cli("duty", "list", "-o", page)
    assert result.exit_code == 0, result.stderr
    text = page.read_text(encoding="utf-8")
    assert "<b>x</b>" not in text and "&lt;b&gt;x&lt;/b&gt;" in text  # autoescaped
    assert "@media print" in text and "max-width: 60rem" in text
    parse(text)
    probe = ("<script>window.addEventListener('load',function(){var d=document."
             "documentElement,td=document.querySelector('tbody td'),p=document."
             "createElement('p');p.id='probe';p.textContent='W='+d.scrollWidth+' C='+d."
             "clientWidth+' R='+document.querySelectorAll('tbody tr').length+' D='+"
             "getComputedStyle(td).display;document.body.appendChild(p);});</script>")
    page.write_text(text.replace("</body>", probe + "</body>"), encoding="utf-8")
    rows = SEED_DUTIES + 2 * STREAM_CHUNK + 50
    for width, display in ((800, "block"), (1400, "table-cell")):
        proc = dumped_dom(page, width, tmp_path / "profile", budget_ms=5000, timeout=180)
        found = re.search(r"W=(\d+) C=(\d+) R=(\d+) D=([\w-]+)", proc.stdout)
        assert found, proc.stderr[-2000:]
        scroll, client, shown_rows = map(int, found.groups()[:3])
        assert scroll <= client, f"at {width}px: scrollWidth {scroll} > {client}"
        assert shown_rows == rows
        assert found.group(4) == display, f"at {width}px a cell is {found.group(4)}"
