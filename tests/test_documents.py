"""Reports for people: every report's HTML parsed back, the charts, Markdown that
stays text, `-o` by extension and its modes, and terminal tables at 80 columns."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import dump, run_installed

DISTRICT = "Lake Washington School District"
YEAR_DATES = ("2023-09-05", "2024-06-21")
BOX = re.compile(r"[\u2500-\u257f]")
HOSTILE = "<script>alert(1)</script> Evil"


class Page(HTMLParser):
    """Tags, attributes and text of a page, and whether its tags balance."""

    VOID = {"meta", "br", "hr", "img", "link", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.stack: list[str] = []
        self.titles: list[str] = []
        self.text: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(tag, k, v) for k, v in attrs]
        if tag == "title" and "svg" not in self.stack:  # a chart's shapes have titles too
            self._in_title = True
            self.titles.append("")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(tag, k, v) for k, v in attrs]

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.titles[-1] += data
        self.text.append(data)


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    assert page.stack == []
    return page


REPORTS = {
    "report coverage": (["report", "coverage"], True),
    "gaps": (["gaps"], True),
    "report duties": (["report", "duties"], True),
    "report duties by officer": (["report", "duties", "--by", "officer"], True),
    "report connectors": (["report", "connectors"], True),
    "officers list": (["officers", "list"], False),
    "duty list": (["duty", "list"], False),
    "assignments list": (["assignments", "list"], False),
    "audit": (["audit", "--limit", "20"], False),
    "schools list": (["schools", "list"], False),
    "training due": (["training", "due", "--as-of", "2024-03-15"], True),
    "training list": (["training", "list"], False),
    "agreements check": (["agreements", "check", "--year", "2023-24"], False),
    "agreements list": (["agreements", "list"], False),
    "report presence": (["report", "presence", "--year", "2023-24", "--as-of", "2024-03-15"],
                        True),
    "report duties by role": (["report", "duties", "--by", "role"], True),
    "report annual": (["report", "annual", "--year", "2023-24"], True),
    "report annual suppressed": (["report", "annual", "--year", "2023-24",
                                  "--suppress-under", "10"], False),
    "followups list": (["followups", "list", "--as-of", "2024-01-20T08:00"], False),
    "years list": (["years", "list"], False),
    "incidents list": (["incidents", "list", "--year", "2023-24"], False),
    "complaints list": (["complaints", "list", "--year", "2023-24"], False),
}


@pytest.fixture
def hostile(cli, seeded):
    """The seed, with markup in an officer's name (who is in gaps, the lists and the audit)."""
    result = cli("officers", "update", "2307", "--name", HOSTILE)
    assert result.exit_code == 0, result.stderr
    return seeded


@pytest.mark.parametrize("name", list(REPORTS))
def test_every_report_is_a_document(cli, hostile, tmp_path, name):
    args, has_chart = REPORTS[name]
    target = tmp_path / "report.html"
    result = cli(*args, "-o", target)  # no --format: the extension says html
    assert result.exit_code == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    page = parse(text)
    assert len(page.titles) == 1 and page.titles[0].strip()
    shown = "".join(page.text)
    assert DISTRICT in shown
    assert all(d in shown for d in YEAR_DATES), "the school year's dates"
    assert "Made on 2024-01-15 by crotool" in shown  # CROTOOL_TODAY, not the machine's day
    assert "table" in page.tags and "th" in page.tags
    assert ("svg" in page.tags) == has_chart
    assert "pre" not in page.tags
    assert not BOX.search(text), "no terminal box drawing"
    # Self-contained: no script, no stylesheet or image fetched from anywhere.
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    for tag, attr, value in page.attrs:
        if attr in ("src", "href"):
            assert not (value or "").lower().startswith(("http", "//")), (tag, value)
    assert "<script>alert" not in text
    if name in ("gaps", "officers list", "assignments list", "audit", "training due",
                "training list"):
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Evil" in text or (
            "&lt;script&gt;alert(1)&lt;/script&gt;" in text)


def test_summary_that_went_to_stderr_is_in_the_document(cli, seeded, tmp_path):
    target = tmp_path / "gaps.html"
    result = cli("gaps", "-o", target)
    summary = result.stderr.strip().splitlines()[-1]
    assert summary.startswith("2023-24: 5 gaps")
    assert summary in "".join(parse(target.read_text()).text)


