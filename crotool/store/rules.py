"""Rules in force, and a rule record as a rule pack stores it.

A rule (a row of a rule section's table, or a pack's record) is in force on a day when that
day lies in its `effective_from` .. `effective_until` range, both inclusive, either end open
('' or NULL). The event's day (SPEC §5.1): a follow-up's is its duty's day; a training
deadline's, the day it counts from; an agreement check's and the annual report's, the school
year's first day. `IN_FORCE` says it in SQL for a rule row aliased `r`, `in_force` in Python
for rows already read.

`pack_rules` keeps each rule record as its key (the key fields' values joined by `/`; a
mapping section's is the section's name), its version (`effective_from`, '' = from the
beginning; `effective_until`), its `source` and its other fields as JSON (`record`: exactly
what `rules show` prints). `split` and `joined` turn a record's values into that form and back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from crotool.store.shapes import Section

# The pack that holds rules given without one: a seed written before packs, `crotool import`
# of a rule section. Applied after the packs the district names.
LOCAL = "local"
LOCAL_NAME = "Rules loaded or imported without a rule pack"

# A rule row `r` in force on the day `{day}` (an SQL expression giving YYYY-MM-DD).
IN_FORCE = ("((r.effective_from IS NULL OR r.effective_from = '' OR r.effective_from <= {day})"
            " AND (r.effective_until IS NULL OR {day} <= r.effective_until))")
# The fields every rule record may carry besides its own (rule_schema.VERSION_FIELDS), and
# those `pack_rules` keeps in columns of their own rather than in `record`.
OWN_COLUMNS = ("effective_from", "effective_until", "source")


def in_force_sql(day: str, alias: str = "r") -> str:
    """`IN_FORCE` for the day expression `day`, on a rule row aliased `alias`."""
    return re.sub(r"\br\.", f"{alias}.", IN_FORCE).format(day=day)


def is_in_force(row: Mapping[str, Any], day: date | str) -> bool:
    """Whether a rule row (a mapping with effective_from / effective_until) is in force on
    `day`."""
    text = day.isoformat() if isinstance(day, date) else day
    start, end = row.get("effective_from") or "", row.get("effective_until")
    return (not start or start <= text) and (end is None or text <= end)


def in_force(rows: Iterable[Mapping[str, Any]], day: date | str) -> list[Any]:
    """The rows in force on `day` (the Python `IN_FORCE`)."""
    return [r for r in rows if is_in_force(r, day)]


def key_text(section: Section, values: Mapping[str, Any]) -> str:
    """A rule's key as `pack_rules` and `rules show` write it: its parts joined by `/`; a
    mapping section's (one record, no key) is the section's name."""
    if not section.key:
        return section.name
    return "/".join(str(values[k]) for k in section.key)


def split(section: Section, values: Mapping[str, Any]) -> dict[str, Any]:
    """A rule record's typed values -> the columns of `pack_rules` (but `pack` and
    `section`): key, effective_from, effective_until, source, confidence and record (every
    other field given, in the section's order, as a mapping)."""
    record = {f.name: values[f.name] for f in section.fields
              if f.name not in section.key and f.name not in OWN_COLUMNS
              and values.get(f.name) is not None}
    return {"key": key_text(section, values),
            "effective_from": values.get("effective_from") or "",
            "effective_until": values.get("effective_until"),
            "source": values.get("source"),
            "confidence": values.get("confidence"),
            "record": record}


def record_text(record: Mapping[str, Any]) -> str:
    """A record mapping as `pack_rules.record` stores it (JSON, fields in the section's
    order)."""
    return json.dumps(dict(record), ensure_ascii=False)


def joined(section: Section, rule: Mapping[str, Any]) -> dict[str, Any]:
    """`split` undone: a rule (key, effective_from, effective_until, source, record) -> the
    record's values by field, as a rule section's table holds them (effective_from '' when it
    has none)."""
    record = rule["record"]
    if isinstance(record, str):
        record = json.loads(record)
    values: dict[str, Any] = {}
    if section.key:
        values.update(zip(section.key, str(rule["key"]).split("/", len(section.key) - 1),
                          strict=True))
    values.update(record)
    values["source"] = rule.get("source")
    values["effective_from"] = rule.get("effective_from") or ""
    values["effective_until"] = rule.get("effective_until")
    return values
