"""Rule packs (SPEC §5.1): what a pack holds, how it is checked, stored and shown.

A rule pack is a document with a `pack` mapping (id, name, jurisdiction, source) and rule
sections (rule_schema.py). Each rule record is kept in `pack_rules` as its section, its key as
text, its version (`effective_from`, '' = from the beginning; `effective_until`), its source and
its other fields (`store/rules.py`); the rule sections' own tables hold the rules of the packs
the district applies, rebuilt from `pack_rules` by `materialise`.

- `check_pack`: a pack document's records through the checker, by each section's fields (a
  version's key is its record's key and its effective_from), then the pack's own rules: an id
  (and a name), effective_until not before effective_from, no two versions of one rule in force
  on one day. A pack states law or policy apart from any district, so a follow-up rule's
  `category` is not checked against the district's duty categories.
- `replace_pack`: a pack stored again is replaced whole; each rule added, changed or removed is
  audited (table pack_rules, actions add / change / remove), and the pack once (rule_packs,
  `store`), so that a record's own insert and update rows still count a load's records.
- `merge_local`: rules given without a pack (a seed written before packs, `crotool import` of a
  rule section) go to the pack `local`, merged by key as a load merges records: a record
  updates the fields it gives. Counted against the rule in force: a record equal to it is
  unchanged and not written.
- `materialise`: every rule section's table made to hold every version of every rule of every
  applied pack (district.rule_packs in order, then `local`) and nothing else. It runs inside the
  caller's transaction after any change to the packs or to district.rule_packs (the tables are
  small: milliseconds), and writes a table only when its rows change. A rule (section and key)
  defined by two of the district's packs is refused, naming both; `local` may restate a rule of
  theirs, and then its versions replace theirs (it is applied last: rules a seed or an import
  gave without a pack mean what they meant).
- `list_packs`, `show_pack`, `diff`: the rows of `rules list`, `rules show`, `rules diff`.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from crotool.errors import CroError, Problem, ValidationFailed, did_you_mean
from crotool.program.checker import Checker
from crotool.store.audit import Auditor
from crotool.store.fields import Record, canonical_keys, convert_record
from crotool.store.rule_schema import PACK, RULE_SECTIONS, RULE_TABLES, TABLE_OF
from crotool.store.rules import LOCAL, LOCAL_NAME, is_in_force, joined, record_text, split
from crotool.store.shapes import Section
from crotool.store.writes import Counts, to_sql

SHOW_COLUMNS = ("section", "key", "effective_from", "effective_until", "source", "record")
LIST_COLUMNS = ("pack", "name", "jurisdiction", "rules", "applied")
DIFF_COLUMNS = ("pack", "section", "key", "effective_from", "change", "changes")


@dataclass(slots=True)
class PackRule:
    """One version of one rule, as `pack_rules` keeps it; `where` is its file and line."""

    section: str
    key: str
    effective_from: str = ""
    effective_until: str | None = None
    source: str | None = None
    confidence: str | None = None
    record: dict[str, Any] = field(default_factory=dict)
    where: str = ""

    @property
    def ident(self) -> tuple[str, str, str]:
        return (self.section, self.key, self.effective_from)

    def shown(self) -> dict[str, Any]:
        """What a diff compares: every field but the key and the start of the version."""
        return {"effective_until": self.effective_until, "source": self.source, **self.record}

    def row(self) -> dict[str, Any]:
        return {"section": self.section, "key": self.key,
                "effective_from": self.effective_from or None,
                "effective_until": self.effective_until, "source": self.source,
                "record": dict(self.record)}


@dataclass(slots=True)
class Pack:
    """A pack document, checked: its `pack` mapping and its rules in file order."""

    id: str
    name: str
    jurisdiction: str | None = None
    source: str | None = None
    rules: list[PackRule] = field(default_factory=list)
    file: str = ""
    sha256: str | None = None
    where: str = ""  # the `pack` mapping's file and line


@dataclass(slots=True)
class PackChange:
    """What storing a pack changes: one row per rule added, changed or removed."""

    pack: str
    file: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    header: bool = False  # the pack's name, jurisdiction, source or file hash changed

    def count(self, change: str) -> int:
        return sum(1 for r in self.rows if r["change"] == change)

    def describe(self) -> str:
        return (f"{self.count('added')} added, {self.count('changed')} changed, "
                f"{self.count('removed')} removed, {self.unchanged} unchanged")


def rule_of(section: Section, values: dict[str, Any], where: str = "") -> PackRule:
    parts = split(section, values)
    return PackRule(section.name, parts["key"], parts["effective_from"],
                    parts["effective_until"], parts["source"], parts["confidence"],
                    parts["record"], where)


def _from_row(row: sqlite3.Row) -> PackRule:
    return PackRule(row["section"], row["key"], row["effective_from"], row["effective_until"],
                    row["source"], row["confidence"], json.loads(row["record"]))


def stored_rules(conn: sqlite3.Connection, pack: str) -> list[PackRule]:
    """A stored pack's rules, in the order they were written (its file's)."""
    return [_from_row(r) for r in conn.execute(
        "SELECT section, key, effective_from, effective_until, source, confidence, record"
        " FROM pack_rules WHERE pack = ? ORDER BY rowid", (pack,))]


def pack_ids(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT id FROM rule_packs ORDER BY id")]


def district_packs(conn: sqlite3.Connection) -> list[str]:
    """district.rule_packs as stored ([] without a district)."""
    row = conn.execute("SELECT rule_packs FROM district WHERE id = 1").fetchone()
    return json.loads(row[0]) if row else []


def applied(conn: sqlite3.Connection) -> list[str]:
    """The packs applied, in order: the district's that are stored, then `local`."""
    stored = set(pack_ids(conn))
    order = [p for p in district_packs(conn) if p in stored and p != LOCAL]
    return [*order, LOCAL] if LOCAL in stored else order