def test_names_beside_ids(cli, seeded):
    text = cli("report", "coverage", "-f", "html").stdout
    assert "King County Sheriff" in text and "Eastlake Learning Community" in text
    assert "Morgan Placeholder-Reyes" in text
    # JSON keeps its documented keys: no names added there.
    rows = json.loads(cli("report", "coverage", "-f", "json").stdout)
    assert set(rows[0]) == {"school_year", "feeder_pattern", "agency", "officers", "days",
                            "covered_days", "gap_days", "school_days", "covered_school_days",
                            "gap_school_days"}


def test_print_stylesheet_and_narrow_layout(cli, seeded):
    text = cli("gaps", "-f", "html").stdout
    assert "@media print" in text and "@page" in text
    assert "max-width: 60rem" in text  # tables stack into cards on a narrow screen


# ---------------------------------------------------------------- charts


def test_svg_is_the_timeline_alone(cli, seeded):
    result = cli("report", "coverage", "-f", "svg")
    assert result.exit_code == 0, result.stderr
    root = ET.fromstring(result.stdout.split("\n", 1)[1])
    svg = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{svg}svg"
    words = "".join(root.itertext())
    assert "Coverage timeline, 2023-24" in words
    assert "eastlake · sammamish-pd · 263 of 291 days covered" in words
    for month in ("Sep 2023", "Oct", "Jan 2024", "Jun"):
        assert month in words
    # Each gap kind has a word in the legend and a fill pattern, not only a colour.
    assert "unassigned (no CRO)" in words and "officer on leave" in words
    assert root.find(f".//{svg}pattern[@id='p-unassigned']") is not None
    # 3112 takes eastlake over from 3045 on 2024-01-29: the hand-over is marked.
    assert "hand-over to 3112 Riley Sampleby on 2024-01-29" in words
    assert "Traffic" not in words and "<pre" not in result.stdout


def test_svg_of_a_list_is_its_rows_as_text_not_a_terminal_picture(cli, hostile):
    result = cli("officers", "list", "-f", "svg")
    assert result.exit_code == 0, result.stderr
    root = ET.fromstring(result.stdout.split("\n", 1)[1])
    words = "".join(root.itertext())
    assert "Officers" in words and "0417" in words and HOSTILE in words
    assert not BOX.search(result.stdout) and "<script>" not in result.stdout


def test_timeline_shades_closures_when_given():
    from crotool.output import charts

    bar = charts.Bar("p · a", [(date(2023, 9, 5), date(2023, 12, 31), "covered"),
                               (date(2024, 1, 1), date(2024, 1, 31), "unassigned")])
    plain = charts.timeline(date(2023, 9, 5), date(2024, 1, 31), [bar], title="T")
    shaded = charts.timeline(date(2023, 9, 5), date(2024, 1, 31), [bar], title="T",
                             closures=[(date(2023, 12, 18), date(2024, 1, 1))])
    assert "closed:" not in plain
    assert "closed: 2023-12-18 to 2024-01-01" in shaded and "school closed" in shaded
    ET.fromstring(shaded)


def test_chart_values_are_escaped():
    from crotool.output import charts

    svg = charts.bars([("<b>x</b> & y", 3, "3 <i>")], title="<script>")
    root = ET.fromstring(svg)
    assert "<b>x</b> & y" in "".join(root.itertext())
    assert "<script>" not in svg and "<b>" not in svg


def svg_words(cli, *args: str) -> str:
    result = cli(*args, "-f", "svg")
    assert result.exit_code == 0, result.stderr
    return "".join(ET.fromstring(result.stdout.split("\n", 1)[1]).itertext())


