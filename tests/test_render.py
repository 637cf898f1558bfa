"""Every output format, parsed back; hostile text shown as plain text; atomic private files.

The rows carry what real data can: Rich markup in a name, an escape sequence that reached the
database some other way (the readers refuse one), a formula-like cell, a negative number, a
list, a date, a multi-line note.
"""

from __future__ import annotations

import csv
import io
import json
import os
import xml.etree.ElementTree as ET
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from crotool.errors import CroError
from crotool.output import render
from crotool.output.encode import csv_safe
from crotool.output.files import write_atomic
from crotool.output.messages import message
from crotool.output.view import View

MARKUP = "[link=http://x]click[/link] [/] [bold red]boom"
ESC = "\x1b[31mred\x1b[0m"
ROWS = [
    {"id": "a-1", "name": MARKUP, "note": ESC, "n": -5, "formula": "=1+2",
     "feeds": ["x", "y"], "none": None, "flag": True, "day": date(2024, 1, 2),
     "text": "a|b\nline two"},
    {"id": "b-2", "name": "<b>&amp;</b>", "note": "plain", "n": 7, "formula": "-2+3",
     "feeds": [], "none": None, "flag": False, "day": date(2024, 1, 3), "text": "-5"},
]
COLS = list(ROWS[0])


def rendered(capsys, fmt: str, rows=ROWS, view: View | None = None, **kw) -> str:
    render.render(rows, fmt, view=view or View(title="Things"), **kw)
    out, err = capsys.readouterr()
    assert err == ""
    return out


# ---------------------------------------------------------------- JSON


def test_json_parses_back_losslessly(capsys):
    text = rendered(capsys, "json")
    data = json.loads(text)
    assert data[0]["day"] == "2024-01-02"
    assert data[0]["feeds"] == ["x", "y"] and data[0]["none"] is None
    assert data[0]["n"] == -5 and data[0]["flag"] is True
    assert data[0]["name"] == MARKUP
    # The escape survives as JSON's \u001b, never as a raw byte a terminal would run.
    assert data[0]["note"] == ESC
    assert "\x1b" not in text


def test_json_wrap_for_reports_that_carry_more(capsys):
    data = json.loads(rendered(capsys, "json", rows=[{"a": 1}], wrap={"school_year": "2023-24"}))
    assert data == {"rows": [{"a": 1}], "school_year": "2023-24"}


def test_json_of_no_rows_is_an_empty_array(capsys):
    assert json.loads(rendered(capsys, "json", rows=[])) == []


# ---------------------------------------------------------------- CSV


def test_csv_parses_back_with_formulas_neutralised(capsys):
    text = rendered(capsys, "csv")
    assert text.endswith("\r\n")  # RFC 4180 line ends
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == COLS
    first = dict(zip(COLS, rows[1], strict=True))
    second = dict(zip(COLS, rows[2], strict=True))
    assert first["formula"] == "'=1+2"
    assert second["formula"] == "'-2+3"
    assert first["n"] == "-5"  # a number stays a number
    assert second["text"] == "-5"  # so does text that is a plain number
    assert first["feeds"] == "x;y" and second["feeds"] == ""
    assert first["none"] == "" and first["flag"] == "true" and first["day"] == "2024-01-02"
    assert first["name"] == MARKUP
    assert first["text"] == "a|b\nline two"  # a multi-line cell round-trips
    assert first["note"] == "[31mred[0m"  # the escape character removed
    assert "\x1b" not in text


@pytest.mark.parametrize(("value", "expected"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+1+2", "'+1+2"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ("\nx", "'\nx"),
    ("-5", "-5"),
    ("-1.5", "-1.5"),
    (-5, "-5"),
    (-1.5, "-1.5"),
    ("a=b", "a=b"),
    ("", ""),
    (None, ""),
    (["=x", "y"], "'=x;y"),
    ("x\x00y\x07z\x9b", "xyz"),
])
def test_csv_cell(value, expected):
    assert csv_safe(value) == expected


# ---------------------------------------------------------------- Markdown


def unescaped_pipes(line: str) -> int:
    return line.replace("\\\\", "").replace("\\|", "").count("|")


def test_markdown_table_shape(capsys):
    text = rendered(capsys, "markdown", view=View(title="Things", summary="2 things"))
    lines = text.splitlines()
    assert lines[0] == "# Things"
    assert lines[2] == "2 things"
    table = [ln for ln in lines if ln.startswith("|")]
    assert len(table) == 2 + len(ROWS)  # header, separator, one line per row
    for line in table:
        assert unescaped_pipes(line) == len(COLS) + 1, line
    assert "a\\|b line two" in table[2]
    assert "\\[link=http\\://x\\]click\\[/link\\]" in table[2]  # text, not a link
    assert "\x1b" not in text


# ---------------------------------------------------------------- table, HTML, SVG


def test_table_is_plain_text_when_not_a_terminal(capsys):
    text = rendered(capsys, "table")
    assert "\x1b" not in text
    assert "Things" in text
    assert "[link=http://x]click[/link]" in text and "[/]" in text and "[bold red]boom" in text
    assert "[31mred[0m" in text  # shown as plain text, its escape character removed


def test_table_groups_and_empty(capsys):
    rows = [{"p": "east", "id": "a"}, {"p": "east", "id": "b"}, {"p": "west", "id": "c"}]
    text = rendered(capsys, "table", rows=rows, view=View(title="Schools", group_by="p"))
    assert "Schools: east" in text and "Schools: west" in text
    assert rendered(capsys, "table", rows=[], view=View(empty="no schools")).strip() == (
        "no schools")


