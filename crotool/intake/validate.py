"""Records of text -> typed values, or a list of every problem (never the first one only).

`convert_record` reads one record by its section's fields; `Checker` runs a whole input (one
or more sections) through conversion, duplicate keys, references (to what the input itself
holds and to what is stored) and the cross-field rules (an assignment inside its school
year, a leave that does not end before it starts, ...). Nothing here writes.
"""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from crotool.errors import CroError, Problem, ValidationFailed, did_you_mean
from crotool.intake.readers import CONTROL, Record
from crotool.store.schema import DATE_MAX, DATE_MIN, SECTIONS, Field, Section

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_YEAR = re.compile(r"^(\d{4})-(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_INT = re.compile(r"^[+-]?\d{1,12}$")
_NUMBER = re.compile(r"^[+-]?(?:\d{1,9}(?:\.\d{0,6})?|\.\d{1,6})$")
_TRUE = frozenset({"true", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "off"})
# A school year longer than this is a typo in a date, not a year.
MAX_YEAR_DAYS = 400
# Sections that a field of another section refers to (by their single key).
_REFERRED_TO = frozenset(f.ref for s in SECTIONS.values() for f in s.fields if f.ref)


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


def _some(keys: Iterable[str], shown: int = 8) -> str:
    """A few known keys, for a message about an unknown one."""
    ordered = sorted(keys)
    return ", ".join(ordered[:shown]) + (f" ... ({len(ordered)} in all)"
                                         if len(ordered) > shown else "")


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


class _LazyLabel:
    """A record's label, built only when a message needs it (most records need none)."""

    __slots__ = ("section", "values", "text")

    def __init__(self, section: Section, values: dict[str, Any]):
        self.section, self.values = section, values
        self.text: str | None = None

    def __str__(self) -> str:
        if self.text is None:
            self.text = record_label(self.section, self.values)
        return self.text

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


class Checker:
    """Validates a whole input against itself and the database; collects every problem."""

    def __init__(self, conn: sqlite3.Connection, reading: Reading = PLAIN):
        self.conn = conn
        self.reading = reading
        self.problems: list[Problem] = []
        # Accepted, but worth a look (a training dated before its officer's first day on
        # campus): the commands print them as `warning:` lines; they never stop a write.
        self.warnings: list[Problem] = []
        self._first_on_campus: dict[str, str | None] | None = None
        self._stored_keys: dict[str, set[str]] = {}
        self.incoming_keys: dict[str, set[str]] = {}
        # Keys of records this input brings that were refused for a bad value (reported):
        # a reference to one is not "unknown" (the incident an `incidents add` with a bad
        # --school adds, which its --student rows name).
        self.refused_keys: dict[str, set[str]] = {}
        self._years: dict[str, tuple[str, str]] | None = None
        self._requires_request: dict[str, bool] | None = None
        # Spans seen so far, for the overlap rules: stored ones first, then each incoming record
        # that passes (so two overlapping records of one input are reported once, at the later).
        self._year_spans: dict[str, tuple[str, str]] | None = None
        self._closure_spans: dict[str, dict[str, str]] | None = None
        self._categories: dict[str, set[str]] | None = None
        # Incidents that the input gives student rows for, those rows valid or not (a bad row
        # is reported as such, not as no row).
        self.incoming_students: set[str] = set()
        # Follow-ups name composite keys: the incoming duties and rules they may refer to.
        self.incoming_duties: set[tuple] = set()
        self.incoming_rules: dict[str, set[str]] = {}
        self._spellings: dict[str, dict[tuple, tuple]] = {}

    # -- what exists ---------------------------------------------------------
    def stored_keys(self, section_name: str) -> set[str]:
        if section_name not in self._stored_keys:
            col = SECTIONS[section_name].key[0]
            self._stored_keys[section_name] = {
                r[0] for r in self.conn.execute(f"SELECT {col} FROM {section_name}")
            }
        return self._stored_keys[section_name]

    def exists(self, section_name: str, key: str) -> bool:
        return (key in self.incoming_keys.get(section_name, ())
                or key in self.refused_keys.get(section_name, ())
                or key in self.stored_keys(section_name))

    def known(self, section_name: str) -> set[str]:
        return self.stored_keys(section_name) | self.incoming_keys.get(section_name, set())

    def years(self) -> dict[str, tuple[str, str]]:
        if self._years is None:
            self._years = {
                r["id"]: (r["start"], r["end"])
                for r in self.conn.execute("SELECT id, start, end FROM school_years")
            }
        return self._years

    def year_spans(self) -> dict[str, tuple[str, str]]:
        if self._year_spans is None:
            self._year_spans = {r[0]: (r[1], r[2]) for r in self.conn.execute(
                "SELECT id, start, end FROM school_years")}
        return self._year_spans

    def closure_spans(self) -> dict[str, dict[str, str]]:
        """school year -> closure start -> end."""
        if self._closure_spans is None:
            self._closure_spans = {}
            for r in self.conn.execute("SELECT school_year, start, end FROM closures"):
                self._closure_spans.setdefault(r[0], {})[r[1]] = r[2]
        return self._closure_spans

    def requires_request(self) -> dict[str, bool]:
        if self._requires_request is None:
            self._requires_request = {
                r[0]: bool(r[1])
                for r in self.conn.execute("SELECT id, requires_request FROM duty_categories")
            }
        return self._requires_request

    def categories(self) -> dict[str, set[str]]:
        """kind -> the ids of student_categories (stored and incoming)."""
        if self._categories is None:
            self._categories = {}
            for kind, cid in self.conn.execute("SELECT kind, id FROM student_categories"):
                self._categories.setdefault(kind, set()).add(cid)
        return self._categories
    def first_on_campus(self) -> dict[str, str | None]:
        if self._first_on_campus is None:
            self._first_on_campus = {
                r[0]: r[1] for r in self.conn.execute("SELECT badge, first_on_campus FROM officers")
            }
        return self._first_on_campus

    def note_refused(self, section: Section, partial: dict[str, Any]) -> None:
        """Register what a refused record (its values reported) still brings to the input:
        its key, when that was read, for the references to it; and, for a student row, that
        its incident was given one. Only for what other records can refer to: an import of
        many bad duties keeps nothing."""
        if len(section.key) == 1 and section.name in _REFERRED_TO:
            key = partial.get(section.key[0])
            if key is not None:
                self.refused_keys.setdefault(section.name, set()).add(key)
        if section.name == "incident_students" and partial.get("incident") is not None:
            self.incoming_students.add(partial["incident"])

    def note_incoming(self, section: Section, records: Iterable[dict]) -> None:
        """Register the keys an input brings, and the years and categories it defines."""
        if len(section.key) == 1:
            self.incoming_keys.setdefault(section.name, set()).update(
                r[section.key[0]] for r in records
            )
        if section.name == "school_years":
            years = self.years()
            for r in records:
                years[r["id"]] = (r["start"], r["end"])
        if section.name == "student_categories":
            known = self.categories()
            for r in records:
                known.setdefault(r["kind"], set()).add(r["id"])
        if section.name == "incident_students":
            self.incoming_students.update(r["incident"] for r in records)
        if section.name == "duties":
            self.incoming_duties.update(tuple(r.get(k) for k in section.key) for r in records)
        if section.name == "followup_rules":
            for r in records:
                self.incoming_rules.setdefault(r["category"], set()).add(r["id"])
        if section.name == "officers":
            firsts = self.first_on_campus()
            for r in records:
                if "first_on_campus" in r:
                    firsts[r["badge"]] = r["first_on_campus"]
        if section.name == "duty_categories":
            rr = self.requires_request()
            for r in records:
                if "requires_request" in r or r["id"] not in rr:
                    rr[r["id"]] = bool(r.get("requires_request", False))

    # -- checks --------------------------------------------------------------
    def convert_all(self, section: Section, records: Iterable[Record]) -> list[tuple[Record, dict]]:
        """Convert every record, then fill defaults that the key needs and drop duplicates.

        A record that fails conversion still has its good values checked, each on its own
        (`check_values`: references, a student's race), so that one pass lists every problem
        (a bad officer and bad minutes, both); its key still counts as given (`note_refused`),
        so that what refers to it is not told it is unknown. With
        `reading.updates`, a record that leaves out required fields must name a stored key.
        """
        out: list[tuple[Record, dict]] = []
        seen: dict[tuple, Record] = {}
        for record in records:
            partial: dict[str, Any] = {}
            values = convert_record(section, record, self.problems, self.reading, partial)
            if values is None:
                self.check_values(section, record, partial, _LazyLabel(section, partial))
                self.note_refused(section, partial)
                continue
            if section.name == "assignments":
                self._assignment_dates(values)
            if self.reading.updates and not self._may_leave_out(section, record, values):
                continue
            key = folded_key(section, values) if text_keys(section) else tuple(
                values.get(k) for k in section.key)
            if key in seen:
                first = seen[key]
                self.problems.append(Problem(record.where(), f"{record_label(section, values)}: "
                                             f"duplicate record (first at {first.where()})"))
                continue
            seen[key] = record
            out.append((record, values))
        return out

    def _assignment_dates(self, values: dict) -> None:
        """An assignment's start and end default to its school year's (an unknown year is
        reported by the reference check)."""
        span = self.years().get(values.get("school_year") or "")
        if span is not None:
            for i, name in enumerate(("start", "end")):
                if values.get(name) is None:
                    values[name] = span[i]

    def _may_leave_out(self, section: Section, record: Record, values: dict) -> bool:
        """A record without every required field updates a stored one; else it is refused,
        naming what a new record needs."""
        absent = [n for n in section.required_names if n not in values]
        if not absent or self._stored(section, values):
            return True
        s = "s" if len(absent) > 1 else ""
        names = ", ".join(f"'{n}'" for n in absent)
        self.problems.append(Problem(record.where(), f"{record_label(section, values)}: missing "
                                     f"required field{s} {names} (nothing with this key is stored "
                                     f"to update; a new {section.label} needs "
                                     f"{', '.join(section.required_names)})"))
        return False

    def _stored(self, section: Section, values: dict) -> bool:
        if len(section.key) == 1:
            return values.get(section.key[0]) in self.stored_keys(section.name)
        where = " AND ".join(f'"{k}" = ?' for k in section.key)
        return self.conn.execute(f"SELECT 1 FROM {section.name} WHERE {where}",
                                 [values.get(k) for k in section.key]).fetchone() is not None

    def check_rules(self, section: Section, pairs: list[tuple[Record, dict]]) -> list[dict]:
        """References and cross-field rules; returns the records that pass."""
        good: list[dict] = []
        spelled = text_keys(section)
        for record, values in pairs:
            if spelled:
                self._spell_as_stored(section, spelled, values)
            label = _LazyLabel(section, values)
            before = len(self.problems)
            self.check_values(section, record, values, label)
            self._section_rules(section, record, values, label)
            if len(self.problems) == before:
                good.append(values)
        return good

    def check_values(self, section: Section, record: Record, values: dict, label: Any
                     ) -> None:
        """The checks of one value each, against what is stored or in the input: references,
        and the value rules of a section (a student's race is a race of student_categories,
        an incident's `at` lies in a school year). They need no other field of the record, so
        they also run on the values that converted of a record whose other values did not."""
        self.check_references(section, record, values, label)
        if section.name in ("incidents", "incident_students"):
            from crotool.program.incidents import value_rules

            value_rules(self, section.name, record, values, label)

    def check_references(self, section: Section, record: Record, values: dict,
                         label: Any) -> None:
        """Every reference of `values` that names nothing stored or incoming, with a hint."""
        for f in section.fields:
            if not f.ref:
                continue
            value = values.get(f.name)
            items = value if isinstance(value, list) else [value]
            for item in items:
                if item is None or self.exists(f.ref, item):
                    continue
                known = self.known(f.ref)
                close = did_you_mean(item, known)
                noun = SECTIONS[f.ref].label
                hint = f"; did you mean '{close}'?" if close else (
                    f"; add the {noun} first" if not known else f"; known: {_some(known)}")
                shown = (f"'{item}'" if not (section.private and might_be_prose(item))
                         else f"({withheld(item)})")
                self.problems.append(Problem(
                    record.where(f.name), f"{label}.{f.name}: unknown {noun} {shown}{hint}"))

    def _section_rules(self, section: Section, record: Record, values: dict,
                       label: str | _LazyLabel) -> None:
        add = self.problems.append
        name = section.name
        if name in ("leaves", "assignments", "closures"):
            start, end = values.get("start"), values.get("end")
            # An assignment's date left out defaults to its year's; a given date outside the
            # year is reported below, and a defaulted one must not be blamed for it.
            given = name != "assignments" or all(record.values.get(f) for f in ("start", "end"))
            if start and end and end < start and given:
                add(Problem(record.where("end"), f"{label}.end: {end} is before its start {start}"))
        if name == "assignments":
            span = self.years().get(values.get("school_year") or "")
            if span:
                for f in ("start", "end"):
                    if values.get(f) and not span[0] <= values[f] <= span[1]:
                        add(Problem(record.where(f), f"{label}.{f}: {values[f]} is outside school "
                                    f"year {values['school_year']} ({span[0]} to {span[1]})"))
        if name == "school_years":
            self._year_rules(record, values, label)
        if name == "closures":
            self._closure_rules(record, values, label)
        if name == "assessments" and values.get("status") not in (None, "done"):
            done = self.conn.execute(
                "SELECT id, duty FROM assessments"
                " WHERE school = ? AND due = ? AND duty IS NOT NULL",
                (values.get("school"), values.get("due"))).fetchone()
            if done:
                add(Problem(record.where("status"), f"{label}.status: safety assessment "
                            f"{done[0]} was completed by duty {done[1]}; it cannot be set back to "
                            f"'{values['status']}' (leave status out, or write done)"))
        if name in ("incidents", "complaints"):
            from crotool.program.incidents import section_rules

            section_rules(self, name, record, values, label)
        if name == "trainings":
            first = self.first_on_campus().get(values.get("officer") or "")
            done = values.get("completed_on")
            if first and done and done < first:
                # A warning, not an error: the series may well precede placement
                # (RCW 28A.400.345 lets the district require it before assigning).
                self.warnings.append(Problem(record.where("completed_on"), (
                    f"{label}.completed_on: {done} is before officer {values['officer']}'s "
                    f"first day on campus ({first}); recorded, and it counts: check the date "
                    "if the training was meant to follow placement")))
        if name == "duties":
            category = values.get("category") or ""
            if self.requires_request().get(category) and not values.get("requested_by") and (
                    "requested_by" in values or not self._stored_requested_by(values)):
                # A row that leaves requested_by out (an import updating minutes) keeps the
                # stored duty's; only a new duty, or one that clears it, is refused.
                add(Problem(record.where("category"), f"{label}: category '{category}' is done "
                            "only on request: give requested_by (who asked for it)"))
        if name == "followups":
            self._followup_rules(record, values, label)

    def _year_rules(self, record: Record, values: dict, label: str | _LazyLabel) -> None:
        """A year's id names its start's year; it ends after it starts, within 400 days, and
        overlaps no other year (each named)."""
        add = self.problems.append
        start, end, year_id = values.get("start"), values.get("end"), values.get("id")
        if start and year_id and start[:4] != year_id[:4]:
            add(Problem(record.where("start"), f"{label}.start: {start} is not in "
                        f"{year_id[:4]}, the year the id {year_id} names"))
        if not (start and end):
            return
        length = (date.fromisoformat(end) - date.fromisoformat(start)).days + 1
        if end < start:
            add(Problem(record.where("end"), f"{label}.end: {end} is before its start {start}"))
            return
        if end == start:
            add(Problem(record.where("end"), f"{label}.end: {end} is its start day; a school "
                        "year ends after it starts"))
            return
        if length > MAX_YEAR_DAYS:
            add(Problem(record.where("end"), f"{label}.end: {start} to {end} is {length} days, "
                        f"longer than a school year can be ({MAX_YEAR_DAYS} days at most)"))
        spans = self.year_spans()
        for other, (lo, hi) in sorted(spans.items(), key=lambda item: item[1]):
            if other != year_id and lo <= end and start <= hi:
                add(Problem(record.where("start"), f"{label}: {start} to {end} overlaps school "
                            f"year {other} ({lo} to {hi})"))
        if year_id:
            spans[year_id] = (start, end)

    def _closure_rules(self, record: Record, values: dict, label: str | _LazyLabel
                       ) -> None:
        """A closure lies inside its school year and overlaps no other closure of that year."""
        add = self.problems.append
        year_id: str = values.get("school_year") or ""
        start: str = values.get("start") or ""
        seen = self.closure_spans().setdefault(year_id, {})
        end = values.get("end") or seen.get(start)  # an import row may leave its end out
        span = self.years().get(year_id)
        if span and start and end:
            for f, value in (("start", start), ("end", end)):
                if not span[0] <= value <= span[1]:
                    add(Problem(record.where(f), f"{label}.{f}: {value} is outside school year "
                                f"{year_id} ({span[0]} to {span[1]})"))
        if not (start and end) or end < start:
            return
        for lo, hi in sorted(seen.items()):
            if lo != start and lo <= end and start <= hi:
                add(Problem(record.where("start"), f"{label}: {start} to {end} overlaps the "
                            f"closure {lo} to {hi} of {year_id}"))
        seen[start] = end
    def rules_of(self, category: str) -> set[str]:
        """The follow-up rule ids of a category: stored and in this input."""
        stored = {r[0] for r in self.conn.execute(
            "SELECT id FROM followup_rules WHERE category = ?", (category,))}
        return stored | self.incoming_rules.get(category, set())

    def _followup_rules(self, record: Record, values: dict, label: Any) -> None:
        """A done follow-up names a duty that exists, a rule of that duty's category, and a
        done_at no earlier than the duty itself."""
        add = self.problems.append
        key = tuple(values.get(k) for k in ("officer", "school", "category", "at"))
        if None in key:
            return  # a missing key field is already reported
        officer, school, category, at = key
        stored = self.conn.execute(
            "SELECT 1 FROM duties WHERE officer = ? AND school = ? AND category = ? AND at = ?",
            key).fetchone()
        if stored is None and key not in self.incoming_duties:
            add(Problem(record.where("at"), f"{label}: no duty of officer {officer} at {school}, "
                        f"{category}, {at} is stored or in this input (a follow-up names its "
                        "duty by officer, school, category and at)"))
            return
        rule = values.get("rule")
        rules = self.rules_of(str(category))
        if rule is not None and rule not in rules:
            known = (f"its rules: {', '.join(sorted(rules))}" if rules else
                     "it has no follow-up rules (add them under followup_rules)")
            close = did_you_mean(rule, rules)
            hint = f" (did you mean '{close}'?)" if close else ""
            add(Problem(record.where("rule"), f"{label}.rule: duty category '{category}' has no "
                        f"follow-up rule '{rule}'{hint}; {known}"))
        done_at = values.get("done_at")
        if done_at is not None and done_at < at:
            add(Problem(record.where("done_at"), f"{label}.done_at: {done_at} is before the duty "
                        f"itself ({at})"))

    def _spell_as_stored(self, section: Section, spelled: tuple[str, ...], values: dict) -> None:
        """Give a free-text key the spelling it is stored (or first came in) with, when it
        differs only by case: the key then matches that record instead of making another."""
        if section.name not in self._spellings:
            cols = ", ".join(section.key)
            self._spellings[section.name] = {
                folded_key(section, dict(r)): tuple(r[k] for k in spelled)
                for r in self.conn.execute(f"SELECT {cols} FROM {section.name}")}
        spellings = self._spellings[section.name]
        folded = folded_key(section, values)
        found = spellings.get(folded)
        if found is None:
            spellings[folded] = tuple(values.get(k) for k in spelled)
            return
        for name, text in zip(spelled, found, strict=True):
            values[name] = text

    def _stored_requested_by(self, values: dict) -> bool:
        row = self.conn.execute(
            "SELECT requested_by FROM duties WHERE officer = ? AND school = ? AND category = ?"
            " AND at = ?", tuple(values.get(k) for k in SECTIONS["duties"].key)).fetchone()
        return bool(row and row[0])

    def run(self, section: Section, records: Iterable[Record]) -> list[dict]:
        """Convert and check one section whose references are already registered."""
        pairs = self.convert_all(section, records)
        return self.check_rules(section, pairs)


class OptionRecord(Record):
    """A record typed on the command line: a problem names the option (`--minutes`), not a
    file and line. `options` maps a field to its spelling where that is not `--field-name`
    (a positional BADGE, `--year` for school_year)."""

    options: dict[str, str]

    def where(self, field_name: str | None = None) -> str:
        if not field_name:
            return self.source
        return self.options.get(field_name, "--" + field_name.replace("_", "-"))


def check_options(conn: sqlite3.Connection, section: Section, values: dict[str, Any],
                  subject: str, *, options: dict[str, str] | None = None,
                  keep_label: bool = False,
                  warnings: list[Problem] | None = None) -> dict[str, Any]:
    """Convert and check one command-line record with the rules loads and imports use.

    Raises ValidationFailed with every problem. The option already says which field, so the
    record label a file needs (`duties[0417/...].minutes: `) is dropped unless keep_label.
    """
    record = OptionRecord(subject, 0, values, {})
    record.options = options or {}
    checker = Checker(conn)
    good = checker.run(section, [record])
    if checker.problems or not good:
        problems = checker.problems
        if not keep_label:
            problems = [_option_problem(section, p) for p in problems]
        raise ValidationFailed(problems, subject=subject)
    if warnings is not None:
        warnings.extend(checker.warnings if keep_label else
                        [_option_problem(section, w) for w in checker.warnings])
    return good[0]


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


def _option_problem(section: Section, problem: Problem) -> Problem:
    what = re.sub(rf"^{section.name}\[.*?\](\.[a-z_]+)?: ", "", problem.what)
    for name in section.field_names:  # "give requested_by" -> "give --requested-by"
        what = what.replace(f"give {name}", f"give --{name.replace('_', '-')}")
    return Problem(problem.where, what)
