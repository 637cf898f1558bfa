"""The domain's fields and their types: one table of truth for load, import and checks.

Each `Section` is a seed-document section and a table. A field's `kind` says how its text is
read (every value arrives as text, whatever the input format, and is converted here, so that
`name: NO` stays "NO" and `badge: 0123` stays "0123"). `ref` names the section a value must
exist in; `key` is the natural key that loads and imports upsert by.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LEVELS = ("elementary", "middle", "high", "choice")
AGENCY_KINDS = ("city", "county", "contract")
OFFICER_STATUSES = ("active", "inactive")
ROLES = ("cro", "additional")
ASSESSMENT_STATUSES = ("scheduled", "done", "cancelled")
CONNECTOR_STATUSES = ("current", "new")
PHASES = ("prevention", "mitigation", "response", "recovery")
DIMENSIONS = ("physical", "emotional", "social", "behavioral", "academic")

# The dates crotool accepts, for every date and date-time field, option and $CROTOOL_TODAY: a
# school program's records fall well inside them, and a date outside (year 0001, 9999-12-31)
# is a typo or an attack that made reports run for hours (a month per row to year 9999) or
# overflow date arithmetic. Inclusive; years are four digits throughout.
DATE_MIN = "1900-01-01"
DATE_MAX = "2199-12-31"

# Kinds of value. "slug": [a-z0-9] words joined by single hyphens; "code": a badge-like token
# (letters, digits, '-', '_', '.'), kept as text; "year": 2023-24.
KINDS = ("text", "slug", "code", "year", "int", "bool", "date", "datetime", "enum", "list")


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: str = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    ref: str | None = None  # section whose key this value (or each list item) must be
    item_kind: str = "text"  # for kind "list": the kind of each item
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = 2000
    default_from: str | None = None  # documented default (filled by validate)


@dataclass(frozen=True, slots=True)
class Section:
    name: str  # section name in seed documents = table name
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    label: str = ""  # singular noun for messages
    importable: bool = False  # `crotool import TABLE` accepts it
    # Fields never audited, and exported only on request (duty notes).
    private: frozenset[str] = field(default_factory=frozenset)

    # Lookups derived from `fields` once (they sit on every row's path of a large import).
    _index: dict[str, Field] = field(default=None, init=False, repr=False, compare=False)
    _names: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)
    _required: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {f.name: f for f in self.fields})
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


def _f(name: str, kind: str = "text", **kw) -> Field:
    return Field(name, kind, **kw)


DISTRICT = Section(
    "district",
    key=(),
    fields=(_f("name", required=True), _f("short_name")),
    label="district",
)

SECTIONS: dict[str, Section] = {
    s.name: s
    for s in (
        Section(
            "school_years",
            key=("id",),
            fields=(
                _f("id", "year", required=True),
                _f("start", "date", required=True),
                _f("end", "date", required=True),
            ),
            label="school year",
        ),
        Section(
            "agencies",
            key=("id",),
            fields=(
                _f("id", "slug", required=True),
                _f("name", required=True),
                _f("kind", "enum", required=True, choices=AGENCY_KINDS),
                _f("jurisdiction", "list"),
            ),
            label="agency",
        ),
        Section(
            "feeder_patterns",
            key=("id",),
            fields=(
                _f("id", "slug", required=True),
                _f("name", required=True),
                _f("high_school", "slug", ref="schools"),
            ),
            label="feeder pattern",
        ),
        Section(
            "schools",
            key=("id",),
            fields=(
                _f("id", "slug", required=True),
                _f("name", required=True),
                _f("level", "enum", required=True, choices=LEVELS),
                _f("feeder_pattern", "slug", required=True, ref="feeder_patterns"),
                _f("also_feeds", "list", item_kind="slug", ref="feeder_patterns"),
                _f("agency", "slug", required=True, ref="agencies"),
                _f("city"),
                _f("address"),
            ),
            label="school",
            importable=True,
        ),
        Section(
            "officers",
            key=("badge",),
            fields=(
                _f("badge", "code", required=True, max_length=32),
                _f("name", required=True),
                _f("agency", "slug", required=True, ref="agencies"),
                _f("status", "enum", choices=OFFICER_STATUSES, default_from="active"),
                _f("school_trained_on", "date"),
                _f("rank"),
                _f("phone"),
                _f("email"),
            ),
            label="officer",
            importable=True,
        ),
        Section(
            "leaves",
            key=("officer", "start"),
            fields=(
                _f("officer", "code", required=True, ref="officers"),
                _f("start", "date", required=True),
                _f("end", "date", required=True),
                _f("reason"),
            ),
            label="leave",
            importable=True,
        ),
        Section(
            "assignments",
            key=("officer", "feeder_pattern", "school_year", "start"),
            fields=(
                _f("officer", "code", required=True, ref="officers"),
                _f("feeder_pattern", "slug", required=True, ref="feeder_patterns"),
                _f("school_year", "year", required=True, ref="school_years"),
                _f("role", "enum", choices=ROLES, default_from="cro"),
                _f("start", "date", default_from="the school year's start"),
                _f("end", "date", default_from="the school year's end"),
            ),
            label="assignment",
            importable=True,
        ),
        Section(
            "duty_categories",
            key=("id",),
            fields=(
                _f("id", "slug", required=True),
                _f("name", required=True),
                _f("description"),
                _f("requires_request", "bool", default_from="false"),
            ),
            label="duty category",
        ),
        Section(
            "duties",
            key=("officer", "school", "category", "at"),
            fields=(
                _f("officer", "code", required=True, ref="officers"),
                _f("school", "slug", required=True, ref="schools"),
                _f("category", "slug", required=True, ref="duty_categories"),
                _f("at", "datetime", required=True),
                _f("minutes", "int", minimum=1, maximum=1440),
                _f("requested_by"),
                _f("reference"),
                _f("notes", max_length=10000),
            ),
            label="duty",
            importable=True,
            private=frozenset({"notes"}),
        ),
        Section(
            "assessments",
            key=("school", "due"),
            fields=(
                _f("school", "slug", required=True, ref="schools"),
                _f("due", "date", required=True),
                _f("requested_by"),
                _f("status", "enum", choices=ASSESSMENT_STATUSES, default_from="scheduled"),
            ),
            label="safety assessment",
        ),
        Section(
            "connectors",
            key=("id",),
            fields=(
                _f("id", "slug", required=True),
                _f("name", required=True),
                _f("organization"),
                _f("sector"),
                _f("status", "enum", choices=CONNECTOR_STATUSES, default_from="current"),
            ),
            label="connector",
            importable=True,
        ),
        Section(
            "engagements",
            key=("date", "title"),
            fields=(
                _f("date", "date", required=True),
                _f("title", required=True),
                _f("connectors", "list", item_kind="slug", ref="connectors"),
                _f("phase", "enum", required=True, choices=PHASES),
                _f("dimension", "enum", required=True, choices=DIMENSIONS),
                _f("summary", max_length=10000),
            ),
            label="engagement",
            importable=True,
        ),
    )
}

# Sections in the order a load writes them (references first; FKs are deferred anyway).
SECTION_ORDER: tuple[str, ...] = ("district", *SECTIONS)
IMPORTABLE: tuple[str, ...] = tuple(name for name, s in SECTIONS.items() if s.importable)

# SQL column that holds a section's key when it is a single text id.
KEY_COLUMN = {name: s.key[0] for name, s in SECTIONS.items() if len(s.key) == 1}


def section(name: str) -> Section:
    return DISTRICT if name == "district" else SECTIONS[name]
