"""Seed documents: YAML files whose top level maps section names to lists of records.

`load_files` reads every file, validates every section of every file together (a reference
may point into another file of the same load), and only then writes all of it in one
transaction: any problem anywhere means nothing is written.

A document with a `pack` mapping is a rule pack (SPEC §5.1): it holds rule sections only and is
stored whole under its id, replacing a stored pack of that id (`program/packs.py`). A seed's
rule sections without one go to the pack `local`, merged by key. A district that names a pack
neither stored nor in the load gets the bundled one of that id (data/rules/ID.yaml), if any.
When packs or district.rule_packs change, a deadline already past that the change would move
refuses the load unless `yes` (`rules.write_rules`).
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from crotool.errors import Problem, ValidationFailed, did_you_mean
from crotool.intake import readers, rule_load
from crotool.intake.bundled import bundled_pack
from crotool.intake.bundled import bundled_seed as bundled_seed  # where it was
from crotool.intake.readers import decode_text, read_bytes
from crotool.intake.rule_load import LoadResult as LoadResult  # where it was
from crotool.intake.yaml_reader import YMap, parse_yaml, yaml_records
from crotool.program.checker import Checker
from crotool.program.packs import (
    Pack,
    PackChange,
    check_district_packs,
    check_pack,
    diff_pack,
    pack_ids,
)
from crotool.store import db
from crotool.store.audit import Auditor
from crotool.store.fields import Reading, Record, canonical_keys, convert_record
from crotool.store.rule_schema import RULE_SECTIONS
from crotool.store.schema import SECTION_ORDER, section
from crotool.store.writes import Counts, record_import

PACK_KEY = "pack"  # the mapping that makes a document a rule pack


@dataclass(slots=True)
class Document:
    source: str
    sha256: str
    sections: dict[str, list[Record]]
    pack: Record | None = None  # its `pack` mapping: the document is a rule pack


def read_document_file(path: Path, source: str) -> dict[str, list[Record]]:
    """One seed file -> section name -> records; problems of shape raise at once."""
    return read_document(path, source)[0]


def read_document(path: Path, source: str) -> tuple[dict[str, list[Record]], str]:
    """`read_document_file` and the SHA-256 of the very bytes it parsed."""
    doc = read(path, source)
    return doc.sections, doc.sha256


def read(path: Path, source: str) -> Document:
    """A document, read once: its sections, its `pack` mapping if any, and the SHA-256 of the
    very bytes it parsed (a file changed in between is never recorded under another hash)."""
    # Looked up at call time, not bound at import, so the cap can be set in one place.
    data = read_bytes(path, source, readers.MAX_YAML_BYTES)
    digest = hashlib.sha256(data).hexdigest()
    return _document(decode_text(data, source), source, digest)


def _document(text: str, source: str, digest: str) -> Document:
    docs = parse_yaml(text, source)
    doc_out = Document(source, digest, {})
    sections = doc_out.sections
    problems: list[Problem] = []
    lines: dict[str, int] = {}
    for doc in docs:
        if doc is None:
            continue
        if not isinstance(doc, YMap):
            raise ValidationFailed([Problem(f"{source}:{getattr(doc, 'line', 1)}",
                                            "a seed document must be a mapping of sections "
                                            f"({', '.join(SECTION_ORDER)})")], subject=source)
        for name, body in doc.items():
            line = lines[name] = doc.key_lines[name]
            if name == PACK_KEY:
                if not isinstance(body, YMap):
                    problems.append(Problem(f"{source}:{line}", "pack must be a mapping (id: "
                                            "..., name: ..., jurisdiction: ..., source: ...)"))
                else:
                    doc_out.pack = Record(source, body.line, dict(body), dict(body.key_lines))
                continue
            if name not in SECTION_ORDER:
                close = did_you_mean(name, SECTION_ORDER)
                hint = f"; did you mean '{close}'?" if close else ""
                problems.append(Problem(f"{source}:{line}", f"unknown section '{name}'; allowed: "
                                        f"{', '.join(SECTION_ORDER)}{hint}"))
                continue
            if body is None:
                continue  # an empty section
            if not section(name).key:
                if not isinstance(body, YMap):
                    shape = ", ".join(f"{f}: ..." for f in section(name).field_names[:2])
                    problems.append(Problem(f"{source}:{line}", f"{name} must be a mapping "
                                            f"({shape})"))
                    continue
                records = [Record(source, body.line, dict(body), dict(body.key_lines))]
            else:
                try:
                    records = yaml_records(body, source, name)
                except ValidationFailed as exc:
                    problems.extend(exc.problems)
                    continue
            sections.setdefault(name, []).extend(records)
    if doc_out.pack is not None:
        problems += [Problem(f"{source}:{lines[name]}", f"section '{name}' is not a rule: a rule "
                             "pack holds rule sections only (put it in a seed document)")
                     for name in sections if name not in RULE_SECTIONS]
    if problems:
        raise ValidationFailed(problems, subject=source)
    return doc_out


def load_files(conn: sqlite3.Connection, paths: list[tuple[Path, str]], *, dry_run: bool = False,
               yes: bool = False, packs_only: bool = False) -> LoadResult:
    """Validate every file in full, then write them all in one transaction (unless dry_run).
    `packs_only` (`rules load`): every file must be a rule pack."""
    result = LoadResult()
    docs: list[Document] = []
    problems: list[Problem] = []
    for path, source in paths:
        try:
            docs.append(read(path, source))
        except ValidationFailed as exc:
            problems.extend(exc.problems)
    if packs_only:
        problems += [Problem(d.source, "not a rule pack: it has no `pack` mapping (id, name, "
                             "jurisdiction, source); a seed document loads with `crotool load`")
                     for d in docs if d.pack is None]
    if problems:
        raise ValidationFailed(problems, subject=_subject(paths))
    docs = with_bundled_packs(conn, docs)
    merged: dict[str, list[Record]] = {}
    for doc in docs:
        if doc.pack is None:
            for name, records in doc.sections.items():
                merged.setdefault(name, []).extend(records)
            result.files.append((doc.source, doc.sha256))

    # A record whose key is stored may leave out required fields: it updates the fields it
    # gives; a new record still needs them all.
    checker = Checker(conn, Reading(updates=True))
    packs = _check_packs(conn, docs, checker)
    converted: dict[str, list] = {}
    for name in SECTION_ORDER:
        if name not in merged:
            continue
        sec = section(name)
        merged[name] = [canonical_keys(sec, r, checker.problems) for r in merged[name]]
        if not sec.key:
            values = [convert_record(sec, r, checker.problems) for r in merged[name]]
            # One record: a second one (another file, another document) would silently win.
            for later in merged[name][1:]:
                checker.problems.append(Problem(later.where(), f"{name}: duplicate record "
                                                f"(first at {merged[name][0].where()})"))
            converted[name] = [(r, v) for r, v in zip(merged[name], values, strict=True)
                               if v is not None]
        else:
            converted[name] = checker.convert_all(sec, merged[name])
            checker.note_incoming(sec, [v for _, v in converted[name]])
    ready: dict[str, list[dict]] = {}
    for name, pairs in converted.items():
        if not section(name).key:
            ready[name] = [v for _, v in pairs]
        else:
            ready[name] = checker.check_rules(section(name), pairs)
    for record, values in converted.get("district", []):
        check_district_packs(conn, record, values, {p.id for p in packs}, checker.problems)
    if checker.problems:
        raise ValidationFailed(checker.problems, subject=_subject(paths))
    result.warnings = checker.warnings
    # Which file each record came from (every record passed: no problem was raised), so
    # that each file is recorded with its own counts.
    origin = {name: [r.source for r, _ in converted[name]] for name in ready}
    write = rule_load.Write(conn, packs, ready, origin, result, district=converted.get("district"))
    if dry_run and not write.touches_rules:
        write.records(None, dry_run=True)
        return result
    try:
        with db.transaction(conn):
            auditor = Auditor(conn)
            write.all(auditor, yes=yes)
            for source, digest in result.files:
                record_import(conn, auditor, "*", source, digest,
                              result.by_file.get(source, Counts()))
            for change, pack in zip(result.packs, packs, strict=True):
                if change.rows or change.header:
                    record_import(conn, auditor, "*", pack.file, pack.sha256 or "", Counts(
                        change.count("added"), change.count("changed") + change.count(
                            "removed"), change.unchanged))
            if dry_run:
                raise rule_load.DryRun
    except rule_load.DryRun:
        pass  # everything was done, and rolled back: the counts are what a load would do
    return result


def pack_diff(conn: sqlite3.Connection, path: Path, source: str) -> PackChange:
    """What storing the rule pack in `path` would change (`rules diff`); nothing is written."""
    doc = read(path, source)
    problems: list[Problem] = []
    if doc.pack is None:
        problems.append(Problem(source, "not a rule pack: it has no `pack` mapping (id, name, "
                                "jurisdiction, source)"))
        raise ValidationFailed(problems, subject=source)
    pack = check_pack(conn, doc.pack, doc.sections, problems, file=source, sha256=doc.sha256)
    if pack is None:
        raise ValidationFailed(problems, subject=source)
    return diff_pack(conn, pack)


def with_bundled_packs(conn: sqlite3.Connection, docs: list[Document]) -> list[Document]:
    """The documents, and the bundled packs that a district of theirs names when no such pack
    is stored or among them (`crotool load data/seed.yaml` on a new database)."""
    given = {str(d.pack.values.get("id")) for d in docs if d.pack is not None}
    stored = set(pack_ids(conn))
    extra: list[Document] = []
    for doc in docs:
        for record in doc.sections.get("district", []) if doc.pack is None else []:
            named = record.values.get("rule_packs")
            for pack in named if isinstance(named, list) else []:
                path = bundled_pack(str(pack)) if isinstance(pack, str) else None
                if path is not None and pack not in given | stored:
                    extra.append(read(path, f"bundled pack {pack}"))
                    given.add(pack)
    return [*extra, *docs]


def _check_packs(conn: sqlite3.Connection, docs: list[Document], checker: Checker) -> list[Pack]:
    """The load's rule packs, checked (their problems join the checker's); each id once."""
    packs: list[Pack] = []
    first: dict[str, str] = {}
    for doc in docs:
        if doc.pack is None:
            continue
        pack = check_pack(conn, doc.pack, doc.sections, checker.problems, file=doc.source,
                          sha256=doc.sha256, seed=checker)
        if pack is None:
            continue
        if pack.id in first:
            checker.problems.append(Problem(pack.where, f"pack {pack.id} is given twice in one "
                                            f"load (first at {first[pack.id]})"))
            continue
        first[pack.id] = pack.where
        packs.append(pack)
    return packs


def _subject(paths: list[tuple[Path, str]]) -> str:
    return paths[0][1] if len(paths) == 1 else f"{len(paths)} files"