def test_presence_chart_by_pattern_with_the_stale_limit_and_words(cli, seeded):
    words = svg_words(cli, "report", "presence", "--year", "2023-24", "--as-of", "2024-03-15")
    assert "Days since the last duty, by feeder pattern, as of 2024-03-15" in words
    assert "stale after 30 days" in words
    assert "eastlake · Eastlake Learning Community" in words  # a heading per pattern
    assert "eastlake-hs · Eastlake High School" in words and "156 days · stale" in words
    assert "tesla-stem-hs · Tesla STEM High School" in words and "24 days" in words
    assert "never visited in 2023-24" in words  # not a colour alone
    html = cli("report", "presence", "--year", "2023-24", "--as-of", "2024-03-15",
               "-f", "html").stdout
    assert "no duty in the year yet" in html and 'class="tone-bad"' in html
    assert "Eastlake Learning Community" in html  # the name beside the pattern id


def test_training_due_chart_is_done_of_required_with_the_status_in_words(cli, seeded):
    words = svg_words(cli, "training", "due", "--as-of", "2024-03-15")
    assert "2350 Avery Samplewood · overdue" in words
    assert "9 of 13" in words and "1 of 2" in words and "classroom topics" in words
    html = cli("training", "due", "--as-of", "2024-03-15", "-f", "html").stdout
    assert "overdue: a deadline passed" in html and 'class="tone-bad"' in html
    assert "Kirkland Police Department" in html
    assert "school year 2023-24 (2023-09-05 to 2024-06-21), as of 2024-03-15" in html


def test_training_chart_colours_each_part_by_its_own_state(cli, seeded):
    from crotool.output.charts import TONE_FILL

    svg = cli("training", "due", "--as-of", "2024-03-15", "-f", "svg").stdout
    fills = dict((title.split(" (")[0], fill) for fill, title in re.findall(
        r'<rect[^>]*fill="([^"]+)"><title>([^<]*)</title>', svg))
    # Overdue as a whole: the classroom part is past its deadline, the other part is not.
    assert fills["2350 Avery Samplewood, classroom topics: 9 of 13"] == TONE_FILL["bad"]
    assert fills["2350 Avery Samplewood, on-the-job days: 1 of 2"] == TONE_FILL[None]
    # In progress as a whole: the part that is done is green.
    assert fills["1260 Jamie Testwood, classroom topics: 13 of 13"] == TONE_FILL["ok"]
    assert fills["1260 Jamie Testwood, on-the-job days: 1 of 2"] == TONE_FILL[None]


def test_duties_by_role_chart_has_the_no_role_row(cli, seeded, tmp_path):
    extra = tmp_path / "category.yaml"
    extra.write_text("duty_categories:\n  - {id: errand, name: Errand, description: Other, "
                     "requires_request: false}\n"
                     "duties:\n  - {officer: '0417', school: juanita-hs, category: errand, "
                     "at: '2023-10-02T09:00', minutes: 15}\n")
    assert cli("load", extra).exit_code == 0
    words = svg_words(cli, "report", "duties", "--by", "role")
    assert "crime-prevention · " in words
    assert "(no role)" in words and "None" not in words
    assert "1 duty, 15 min" in words and "1 duties" not in words


def test_agreements_check_names_and_tone(cli, seeded):
    html = cli("agreements", "check", "--year", "2023-24", "-f", "html").stdout
    assert 'class="tone-partial"' in html and "not adopted, or incomplete" in html
    assert "3 agencies with officers assigned, 2 in order, 1 with a problem" in html
    page = "".join(parse(html).text)
    assert "students Students" in page  # the stakeholder group's name beside its id


def test_rollover_document_carries_the_gaps_summary(cli, seeded, tmp_path):
    assert cli("years", "add", "2024-25", "--start", "2024-09-04",
               "--end", "2025-06-20").exit_code == 0
    target = tmp_path / "rollover.html"
    result = cli("years", "rollover", "2023-24", "2024-25", "-o", target)
    assert result.exit_code == 0, result.stderr
    shown = "".join(parse(target.read_text()).text)
    assert "copied 6" in shown and "2024-25: 2 gaps" in shown
    assert "2024-09-04" in shown and "<svg" not in target.read_text()
    gaps = cli("gaps", "--year", "2024-25", "-f", "html").stdout
    assert "2024-25: 2 gaps" in gaps and "<svg" in gaps


# ---------------------------------------------------------------- Markdown