def rules_line(conn: sqlite3.Connection) -> str | None:
    """The rules a document was made under, for people: each applied pack's name and source
    ("Rules: Washington State law ... (wa: RCW 28A.320.124; ...); ..."), or None without packs."""
    parts = []
    for pack in applied(conn):
        row = conn.execute("SELECT name, source FROM rule_packs WHERE id = ?", (pack,)).fetchone()
        if row is None:
            continue
        name, source = row
        said = f"{pack}: {source}" if source else pack
        parts.append(f"{name or pack} ({said})")
    return "Rules: " + "; ".join(parts) + "." if parts else None


# ---------------------------------------------------------------- checking a pack document


def versioned(section: Section) -> Section:
    """A rule section as a pack's records are checked: a version's key is the record's key
    and its effective_from, and a follow-up rule names any duty category (a pack stands apart
    from a district's categories)."""
    fields = tuple(dataclasses.replace(f, ref=None) if f.ref == "duty_categories" else f
                   for f in section.fields)
    key = (*section.key, "effective_from") if section.key else ()
    return dataclasses.replace(section, key=key, fields=fields)


def check_pack(conn: sqlite3.Connection, header: Record, sections: dict[str, list[Record]],
               problems: list[Problem], *, file: str = "", sha256: str | None = None,
               seed: Checker | None = None) -> Pack | None:
    """A pack document's `pack` mapping and rule sections, checked in full; None after adding
    every problem. `seed`, the checker of the rest of a load, is told the rules it brings (a
    seed's duty categories may name the roles of a pack loaded with it)."""
    before = len(problems)
    head = convert_record(PACK, canonical_keys(PACK, header, problems), problems)
    checker = Checker(conn)
    converted: dict[str, list[tuple[Record, dict[str, Any]]]] = {}
    for name, section in RULE_SECTIONS.items():
        records = [canonical_keys(section, r, checker.problems) for r in sections.get(name, ())]
        if not records:
            continue
        if section.key:
            pairs = checker.convert_all(versioned(section), records)
            checker.note_incoming(section, [v for _, v in pairs])
            if seed is not None:
                seed.note_incoming(section, [v for _, v in pairs])
        else:
            pairs = [(r, v) for r in records[:1]
                     if (v := convert_record(section, r, checker.problems)) is not None]
            checker.problems.extend(Problem(later.where(), f"{name}: duplicate record (first "
                                            f"at {records[0].where()})") for later in records[1:])
        converted[name] = pairs
    rules: list[PackRule] = []
    for name, pairs in converted.items():
        section = RULE_SECTIONS[name]
        good = ({id(v) for v in checker.check_rules(versioned(section), pairs)} if section.key
                else {id(v) for _, v in pairs})
        for record, values in pairs:
            if id(values) in good and _in_order(section, record, values, checker.problems):
                rules.append(rule_of(section, values, record.where()))
    if "report" in converted and "annual_report" in converted:
        checker.problems.append(Problem(sections["report"][0].where(), "report: give report or "
                                        "annual_report, not both (the report replaces it)"))
    problems.extend(checker.problems)
    problems.extend(overlaps(rules))
    if head is None or len(problems) > before:
        return None
    return Pack(head["id"], head["name"], head.get("jurisdiction"), head.get("source"), rules,
                file, sha256, header.where())


