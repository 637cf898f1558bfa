"""The domain's fields and their types: one table of truth for load, import and checks.

Each `Section` is a seed-document section and a table. A field's `kind` says how its text is
read (every value arrives as text, whatever the input format, and is converted here, so that
`name: NO` stays "NO" and `badge: 0123` stays "0123"). `ref` names the section a value must
exist in; `key` is the natural key that loads and imports upsert by. `rules` names the program
module that holds the record type's own rules (`crotool.program.<rules>`, which
`program/checker.py` imports on first use).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

LEVELS = ("elementary", "middle", "high", "choice")
AGENCY_KINDS = ("city", "county", "contract")
OFFICER_STATUSES = ("active", "inactive")
ROLES = ("cro", "additional")
ASSESSMENT_STATUSES = ("scheduled", "done", "cancelled")
CONNECTOR_STATUSES = ("current", "new")
PHASES = ("prevention", "mitigation", "response", "recovery")
DIMENSIONS = ("physical", "emotional", "social", "behavioral", "academic")
# A school year's weekdays (school days are these, minus its closures); Monday first.
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Incidents, complaints and schedules (RCW 28A.320.1241 reporting).
STUDENT_CATEGORY_KINDS = ("race", "ethnicity", "gender")
UNKNOWN_CATEGORY = "unknown"  # always allowed for race, ethnicity and gender
GRADES = ("pk", "k", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "unknown")
COMPLAINT_ABOUT = ("job_duties", "student_interaction")
COMPLAINT_FILED_WITH = ("school", "agency")
COMPLAINT_STATUSES = ("open", "closed")
INCIDENT_FLAGS = ("discipline", "use_of_force", "arrest")
# A follow-up's state at a moment (`followups list --as-of`): not done and not yet due, not
# done past its due time, done by its due time, done after it.
FOLLOWUP_STATUSES = ("open", "overdue", "done", "late")
# A follow-up rule's clock: at least an hour, at most a year (8,760 hours).
MAX_WITHIN_HOURS = 8760

TRAINING_KINDS = ("classroom", "on_the_job")
# `training due` row statuses and `agreements check` problems.
TRAINING_STATUSES = ("complete", "overdue", "expired", "due_soon", "in_progress")
AGREEMENT_PROBLEMS = ("no_agreement", "not_adopted", "incomplete")
# A training's hours: a quarter of an hour (a short briefing) up to 80 (two weeks of full
# days, more than any one course of the series takes); anything else is a typo.
TRAINING_HOURS = (0.25, 80.0)

# The dates crotool accepts, for every date and date-time field, option and $CROTOOL_TODAY: a
# school program's records fall well inside them, and a date outside (year 0001, 9999-12-31)
# is a typo or an attack that made reports run for hours (a month per row to year 9999) or
# overflow date arithmetic. Inclusive; years are four digits throughout.
DATE_MIN = "1900-01-01"
DATE_MAX = "2199-12-31"

# Kinds of value. "slug": [a-z0-9] words joined by single hyphens; "code": a badge-like token
# (letters, digits, '-', '_', '.'), kept as text; "year": 2023-24; "number": a plain decimal
# between minimum and maximum, in steps of `step` when it has one (training hours: 1.5; days
# per week: 0.5 to 5 in halves).
KINDS = ("text", "slug", "code", "year", "int", "number", "bool", "date", "datetime", "enum",
         "list")


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
                _f("weekdays", "list", item_kind="enum", choices=WEEKDAYS,
                   default_from="mon, tue, wed, thu, fri"),
            ),
            label="school year",
            importable=True,
            rules="years",
        ),
        Section(
            "closures",
            key=("school_year", "start"),
            fields=(
                _f("school_year", "year", required=True, ref="school_years"),
                _f("start", "date", required=True),
                _f("end", "date", required=True),
                _f("reason"),
            ),
            label="closure",
            importable=True,
            rules="years",
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
            importable=True,
            derived=("schools", "officers"),
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
            importable=True,
            derived=("schools", "agencies"),
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
                # First day on school property: the training deadlines run from it (§4.4).
                _f("first_on_campus", "date"),
            ),
            label="officer",
            importable=True,
            rules="roster",
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
            derived=("id",),
            rules="roster",
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
            derived=("id", "officer_name", "agency", "officer_status"),
            rules="roster",
        ),
        # The parts of an officer's role that duty categories count under (`report duties
        # --by role`); the seed's come from the district's policy, with their source.
        Section(
            "roles",
            key=("id",),
            fields=(
                _f("id", "slug", required=True),
                _f("name", required=True),
                _f("source"),
            ),
            label="role",
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
                _f("role", "slug", ref="roles"),
            ),
            label="duty category",
            importable=True,
            rules="duties",
        ),
        # A clock a duty of `category` starts: one follow-up per duty, due `within_hours`
        # after the duty's `at` (a CPS report within 48 hours, with the law as `source`).
        Section(
            "followup_rules",
            key=("category", "id"),
            fields=(
                _f("category", "slug", required=True, ref="duty_categories"),
                _f("id", "slug", required=True),
                _f("name", required=True),
                _f("within_hours", "int", required=True, minimum=1, maximum=MAX_WITHIN_HOURS),
                _f("source"),
            ),
            label="follow-up rule",
            importable=True,
            rules="followups",
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
            derived=("id", "out_of_pattern", "open_followups"),
            private=frozenset({"notes"}),
            rules="duties",
        ),
        # A done follow-up: the duty (by its key, so a seed document or an import can name
        # it), the rule, and when it was done. Open follow-ups are not stored: every duty of a
        # category with rules has them until a row here says otherwise.
        Section(
            "followups",
            key=("officer", "school", "category", "at", "rule"),
            fields=(
                _f("officer", "code", required=True, max_length=32),
                _f("school", "slug", required=True),
                _f("category", "slug", required=True),
                _f("at", "datetime", required=True),
                _f("rule", "slug", required=True),
                _f("done_at", "datetime", required=True),
            ),
            label="follow-up",
            importable=True,
            rules="followups",
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
            importable=True,
            derived=("id", "duty", "overdue"),
            rules="duties",
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
            derived=("engagements", "last_engaged"),
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
            derived=("id",),
        ),
        # Student demographics are categories from data (the seed carries OSPI's); no field
        # anywhere holds a student's name or identifier (tests/test_incidents.py scans every
        # table's columns for one).
        Section(
            "student_categories",
            key=("kind", "id"),
            fields=(
                _f("kind", "enum", required=True, choices=STUDENT_CATEGORY_KINDS),
                _f("id", "slug", required=True),
                _f("name", required=True),
            ),
            label="student category",
            importable=True,
            rules="incidents",
        ),
        Section(
            "incidents",
            key=("reference",),
            fields=(
                _f("reference", "code", required=True, max_length=64),
                _f("school", "slug", required=True, ref="schools"),
                _f("at", "datetime", required=True),
                _f("officers", "list", item_kind="code", ref="officers"),
                _f("discipline", "bool", default_from="false"),
                _f("use_of_force", "bool", default_from="false"),
                _f("arrest", "bool", default_from="false"),
                _f("summary", max_length=10000),
                _f("notes", max_length=10000),
            ),
            label="incident",
            importable=True,
            private=frozenset({"notes"}),
            rules="incidents",
        ),
        Section(
            "incident_students",
            key=("incident", "seq"),
            fields=(
                _f("incident", "code", required=True, max_length=64, ref="incidents"),
                _f("seq", "int", required=True, minimum=1, maximum=999),
                _f("race", "slug", default_from=UNKNOWN_CATEGORY),
                _f("ethnicity", "slug", default_from=UNKNOWN_CATEGORY),
                _f("gender", "slug", default_from=UNKNOWN_CATEGORY),
                _f("grade", "enum", choices=GRADES, default_from=UNKNOWN_CATEGORY),
                _f("iep", "bool"),
                _f("plan_504", "bool"),
            ),
            label="incident student",
            importable=True,
            rules="incidents",
        ),
        Section(
            "complaints",
            key=("reference",),
            fields=(
                _f("reference", "code", required=True, max_length=64),
                _f("received_on", "date", required=True),
                _f("agency", "slug", required=True, ref="agencies"),
                _f("officer", "code", ref="officers"),
                _f("school", "slug", ref="schools"),
                _f("about", "enum", required=True, choices=COMPLAINT_ABOUT),
                _f("filed_with", "enum", required=True, choices=COMPLAINT_FILED_WITH),
                _f("status", "enum", choices=COMPLAINT_STATUSES, default_from="open"),
                _f("closed_on", "date"),
            ),
            label="complaint",
            importable=True,
            rules="incidents",
        ),
        Section(
            "schedules",
            key=("officer", "school", "school_year"),
            fields=(
                _f("officer", "code", required=True, ref="officers"),
                _f("school", "slug", required=True, ref="schools"),
                _f("school_year", "year", required=True, ref="school_years"),
                _f("days_per_week", "number", required=True, minimum=0.5, maximum=5, step=0.5),
            ),
            label="schedule",
            importable=True,
        ),
        # --- training and agreements: the rules themselves are data.
        Section(
            "training_topics",
            key=("id",),
            fields=(
                _f("id", "slug", required=True),
                _f("name", required=True),
                _f("kind", "enum", required=True, choices=TRAINING_KINDS),
                _f("source"),
            ),
            label="training topic",
            importable=True,
        ),
        Section(
            "trainings",
            key=("officer", "topic", "completed_on"),
            fields=(
                _f("officer", "code", required=True, ref="officers"),
                _f("topic", "slug", required=True, ref="training_topics"),
                _f("completed_on", "date", required=True),
                _f("provider"),
                _f("hours", "number", minimum=TRAINING_HOURS[0], maximum=TRAINING_HOURS[1]),
            ),
            label="training",
            importable=True,
            rules="training",
        ),
        Section(
            "agreement_elements",
            key=("id",),
            fields=(
                _f("id", "slug", required=True),
                _f("name", required=True),
                _f("source"),
            ),
            label="agreement element",
            importable=True,
        ),
        Section(
            "stakeholder_groups",
            key=("id",),
            fields=(
                _f("id", "slug", required=True),
                _f("name", required=True),
                # Connector sectors whose engagements count as this group's input.
                _f("sectors", "list"),
            ),
            label="stakeholder group",
            importable=True,
        ),
        Section(
            "agreements",
            key=("agency", "school_year"),
            fields=(
                _f("agency", "slug", required=True, ref="agencies"),
                _f("school_year", "year", required=True, ref="school_years"),
                _f("adopted_on", "date"),
                _f("reviewed_on", "date"),
                _f("document"),
                _f("elements", "list", item_kind="slug", ref="agreement_elements"),
                _f("input_from", "list", item_kind="slug", ref="stakeholder_groups"),
            ),
            label="agreement",
            importable=True,
        ),
    )
}

# A mapping section (one record, no key), like `district`.
TRAINING_POLICY = Section(
    "training_policy",
    key=(),
    fields=(
        _f("classroom_within_months", "int", required=True, minimum=0, maximum=120),
        _f("on_the_job_days", "int", required=True, minimum=0, maximum=365),
        _f("on_the_job_within_months", "int", required=True, minimum=0, maximum=120),
        _f("source"),
    ),
    label="training policy",
)
# What the annual report calls itself and its four parts, and where that comes from: data, so
# that the code knows no statute (the bundled seed carries Washington's). Each part has a
# letter, e.g. "(a)", and a title; a part left empty gets a plain title (annual.TITLES).
ANNUAL_PARTS = ("staff", "agencies", "incidents", "complaints")
ANNUAL_REPORT = Section(
    "annual_report",
    key=(),
    fields=(
        _f("title", required=True, max_length=200),
        _f("source", max_length=200),
        *(f for part in ANNUAL_PARTS for f in (_f(f"{part}_letter", max_length=8),
                                               _f(f"{part}_title", max_length=200))),
    ),
    label="annual report",
)
MAPPINGS: dict[str, Section] = {"district": DISTRICT, "training_policy": TRAINING_POLICY,
                                "annual_report": ANNUAL_REPORT}

# Sections in the order a load writes them (references first; FKs are deferred anyway).
# The training policy sits beside the training sections (messages list them in this order).
_LISTS = tuple(SECTIONS)
SECTION_ORDER: tuple[str, ...] = (
    "district", *_LISTS[:_LISTS.index("training_topics")], "annual_report", "training_policy",
    *_LISTS[_LISTS.index("training_topics"):])
IMPORTABLE: tuple[str, ...] = tuple(name for name, s in SECTIONS.items() if s.importable)


def section(name: str) -> Section:
    return MAPPINGS[name] if name in MAPPINGS else SECTIONS[name]