def test_markdown_keeps_data_as_text(cli, seeded):
    pixel = "![px](https://evil.example/pixel.png) [click](http://x) <img src=x> www.evil.example"
    assert cli("officers", "update", "0417", "--name", pixel).exit_code == 0
    text = cli("officers", "list", "-f", "markdown").stdout
    assert text.startswith("# Officers\n")
    row = next(ln for ln in text.splitlines() if "0417" in ln)
    for live in ("![", "](", "<img", "https://", "http://", "www.e"):
        assert live not in row, live
    assert "\\!\\[px\\]\\(https\\://evil" in row
    # Rendered by a CommonMark reader, the escapes give back the exact text.
    unescaped = re.sub(r"\\(.)", r"\1", row).replace("&lt;", "<").replace("&gt;", ">")
    assert pixel in unescaped.replace("&amp;", "&")


def test_markdown_has_title_summary_and_table(cli, seeded):
    text = cli("gaps", "-f", "markdown").stdout
    lines = text.splitlines()
    assert lines[0] == "# Gaps and conflicts, 2023-24"
    assert any(ln.startswith("2023-24: 5 gaps") for ln in lines)
    # Headers as the HTML and the terminal write them; a yes/no cell is the word.
    assert any(ln.startswith("| school year | feeder pattern |") for ln in lines)
    assert "\\_" not in lines[lines.index(next(ln for ln in lines if ln.startswith("| ")))]


# ---------------------------------------------------------------- -o


def test_output_extension_picks_the_format_and_explicit_format_wins(cli, seeded, tmp_path):
    assert cli("gaps", "-q", "-o", tmp_path / "g.json").exit_code == 0
    assert isinstance(json.loads((tmp_path / "g.json").read_text()), list)
    cli("gaps", "-q", "-o", tmp_path / "g.md")
    assert (tmp_path / "g.md").read_text().startswith("# Gaps")
    cli("gaps", "-q", "-o", tmp_path / "g.csv")
    assert (tmp_path / "g.csv").read_text().startswith("school_year,")
    cli("gaps", "-q", "-o", tmp_path / "g.txt")
    txt = (tmp_path / "g.txt").read_text()
    assert "Gaps and conflicts" in txt and "\x1b" not in txt
    cli("gaps", "-q", "-f", "json", "-o", tmp_path / "g.html")
    assert json.loads((tmp_path / "g.html").read_text())


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_files_follow_the_umask_but_notes_stay_private(cli, seeded, tmp_path, umask_022):
    cli("duty", "list", "-o", tmp_path / "d.csv")
    cli("duty", "list", "--include-notes", "-o", tmp_path / "n.csv")
    assert (tmp_path / "d.csv").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "n.csv").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
def test_output_onto_the_database_is_refused(cli, seeded, suffix, tmp_path):
    target = Path(f"{seeded}{suffix}")
    if suffix:
        target.write_bytes(b"")  # exists or not, the name is the database's
    before = dump(seeded)
    size = seeded.stat().st_size
    result = cli("gaps", "-f", "json", "-o", target)
    assert result.exit_code == 1
    assert "that is the database" in result.stderr and "Traceback" not in result.stderr
    assert seeded.stat().st_size == size and dump(seeded) == before


def test_output_onto_the_database_through_another_name_is_refused(cli, seeded, tmp_path):
    link = tmp_path / "other.json"
    link.symlink_to(seeded)
    relative = os.path.relpath(seeded)
    for target in (link, relative):
        result = cli("gaps", "-f", "json", "-o", target)
        assert result.exit_code == 1, target
    assert link.is_symlink()


def test_output_onto_dev_null_writes_in_place(cli, seeded):
    before = os.stat("/dev/null")
    assert cli("gaps", "-f", "json", "-o", "/dev/null").exit_code == 0
    after = os.stat("/dev/null")
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)


# ---------------------------------------------------------------- terminal tables


# A date in a path (a document's file name, free text) may fold with its path; a date cell never.
DATE_LIKE = re.compile(r"(?<![\w/-])\d{4}-\d[\d-]*")


NEW_REPORTS = [["training", "due", "--as-of", "2024-03-15"], ["training", "list"],
               ["agreements", "check", "--year", "2023-24"], ["agreements", "list"],
               ["report", "presence", "--year", "2023-24", "--as-of", "2024-03-15"],
               ["report", "duties", "--by", "role"], ["report", "annual", "--year", "2023-24"],
               ["report", "annual", "--year", "2023-24", "--suppress-under", "10"],
               ["followups", "list", "--as-of", "2024-01-20T08:00"], ["years", "list"],
               ["incidents", "list", "--year", "2023-24"],
               ["incidents", "list", "--year", "2023-24", "--include-notes"],
               ["complaints", "list", "--year", "2023-24"]]


