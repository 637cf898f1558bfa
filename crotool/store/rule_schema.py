"""The rule sections: what a rule pack (SPEC §5.1-5.2, data/rules/*.yaml) can say, and the two
tables that keep the packs.

A rule is data that comes from an authority (a state's law, a district's policy) rather than
from the district's own records: roles, follow-up clocks, student categories, training topics
and policy, agreement elements and policy, stakeholder groups, the annual report, and the
kinds of flag, grade, complaint, agency and officer. Every rule record may also say when it is
in force (`effective_from`, `effective_until`: dates, inclusive; none = always) and how sure its
facts are (`confidence`; none = confirmed): `VERSION_FIELDS`, the last fields of each section.

The packs themselves are kept in `rule_packs` (one row per pack: its `pack` mapping) and
`pack_rules` (every rule record of every stored pack, the source of truth); the rule sections'
own tables hold the rules of the packs the district applies (`program/packs.py` rebuilds them).
Neither pack table is a section of a seed document, nor importable.
"""

from __future__ import annotations

from crotool.store.shapes import Field, Section
from crotool.store.shapes import make as _f

CONFIDENCE = ("confirmed", "likely", "guess")
STUDENT_CATEGORY_KINDS = ("race", "ethnicity", "gender")
# The fields of a student row a report may show (a `report`'s student_fields): the category
# kinds a row records, then its grade and plans.
STUDENT_FIELDS = (*STUDENT_CATEGORY_KINDS, "grade", "iep", "plan_504")
TRAINING_KINDS = ("classroom", "on_the_job")
# A follow-up rule's clock: at least an hour, at most a year (8,760 hours); or whole days
# counted in one of these ways (SPEC §5.2).
MAX_WITHIN_HOURS = 8760
CLOCK_DAYS = ("calendar", "business", "school")
# What a topic's `due_within_months` counts from.
DUE_FROM = ("first_on_campus", "assignment_start")
# The annual report's four parts (the `annual_report` section), and the parts a `report` may
# list (a state may ask for training too).
ANNUAL_PARTS = ("staff", "agencies", "incidents", "complaints")
REPORT_PARTS = (*ANNUAL_PARTS, "training")

VERSION_FIELDS: tuple[Field, ...] = (
    _f("effective_from", "date"),
    _f("effective_until", "date"),
    _f("confidence", "enum", choices=CONFIDENCE),
)


def _named(name: str, label: str, *, id_kind: str = "slug", rules: str | None = None
           ) -> Section:
    """A rule section of named ids (id, name, source), like roles or grades."""
    return Section(name, key=("id",), fields=(
        _f("id", id_kind, required=True), _f("name", required=True), _f("source"),
        *VERSION_FIELDS), label=label, importable=True, rules=rules)


# The parts of an officer's role that duty categories count under (`report duties --by role`).
ROLES = _named("roles", "role")

# A clock a duty of `category` starts: one follow-up per duty, due `within_hours` after the
# duty's `at` (a CPS report within 48 hours, with the law as `source`); or `within_days` days
# counted as `days` says; `when` names the duty flag a duty must carry for the rule to apply.
FOLLOWUP_RULES = Section(
    "followup_rules",
    key=("category", "id"),
    fields=(
        _f("category", "slug", required=True, ref="duty_categories"),
        _f("id", "slug", required=True),
        _f("name", required=True),
        _f("within_hours", "int", minimum=1, maximum=MAX_WITHIN_HOURS),
        _f("within_days", "int", minimum=1, maximum=366),
        _f("days", "enum", choices=CLOCK_DAYS),
        _f("when", "slug", ref="duty_flags"),
        _f("source"),
        *VERSION_FIELDS,
    ),
    label="follow-up rule",
    importable=True,
    rules="followups",
)

# Student demographics are categories from data (a state's reporting codes); no field anywhere
# holds a student's name or identifier (tests/test_incidents.py scans every table's columns).
STUDENT_CATEGORIES = Section(
    "student_categories",
    key=("kind", "id"),
    fields=(
        _f("kind", "enum", required=True, choices=STUDENT_CATEGORY_KINDS),
        _f("id", "slug", required=True),
        _f("name", required=True),
        _f("source"),
        *VERSION_FIELDS,
    ),
    label="student category",
    importable=True,
    rules="incidents",
)

TRAINING_TOPICS = Section(
    "training_topics",
    key=("id",),
    fields=(
        _f("id", "slug", required=True),
        _f("name", required=True),
        _f("kind", "enum", required=True, choices=TRAINING_KINDS),
        _f("source"),
        _f("due_within_months", "int", minimum=0, maximum=120),
        _f("due_from", "enum", choices=DUE_FROM),
        # The least total hours of the topic's trainings (Florida's guardian program: 144).
        _f("hours", "number", minimum=0.25, maximum=2000),
        _f("refresh_every_months", "int", minimum=1, maximum=120),
        _f("applies_to", "list", item_kind="slug", ref="officer_kinds"),
        _f("required_to_cover", "bool"),
        *VERSION_FIELDS,
    ),
    label="training topic",
    importable=True,
)

AGREEMENT_ELEMENTS = _named("agreement_elements", "agreement element")

