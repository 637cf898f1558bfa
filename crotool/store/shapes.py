"""Field and Section: the shape of a record type, which `schema.py` (the record types) and
`rule_schema.py` (the rule sections of a rule pack) describe with them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Kinds of value. "slug": [a-z0-9] words joined by single hyphens; "code": a badge-like token
# (letters, digits, '-', '_', '.'), kept as text; "year": 2023-24; "number": a plain decimal
# between minimum and maximum, in steps of `step` when it has one (training hours: 1.5; days
# per week: 0.5 to 5 in halves); "pairs": a list of {id, name} mappings (a report's incident
# flags), stored as JSON like a list.
KINDS = ("text", "slug", "code", "year", "int", "number", "bool", "date", "datetime", "enum",
         "list", "pairs")


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: str = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    ref: str | None = None  # section whose key this value (or each list item) must be
    item_kind: str = "text"  # for kind "list": the kind of each item
    minimum: float | None = None
    maximum: float | None = None
    max_length: int = 2000
    default_from: str | None = None  # documented default (the column DEFAULT, or the rules)
    step: float | None = None  # for kind "number": the value is a whole multiple of it


@dataclass(frozen=True, slots=True)
class Section:
    name: str  # section name in seed documents = table name
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    label: str = ""  # singular noun for messages
    importable: bool = False  # `crotool import TABLE` accepts it
    # Fields never audited, and exported only on request (duty notes).
    private: frozenset[str] = field(default_factory=frozenset)
    # Columns that crotool's own `list` of this section adds (computed, or another table's):
    # an import of that export reads past them, so that the CSV it wrote imports as itself.
    derived: tuple[str, ...] = ()
    # The program module with this record type's own rules (its `RULES` names a
    # `checker.Rules` for this section), imported by the checker when it meets one; None: the
    # generic checks alone (conversion, duplicate keys, references).
    rules: str | None = None

    # Lookups derived from `fields` once (they sit on every row's path of a large import).
    _index: dict[str, Field] = field(default_factory=dict, init=False, repr=False, compare=False)
    _names: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)
    _required: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)
    _headers: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {f.name: f for f in self.fields})
        object.__setattr__(self, "_headers", {header_key(f.name): f.name for f in self.fields})
        object.__setattr__(self, "_names", tuple(f.name for f in self.fields))
        object.__setattr__(self, "_required", tuple(f.name for f in self.fields if f.required))

    def field(self, name: str) -> Field:
        return self._index[name]

    @property
    def field_names(self) -> tuple[str, ...]:
        return self._names

    @property
    def required_names(self) -> tuple[str, ...]:
        return self._required

    def match(self, name: str) -> str | None:
        """The field a column header or record key names (case, surrounding space
        and `_`/space/`-` differences do not matter: `School Trained On` is
        `school_trained_on`), or None."""
        if name in self._index:
            return name
        return self._headers.get(header_key(name))


_SEPARATORS = re.compile(r"[\s_-]+")


def header_key(name: str) -> str:
    """A header as it is compared: lowercase, words joined by `_`."""
    return _SEPARATORS.sub("_", name.strip().lower()).strip("_")


def make(name: str, kind: str = "text", **kw) -> Field:
    return Field(name, kind, **kw)
