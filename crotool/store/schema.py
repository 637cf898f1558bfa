"""The domain's fields and their types: one table of truth for load, import and checks.

Each `Section` is a seed-document section and a table. A field's `kind` says how its text is
read (every value arrives as text, whatever the input format, and is converted here, so that
`name: NO` stays "NO" and `badge: 0123` stays "0123"). `ref` names the section a value must
exist in; `key` is the natural key that loads and imports upsert by. `rules` names the program
module that holds the record type's own rules (`crotool.program.<rules>`, which
`program/checker.py` imports on first use).

The rule sections (roles, follow-up clocks, training topics and policy, the report, the kinds
of grade, flag, complaint, agency and officer...) are described in `rule_schema.py`: rule packs
hold them, and their tables hold the rules of the packs the district applies (SPEC §5.1).
"""

from __future__ import annotations

from crotool.store import rule_schema as rs

# Re-exported: the rule sections and the shape of a section live in rule_schema.py and
# shapes.py; the record types' users import them from here, as before.
from crotool.store.rule_schema import ANNUAL_PARTS as ANNUAL_PARTS
from crotool.store.rule_schema import ANNUAL_REPORT as ANNUAL_REPORT
from crotool.store.rule_schema import MAX_WITHIN_HOURS as MAX_WITHIN_HOURS
from crotool.store.rule_schema import PACK as PACK
from crotool.store.rule_schema import RULE_SECTIONS as RULE_SECTIONS
from crotool.store.rule_schema import STUDENT_CATEGORY_KINDS as STUDENT_CATEGORY_KINDS
from crotool.store.rule_schema import TRAINING_KINDS as TRAINING_KINDS
from crotool.store.rule_schema import TRAINING_POLICY as TRAINING_POLICY
from crotool.store.shapes import KINDS as KINDS
from crotool.store.shapes import Field as Field
from crotool.store.shapes import Section as Section
from crotool.store.shapes import header_key as header_key
from crotool.store.shapes import make as _f

LEVELS = ("elementary", "middle", "high", "choice")
# The kinds of agency, grade and complaint of a district whose packs define none (sections
# agency_kinds, grades, complaint_kinds): the fixed lists crotool had before rule packs.
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
UNKNOWN_CATEGORY = "unknown"  # always allowed for race, ethnicity and gender
GRADES = ("pk", "k", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "unknown")
COMPLAINT_ABOUT = ("job_duties", "student_interaction")
COMPLAINT_FILED_WITH = ("school", "agency")
COMPLAINT_STATUSES = ("open", "closed")
# The incident flags of a district whose report names none (Washington's), and the
# boolean fields that set them.
INCIDENT_FLAGS = ("discipline", "use_of_force", "arrest")
# A follow-up's state at a moment (`followups list --as-of`): not done and not yet due, not
# done past its due time, done by its due time, done after it.
FOLLOWUP_STATUSES = ("open", "overdue", "done", "late")
# `training due` row statuses and `agreements check` problems.
TRAINING_STATUSES = ("complete", "overdue", "expired", "due_soon", "in_progress")
AGREEMENT_PROBLEMS = ("no_agreement", "not_adopted", "review_due", "incomplete")
# A training's hours: a quarter of an hour (a short briefing) up to 80 (two weeks of full
# days, more than any one course of the series takes); anything else is a typo.
TRAINING_HOURS = (0.25, 80.0)

# The dates crotool accepts, for every date and date-time field, option and $CROTOOL_TODAY: a
# school program's records fall well inside them, and a date outside (year 0001, 9999-12-31)
# is a typo or an attack that made reports run for hours (a month per row to year 9999) or
# overflow date arithmetic. Inclusive; years are four digits throughout.
DATE_MIN = "1900-01-01"
DATE_MAX = "2199-12-31"

DISTRICT = Section(
    "district",
    key=(),
    fields=(_f("name", required=True), _f("short_name"),
            # The rule packs the district applies, in order (a state's law, then its own
            # policy); the pack `local` is applied after them (program/packs.py).
            _f("rule_packs", "list", item_kind="slug")),
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
                # One of the agency kinds of the applied packs (AGENCY_KINDS when none).
                _f("kind", "enum", required=True, choices=AGENCY_KINDS,
                   rule_choices="agency_kinds"),
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
                # An officer_kinds id in force (a pack's rule: SPEC §5.2); default: the first
                # kind the applied packs list (program/officer_kinds.py).
                _f("kind", "slug", ref="officer_kinds",
                   default_from="the first officer kind the applied packs list"),
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
        rs.ROLES,
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
        rs.FOLLOWUP_RULES,
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
                # The duty flags it was logged with (a follow-up rule's `when`).
                _f("flags", "list", item_kind="slug", ref="duty_flags"),
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
        rs.STUDENT_CATEGORIES,
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
                # The incident flags it carries (ids of the report's incident_flags); the three
                # booleans above set or clear Washington's three (program/incidents.py).
                _f("flags", "list", item_kind="code"),
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
                _f("grade", "enum", choices=GRADES, default_from=UNKNOWN_CATEGORY,
                   rule_choices="grades", always=(UNKNOWN_CATEGORY,)),
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
                _f("about", "enum", required=True, choices=COMPLAINT_ABOUT,
                   rule_choices="complaint_kinds"),
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
        rs.TRAINING_TOPICS,
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
        rs.AGREEMENT_ELEMENTS,
        rs.STAKEHOLDER_GROUPS,
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
        # The rule sections that SPEC part 5 added (rule_schema.py).
        rs.DUTY_FLAGS,
        rs.GRADES,
        rs.COMPLAINT_KINDS,
        rs.AGENCY_KINDS,
        rs.OFFICER_KINDS,
    )
}

# The sections that are not lists of records: a seed document's mappings (one record, no
# key), and the two tables that keep rule packs (`rule_packs`, `pack_rules`: keyed, but no
# document or import writes them; `rules load` and `load` do, through program/packs.py).
MAPPINGS: dict[str, Section] = {"district": DISTRICT, "training_policy": TRAINING_POLICY,
                                "annual_report": ANNUAL_REPORT,
                                "agreement_policy": rs.AGREEMENT_POLICY,
                                "rule_packs": rs.RULE_PACKS, "pack_rules": rs.PACK_RULES}
# The tables of the packs themselves (for `audit --table`; never a document's section).
PACK_TABLES = ("rule_packs", "pack_rules")

# Sections in the order a load writes them (references first; FKs are deferred anyway).
# The training policy sits beside the training sections (messages list them in this order);
# the agreement policy and the report, which SPEC part 5 added, after it.
_LISTS = tuple(SECTIONS)
SECTION_ORDER: tuple[str, ...] = (
    "district", *_LISTS[:_LISTS.index("training_topics")], "annual_report", "training_policy",
    "agreement_policy", "report", *_LISTS[_LISTS.index("training_topics"):])
IMPORTABLE: tuple[str, ...] = tuple(name for name, s in SECTIONS.items() if s.importable)


def section(name: str) -> Section:
    """A seed document's section (or a pack table) by name."""
    found = MAPPINGS.get(name) or SECTIONS.get(name) or RULE_SECTIONS.get(name)
    if found is None:
        raise KeyError(name)
    return found
