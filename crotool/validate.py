"""Records of text -> typed values, or a list of every problem (never the first one only).

`convert_record` reads one record by its section's fields; `Checker` runs a whole input (one
or more sections) through conversion, duplicate keys, references (to what the input itself
holds and to what is stored) and the cross-field rules of SPEC §1. Nothing here writes.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from crotool.errors import Problem, ValidationFailed, did_you_mean
from crotool.readers import _CONTROL, Record
from crotool.schema import DATE_MAX, DATE_MIN, SECTIONS, Field, Section

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_YEAR = re.compile(r"^(\d{4})-(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_INT = re.compile(r"^[+-]?\d{1,12}$")
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


def _show(value: Any) -> str:
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def parse_date(text: str) -> date:
    if not _DATE.match(text):
        raise BadValue(f"{_show(text)} is not a date; write YYYY-MM-DD, e.g. 2023-09-05")
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise BadValue(f"{_show(text)} is not a real date (no such day)") from None
    if not DATE_MIN <= text <= DATE_MAX:
        raise BadValue(f"{_show(text)} is outside the dates crotool accepts ({DATE_MIN} to "
                       f"{DATE_MAX})")
    return value


def parse_datetime(text: str) -> datetime:
    """ISO 8601 local time (the school's wall clock), to the second.

    A UTC offset (`-08:00`, `Z`) is refused rather than converted: converting by the machine's
    time zone made the same file import as different keys on a laptop and on a UTC cron server
    (a duplicate duty each time), and dropping it would silently shift a UTC export by hours.
    """
    if _DATE.match(text[:10]):
        parse_date(text[:10])  # an impossible day (2023-02-30) is named as such
    given = text  # messages show what the user wrote, not the padded form
    if _DATE.match(text):
        text += "T00:00:00"
    try:
        value = datetime.fromisoformat(text.replace(" ", "T", 1) if " " in text else text)
    except ValueError:
        raise BadValue(
            f"{_show(given)} is not a date-time; write YYYY-MM-DDTHH:MM[:SS], e.g. 2023-10-03T09:30"
        ) from None
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


def convert(f: Field, raw: Any, *, private: bool = False) -> Any:
    """One raw value (text, None or a list) -> its typed value; BadValue if it cannot be."""
    if f.kind == "list":
        if raw is None:
            return []
        items = raw if isinstance(raw, list) else [p for p in re.split(r"[;,]", raw)]
        out = []
        for item in items:
            if item is None or not str(item).strip():
                continue
            out.append(convert(Field(f.name, f.item_kind), str(item).strip()))
        return out
    if isinstance(raw, list):
        raise BadValue("a list is not allowed here; give one value")
    if raw is None:
        return None
    text = raw.strip() if f.kind != "text" else raw
    if _SURROGATE.search(text):
        # A command-line argument that was not UTF-8 arrives with lone surrogates
        # (surrogateescape), which SQLite cannot store.
        raise BadValue("not UTF-8 text; check the terminal's or the script's encoding")
    bad = _CONTROL.search(text)
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
    if f.kind == "bool":
        return parse_bool(text)
    if f.kind == "date":
        return parse_date(text).isoformat()
    if f.kind == "datetime":
        return parse_datetime(text).isoformat(timespec="seconds")
    if f.kind == "enum":
        if text not in f.choices:
            close = did_you_mean(text, f.choices)
            hint = f" (did you mean '{close}'?)" if close else ""
            raise BadValue(f"{_show(text)} is not allowed; use one of {', '.join(f.choices)}{hint}")
        return text
    raise AssertionError(f"unknown field kind {f.kind}")


def _some(keys: Iterable[str], shown: int = 8) -> str:
    """A few known keys, for a message about an unknown one."""
    ordered = sorted(keys)
    return ", ".join(ordered[:shown]) + (f" ... ({len(ordered)} in all)"
                                         if len(ordered) > shown else "")


def record_label(section: Section, values: dict[str, Any], fallback: int | None = None) -> str:
    """`schools[bell-es]`, `assignments[0417/juanita/2023-24/2023-09-05]`: a record's name."""
    parts = [values.get(k) for k in section.key]
    if section.key and all(p is not None for p in parts):
        return f"{section.name}[{'/'.join(str(p) for p in parts)}]"
    if section.key and parts[0] is not None:
        # Part of the key (an assignment whose start comes from its year): still a good name.
        return f"{section.name}[{'/'.join(str(p) for p in parts if p is not None)}]"
    return f"{section.name}[#{fallback}]" if fallback is not None else section.name


def convert_record(section: Section, record: Record, problems: list[Problem]) -> dict | None:
    """A record's typed values (only the fields it gives), or None after adding its problems."""
    values: dict[str, Any] = {}
    bad = False
    failed: set[str] = set()  # fields already reported as bad values
    known = section.field_names
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
            problems.append(Problem(record.where(name), f"{label}: unknown field '{name}'; "
                                    f"allowed: {', '.join(known)}{hint}"))
            bad = True
            continue
        f = section.field(name)
        try:
            values[name] = convert(f, raw, private=name in section.private)
            if values[name] is not None and name in section.key and f.kind == "text":
                values[name] = normal_text(values[name])
            if values[name] is None and f.default_from:
                # No value for a field that has a default (status, role, requires_request,
                # an assignment's dates) is the same as leaving it out: the default on insert,
                # the stored value kept on update. Stored as NULL it broke a NOT NULL column.
                del values[name]
        except BadValue as exc:
            problems.append(Problem(record.where(name), f"{label}.{name}: {exc}"))
            failed.add(name)
            bad = True
    for name in section.required_names:
        # Absent, null, or text that is only spaces: all "no value" (a NULL would then hit
        # the column's NOT NULL at write time, past validation).
        if values.get(name) is None and name not in failed:
            problems.append(Problem(record.where(name), f"{label}: missing required field "
                                    f"'{name}'"))
            bad = True
    return None if bad else values


class _LazyLabel:
    """A record's label, built only when a message needs it (most records need none)."""

    __slots__ = ("section", "values", "text")

    def __init__(self, section: Section, values: dict[str, Any]):
        self.section, self.values, self.text = section, values, None

    def __str__(self) -> str:
        if self.text is None:
            self.text = record_label(self.section, self.values)
        return self.text

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


class Checker:
    """Validates a whole input against itself and the database; collects every problem."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.problems: list[Problem] = []
        self._stored_keys: dict[str, set[str]] = {}
        self.incoming_keys: dict[str, set[str]] = {}
        self._years: dict[str, tuple[str, str]] | None = None
        self._requires_request: dict[str, bool] | None = None
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
        return key in self.incoming_keys.get(section_name, ()) or key in self.stored_keys(
            section_name
        )

    def known(self, section_name: str) -> set[str]:
        return self.stored_keys(section_name) | self.incoming_keys.get(section_name, set())

    def years(self) -> dict[str, tuple[str, str]]:
        if self._years is None:
            self._years = {
                r["id"]: (r["start"], r["end"])
                for r in self.conn.execute("SELECT id, start, end FROM school_years")
            }
        return self._years

    def requires_request(self) -> dict[str, bool]:
        if self._requires_request is None:
            self._requires_request = {
                r[0]: bool(r[1])
                for r in self.conn.execute("SELECT id, requires_request FROM duty_categories")
            }
        return self._requires_request

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
        if section.name == "duty_categories":
            rr = self.requires_request()
            for r in records:
                if "requires_request" in r or r["id"] not in rr:
                    rr[r["id"]] = bool(r.get("requires_request", False))

    # -- checks --------------------------------------------------------------
    def convert_all(self, section: Section, records: Iterable[Record]) -> list[tuple[Record, dict]]:
        """Convert every record, then fill defaults that the key needs and drop duplicates."""
        out: list[tuple[Record, dict]] = []
        seen: dict[tuple, Record] = {}
        for record in records:
            values = convert_record(section, record, self.problems)
            if values is None:
                continue
            if section.name == "assignments" and not self._assignment_dates(record, values):
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

    def _assignment_dates(self, record: Record, values: dict) -> bool:
        year = values.get("school_year")
        span = self.years().get(year)
        if span is None:
            return True  # reported by the reference check
        values.setdefault("start", span[0])
        values.setdefault("end", span[1])
        if values["start"] is None:
            values["start"] = span[0]
        if values["end"] is None:
            values["end"] = span[1]
        return True

    def check_rules(self, section: Section, pairs: list[tuple[Record, dict]]) -> list[dict]:
        """References and cross-field rules; returns the records that pass."""
        good: list[dict] = []
        ref_fields = [f for f in section.fields if f.ref]
        spelled = text_keys(section)
        for record, values in pairs:
            if spelled:
                self._spell_as_stored(section, spelled, values)
            label = _LazyLabel(section, values)
            before = len(self.problems)
            for f in ref_fields:
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
                    self.problems.append(Problem(
                        record.where(f.name), f"{label}.{f.name}: unknown {noun} '{item}'{hint}"))
            self._section_rules(section, record, values, label)
            if len(self.problems) == before:
                good.append(values)
        return good

    def _section_rules(self, section: Section, record: Record, values: dict, label: str) -> None:
        add = self.problems.append
        name = section.name
        if name in ("school_years", "leaves", "assignments"):
            start, end = values.get("start"), values.get("end")
            # An assignment's date left out defaults to its year's; a given date outside the
            # year is reported below, and a defaulted one must not be blamed for it.
            given = name != "assignments" or all(record.values.get(f) for f in ("start", "end"))
            if start and end and end < start and given:
                add(Problem(record.where("end"), f"{label}.end: {end} is before its start {start}"))
        if name == "assignments":
            span = self.years().get(values.get("school_year"))
            if span:
                for f in ("start", "end"):
                    if values.get(f) and not span[0] <= values[f] <= span[1]:
                        add(Problem(record.where(f), f"{label}.{f}: {values[f]} is outside school "
                                    f"year {values['school_year']} ({span[0]} to {span[1]})"))
        if name == "school_years":
            start, year_id = values.get("start"), values.get("id")
            if start and year_id and start[:4] != year_id[:4]:
                add(Problem(record.where("start"), f"{label}.start: {start} is not in "
                            f"{year_id[:4]}, the year the id {year_id} names"))
        if name == "assessments" and values.get("status") not in (None, "done"):
            done = self.conn.execute(
                "SELECT id, duty FROM assessments"
                " WHERE school = ? AND due = ? AND duty IS NOT NULL",
                (values.get("school"), values.get("due"))).fetchone()
            if done:
                add(Problem(record.where("status"), f"{label}.status: safety assessment "
                            f"{done[0]} was completed by duty {done[1]}; it cannot be set back to "
                            f"'{values['status']}' (leave status out, or write done)"))
        if name == "duties":
            category = values.get("category")
            if self.requires_request().get(category) and not values.get("requested_by") and (
                    "requested_by" in values or not self._stored_requested_by(values)):
                # A row that leaves requested_by out (an import updating minutes) keeps the
                # stored duty's; only a new duty, or one that clears it, is refused.
                add(Problem(record.where("category"), f"{label}: category '{category}' is done "
                            "only on request: give requested_by (who asked for it)"))

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
                  keep_label: bool = False) -> dict[str, Any]:
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
    return good[0]


def _option_problem(section: Section, problem: Problem) -> Problem:
    what = re.sub(rf"^{section.name}\[.*?\](\.[a-z_]+)?: ", "", problem.what)
    for name in section.field_names:  # "give requested_by" -> "give --requested-by"
        what = what.replace(f"give {name}", f"give --{name.replace('_', '-')}")
    return Problem(problem.where, what)
