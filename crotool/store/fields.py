"""What a field's text means: text -> a typed value by a schema `Field`, and the `Record`.

Every value arrives as text (or None, or a list of text), whatever the input: a file's cell, a
YAML scalar, a command-line option. `convert` reads one value by its field's kind (schema.py),
`convert_record` a whole record, naming each bad value with where it came from; nothing here
reads another record or the database (the checks across records are `program/checker.py`'s).
A `Record` is one record of text values as read, with the file and line of each.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from crotool.errors import CroError, Problem, did_you_mean
from crotool.store.schema import DATE_MAX, DATE_MIN, SECTIONS, Field, Section

# C0 controls but tab, LF and CR, DEL, and the C1 controls U+0080..U+009F (U+009B is a
# terminal's CSI, as ESC [ is): never legitimate in a record. The readers refuse them in a
# file, and `convert` applies the same set to every value, whichever way it came in (a CSV's
# cells, JSON, YAML, an option).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(slots=True)
class Record:
    """One record as read: field -> text, None, or a list of those (YAML/JSON lists)."""

    source: str  # file name as the user gave it
    line: int  # line the record starts on (JSON: its position in the array, from 1)
    values: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict)  # field -> line

    def where(self, field_name: str | None = None) -> str:
        line = self.lines.get(field_name, self.line) if field_name else self.line
        return f"{self.source}:{line}"


_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_YEAR = re.compile(r"^(\d{4})-(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_INT = re.compile(r"^[+-]?\d{1,12}$")
_NUMBER = re.compile(r"^[+-]?(?:\d{1,9}(?:\.\d{0,6})?|\.\d{1,6})$")
_TRUE = frozenset({"true", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "off"})


# Free text that is part of a natural key (an engagement's title) is stored in one normal form
# and compared without case, so that titles differing only by Unicode normalisation, a
# zero-width character, a no-break space, doubled spaces or case name one engagement.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200d\u2060\ufeff]")
_BLANKS = re.compile(r"\s+")  # every Unicode space (no-break, thin, ideographic...) and break


def normal_text(text: str) -> str:
    """NFC, invisible characters removed, every run of spaces one space, trimmed."""
    import unicodedata

    return _BLANKS.sub(" ", _INVISIBLE.sub("", unicodedata.normalize("NFC", text))).strip()


def text_keys(section: Section) -> tuple[str, ...]:
    """The fields of the section's natural key that are free text."""
    return tuple(k for k in section.key if section.field(k).kind == "text")


def folded_key(section: Section, values: dict[str, Any]) -> tuple:
    """The natural key as it is compared: free text in normal form, without case."""
    return tuple(normal_text(v).casefold() if isinstance(v := values.get(k), str)
                 and section.field(k).kind == "text" else v for k in section.key)


class BadValue(ValueError):
    """A value that cannot be read as its field's type; the message says what is allowed."""


class BadItems(BadValue):
    """A list with bad items: one message for each (`messages`), and the items that did
    convert (`good`), whose references are still checked."""

    def __init__(self, messages: list[str], good: list[Any]):
        super().__init__("; ".join(messages))
        self.messages, self.good = messages, good


def _show(value: Any) -> str:
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


# A value that might be free text (a duty note typed into the wrong column, a CSV without its
# header row): in a section with private fields, messages describe such a value instead of
# quoting it. Ids, codes, dates and numbers are short single tokens and are still quoted.
_PROSE_LENGTH = 24


def might_be_prose(value: Any) -> bool:
    """Over 24 characters or four words with spaces between, or over 40 without (a date-time
    with an offset is 25; a note with its spaces turned into hyphens is longer)."""
    text = str(value)
    if not any(c.isspace() for c in text):
        return len(text) > 40
    return len(text) > _PROSE_LENGTH or len(text.split()) >= 4


def withheld(value: Any) -> str:
    return f"a value of {len(str(value))} characters (not shown: it may be private text)"


def shown_name(name: str) -> str:
    """A column header or record key for a message: a short prefix, control characters
    removed, so that a data row mistaken for a header does not print a note whole."""
    text = _PRINTABLE.sub("", name)
    return repr(text if len(text) <= _PROSE_LENGTH else text[:_PROSE_LENGTH] + "...")


_PRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SLASHED = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{2}|\d{4})\b")


def _date_format_hint(text: str) -> str:
    """For 9/5/2023: the --date-format that would read it (month first unless it cannot be)."""
    m = _SLASHED.match(text)
    if not m:
        return ""
    sep = text[m.end(1)]
    year = "%Y" if len(m.group(3)) == 4 else "%y"
    order = ("%d", "%m") if int(m.group(1)) > 12 else ("%m", "%d")
    return f" (or give --date-format {order[0]}{sep}{order[1]}{sep}{year} for this file)"


def _strptime(text: str, fmt: str) -> datetime | None:
    try:
        return datetime.strptime(text, fmt)
    except ValueError:
        return None


def parse_date(text: str, date_format: str | None = None, hint: bool = False) -> date:
    value: date
    if date_format and not _DATE.match(text):
        read = _strptime(text, date_format)
        if read is None:
            raise BadValue(f"{_show(text)} is not a date in the form {date_format} "
                           "(--date-format) or YYYY-MM-DD")
        value = read.date()
    elif not _DATE.match(text):
        tail = _date_format_hint(text) if hint else ""
        raise BadValue(f"{_show(text)} is not a date; write YYYY-MM-DD, e.g. 2023-09-05{tail}")
    else:
        try:
            value = date.fromisoformat(text)
        except ValueError:
            raise BadValue(f"{_show(text)} is not a real date (no such day)") from None
    if not DATE_MIN <= value.isoformat() <= DATE_MAX:
        raise BadValue(f"{_show(text)} is outside the dates crotool accepts ({DATE_MIN} to "
                       f"{DATE_MAX})")
    return value


_TIMES = ("%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p")


def _datetime_in_format(text: str, date_format: str) -> datetime | None:
    """A date-time whose date is in --date-format: the whole text in that format, or its date
    in it followed by a time (`9/5/2023 14:30`, `9/5/2023 2:30 PM`)."""
    whole = _strptime(text, date_format)
    if whole is not None:
        return whole
    parts = text.split(None, 1) if "T" not in text else text.split("T", 1)
    if len(parts) != 2:
        return None
    day = _strptime(parts[0], date_format)
    if day is None:
        return None
    for fmt in _TIMES:
        clock = _strptime(parts[1].strip(), fmt)
        if clock is not None:
            return datetime.combine(day.date(), clock.time())
    return None


def parse_datetime(text: str, date_format: str | None = None, hint: bool = False) -> datetime:
    """ISO 8601 local time (the school's wall clock), to the second.

    A UTC offset (`-08:00`, `Z`) is refused rather than converted: converting by the machine's
    time zone made the same file import as different keys on a laptop and on a UTC cron server
    (a duplicate duty each time), and dropping it would silently shift a UTC export by hours.
    """
    if date_format and not _DATE.match(text[:10]):
        value = _datetime_in_format(text, date_format)
        if value is None:
            raise BadValue(f"{_show(text)} is not a date-time in the form {date_format} "
                           "[HH:MM[:SS]] (--date-format) or YYYY-MM-DDTHH:MM[:SS]")
        return value.replace(microsecond=0)
    if _DATE.match(text[:10]):
        parse_date(text[:10])  # an impossible day (2023-02-30) is named as such
    given = text  # messages show what the user wrote, not the padded form
    if _DATE.match(text):
        text += "T00:00:00"
    try:
        value = datetime.fromisoformat(text.replace(" ", "T", 1) if " " in text else text)
    except ValueError:
        tail = _date_format_hint(given) if hint else ""
        raise BadValue(
            f"{_show(given)} is not a date-time; write YYYY-MM-DDTHH:MM[:SS], e.g. 2023-10-03T09:30"
            f"{tail}") from None
    if value.tzinfo is not None:
        local = value.replace(tzinfo=None).isoformat(timespec="seconds")
        raise BadValue(
            f"{_show(given)} has a UTC offset; write the local time at the school without one "
            f"(e.g. {local} if that is the local time), so the file reads the same on every "
            "machine")
    return value.replace(microsecond=0)


def parse_bool(text: str) -> bool:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise BadValue(f"{_show(text)} is not a boolean; write true or false (yes/no also read)")


