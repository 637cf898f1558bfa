"""An import's row converters: a row's typed values by `fields.convert`, the fast way.

An import converts every field of every row, so it memoises the values that repeat (badges,
school ids, categories, dates) and accepts a canonical date-time by checking its parts once
each. A row these cannot convert goes to `fields.convert_record`, whose messages name every
bad field (`validator.Validator` decides); `tests/test_import_props.py` holds the two paths
equal. `for_updates` is how an import reads its rows: only the key's fields required.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from crotool.store.fields import BadValue, convert, normal_text
from crotool.store.schema import Field, Section


def for_updates(section: Section) -> Section:
    """The section with only its key fields required: how an import reads its rows."""
    return dataclasses.replace(section, fields=tuple(
        f if f.name in section.key else dataclasses.replace(f, required=False)
        for f in section.fields))


class RowConverter:
    """A row's typed values by `fields.convert`, or None when `convert_record` must speak.

    The result is what `convert_record` returns for a good row (a test holds them equal): each
    given field converted; a field with a default that is given no value left out; every
    required field present. Values of the kinds that repeat are memoised per field. A field of
    `not_null` given with no value also sends the row to the slow path, which reports it.
    """

    _MEMO_KINDS = frozenset({"slug", "code", "year", "int", "bool", "date", "enum"})
    _MEMO_SIZE = 4_096

    def __init__(self, section: Section, not_null: tuple[str, ...] = (),
                 date_format: str | None = None):
        self.date_format = date_format
        self.converters = {f.name: self._converter(f, f.name in section.private,
                                                   f.name in section.key)
                           for f in section.fields}
        self.defaulted = tuple(f.name for f in section.fields if f.default_from)
        self.required = section.required_names
        self.not_null = tuple(n for n in not_null if n not in self.required)

    def _converter(self, f: Field, private: bool, key: bool = False) -> Callable[[Any], Any]:
        fmt = self.date_format
        if key and f.kind == "text":  # free text in a natural key: stored in normal form
            return lambda raw: None if (v := convert(f, raw)) is None else normal_text(v)
        if f.kind == "datetime":
            return datetime_converter(f, fmt)
        if f.kind not in self._MEMO_KINDS:
            return lambda raw: convert(f, raw, private=private, date_format=fmt)
        return _memoised(lambda raw: convert(f, raw, private=private, date_format=fmt),
                         self._MEMO_SIZE)

    def __call__(self, raw: dict[str, Any]) -> dict[str, Any] | None:
        converters = self.converters
        try:
            values = {name: converters[name](value) for name, value in raw.items()}
        except (KeyError, BadValue):  # an unknown field or a bad value
            return None
        for name in self.defaulted:
            if name in values and values[name] in (None, []):
                del values[name]
        for name in self.required:
            if values.get(name) is None:
                return None
        for name in self.not_null:
            if name in values and values[name] is None:
                return None
        return values


_MISS = object()


def _memoised(function: Callable[[Any], Any], size: int) -> Callable[[Any], Any]:
    """`function` (a conversion: pure) remembered for up to `size` distinct values.

    A value that raises is not remembered: it raises again, and convert_record reports it.
    """
    memo: dict[Any, Any] = {}

    def cached(raw: Any) -> Any:
        if raw.__class__ is list:  # from YAML or JSON: not hashable, and never repeated
            return function(raw)
        value = memo.get(raw, _MISS)
        if value is _MISS:
            value = function(raw)
            if len(memo) < size:
                memo[raw] = value
        return value

    return cached


# The canonical form that `convert` returns for a date-time, and that exports and most files
# hold. Such a value converts to itself exactly when its date, hour, minute and second are each
# valid, and those repeat across a duty log (a year has 366 dates, a day 24 hours): so each is
# checked once, by `convert` itself, and a canonical value is then accepted as it stands.
# Anything else (a space for the T, no seconds, an offset, a bad value) goes to `convert` whole.
_CANONICAL_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


def datetime_converter(f: Field, date_format: str | None = None) -> Callable[[Any], Any]:
    def valid(template: str) -> Callable[[str], bool]:
        def check(part: str) -> bool:
            text = template.format(part)
            try:
                return convert(f, text) == text
            except BadValue:
                return False

        return _memoised(check, 4_096)

    day = valid("{}T00:00:00")
    hour, minute, second = valid("2000-01-01T{}:00:00"), valid("2000-01-01T00:{}:00"), valid(
        "2000-01-01T00:00:{}")
    canonical = _CANONICAL_DATETIME.fullmatch

    def fast(raw: Any) -> Any:
        if (raw.__class__ is str and canonical(raw) and day(raw[:10]) and hour(raw[11:13])
                and minute(raw[14:16]) and second(raw[17:19])):
            return raw
        return convert(f, raw, date_format=date_format)

    return fast


