"""The strict readers: YAML (every scalar kept as text, no anchors/aliases/tags/duplicate
keys), CSV and JSON, each problem named with its file and line.

The YAML traps (YAML 1.1 resolvers, as PyYAML implements them): `NO` -> False, `0123` ->
83, `12:30` -> 750, `1.10` -> 1.1, duplicate keys silently merged, alias bombs, `!!python/...` tags.
"""

from __future__ import annotations

import io
import json
import string
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crotool.errors import CroError, ValidationFailed
from crotool.intake import readers
from crotool.intake.readers import (
    decode_text,
    iter_csv,
    json_records,
    read_bytes,
)
from crotool.intake.yaml_reader import parse_yaml, yaml_records


def problems(exc: pytest.ExceptionInfo) -> list[str]:
    return [str(p) for p in exc.value.problems]


def refused(text: str) -> list[str]:
    with pytest.raises(ValidationFailed) as exc:
        parse_yaml(text, "f.yaml")
    return problems(exc)


# ---------------------------------------------------------------- scalars stay text


def test_scalars_are_read_as_the_text_written():
    doc = parse_yaml(
        "a: NO\nb: 0123\nc: 12:30\nd: 1.10\ne: yes\nf: 'NO'\ng: 2024-09-03\nh: 1e3\n"
        "i: .inf\nj: 0x1F\nk: on\n",
        "f.yaml",
    )[0]
    assert doc == {"a": "NO", "b": "0123", "c": "12:30", "d": "1.10", "e": "yes", "f": "NO",
                   "g": "2024-09-03", "h": "1e3", "i": ".inf", "j": "0x1F", "k": "on"}
    assert all(type(v) is str for v in doc.values())


def test_plain_null_words_are_no_value_but_quoted_null_is_text():
    doc = parse_yaml('a: null\nb: ~\nc:\nd: "null"\ne: \'~\'\nf: ""\ng: NULL\nh: Null\n',
                     "f.yaml")[0]
    assert doc["a"] is None and doc["b"] is None and doc["c"] is None
    assert doc["g"] is None and doc["h"] is None
    assert doc["d"] == "null"
    assert doc["e"] == "~"
    assert doc["f"] == ""  # quoted empty: text; the field's converter decides it is no value


def test_block_and_flow_style_read_alike():
    block = parse_yaml("s:\n  - id: x\n    name: Y\n", "f.yaml")[0]
    flow = parse_yaml("s:\n  - {id: x, name: Y}\n", "f.yaml")[0]
    assert block == flow == {"s": [{"id": "x", "name": "Y"}]}


def test_every_document_of_a_stream_is_read():
    docs = parse_yaml("---\na: 1\n---\nb: 2\n...\n---\n", "f.yaml")
    assert docs[:2] == [{"a": "1"}, {"b": "2"}]


def test_lines_are_remembered_for_records_and_keys():
    doc = parse_yaml("# comment\ns:\n  - id: x\n\n    name: Y\n", "f.yaml")[0]
    item = doc["s"][0]
    assert item.line == 3
    assert item.key_lines == {"id": 3, "name": 5}
    [record] = yaml_records(doc["s"], "f.yaml", "s")
    assert record.where() == "f.yaml:3"
    assert record.where("name") == "f.yaml:5"


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40))
def test_any_double_quoted_text_round_trips(text):
    # json.dumps writes a valid YAML double-quoted scalar (control characters excluded).
    doc = parse_yaml(f"k: {json.dumps(text, ensure_ascii=False)}\n", "f.yaml")[0]
    assert doc["k"] == text


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=string.ascii_letters + string.digits + ".:-_", min_size=1, max_size=12))
def test_plain_scalars_never_become_numbers_or_booleans(text):
    try:
        doc = parse_yaml(f"k: {text}\n", "f.yaml")[0]
    except ValidationFailed:
        return  # e.g. "k: a: b" is not YAML; refusing it is fine, misreading it is not
    value = doc["k"]
    assert value is None or (type(value) is str and value == text)


# ---------------------------------------------------------------- refused constructs


def test_duplicate_key_names_the_key_and_its_first_line():
    [msg] = refused("name: A\nkind: city\n\nname: B\n")
    assert msg == ("f.yaml:4: duplicate key 'name' (first at line 1); each key may appear once "
                   "in a mapping")


def test_duplicate_key_inside_a_record():
    [msg] = refused("schools:\n  - id: a\n    name: A\n    id: b\n")
    assert msg.startswith("f.yaml:4: duplicate key 'id' (first at line 2)")


def test_anchor_is_refused():
    [msg] = refused("a: &x 1\n")
    assert msg == "f.yaml:1: YAML anchors (&name) are not allowed; write the value out"


def test_alias_is_refused():
    [msg] = refused("a: 1\nb: *x\n")
    assert msg == "f.yaml:2: YAML aliases (*name) are not allowed; write the value out"


@pytest.mark.parametrize("tagged", [
    "a: !!python/object:os.system ls\n",
    "a: !!python/object/apply:os.system [ls]\n",
    "a: !!str 1\n",
    "a: !custom x\n",
])
def test_explicit_tags_are_refused(tagged):
    [msg] = refused(tagged)
    assert msg.startswith("f.yaml:1: YAML tags (")
    assert msg.endswith("are not allowed; remove the tag")