def _in_order(section: Section, record: Record, values: dict[str, Any],
              problems: list[Problem]) -> bool:
    start, end = values.get("effective_from"), values.get("effective_until")
    if start and end and end < start:
        problems.append(Problem(record.where("effective_until"), (
            f"{_label(section.name, split(section, values)['key'])}.effective_until: {end} is "
            f"before its effective_from {start}")))
        return False
    return True


def _label(section: str, key: str) -> str:
    return section if section == key else f"{section}[{key}]"


def overlaps(rules: list[PackRule]) -> list[Problem]:
    """Two versions of one rule in force on one day (within one pack): one problem each, at
    the later version."""
    found: list[Problem] = []
    versions: dict[tuple[str, str], list[PackRule]] = {}
    for rule in rules:
        versions.setdefault((rule.section, rule.key), []).append(rule)
    for (section, key), group in versions.items():
        group.sort(key=lambda r: r.effective_from)
        for earlier, later in zip(group, group[1:], strict=False):
            if earlier.effective_until is None or earlier.effective_until >= later.effective_from:
                since = earlier.effective_from or "the beginning"
                until = earlier.effective_until or "no end"
                found.append(Problem(later.where or _label(section, key), (
                    f"{_label(section, key)}: its version from {later.effective_from} and its "
                    f"version from {since} (until {until}) are both in force on "
                    f"{later.effective_from}; give the earlier one an effective_until before "
                    f"{later.effective_from}")))
    return found


def check_district_packs(conn: sqlite3.Connection, record: Record, values: dict[str, Any],
                         incoming: set[str], problems: list[Problem]) -> None:
    """district.rule_packs names packs that are stored or in the same load, each once; never
    `local`, which is applied after them by itself."""
    stored = set(pack_ids(conn))
    seen: set[str] = set()
    for pack in values.get("rule_packs") or []:
        where = record.where("rule_packs")
        if pack == LOCAL:
            problems.append(Problem(where, "district.rule_packs: 'local' is applied after the "
                                    "packs named here by itself; leave it out"))
        elif pack in seen:
            problems.append(Problem(where, f"district.rule_packs: '{pack}' is named twice"))
        elif pack not in stored | incoming:
            known = sorted((stored | incoming) - {LOCAL})
            close = did_you_mean(pack, known)
            hint = (f"; did you mean '{close}'?" if close else
                    f"; stored: {', '.join(known)}" if known else
                    "; none is stored: load it first (crotool rules load FILE)")
            problems.append(Problem(where, f"district.rule_packs: unknown rule pack '{pack}'"
                                    f"{hint}"))
        seen.add(pack)


# ---------------------------------------------------------------- storing


def _key_of(pack: str, rule: PackRule) -> str:
    return "/".join(p for p in (pack, rule.section, rule.key, rule.effective_from) if p)