def convert(f: Field, raw: Any, *, private: bool = False, date_format: str | None = None,
            date_hint: bool = False, careful: bool = False) -> Any:
    """One raw value (text, None or a list) -> its typed value; BadValue if it cannot be.

    `date_format` (strftime) also reads dates and date-times in that form; `date_hint` names
    the --date-format option in the message for 9/5/2023; `careful` (a section with private
    fields) describes a bad value that might be free text instead of quoting it.
    """
    if f.kind == "pairs":
        return _pairs(f, raw)
    if f.kind == "list":
        if raw is None:
            return []
        items = raw if isinstance(raw, list) else raw.split(";")  # never ",": "Kirkland, WA"
        out = []
        bad: list[str] = []  # every bad item, not the first one only
        for item in items:
            if item is None or not str(item).strip():
                continue
            try:
                out.append(convert(Field(f.name, f.item_kind, choices=f.choices),
                                   str(item).strip(), careful=careful))
            except BadValue as exc:
                bad.append(str(exc))
        if bad:
            raise BadItems(bad, out)
        return out
    try:
        return _convert(f, raw, private, date_format, date_hint)
    except BadValue:
        # Only a bad id, code, number, date or choice quotes its value (text says its length).
        if careful and f.kind != "text" and raw is not None and might_be_prose(raw):
            raise BadValue(f"{withheld(raw)} is not a valid {_KIND_NAMES.get(f.kind, f.kind)}"
                           ) from None
        raise