@pytest.mark.slow
@pytest.mark.parametrize("args", [["gaps"], ["duty", "list"], ["officers", "list"],
                                  ["assignments", "list"], ["audit"], ["report", "coverage"],
                                  ["report", "duties"], ["report", "connectors"],
                                  *NEW_REPORTS], ids=" ".join)
def test_80_columns_piped(seeded, args):
    result = run_installed(*args, env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines
    for line in lines:
        assert len(line) <= 80, line
        assert not line.endswith(" "), repr(line)
        for found in DATE_LIKE.findall(line):
            # A date is whole; a date-time (the audit's `at`) starts with a whole date.
            assert re.fullmatch(r"\d{4}-\d{2}(-\d{2}(T[\d:]+Z?)?)?", found), (found, line)
    # Nothing is folded inside an id either: every badge in the roster shows whole.
    if args == ["officers", "list"]:
        assert all(b in result.stdout for b in ("0417", "1182", "2307", "3045", "3112"))


@pytest.mark.slow
def test_a_grouped_table_says_what_it_left_out_to_fit(seeded):
    wide = run_installed("gaps", env={"COLUMNS": "200"})
    narrow = run_installed("gaps", env={"COLUMNS": "80"})
    assert "officer" in wide.stdout.splitlines()[2] and "Left out" not in wide.stdout
    assert "officer" not in narrow.stdout.splitlines()[2]
    caption = " ".join(narrow.stdout.split())
    assert "Left out to fit: schools, officer (a wider terminal or -f csv shows them)." in (
        caption)
    assert narrow.stdout.count("Left out to fit") == 1  # once, under the last group


@pytest.mark.slow
@pytest.mark.parametrize(("args", "lines"), [
    (["report", "connectors"], ["every engagement; as of 2024-01-15",
                                "school year 2023-24 (2023-09-05 to 2024-06-21)"]),
    (["report", "duties"], ["2023-24, 2023-09-05 to 2024-06-21"]),
    (["report", "duties", "--from", "2024-01-01", "--to", "2024-01-31"],
     ["2024-01-01 to 2024-01-31",
      "as of 2024-01-15: school year 2023-24 (2023-09-05 to 2024-06-21)"]),
    (["officers", "list"], ["as of 2024-01-15: school year 2023-24 (2023-09-05 to 2024-06-21)"]),
    # As of another moment: that one, and the year without a second, different "as of".
    (["followups", "list", "--as-of", "2024-03-06T12:00"],
     ["as of 2024-03-06T12:00:00", "school year 2023-24 (2023-09-05 to 2024-06-21)"]),
], ids=" ".join)
def test_a_documents_period_lines_say_each_thing_once(seeded, args, lines):
    result = run_installed(*args, "-f", "html")
    assert result.returncode == 0, result.stderr
    assert re.findall(r'<p class="period">([^<]*)</p>', result.stdout) == lines


@pytest.mark.slow
@pytest.mark.parametrize("args", [["report", "presence"], ["followups", "list"]], ids=" ".join)
def test_a_document_says_its_summary_once(seeded, args):
    html = run_installed(*args, "-f", "html").stdout
    summary = re.search(r"<strong>Summary:</strong> ([^<]*)</p>", html)
    assert summary and html.count(summary.group(1).rstrip(".")) == 1


@pytest.mark.slow
def test_legend_only_with_colour(seeded):
    piped = run_installed("report", "coverage", env={"COLUMNS": "200"})
    assert "green: covered all year" not in piped.stdout
    assert "—: not required" in piped.stdout


def test_large_numbers_have_separators():
    from crotool.output.view import View, shown

    assert shown(9365061, "minutes") == "9,365,061"
    assert shown(1440, "minutes") == "1440"
    assert shown(12345, "id", View()) == "12345"  # ids are not quantities
    assert shown("9365061", "badge") == "9365061"


# ---------------------------------------------------------------- a real browser


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def dumped_dom(page: Path, width: int, profile: Path, *, budget_ms: int = 3000,
               timeout: float = 120) -> subprocess.CompletedProcess:
    """The DOM headless chromium holds after laying `page` out in a window `width` px wide
    (what a probe script wrote into it included)."""
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={profile}", f"--window-size={width},1000",
         f"--virtual-time-budget={budget_ms}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it "
                    "where apt-get is available)")