def diff(pack: str, old: list[PackRule], new: list[PackRule], file: str = "") -> PackChange:
    """The rows of what replacing the rules `old` of `pack` by `new` changes."""
    change = PackChange(pack, file)
    before = {r.ident: r for r in old}
    after = {r.ident: r for r in new}
    for ident, rule in after.items():
        was = before.get(ident)
        if was is None:
            change.rows.append(_diff_row(pack, rule, "added", rule.shown()))
        elif was.shown() != rule.shown():
            old_shown, new_shown = was.shown(), rule.shown()
            changes = {k: [old_shown.get(k), new_shown.get(k)]
                       for k in dict.fromkeys([*old_shown, *new_shown])
                       if old_shown.get(k) != new_shown.get(k)}
            change.rows.append(_diff_row(pack, rule, "changed", changes))
        else:
            change.unchanged += 1
    change.rows += [_diff_row(pack, rule, "removed", rule.shown())
                    for ident, rule in before.items() if ident not in after]
    return change


def _diff_row(pack: str, rule: PackRule, change: str, changes: dict[str, Any]
              ) -> dict[str, Any]:
    return {"pack": pack, "section": rule.section, "key": rule.key,
            "effective_from": rule.effective_from or None, "change": change,
            "changes": {k: v for k, v in changes.items() if v is not None}}


def diff_pack(conn: sqlite3.Connection, pack: Pack) -> PackChange:
    """What storing `pack` would change (nothing is written)."""
    change = diff(pack.id, stored_rules(conn, pack.id), pack.rules, pack.file)
    stored = conn.execute("SELECT name, jurisdiction, source, sha256 FROM rule_packs WHERE "
                          "id = ?", (pack.id,)).fetchone()
    change.header = stored is None or tuple(stored) != (
        pack.name, pack.jurisdiction, pack.source,
        pack.sha256 if pack.sha256 is not None else stored["sha256"])
    return change


_ACTIONS = {"added": "add", "changed": "change", "removed": "remove"}


def replace_pack(conn: sqlite3.Connection, pack: Pack, auditor: Auditor | None) -> PackChange:
    """Store `pack`, replacing a stored pack of its id whole; audited. Writes nothing when
    neither its rules nor its mapping changed (a re-load of the same file)."""
    change = diff_pack(conn, pack)
    if not change.rows and not change.header:
        return change
    conn.execute("INSERT INTO rule_packs (id, name, jurisdiction, source, sha256, loaded_at)"
                 " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
                 " jurisdiction = excluded.jurisdiction, source = excluded.source,"
                 " sha256 = coalesce(excluded.sha256, sha256), loaded_at = excluded.loaded_at",
                 (pack.id, pack.name, pack.jurisdiction, pack.source, pack.sha256,
                  auditor.at if auditor is not None else None))
    if change.rows:
        # Rewritten whole, in the file's order (the order `rules show` and the rule tables
        # keep); only what differs is audited.
        conn.execute("DELETE FROM pack_rules WHERE pack = ?", (pack.id,))
        _insert(conn, pack.id, pack.rules)
    if auditor is not None:
        rows = [("pack_rules", _key_of(pack.id, PackRule(r["section"], r["key"],
                                                         r["effective_from"] or "")),
                 _ACTIONS[r["change"]], r["changes"]) for r in change.rows]
        rows.append(("rule_packs", pack.id, "store", {
            "name": pack.name, "jurisdiction": pack.jurisdiction, "source": pack.source,
            "file": pack.file, "sha256": pack.sha256, "added": change.count("added"),
            "changed": change.count("changed"), "removed": change.count("removed")}))
        auditor.record_many(rows)
    return change


def _insert(conn: sqlite3.Connection, pack: str, rules: list[PackRule]) -> None:
    conn.executemany(
        "INSERT INTO pack_rules (pack, section, key, effective_from, effective_until, source,"
        " confidence, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pack, section, key,"
        " effective_from) DO UPDATE SET effective_until = excluded.effective_until,"
        " source = excluded.source, confidence = excluded.confidence, record = excluded.record",
        [(pack, r.section, r.key, r.effective_from, r.effective_until, r.source,
          r.confidence, record_text(r.record)) for r in rules])