def test_python_object_tag_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(ValidationFailed):
        parse_yaml(f"a: !!python/object/apply:os.system ['touch {marker}']\n", "f.yaml")
    assert not marker.exists()


BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_alias_bomb_is_refused_quickly():
    started = time.perf_counter()
    msgs = refused(BILLION_LAUGHS)
    assert time.perf_counter() - started < 0.5
    assert msgs == ["f.yaml:1: YAML anchors (&name) are not allowed; write the value out"]


def test_deep_nesting_is_refused():
    [msg] = refused("a: " + "[" * 40 + "]" * 40 + "\n")
    assert msg == f"f.yaml:1: nested deeper than {readers.MAX_DEPTH} levels"


def test_nesting_just_inside_the_limit_is_read():
    depth = readers.MAX_DEPTH - 1  # the top-level mapping is one level
    doc = parse_yaml("a: " + "[" * depth + "x" + "]" * depth + "\n", "f.yaml")[0]
    inner = doc["a"]
    for _ in range(depth - 1):
        inner = inner[0]
    assert inner == ["x"]


def test_complex_key_is_refused():
    [msg] = refused("? [a, b]\n: c\n")
    assert msg == "f.yaml:1: a mapping key must be a plain name"


def test_malformed_yaml_names_its_line():
    [msg] = refused("a: 1\nb: [x, y\nc: 2\n")
    assert msg.startswith("f.yaml:")
    assert "malformed YAML" in msg


def test_tab_indentation_is_malformed_not_a_crash():
    [msg] = refused("a:\n\t- x\n")
    assert msg.startswith("f.yaml:2: malformed YAML")


@pytest.mark.parametrize(("escape", "code"), [("\\e[31m", "001B"), ("\\0", "0000"),
                                              ("\\x07", "0007")])
def test_control_character_from_an_escape_is_refused(escape, code):
    # The file's bytes are clean; the double-quoted escape makes the control character.
    [msg] = refused(f'a: ok\nb: "red{escape}"\n')
    assert msg == f"f.yaml:2: control character U+{code} (written as an escape) is not allowed"


def test_tab_and_newline_escapes_are_text():
    assert parse_yaml('a: "x\\ty\\nz"\n', "f.yaml")[0]["a"] == "x\ty\nz"


# ---------------------------------------------------------------- bytes in


def test_byte_order_mark_is_accepted():
    text = decode_text(b"\xef\xbb\xbfa: 1\n", "f.yaml")
    assert parse_yaml(text, "f.yaml") == [{"a": "1"}]


def test_non_utf8_names_the_line_and_byte():
    with pytest.raises(ValidationFailed) as exc:
        decode_text(b"a: 1\nb: caf\xe9\n", "f.yaml")
    assert problems(exc) == ["f.yaml:2: not UTF-8 text (byte 0xe9 at offset 11); save the file "
                             "as UTF-8"]


@pytest.mark.parametrize(("raw", "code"), [(b"\x00", "0000"), (b"\x1b", "001B"),
                                           (b"\x07", "0007"), (b"\x7f", "007F")])
def test_nul_and_control_bytes_are_refused(raw, code):
    with pytest.raises(ValidationFailed) as exc:
        decode_text(b"a: 1\nb: x" + raw + b"y\n", "f.yaml")
    assert problems(exc) == [f"f.yaml:2: control character U+{code} is not allowed"]


def test_tab_cr_lf_are_allowed():
    assert decode_text(b"a: 1\r\nb: 'x\ty'\r\n", "f.yaml") == "a: 1\r\nb: 'x\ty'\r\n"