@pytest.mark.parametrize("args", [["report", "coverage"], ["gaps"], ["report", "duties"],
                                  ["report", "connectors"], ["officers", "list"], ["audit"],
                                  *NEW_REPORTS], ids=" ".join)
def test_no_horizontal_overflow_in_chromium(cli, hostile, tmp_path, args):
    page = tmp_path / "page.html"
    assert cli(*args, "-o", page).exit_code == 0
    # The probe writes the page's scroll width into the DOM that --dump-dom prints.
    probe = ("<script>window.addEventListener('load',function(){var p=document."
             "createElement('p');p.id='probe';p.textContent='W='+document.documentElement."
             "scrollWidth+' C='+document.documentElement.clientWidth;document.body."
             "appendChild(p);});</script>")
    text = page.read_text(encoding="utf-8").replace("</body>", probe + "</body>")
    page.write_text(text, encoding="utf-8")
    for width in (800, 1400):
        proc = dumped_dom(page, width, tmp_path / "profile")
        found = re.search(r"W=(\d+) C=(\d+)", proc.stdout)
        assert found, proc.stderr[-2000:]
        scroll, client = map(int, found.groups())
        assert scroll <= client, f"{args} at {width}px: scrollWidth {scroll} > {client}"


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it "
                    "where apt-get is available)")
def test_a_wide_table_keeps_its_words_whole_in_chromium(cli, seeded, tmp_path):
    """The duty list has ten columns: none is squeezed below its longest word (a header such
    as "requested by" broke a letter a line; a hyphen may still end a line), and a date-time
    stays on one line."""
    page = tmp_path / "duties.html"
    assert cli("duty", "list", "--year", "2023-24", "-o", page).exit_code == 0
    # The probe counts the lines each header word and each date-time cell takes.
    probe = ("<script>window.addEventListener('load',function(){function lines(el){var r="
             "document.createRange();r.selectNodeContents(el);var t={};Array.prototype."
             "forEach.call(r.getClientRects(),function(x){t[Math.round(x.top)]=1;});return "
             "Object.keys(t).length;}var h=0,d=0;document.querySelectorAll('th').forEach("
             "function(th){th.textContent.split(/[ -]/).forEach(function(w){var s=document."
             "createElement('span');s.textContent=w;th.textContent='';th.appendChild(s);h="
             "Math.max(h,lines(s));});});document.querySelectorAll('td[data-label=at]')."
             "forEach(function(td){d=Math.max(d,lines(td));});var p=document.createElement("
             "'p');p.id='probe';p.textContent='H='+h+' D='+d;document.body.appendChild(p);"
             "});</script>")
    text = page.read_text(encoding="utf-8").replace("</body>", probe + "</body>")
    page.write_text(text, encoding="utf-8")
    proc = dumped_dom(page, 1400, tmp_path / "profile")
    found = re.search(r"H=(\d+) D=(\d+)", proc.stdout)
    assert found, proc.stderr[-2000:]
    assert found.group(1) == "1", "a header word broke over lines"
    assert found.group(2) == "1", "a date-time broke over lines"


def test_documents_say_yes_and_no_where_programs_get_true_and_false(cli, seeded):
    args = ("report", "presence", "--as-of", "2024-03-15")
    markdown = cli(*args, "-f", "markdown").stdout
    html = cli(*args, "-f", "html").stdout
    csv_text = cli(*args, "-f", "csv").stdout
    rows = json.loads(cli(*args, "-f", "json").stdout)
    assert {r["stale"] for r in rows} == {True, False}
    assert "| yes |" in markdown and "| no |" in markdown and "true" not in markdown
    assert 'data-label="stale" class="nw">yes</td>' in html
    assert ",true" in csv_text and ",yes" not in csv_text