def _in_force_now(conn: sqlite3.Connection, section: Section, rule: PackRule
                  ) -> PackRule | None:
    """The version of `rule`'s id that an applied pack other than `local` holds with the same
    effective_from: what a local record without one of its own is counted against."""
    order = [p for p in applied(conn) if p != LOCAL]
    if not order:
        return None
    marks = ", ".join("?" * len(order))
    row = conn.execute(
        "SELECT section, key, effective_from, effective_until, source, confidence, record"
        f" FROM pack_rules WHERE pack IN ({marks}) AND section = ? AND key = ?"
        " AND effective_from = ?", (*order, section.name, rule.key, rule.effective_from)
    ).fetchone()
    return _from_row(row) if row else None


def merge_local(conn: sqlite3.Connection, section: Section, records: list[dict[str, Any]],
                auditor: Auditor | None, *, dry_run: bool = False,
                changes_out: list[tuple[str, str, dict[str, Any]]] | None = None) -> Counts:
    """Merge records of a rule section given without a pack into the pack `local`: each
    updates the fields it gives of the rule it names (local's own, else the one in force from
    another applied pack), and is counted against it."""
    counts = Counts()
    local = {r.ident: r for r in stored_rules(conn, LOCAL)}
    written: list[PackRule] = []
    audit: list[tuple[str, str, str, dict[str, Any]]] = []
    for values in records:
        given = rule_of(section, values)
        base = local.get(given.ident) or _in_force_now(conn, section, given)
        merged = values if base is None else {**joined(section, dataclasses.asdict(base)),
                                              **values}
        rule = rule_of(section, merged)
        if base is None:
            counts.inserted += 1
            action, changes = "add", rule.shown()
        elif base.shown() == rule.shown():
            counts.unchanged += 1
            continue
        else:
            counts.updated += 1
            old = base.shown()
            action = "change"
            changes = {k: [old.get(k), v] for k, v in rule.shown().items() if old.get(k) != v}
            changes.update({k: [v, None] for k, v in old.items() if k not in rule.shown()})
        local[rule.ident] = rule
        written.append(rule)
        key = _key_of(LOCAL, rule)
        shown = {k: v for k, v in changes.items() if v is not None}
        audit.append(("pack_rules", key, action, shown))
        if changes_out is not None:
            verb = "insert" if action == "add" else "update"
            changes_out.append((section.name, f"{verb} {rule.key}", shown))
    if dry_run or not written:
        return counts
    if not conn.execute("SELECT 1 FROM rule_packs WHERE id = ?", (LOCAL,)).fetchone():
        conn.execute("INSERT INTO rule_packs (id, name, loaded_at) VALUES (?, ?, ?)",
                     (LOCAL, LOCAL_NAME, auditor.at if auditor is not None else None))
        audit.insert(0, ("rule_packs", LOCAL, "store", {"name": LOCAL_NAME}))
    _insert(conn, LOCAL, written)
    if auditor is not None:
        auditor.record_many(audit)
    return counts


# ---------------------------------------------------------------- the rules in force


class RuleConflicts(CroError):
    """Rules defined by two applied packs: (section, key, the packs in applied order)."""

    def __init__(self, conflicts: list[tuple[str, str, tuple[str, ...]]]):
        self.conflicts = conflicts
        section, key, packs = conflicts[0]
        super().__init__(f"{conflict_text(section, key, packs)}"
                         + (f" (and {len(conflicts) - 1} more)" if len(conflicts) > 1 else ""))


def conflict_text(section: str, key: str, packs: tuple[str, ...]) -> str:
    rule = section if section == key else f"{section}[{key}]"
    return (f"{rule} is defined by rule packs {' and '.join(packs)}, both applied; a rule may "
            "come from one applied pack only (leave one of them out of district.rule_packs, or "
            "the rule out of one pack)")


def _columns(table: str) -> tuple[str, ...]:
    section = RULE_SECTIONS[table]
    return (*(("id",) if not section.key else ()), *section.field_names, "pack")


def rule_id(section: str, key: str) -> tuple[str, str]:
    """What makes two records one rule: their table and key (a pack's `report` is the
    `annual_report` another gives)."""
    table = TABLE_OF.get(section, section)
    return (table, table if key == section else key)