class Balance(HTMLParser):
    VOID = {"meta", "br", "hr", "img", "link", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack)
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_a_complete_well_formed_document(capsys):
    text = rendered(capsys, "html")
    assert text.lstrip().lower().startswith("<!doctype html>")
    assert text.rstrip().endswith("</html>")
    parser = Balance()
    parser.feed(text)
    parser.close()
    assert parser.stack == []
    assert "a" not in parser.tags  # the [link=...] markup made no link
    shown = "".join(parser.text)
    assert "[link=http://x]click[/link]" in shown
    assert "<b>&amp;</b>" in shown  # data escaped, not read as tags
    assert "\x1b" not in text


def test_svg_is_the_chart_alone_and_parses_as_xml(capsys):
    from crotool.output import charts

    def chart(rows):
        return charts.bars([(r["name"], r["n"] if r["n"] > 0 else 1, "x") for r in rows],
                           title="Things")

    text = rendered(capsys, "svg", view=View(title="Things", chart=chart))
    root = ET.fromstring(text)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    shown = "".join(root.itertext()).replace("\xa0", " ")
    assert "[link=http://x]click[/link] [/]" in shown
    assert "<b>&amp;</b>" in shown
    assert not root.findall(".//{http://www.w3.org/2000/svg}a")
    assert "\x1b" not in text


def test_unknown_format_is_a_usage_error():
    with pytest.raises(CroError) as exc:
        render.render([], "xml")
    assert exc.value.code == 2
    assert "use one of table, json, csv, markdown, html, svg" in exc.value.message


# ---------------------------------------------------------------- --output files


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _chart(rows):
    from crotool.output import charts

    return charts.bars([("a", 1, "one")], title="Things")


@pytest.mark.parametrize("fmt", render.FORMATS)
@pytest.mark.parametrize(("private", "mode"), [(False, 0o644), (True, 0o600)])
def test_output_file_follows_the_umask_unless_private(tmp_path, capsys, umask_022, fmt,
                                                       private, mode):
    out = tmp_path / f"report.{fmt}"
    render.render(ROWS, fmt, view=View(title="Things", chart=_chart), output=str(out),
                  private=private)
    assert capsys.readouterr().out == ""
    assert out.stat().st_mode & 0o777 == mode
    text = out.read_text(encoding="utf-8")
    assert "\x1b" not in text
    if fmt == "json":
        assert len(json.loads(text)) == 2
    if fmt == "csv":
        assert len(list(csv.reader(io.StringIO(text, newline="")))) == 3
    assert os.listdir(tmp_path) == [out.name]  # no temporary file left behind


def test_output_replaces_an_existing_file_with_the_umask_mode(tmp_path, umask_022):
    out = tmp_path / "r.json"
    out.write_text("old content that is longer than the new one" * 10)
    os.chmod(out, 0o666)
    write_atomic(out, "[]\n")
    assert out.read_text() == "[]\n"
    assert out.stat().st_mode & 0o777 == 0o644
    write_atomic(out, "[1]\n", private=True)  # notes: private whatever was there
    assert out.stat().st_mode & 0o777 == 0o600


def test_output_under_a_strict_umask(tmp_path):
    old = os.umask(0o077)
    try:
        write_atomic(tmp_path / "r.html", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "r.html").stat().st_mode & 0o777 == 0o600


def test_output_onto_a_fifo_writes_in_place(tmp_path):
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_atomic(fifo, "[]\n")
    reader.join(10)
    assert got == [b"[]\n"]
    assert fifo.is_fifo()  # still the FIFO, not replaced by a regular file
    assert sorted(os.listdir(tmp_path)) == ["pipe"]


def test_output_onto_a_character_device_writes_in_place():
    before = os.stat("/dev/null")
    write_atomic(Path("/dev/null"), "[]\n")
    after = os.stat("/dev/null")
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)


def test_unknown_extension_is_a_table_and_explicit_format_wins():
    assert render.format_for(None, "r.HTML") == "html"
    assert render.format_for(None, "r.htm") == "html"
    assert render.format_for(None, "r.md") == "markdown"
    assert render.format_for(None, "r.svg") == "svg"
    assert render.format_for(None, "r.txt") == "table"
    assert render.format_for(None, None) == "table"
    assert render.format_for("json", "r.html") == "json"


def test_output_through_a_symlink_replaces_the_link_not_its_target(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    link = tmp_path / "report.csv"
    link.symlink_to(target)
    render.render(ROWS, "csv", output=str(link))
    assert target.read_text() == "keep me\n"
    assert not link.is_symlink()
    assert link.read_text().startswith("id,name,")


def test_output_to_a_missing_folder_is_a_clean_error(tmp_path):
    with pytest.raises(CroError, match="no folder"):
        write_atomic(tmp_path / "nope" / "r.json", "[]")


def test_output_onto_a_folder_fails_and_leaves_no_temporary_file(tmp_path):
    (tmp_path / "r.json").mkdir()
    with pytest.raises(CroError, match="cannot write"):
        write_atomic(tmp_path / "r.json", "[]")
    assert sorted(os.listdir(tmp_path)) == ["r.json"]


def test_relative_output_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_atomic(Path("r.md"), "x\n")
    assert (tmp_path / "r.md").read_text() == "x\n"


def test_dash_output_is_stdout(capsys):
    render.render([{"a": 1}], "json", output="-")
    assert json.loads(capsys.readouterr().out) == [{"a": 1}]


# ---------------------------------------------------------------- messages


def test_message_goes_to_stderr_without_control_characters(capsys):
    message("loaded \x1b[2J3 schools")
    message("two\nlines\x07")
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "loaded [2J3 schools\ntwo\nlines\n"