def _pairs(f: Field, raw: Any) -> list[dict[str, str]]:
    """A list of {id, name} mappings (a report's incident flags): each id a code, each name
    text; every bad item named at once."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise BadValue("give a list of {id: ..., name: ...} mappings")
    out: list[dict[str, str]] = []
    bad: list[str] = []
    ids, names = Field("id", "code", max_length=64), Field("name", max_length=200)
    for n, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or set(item) != {"id", "name"}:
            bad.append(f"item {n}: give a mapping of id and name, e.g. {{id: arrest, name: "
                       "Student arrest}")
            continue
        try:
            pair = {"id": convert(ids, item["id"]), "name": convert(names, item["name"])}
        except BadValue as exc:
            bad.append(f"item {n}: {exc}")
            continue
        if pair["id"] is None or pair["name"] is None:
            bad.append(f"item {n}: give both an id and a name")
            continue
        out.append(pair)
    if bad:
        raise BadItems(bad, out)
    return out


_KIND_NAMES = {"slug": "id", "code": "code", "year": "school year", "int": "whole number",
               "bool": "boolean (true or false)", "date": "date (YYYY-MM-DD)",
               "datetime": "date-time (YYYY-MM-DDTHH:MM)", "enum": "choice", "text": "text"}


def _convert(f: Field, raw: Any, private: bool, date_format: str | None, date_hint: bool
             ) -> Any:
    if isinstance(raw, list):
        raise BadValue("a list is not allowed here; give one value")
    if raw is None:
        return None
    text = raw.strip() if f.kind != "text" else raw
    if _SURROGATE.search(text):
        # A command-line argument that was not UTF-8 arrives with lone surrogates
        # (surrogateescape), which SQLite cannot store.
        raise BadValue("not UTF-8 text; check the terminal's or the script's encoding")
    bad = CONTROL.search(text)
    if bad:
        # The readers refuse these in files; a command-line option (`--notes $'\e[31m'`)
        # reaches here directly. The value itself is not shown: it may be a private note.
        raise BadValue(f"control character U+{ord(bad.group()):04X} is not allowed")
    if f.kind == "text":
        if len(text) > f.max_length:
            raise BadValue(f"longer than {f.max_length} characters")
        if not text.strip():
            return None
        return text if private else text.strip()
    if f.kind == "slug":
        if not _SLUG.match(text):
            suggestion = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
            hint = f" (e.g. '{suggestion}')" if suggestion and _SLUG.match(suggestion) else ""
            raise BadValue(
                f"{_show(text)} is not a valid id; use lowercase letters, digits and single "
                f"hyphens{hint}"
            )
        return text
    if f.kind == "code":
        if not _CODE.match(text) or len(text) > f.max_length:
            raise BadValue(
                f"{_show(text)} is not a valid code; use letters, digits, '.', '_' or '-'"
            )
        return text
    if f.kind == "year":
        m = _YEAR.match(text)
        if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
            raise BadValue(f"{_show(text)} is not a school year; write it like 2023-24")
        if not DATE_MIN[:4] <= m.group(1) < DATE_MAX[:4]:
            raise BadValue(f"{_show(text)} is outside the years crotool accepts "
                           f"({DATE_MIN[:4]} to {DATE_MAX[:4]})")
        return text
    if f.kind == "int":
        if not _INT.match(text):
            raise BadValue(f"{_show(text)} is not a whole number")
        value = int(text)
        too_low = f.minimum is not None and value < f.minimum
        if too_low or (f.maximum is not None and value > f.maximum):
            raise BadValue(f"{value} is out of range; allowed {f.minimum} to {f.maximum}")
        return value
    if f.kind == "number":
        # Plain decimals only: no exponent, inf or nan (which float() would accept).
        steps = f" in steps of {f.step:g}" if f.step else ""
        if not _NUMBER.match(text):
            raise BadValue(f"{_show(text)} is not a number; write e.g. 1.5")
        number = float(text)
        too_low = f.minimum is not None and number < f.minimum
        if too_low or (f.maximum is not None and number > f.maximum):
            raise BadValue(f"{number:g} is out of range; allowed {f.minimum:g} to "
                           f"{f.maximum:g}{steps}")
        if f.step and (number / f.step) != int(number / f.step):
            raise BadValue(f"{number:g} is not allowed; write a number from {f.minimum:g} to "
                           f"{f.maximum:g}{steps} (e.g. {f.step * 5:g})")
        return number
    if f.kind == "bool":
        return parse_bool(text)
    if f.kind == "date":
        return parse_date(text, date_format, date_hint).isoformat()
    if f.kind == "datetime":
        return parse_datetime(text, date_format, date_hint).isoformat(timespec="seconds")
    if f.kind == "enum":
        if text not in f.choices:
            # Choices match ignoring case (`Active` is `active`), stored in canonical form.
            folded = text.casefold()
            for choice in f.choices:
                if choice.casefold() == folded:
                    return choice
            hint = f" (did you mean '{close}'?)" if (close := _closest_choice(text, f.choices)
                                                      ) else ""
            raise BadValue(f"{_show(text)} is not allowed; use one of {', '.join(f.choices)}{hint}")
        return text
    raise AssertionError(f"unknown field kind {f.kind}")


def _closest_choice(text: str, choices: tuple[str, ...]) -> str | None:
    """The choice a misspelt value meant. A number is not a misspelling: difflib offers '3'
    for grade 13 (a digit in common), so a number gets only the choice that writes the same
    number ('09' -> '9'), and none when it is simply not one of them (the message lists them)."""
    if _INT.match(text):
        same = str(int(text))
        return same if same in choices else None
    return did_you_mean(text, choices)


def record_label(section: Section, values: dict[str, Any], fallback: int | None = None) -> str:
    """`schools[bell-es]`, `assignments[0417/juanita/2023-24/2023-09-05]`: a record's name."""
    parts = [values.get(k) for k in section.key]
    if section.private:
        # A note typed into a key column (a duty CSV without its header row) must not be
        # printed as the record's name.
        parts = [("(not shown)" if p is not None and might_be_prose(p) else p) for p in parts]
    if section.key and all(p is not None for p in parts):
        return f"{section.name}[{'/'.join(str(p) for p in parts)}]"
    if section.key and parts[0] is not None:
        # Part of the key (an assignment whose start comes from its year): still a good name.
        return f"{section.name}[{'/'.join(str(p) for p in parts if p is not None)}]"
    return f"{section.name}[#{fallback}]" if fallback is not None else section.name


@dataclass(frozen=True, slots=True)
class Reading:
    """How an input's values are read: `date_format` (import --date-format), `date_hint`
    (name that option in a message about 9/5/2023), `updates` (a record may leave out
    required fields that are not part of its key: it then updates a stored record)."""

    date_format: str | None = None
    date_hint: bool = False
    updates: bool = False


PLAIN = Reading()


