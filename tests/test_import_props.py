"""The import's fast conversion path is the fields' rules, not a second set of them.

`converters.RowConverter` converts a row with `fields.convert`, memoised, and accepts a
canonical date-time after checking its parts with `convert`; whenever it accepts a row, its
values must be exactly what `fields.convert_record` returns, and whenever convert_record
accepts a row (no required field left empty), the fast path must accept it too.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crotool.errors import Problem
from crotool.intake.converters import RowConverter, datetime_converter, for_updates
from crotool.store.fields import BadValue, Record, convert, convert_record
from crotool.store.schema import SECTIONS, Field

# Raw values by field kind: good ones, near misses, blanks and the odd list.
POOL = {
    "text": ["Pat", "  spaced  ", "", "   ", "NO", "x" * 2001, "=cmd()", "a;b"],
    "slug": ["juanita", "juanita-hs", "Juanita", "bad slug", "a--b", "-a", "kcso", ""],
    "code": ["0417", "0123", "A-1.b_2", "-bad", "with space", "x" * 40, ""],
    "year": ["2023-24", "2023-25", "23-24", "2023/24", ""],
    "int": ["30", "0", "1440", "1441", "-5", "+7", "3.5", "lots", " 12 ", ""],
    "number": ["1.5", "8", "0.25", "0.2", "80", "80.5", ".5", "1e3", "inf", "nan", " 2 ", "+3",
               "-1", "two", "", "0.5", "5", "2.5", "5.5", "0.3", "0", "1e1", " 3 ", "1.25"],
    "bool": ["true", "no", "YES", "0", "maybe", ""],
    "date": ["2023-09-05", "2023-02-29", "2024-02-29", "2023-9-5", "2023-09-05T00:00", ""],
    "datetime": ["2023-10-03T09:30:00", "2023-10-03T09:30", "2023-10-03 09:30:00",
                 "2023-10-03", "2023-10-03T24:00:00", "2023-02-29T10:00:00",
                 "2023-10-03T09:30:00+02:00", "2023-10-03T09:30:00.5", "soon", ""],
    "enum": ["active", "inactive", "Active", "cro", "additional", "prevention", "social",
             "choice", "current", "new", "other", ""],
    "list": ["a;b", "juanita,redmond", "evpa; student-voice", "Bad One", "", ["evpa", None],
             ["x y"]],
}
SECTIONS_FAST = [name for name, s in SECTIONS.items() if s.importable and name != "assignments"]


def raw_values(f: Field) -> st.SearchStrategy:
    return st.one_of(st.none(), st.sampled_from(POOL[f.kind]))


@st.composite
def rows(draw: st.DrawFn) -> tuple[str, dict]:
    name = draw(st.sampled_from(SECTIONS_FAST))
    section = SECTIONS[name]
    values = {}
    for f in section.fields:
        if draw(st.booleans()) or f.name in section.key:
            values[f.name] = draw(raw_values(f))
    if draw(st.integers(0, 9)) == 0:
        values["unknown_field"] = "x"
    return name, values


@pytest.mark.slow
@settings(max_examples=600, deadline=None)
@given(rows())
def test_fast_path_agrees_with_convert_record(row):
    name, values = row
    section = SECTIONS[name]
    lenient = for_updates(section)
    fast = RowConverter(lenient, section.required_names)(dict(values))
    problems: list[Problem] = []
    slow = convert_record(lenient, Record("f", 2, dict(values)), problems)
    if fast is not None:
        assert slow == fast and not problems
        assert all(fast[n] is not None for n in section.required_names if n in fast)
    elif slow is not None:
        # Only a required field given with no value sends a good row to the slow path.
        assert any(slow.get(n) is None and n in slow for n in section.required_names)


TEXTS = st.one_of(
    st.sampled_from(POOL["datetime"]),
    st.builds(lambda y, mo, d, h, mi, s: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}",
              st.integers(0, 2100), st.integers(0, 13), st.integers(0, 32), st.integers(0, 25),
              st.integers(0, 61), st.integers(0, 61)),
    st.text(alphabet="0123456789-T: +", max_size=22),
)


@pytest.mark.slow
@settings(max_examples=1500, deadline=None)
@given(TEXTS)
def test_fast_datetime_is_convert(text):
    f = SECTIONS["duties"].field("at")
    fast = datetime_converter(f)
    try:
        expected = convert(f, text)
    except BadValue as exc:
        try:
            fast(text)
        except BadValue as again:
            assert str(again) == str(exc)
        else:
            raise AssertionError(f"fast path accepted {text!r}") from None
        return
    assert fast(text) == expected
    assert fast(text) == expected  # again, from the memo