def test_size_cap(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: " + b"x" * 100 + b"\n")
    with pytest.raises(ValidationFailed) as exc:
        read_bytes(path, "big.yaml", 50)
    assert problems(exc) == ["big.yaml:1: file is 104 bytes; the limit is 50"]
    assert read_bytes(path, "big.yaml", 104) == path.read_bytes()


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(CroError, match="nope.yaml: no such file"):
        read_bytes(tmp_path / "nope.yaml", "nope.yaml", 100)
    with pytest.raises(CroError, match="is a folder, not a file"):
        read_bytes(tmp_path, "dir", 10**9)


# ---------------------------------------------------------------- records


def test_a_mapping_where_a_list_of_records_belongs():
    doc = parse_yaml("schools:\n  id: x\n", "f.yaml")[0]
    with pytest.raises(ValidationFailed) as exc:
        yaml_records(doc["schools"], "f.yaml", "schools")
    assert problems(exc) == ["f.yaml:2: schools must be a list of records (- field: value)"]


def test_every_entry_that_is_not_a_mapping_is_listed():
    doc = parse_yaml("schools:\n  - x\n  - {id: ok}\n  - [a]\n", "f.yaml")[0]
    with pytest.raises(ValidationFailed) as exc:
        yaml_records(doc["schools"], "f.yaml", "schools")
    assert problems(exc) == [
        "f.yaml:2: schools: each entry must be a mapping of field: value",
        "f.yaml:4: schools: each entry must be a mapping of field: value",
    ]


def test_nested_values_are_refused():
    doc = parse_yaml("agencies:\n  - id: a\n    jurisdiction: {x: y}\n    other: [[a]]\n",
                     "f.yaml")[0]
    with pytest.raises(ValidationFailed) as exc:
        yaml_records(doc["agencies"], "f.yaml", "agencies")
    assert problems(exc) == [
        "f.yaml:3: agencies.jurisdiction: a mapping is not allowed here",
        "f.yaml:4: agencies.other: a list may only hold plain values",
    ]


def test_list_values_come_through_as_lists_of_text():
    doc = parse_yaml("s:\n  - {id: a, also_feeds: [x, 012, ~]}\n", "f.yaml")[0]
    [record] = yaml_records(doc["s"], "f.yaml", "s")
    assert record.values == {"id": "a", "also_feeds": ["x", "012", None]}


# ---------------------------------------------------------------- CSV


def csv_rows(data: bytes) -> list:
    return list(iter_csv(None, "f.csv", stream=io.BytesIO(data)))


def test_csv_cells_are_text_and_empty_is_none():
    rows = csv_rows(b"\xef\xbb\xbfbadge,name,phone\r\n0123,NO,\r\n\r\n0007,\"A, B\",555\r\n")
    assert [r.values for r in rows] == [
        {"badge": "0123", "name": "NO", "phone": None},
        {"badge": "0007", "name": "A, B", "phone": "555"},
    ]
    assert [r.line for r in rows] == [2, 4]


def test_csv_multiline_cell_keeps_its_starting_line():
    rows = csv_rows(b'a,b\n1,"x\ny"\n2,z\n')
    assert [(r.line, r.values["b"]) for r in rows] == [(2, "x\ny"), (4, "z")]


def test_csv_wrong_cell_count():
    with pytest.raises(ValidationFailed) as exc:
        csv_rows(b"a,b\n1,2\n1,2,3\n")
    assert problems(exc) == ["f.csv:3: 3 cells, but the header has 2 columns; quote cells that "
                             "hold commas"]


def test_csv_nul_and_bad_bytes_are_refused():
    with pytest.raises(ValidationFailed) as exc:
        csv_rows(b"a,b\n1,x\x00y\n")
    assert problems(exc) == ["f.csv:2: control character U+0000 is not allowed"]
    with pytest.raises(ValidationFailed) as exc:
        csv_rows(b"a,b\n1,caf\xe9\n")
    assert "not UTF-8 text" in problems(exc)[0]


def test_csv_empty_file_and_header(tmp_path):
    with pytest.raises(ValidationFailed, match="1 problem"):
        csv_rows(b"")
    path = tmp_path / "h.csv"
    path.write_bytes(b"\xef\xbb\xbf badge , name\n1,x\n")
    [record] = iter_csv(path, "h.csv")
    assert record.values == {"badge": "1", "name": "x"}


def test_csv_every_bad_row_is_listed_not_only_the_first():
    with pytest.raises(ValidationFailed) as exc:
        csv_rows(b"a,b\n1,2,3\n4,5\n6\n")
    assert problems(exc) == [
        "f.csv:2: 3 cells, but the header has 2 columns; quote cells that hold commas",
        "f.csv:4: 1 cells, but the header has 2 columns; quote cells that hold commas"]


# ---------------------------------------------------------------- JSON


def test_json_values_become_text():
    [record] = json_records(b'[{"badge": "0123", "n": 5, "ok": true, "x": null, "l": [1, "a"]}]',
                            "f.json", "officers")
    assert record.values == {"badge": "0123", "n": "5", "ok": "true", "x": None, "l": ["1", "a"]}


@pytest.mark.parametrize(("data", "expected"), [
    (b'{"a": 1}', "f.json:1: officers: the file must hold one JSON array of objects"),
    (b'[{"a": 1,\n  "a": 2}]', "f.json:2: duplicate key 'a' (first at line 1)"),
    (b'[{"a": 1},\n {"a": }]', "f.json:2: malformed JSON: Expecting value"),
    (b'[{"a": {"b": 1}}]', "f.json:1: a: an object or nested list is not allowed"),
    (b'[1]', "f.json:1: each entry must be a JSON object, not int"),
    (b'[\n{"a": "x\\u001by"}]', "f.json:2: a: control character U+001B is not allowed"),
])
def test_json_problems(data, expected):
    with pytest.raises(ValidationFailed) as exc:
        json_records(data, "f.json", "officers")
    assert problems(exc) == [expected]


def test_json_deep_nesting_is_a_clean_error():
    with pytest.raises(ValidationFailed):
        json_records(b"[" * 100_000 + b"]" * 100_000, "f.json", "officers")


def test_seed_file_reads_cleanly():
    # The bundled seed passes every strictness rule above.
    root = Path(__file__).resolve().parent.parent
    text = decode_text((root / "data" / "seed.yaml").read_bytes(), "seed.yaml")
    [doc] = parse_yaml(text, "seed.yaml")
    assert "schools" in doc and len(doc["schools"]) == 55