STAKEHOLDER_GROUPS = Section(
    "stakeholder_groups",
    key=("id",),
    fields=(
        _f("id", "slug", required=True),
        _f("name", required=True),
        # Connector sectors whose engagements count as this group's input.
        _f("sectors", "list"),
        _f("source"),
        *VERSION_FIELDS,
    ),
    label="stakeholder group",
    importable=True,
)

# The flags a duty may be logged with (a follow-up rule's `when`), and the kinds of grade,
# complaint, agency and officer a state names. Complaint kinds keep underscores (Washington's
# `job_duties`, as stored data has them), so their ids are codes.
DUTY_FLAGS = _named("duty_flags", "duty flag")
GRADES = _named("grades", "grade", id_kind="code", rules="kinds")
COMPLAINT_KINDS = _named("complaint_kinds", "complaint kind", id_kind="code", rules="kinds")
AGENCY_KINDS = _named("agency_kinds", "agency kind", rules="kinds")
# The officer kinds a load brings are kept in order by their rules (program/officer_kinds.py):
# the first is the default kind of the officers it adds.
OFFICER_KINDS = _named("officer_kinds", "officer kind", rules="officer_kinds")

# --- the rule sections that are one mapping each (no key), like `district`.
TRAINING_POLICY = Section(
    "training_policy",
    key=(),
    fields=(
        _f("classroom_within_months", "int", required=True, minimum=0, maximum=120),
        _f("on_the_job_days", "int", required=True, minimum=0, maximum=365),
        _f("on_the_job_within_months", "int", required=True, minimum=0, maximum=120),
        _f("source"),
        *VERSION_FIELDS,
    ),
    label="training policy",
)
# What the annual report calls itself and its four parts, and where that comes from: data, so
# that the code knows no statute (the bundled packs carry Washington's). Each part has a
# letter, e.g. "(a)", and a title; a part left empty gets a plain title (annual.TITLES).
ANNUAL_REPORT = Section(
    "annual_report",
    key=(),
    fields=(
        _f("title", required=True, max_length=200),
        _f("source", max_length=200),
        *(f for part in ANNUAL_PARTS for f in (_f(f"{part}_letter", max_length=8),
                                               _f(f"{part}_title", max_length=200))),
        *VERSION_FIELDS,
    ),
    label="annual report",
)
AGREEMENT_POLICY = Section(
    "agreement_policy",
    key=(),
    fields=(
        _f("term_years", "int", minimum=1, maximum=50),
        _f("review_every_months", "int", minimum=1, maximum=120),
        _f("input_within_months", "int", minimum=1, maximum=120),
        _f("source"),
        *VERSION_FIELDS,
    ),
    label="agreement policy",
)
# The annual report's definition in a pack: its title and parts, the incident flags it counts
# and the student fields it breaks them down by.
REPORT = Section(
    "report",
    key=(),
    fields=(
        _f("title", required=True, max_length=200),
        _f("source", max_length=200),
        _f("parts", "list", item_kind="enum", choices=REPORT_PARTS),
        _f("incident_flags", "pairs"),
        _f("student_fields", "list", item_kind="enum", choices=STUDENT_FIELDS),
        *(f for part in REPORT_PARTS for f in (_f(f"{part}_letter", max_length=8),
                                               _f(f"{part}_title", max_length=200))),
        *VERSION_FIELDS,
    ),
    label="report",
)

# --- the packs themselves
PACK_FIELDS: tuple[Field, ...] = (
    _f("id", "slug", required=True),
    _f("name", required=True),
    _f("jurisdiction"),
    _f("source"),
)
# A document's `pack` mapping: what makes it a rule pack.
PACK = Section("pack", key=("id",), fields=PACK_FIELDS, label="rule pack")
RULE_PACKS = Section("rule_packs", key=("id",), fields=PACK_FIELDS, label="rule pack")
PACK_RULES = Section(
    "pack_rules",
    key=("pack", "section", "key", "effective_from"),
    fields=(
        _f("pack", "slug", required=True),
        _f("section", required=True),
        _f("key", required=True),
        _f("effective_from", "date"),
        _f("effective_until", "date"),
        _f("source"),
        _f("confidence", "enum", choices=CONFIDENCE),
        _f("record", required=True, max_length=100_000),
    ),
    label="pack rule",
)

# The rule sections, in the order a pack's are written and shown.
RULE_LISTS: tuple[Section, ...] = (ROLES, FOLLOWUP_RULES, STUDENT_CATEGORIES, TRAINING_TOPICS,
                                   AGREEMENT_ELEMENTS, STAKEHOLDER_GROUPS, DUTY_FLAGS, GRADES,
                                   COMPLAINT_KINDS, AGENCY_KINDS, OFFICER_KINDS)
RULE_MAPPINGS: tuple[Section, ...] = (TRAINING_POLICY, ANNUAL_REPORT, AGREEMENT_POLICY, REPORT)
RULE_SECTIONS: dict[str, Section] = {s.name: s for s in (*RULE_LISTS, *RULE_MAPPINGS)}
# The table a rule section's rules in force fill, where it is not the section's own: a pack's
# `report` fills `annual_report` with what the two say alike (the title and each part's letter
# and title); the whole of it is in pack_rules. The two are one rule: a pack gives one of them.
TABLE_OF = {"report": "annual_report"}
RULE_TABLES: tuple[str, ...] = tuple(dict.fromkeys(TABLE_OF.get(n, n) for n in RULE_SECTIONS))