def convert_record(section: Section, record: Record, problems: list[Problem],
                   reading: Reading = PLAIN, partial: dict[str, Any] | None = None
                   ) -> dict | None:
    """A record's typed values (only the fields it gives), or None after adding its problems.

    `partial`, when given, receives the values that did convert even when others did not,
    so that their references can still be checked and every problem listed at once.
    """
    values: dict[str, Any] = {} if partial is None else partial
    bad = False
    failed: set[str] = set()  # fields already reported as bad values
    known = section.field_names
    careful = bool(section.private)
    # First the key fields, so that later messages can name the record.
    ordered = sorted(record.values, key=lambda n: (n not in section.key, known.index(n)
                                                    if n in known else len(known)))
    raw_label = {k: record.values.get(k) for k in section.key}
    label = record_label(section, {k: v for k, v in raw_label.items() if isinstance(v, str)})
    for name in ordered:
        raw = record.values[name]
        if name not in known:
            close = did_you_mean(name, known)
            hint = f"; did you mean '{close}'?" if close else ""
            problems.append(Problem(record.where(name), f"{label}: unknown field "
                                    f"{shown_name(name)}; allowed: {', '.join(known)}{hint}"))
            bad = True
            continue
        f = section.field(name)
        try:
            values[name] = convert(f, raw, private=name in section.private,
                                   date_format=reading.date_format, date_hint=reading.date_hint,
                                   careful=careful)
            if values[name] is not None and name in section.key and f.kind == "text":
                values[name] = normal_text(values[name])
            if values[name] in (None, []) and f.default_from:
                # No value for a field that has a default (status, role, requires_request,
                # an assignment's dates) is the same as leaving it out: the default on insert,
                # the stored value kept on update. Stored as NULL it broke a NOT NULL column.
                del values[name]
        except BadValue as exc:
            for what in exc.messages if isinstance(exc, BadItems) else [str(exc)]:
                problems.append(Problem(record.where(name), f"{label}.{name}: {what}"))
            if isinstance(exc, BadItems) and exc.good:
                values[name] = exc.good  # the partial values: their references are checked
            failed.add(name)
            bad = True
    for name in section.required_names:
        if reading.updates and name not in section.key and name not in record.values:
            continue  # left out: only an update of a stored record (checked by the caller)
        # Absent, null, or text that is only spaces: all "no value" (a NULL would then hit
        # the column's NOT NULL at write time, past validation).
        if values.get(name) is None and name not in failed:
            problems.append(Problem(record.where(name), f"{label}: missing required field "
                                    f"'{name}'"))
            bad = True
    return None if bad else values


def canonical_keys(section: Section, record: Record, problems: list[Problem]) -> Record:
    """The record with its keys read as field names (`School Trained On` is
    `school_trained_on`), the columns crotool's own export adds left out; two keys that name
    one field are a problem."""
    values = record.values
    if all(k in section.field_names for k in values):
        return record
    out: dict[str, Any] = {}
    lines: dict[str, int] = {}
    origin: dict[str, str] = {}
    for key, value in values.items():
        name = section.match(key) if isinstance(key, str) else None
        if name is None and isinstance(key, str) and key.strip() in section.derived:
            continue
        name = name or key
        if name in out:
            problems.append(Problem(record.where(key), f"{shown_name(key)} and "
                                    f"{shown_name(origin[name])} both name the field '{name}'; "
                                    "give it once"))
            continue
        out[name], origin[name] = value, key
        if key in record.lines:
            lines[name] = record.lines[key]
    return dataclasses.replace(record, values=out, lines=lines or record.lines)


def check_choice(section_name: str, field_name: str, value: str | None, option: str
                 ) -> str | None:
    """A command-line value of one of a field's choices (a filter such as `--status`,
    `--level`), read as `load` reads that field: a CroError with what is allowed and a
    did-you-mean names the option. None (not given) stays None."""
    if value is None:
        return None
    try:
        return convert(SECTIONS[section_name].field(field_name), value)
    except BadValue as exc:
        raise CroError(f"{option}: {exc}") from None


def option_date(text: str | None, option: str) -> date | None:
    """A command-line option's YYYY-MM-DD (None when not given), or a CroError naming it."""
    if text is None:
        return None
    try:
        return parse_date(text.strip())
    except BadValue as exc:
        raise CroError(f"{option}: {exc}") from None