def materialise(conn: sqlite3.Connection) -> list[str]:
    """Rebuild the rule tables from the applied packs; the tables that changed. Raises
    RuleConflicts (nothing rebuilt) for a rule two of the district's packs define, and
    ValidationFailed for two versions of one rule in force on one day."""
    order = applied(conn)
    chosen: dict[tuple[str, str], str] = {}  # (section, key) -> the pack whose versions apply
    defined: dict[tuple[str, str], list[str]] = {}
    rows: list[tuple[str, sqlite3.Row]] = []
    for pack in order:
        for row in conn.execute("SELECT section, key, effective_from, effective_until, source,"
                                " record FROM pack_rules WHERE pack = ? ORDER BY rowid", (pack,)):
            ident = rule_id(row["section"], row["key"])
            if pack not in defined.setdefault(ident, []):
                defined[ident].append(pack)
            rows.append((pack, row))
            chosen[ident] = pack  # `local` comes last: its versions replace another pack's
    conflicts = [(s, k, tuple(p for p in packs if p != LOCAL)) for (s, k), packs in
                 defined.items() if len([p for p in packs if p != LOCAL]) > 1]
    if conflicts:
        raise RuleConflicts(conflicts)
    wanted: dict[str, list[tuple]] = {table: [] for table in RULE_TABLES}
    kept: list[PackRule] = []
    for pack, row in rows:
        table, _ = ident = rule_id(row["section"], row["key"])
        if row["section"] not in RULE_SECTIONS or chosen[ident] != pack:
            continue
        kept.append(PackRule(row["section"], row["key"], row["effective_from"],
                             row["effective_until"], where=f"rule pack {pack}"))
        section, into = RULE_SECTIONS[row["section"]], RULE_SECTIONS[table]
        values = joined(section, dict(row))
        wanted[table].append(tuple(
            pack if c == "pack" else 1 if c == "id" and not into.key
            else to_sql(into, c, values.get(c)) for c in _columns(table)))
    # A pack's own versions are checked as it is loaded; `local` gathers its rules record by
    # record (seeds, imports), so two of its versions may meet only here.
    overlapping = overlaps(kept)
    if overlapping:
        raise ValidationFailed(overlapping, subject="the rules in force")
    changed = []
    for table, new in wanted.items():
        cols = ", ".join(f'"{c}"' for c in _columns(table))
        old = [tuple(r) for r in conn.execute(f"SELECT {cols} FROM {table} ORDER BY rowid")]
        if old == new:
            continue
        conn.execute(f"DELETE FROM {table}")
        marks = ", ".join("?" * len(_columns(table)))
        conn.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", new)
        changed.append(table)
    return changed


# ---------------------------------------------------------------- rules list / show / diff


def list_packs(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every stored pack: its mapping, how many rule records it holds, and its place in the
    order the district applies them (1-based; None when not applied)."""
    order = applied(conn)
    return [{"pack": r["id"], "name": r["name"], "jurisdiction": r["jurisdiction"],
             "rules": r["rules"], "applied": order.index(r["id"]) + 1 if r["id"] in order
             else None}
            for r in conn.execute(
                "SELECT p.id, p.name, p.jurisdiction, (SELECT count(*) FROM pack_rules r"
                " WHERE r.pack = p.id) AS rules FROM rule_packs p ORDER BY p.id")]


def require_pack(conn: sqlite3.Connection, pack: str) -> str:
    known = pack_ids(conn)
    if pack in known:
        return pack
    close = did_you_mean(pack, known)
    raise CroError(f"unknown rule pack '{pack}'", hint=(
        f"did you mean '{close}'?" if close else f"stored: {', '.join(known)}" if known
        else "none is stored: crotool rules load FILE, or crotool load"))


def show_pack(conn: sqlite3.Connection, pack: str, as_of: str | None = None
              ) -> list[dict[str, Any]]:
    """A stored pack's rules (those in force on `as_of`, when given), in its file's order."""
    require_pack(conn, pack)
    return [r.row() for r in stored_rules(conn, pack)
            if as_of is None or is_in_force({"effective_from": r.effective_from,
                                              "effective_until": r.effective_until}, as_of)]
