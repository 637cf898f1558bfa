"""Property tests (hypothesis) for the readers and the CSV writer.

- YAML: any text written as a quoted scalar (as PyYAML's own emitter writes it, or as a user
  quotes it by hand) reads back as the same text; no plain scalar is ever turned into a
  bool, a number or a date.
- CSV reader: any table of text written by Python's csv module reads back cell for cell.
- CSV writer: any text goes through encode.to_csv and back through readers.iter_csv
  unchanged, except the `'` that neutralises a formula; no exported cell starts with a
  character a spreadsheet would run.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crotool.csvguard import unguard
from crotool.errors import ValidationFailed
from crotool.intake import readers, yaml_reader
from crotool.output import encode

pytestmark = pytest.mark.slow

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# What the readers refuse outright (C0 controls but tab, LF, CR; DEL): never valid data.
REFUSED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Text a record may hold: anything printable, tabs and line breaks included; no surrogates,
# no C1 controls (U+0080-U+009F: U+009B is a terminal's CSI).
record_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters=[
        chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0))
    ]),
    max_size=60,
)
# The CSV writer also drops C1 controls (U+0080-U+009F, which terminals read as escapes).
csv_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters=[
        chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0))
    ]),
    max_size=60,
)
FORMULA = ("=", "+", "-", "@", "\t", "\r", "\n")


def read_value(document: str) -> object:
    [doc] = yaml_reader.parse_yaml(document, "prop.yaml")
    return doc["v"]


# ---------------------------------------------------------------- YAML


@SETTINGS
@given(record_text)
@example("NO")
@example("0123")
@example("12:30")
@example("2024-09-03")
@example("null")
@example("")
@example("~")
@example(" leading and trailing ")
@example("line one\nline two\r\n\ttabbed")
@example("\u2028\u2029\ufeff")  # U+0085 (NEL) is a C1 control: refused
def test_any_text_round_trips_through_a_double_quoted_scalar(text: str) -> None:
    document = yaml.safe_dump({"v": text}, default_style='"', allow_unicode=True, width=10**6)
    assert read_value(document) == text


@SETTINGS
@given(record_text)
@example("NO")
@example("yes")
@example("0o17")
@example("1_000")
@example(".inf")
@example("2001-12-14t21:59:43.10-05:00")
def test_any_text_round_trips_through_pyyaml_default_dump(text: str) -> None:
    """Whatever style PyYAML's emitter picks (plain, single- or double-quoted, block), the
    text read back is the text written: never a bool, a number, a date or None."""
    if re.search(r"[\x85\u2028\u2029]", text):
        return  # PyYAML's emitter writes these YAML 1.1 line breaks raw in '...', where any
        # reader folds them to a space: the emitter's bug, covered by the double-quoted test
    document = yaml.safe_dump({"v": text}, allow_unicode=True)
    assert read_value(document) == text


@SETTINGS
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_hand_written_single_quotes_round_trip(text: str) -> None:
    # How a person quotes: '...' with '' for a quote. Line breaks fold in single quotes, and
    # control characters cannot be written there at all, so leave those to double quotes.
    if re.search(r"[\n\r\x85\u2028\u2029]", text) or REFUSED.search(text) or re.search(
            r"[\x80-\x9f\ufeff\ufffe\uffff]", text):
        return
    if text != text.strip(" \t"):
        return  # leading/trailing blanks of a flow scalar line are kept; fine, but not here
    document = "v: '" + text.replace("'", "''") + "'\n"
    assert read_value(document) == text


# Plain scalars that YAML 1.1 would turn into something else.
SURPRISES = st.one_of(
    st.sampled_from(["NO", "no", "Yes", "ON", "off", "y", "n", "true", "False", ".nan",
                     "-.inf", "0x1F", "0b101", "0o17", "1_000", "12:30", "190:20:30"]),
    st.from_regex(r"\A0[0-7]{1,6}\Z"),  # octal in YAML 1.1
    st.from_regex(r"\A[1-9][0-9]{0,5}(\.[0-9]{1,3})?\Z"),
    st.dates().map(lambda d: d.isoformat()).filter(lambda s: s[0] != "0"),
)


@SETTINGS
@given(SURPRISES)
def test_plain_scalars_stay_text(token: str) -> None:
    assert read_value(f"v: {token}\n") == token


@SETTINGS
@given(st.one_of(st.binary(max_size=60), st.text(max_size=40).map(str.encode),
                 st.lists(st.sampled_from(["a:", " ", "\n", "- ", "[", "]", "{", "}", "&x",
                                           "*x", "!!str", "'", '"', "#", "---", ",", "?"]),
                          max_size=20).map(lambda parts: "".join(parts).encode())))
def test_the_yaml_reader_never_raises_anything_but_validation_failed(data: bytes) -> None:
    """Arbitrary bytes: a document, or a clear error naming the file and a line; never an
    exception of another kind (which the CLI would report as an internal error)."""
    try:
        yaml_reader.parse_yaml(readers.decode_text(data, "x.yaml"), "x.yaml")
    except ValidationFailed as exc:
        assert exc.problems and re.match(r"x\.yaml:\d+$", exc.problems[0].where)


# ---------------------------------------------------------------- CSV


def csv_rows(path: Path) -> list[dict]:
    return [r.values for r in readers.iter_csv(path, path.name)]


COLUMNS = ["a", "b", "c"]
tables = st.lists(st.fixed_dictionaries({c: csv_text for c in COLUMNS}), min_size=1,
                  max_size=5)


def expected_cell(text: str) -> str | None:
    return text if text.strip() else None


@SETTINGS
@given(tables)
def test_csv_reader_reads_back_what_the_csv_module_writes(tmp_path_factory, rows) -> None:
    path = tmp_path_factory.mktemp("csv") / "in.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    got = csv_rows(path)
    # A cell of ' then a formula character is read as crotool's own formula guard (one '
    # comes off; crotool/csvguard.py).
    want = [{c: expected_cell(unguard(r[c])) for c in COLUMNS} for r in rows]
    # A row whose every cell is empty (a blank line, or the empty rows spreadsheets export)
    # is skipped, as a person would expect.
    want = [w for w in want if any(v is not None for v in w.values())]
    assert got == want


@SETTINGS
@given(tables)
@example([{"a": "=HYPERLINK(\"http://x\")", "b": "+1+2", "c": "-2+3"}])
@example([{"a": "@SUM(A1)", "b": "\tTAB", "c": "-12.5"}])
def test_csv_writer_round_trips_exactly(tmp_path_factory, rows) -> None:
    """The formula guard the writer adds, the reader takes off: a CSV crotool wrote reads
    back as the text it was given."""
    text = encode.to_csv(rows, COLUMNS)
    path = tmp_path_factory.mktemp("csv") / "out.csv"
    path.write_bytes(text.encode("utf-8"))
    got = csv_rows(path)
    # A row of empty cells is skipped on the way back in (see the reader test above).
    rows = [r for r in rows if any(expected_cell(v) is not None for v in r.values())]
    for row, back in zip(rows, got, strict=True):
        for c in COLUMNS:
            assert back[c] == expected_cell(row[c])


@SETTINGS
@given(st.lists(st.fixed_dictionaries({c: st.one_of(
    st.text(max_size=30), st.integers(), st.floats(allow_nan=False), st.none(),
    st.lists(st.text(max_size=8), max_size=3)) for c in COLUMNS}), max_size=5))
@example([{"a": "=1+2", "b": -5, "c": ["=x", "y"]}])
def test_no_exported_cell_starts_with_a_formula_character(rows) -> None:
    for record in csv.reader(io.StringIO(encode.to_csv(rows, COLUMNS), newline="")):
        for cell in record:
            if cell.startswith(FORMULA):
                # Only a plain number may start with '-' (a spreadsheet reads it as a number).
                assert re.fullmatch(r"-?\d+(\.\d+)?(e[+-]?\d+)?|-inf", cell), cell


@SETTINGS
@given(csv_text, st.sampled_from(["\x1b[31m", "\x1b]8;;http://x\x1b\\", "\x9b2J", "\x07", "\x00"]))
def test_csv_cells_carry_no_terminal_escapes(text: str, escape: str) -> None:
    out = encode.to_csv([{"a": escape + text, "b": text + escape, "c": None}], COLUMNS)
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", out)
