"""The record checker: a whole input against itself and the database, every problem listed.

`Checker` takes one or more sections of records (a load's seed documents, an import's batches,
one command line's options) through the same steps, whatever the record type:

1. conversion, by the section's fields (`store.fields.convert_record`);
2. duplicate keys inside the input (free text in a key compared in normal form, without case);
3. references: a value that names another section's key names one that is stored or in the
   input, else a message with a did-you-mean;
4. the record type's own rules: what only that type knows (a school year overlaps no other,
   an assignment lies inside its year, a follow-up names a duty that exists...).

Step 4 is not written here. How the checker finds a section's rules:

- the section's entry in `store/schema.py` names the program module that holds them
  (`Section(..., rules="incidents")`); a section without `rules` has none of its own;
- that module maps each of its sections to a `Rules` subclass in a module-level `RULES` dict
  (`RULES = {"incidents": IncidentRules, "complaints": ComplaintRules}`);
- the checker imports `crotool.program.<rules>` by name (importlib) the first time it meets a
  record of that section, and makes one rules object per section for its own life (one input).

This is the CLI's command table over again: a table of names, a module imported only when it
is needed. The checker imports no record type, a command that checks nothing loads none, and
adding a record type touches only its migration, its schema entry, its program module (its
rules and `RULES`), its command module, tests and docs; nothing here.

A rules object overrides the hooks it needs (each is a no-op in `Rules`): `converted` (fill
what the key needs), `incoming` (what the input brings, before any rule runs), `refused` (the
values of a record refused for others), `values` (rules of one value each) and `record` (the
rules of a whole record). It holds its own caches (a year's dates, the categories that exist)
and reaches another section's through `checker.rules_of(name, kind)`: an assignment asks the
school years for their dates. Nothing here writes.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import sqlite3
from collections.abc import Iterable
from typing import Any, TypeVar

from crotool.errors import Problem, ValidationFailed, did_you_mean
from crotool.store.fields import (
    PLAIN,
    Reading,
    Record,
    convert_record,
    folded_key,
    might_be_prose,
    record_label,
    text_keys,
    withheld,
)
from crotool.store.schema import SECTIONS, Section, section

# Sections that a field of another section refers to (by their single key).
_REFERRED_TO = frozenset(f.ref for s in SECTIONS.values() for f in s.fields if f.ref)


def _some(keys: Iterable[str], shown: int = 8) -> str:
    """A few known keys, for a message about an unknown one."""
    ordered = sorted(keys)
    return ", ".join(ordered[:shown]) + (f" ... ({len(ordered)} in all)"
                                         if len(ordered) > shown else "")


class Label:
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


class Rules:
    """A record type's own rules: the hooks the checker calls, each doing nothing here.

    A program module subclasses it once per section it holds rules for, and lists the
    subclasses in its `RULES` (see the module docstring)."""

    def __init__(self, checker: Checker) -> None:
        self.checker = checker
        self.conn = checker.conn

    @property
    def problems(self) -> list[Problem]:
        return self.checker.problems

    @property
    def warnings(self) -> list[Problem]:
        """Accepted, but worth a look: printed as `warning:` lines, never stopping a write."""
        return self.checker.warnings

    def converted(self, values: dict[str, Any]) -> None:
        """A record's values right after conversion, before duplicate keys are looked for:
        fill what its key needs (an assignment's dates from its school year)."""

    def incoming(self, records: list[dict[str, Any]]) -> None:
        """The converted records that an input brings (a load, `incidents add`), before any
        rule runs: keep what other records may refer to (a year's dates, a category)."""

    def refused(self, partial: dict[str, Any]) -> None:
        """The values that did convert of a record refused for the others (reported)."""

    def values(self, record: Record, values: dict[str, Any], label: Label) -> None:
        """Rules of one value each: they also run on the good values of a record whose other
        values did not convert, so that a bad grade does not hide a bad race."""

    def record(self, record: Record, values: dict[str, Any], label: Label) -> None:
        """Rules of a whole record, after its references and `values`."""

    def choices(self) -> tuple[str, ...]:
        """For a rule section whose ids are another field's choices (grades, complaint and
        agency kinds): its ids, stored and incoming, in their order; () for none."""
        return ()

    def ends_before_start(self, record: Record, values: dict[str, Any], label: Label) -> bool:
        """Report a span (a leave, a closure, a year) whose end is before its start."""
        start, end = values.get("start"), values.get("end")
        if start and end and end < start:
            self.problems.append(Problem(record.where("end"),
                                         f"{label}.end: {end} is before its start {start}"))
            return True
        return False


R = TypeVar("R", bound=Rules)


class Checker:
    """Validates a whole input against itself and the database; collects every problem."""

    def __init__(self, conn: sqlite3.Connection, reading: Reading = PLAIN):
        self.conn = conn
        self.reading = reading
        self.problems: list[Problem] = []
        # Accepted, but worth a look (a training dated before its officer's first day on
        # campus): the commands print them as `warning:` lines; they never stop a write.
        self.warnings: list[Problem] = []
        self._stored_keys: dict[str, set[str]] = {}
        # The keys of the records an input brings: the key itself for a single-field key, a
        # tuple for a composite one (a follow-up names its duty by officer, school, category
        # and at).
        self.incoming_keys: dict[str, set[Any]] = {}
        # Keys of records this input brings that were refused for a bad value (reported):
        # a reference to one is not "unknown" (the incident an `incidents add` with a bad
        # --school adds, which its --student rows name).
        self.refused_keys: dict[str, set[str]] = {}
        self._spellings: dict[str, dict[tuple, tuple]] = {}
        self._rules: dict[str, Rules] = {}
        # The records of mapping sections (one record, no key) an input brings, by section:
        # a rule pack's `report`, which the incidents loaded with it are checked against.
        self.incoming_mappings: dict[str, list[dict[str, Any]]] = {}

    # -- each record type's rules ----------------------------------------------
    def rules(self, section_name: str) -> Rules:
        """The rules object of a section, made on first use from the program module that its
        schema entry names (`Rules` itself, doing nothing, for a section without one)."""
        found = self._rules.get(section_name)
        if found is None:
            module = section(section_name).rules
            kind = (Rules if module is None else
                    importlib.import_module(f"crotool.program.{module}").RULES[section_name])
            found = self._rules[section_name] = kind(self)
        return found

    def rules_of(self, section_name: str, kind: type[R]) -> R:
        """`rules(section_name)`, as the class its module gives it (for its caches)."""
        found = self.rules(section_name)
        if not isinstance(found, kind):
            raise TypeError(f"the rules of {section_name} are {type(found).__name__}, "
                            f"not {kind.__name__}")
        return found

    def with_rule_choices(self, section: Section) -> Section:
        """`section` with the choices of its fields that take them from a rule section (a
        grade, a complaint's `about`, an agency's kind) set to that section's ids, stored and
        incoming; a field keeps its fixed choices while no rule defines any."""
        if not any(f.rule_choices for f in section.fields):
            return section
        fields = []
        for f in section.fields:
            ids = self.rules(f.rule_choices).choices() if f.rule_choices else ()
            fields.append(dataclasses.replace(f, choices=tuple(dict.fromkeys(
                (*ids, *f.always)))) if ids else f)
        return dataclasses.replace(section, fields=tuple(fields))

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

    def note_refused(self, section: Section, partial: dict[str, Any]) -> None:
        """Register what a refused record (its values reported) still brings to the input:
        its key, when that was read, for the references to it; and what its own rules keep
        (a student row: that its incident was given one). Only for what other records can
        refer to: an import of many bad duties keeps nothing."""
        if len(section.key) == 1 and section.name in _REFERRED_TO:
            key = partial.get(section.key[0])
            if key is not None:
                self.refused_keys.setdefault(section.name, set()).add(key)
        self.rules(section.name).refused(partial)

    def note_incoming(self, section: Section, records: list[dict[str, Any]]) -> None:
        """Register the keys an input brings, and what each record type keeps of them (the
        years and categories it defines)."""
        if len(section.key) == 1:
            self.incoming_keys.setdefault(section.name, set()).update(
                r[section.key[0]] for r in records
            )
        elif section.key:
            self.incoming_keys.setdefault(section.name, set()).update(
                tuple(r.get(k) for k in section.key) for r in records)
        else:
            self.incoming_mappings.setdefault(section.name, []).extend(records)
        self.rules(section.name).incoming(records)

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
        rules = self.rules(section.name)
        section = self.with_rule_choices(section)
        for record in records:
            partial: dict[str, Any] = {}
            values = convert_record(section, record, self.problems, self.reading, partial)
            if values is None:
                self.check_values(section, record, partial, Label(section, partial))
                self.note_refused(section, partial)
                continue
            rules.converted(values)
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
        """References and the record type's own rules; returns the records that pass."""
        good: list[dict] = []
        spelled = text_keys(section)
        rules = self.rules(section.name)
        for record, values in pairs:
            if spelled:
                self._spell_as_stored(section, spelled, values)
            label = Label(section, values)
            before = len(self.problems)
            self.check_values(section, record, values, label)
            rules.record(record, values, label)
            if len(self.problems) == before:
                good.append(values)
        return good

    def check_values(self, section: Section, record: Record, values: dict, label: Label
                     ) -> None:
        """The checks of one value each, against what is stored or in the input: references,
        and the value rules of a section (a student's race is a race of student_categories,
        an incident's `at` lies in a school year). They need no other field of the record, so
        they also run on the values that converted of a record whose other values did not."""
        self.check_references(section, record, values, label)
        self.rules(section.name).values(record, values, label)

    def check_references(self, section: Section, record: Record, values: dict,
                         label: Label) -> None:
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

    def run(self, section: Section, records: Iterable[Record]) -> list[dict]:
        """Convert and check one section whose references are already registered."""
        pairs = self.convert_all(section, records)
        return self.check_rules(section, pairs)


# ---------------------------------------------------------------- one record of options


class OptionRecord(Record):
    """A record typed on the command line: a problem names the option (`--minutes`), not a
    file and line. `options` maps a field to its spelling where that is not `--field-name`
    (a positional BADGE, `--year` for school_year)."""

    options: dict[str, str]

    @classmethod
    def of(cls, subject: str, values: dict[str, Any], options: dict[str, str] | None = None
           ) -> OptionRecord:
        record = cls(subject, 0, values, {})
        record.options = options or {}
        return record

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
    record = OptionRecord.of(subject, values, options)
    checker = Checker(conn)
    good = checker.run(section, [record])
    if checker.problems or not good:
        problems = checker.problems
        if not keep_label:
            problems = [option_problem(section, p) for p in problems]
        raise ValidationFailed(problems, subject=subject)
    if warnings is not None:
        warnings.extend(checker.warnings if keep_label else
                        [option_problem(section, w) for w in checker.warnings])
    return good[0]


def option_problem(section: Section, problem: Problem) -> Problem:
    """A problem of one command-line record, without the record label a file needs."""
    what = re.sub(rf"^{section.name}\[.*?\](\.[a-z_]+)?: ", "", problem.what)
    for name in section.field_names:  # "give requested_by" -> "give --requested-by"
        what = what.replace(f"give {name}", f"give --{name.replace('_', '-')}")
    return Problem(problem.where, what)
