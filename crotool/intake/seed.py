"""Seed documents: YAML files whose top level maps section names to lists of records.

`load_files` reads every file, validates every section of every file together (a reference
may point into another file of the same load), and only then writes all of it in one
transaction: any problem anywhere means nothing is written.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from crotool.errors import CroError, Problem, ValidationFailed, did_you_mean
from crotool.intake import readers
from crotool.intake.readers import decode_text, read_bytes
from crotool.intake.yaml_reader import YMap, parse_yaml, yaml_records
from crotool.program.checker import Checker
from crotool.store import db
from crotool.store.audit import Auditor
from crotool.store.fields import Reading, Record, canonical_keys, convert_record
from crotool.store.schema import MAPPINGS, SECTION_ORDER, section
from crotool.store.writes import Counts, record_import, upsert


def bundled_seed() -> Path:
    """data/seed.yaml: inside the package when installed, beside it in a source checkout."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "data" / "seed.yaml", package.parent / "data" / "seed.yaml"):
        if candidate.is_file():
            return candidate
    raise CroError("the bundled seed (data/seed.yaml) is missing from this install",
                   hint="reinstall crotool, or name a seed file: crotool load FILE")


@dataclass(slots=True)
class LoadResult:
    counts: dict[str, Counts] = field(default_factory=dict)
    files: list[tuple[str, str]] = field(default_factory=list)  # (name, sha256)
    changes: list[tuple[str, str, dict]] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # accepted, worth a look
    by_file: dict[str, Counts] = field(default_factory=dict)  # source -> its own counts

    def rows(self) -> list[dict]:
        return [
            {"section": name, "inserted": c.inserted, "updated": c.updated,
             "unchanged": c.unchanged}
            for name, c in self.counts.items()
        ]

    @property
    def total(self) -> Counts:
        total = Counts()
        for c in self.counts.values():
            total.add(c)
        return total


def read_document_file(path: Path, source: str) -> dict[str, list[Record]]:
    """One seed file -> section name -> records; problems of shape raise at once."""
    return read_document(path, source)[0]


def read_document(path: Path, source: str) -> tuple[dict[str, list[Record]], str]:
    """`read_document_file` and the SHA-256 of the very bytes it parsed (the file is read
    once: a file changed in between is never recorded under another file's hash)."""
    # Looked up at call time, not bound at import, so the cap can be set in one place.
    data = read_bytes(path, source, readers.MAX_YAML_BYTES)
    digest = hashlib.sha256(data).hexdigest()
    return _sections(decode_text(data, source), source), digest


def _sections(text: str, source: str) -> dict[str, list[Record]]:
    docs = parse_yaml(text, source)
    sections: dict[str, list[Record]] = {}
    problems: list[Problem] = []
    for doc in docs:
        if doc is None:
            continue
        if not isinstance(doc, YMap):
            raise ValidationFailed([Problem(f"{source}:{getattr(doc, 'line', 1)}",
                                            "a seed document must be a mapping of sections "
                                            f"({', '.join(SECTION_ORDER)})")], subject=source)
        for name, body in doc.items():
            line = doc.key_lines[name]
            if name not in SECTION_ORDER:
                close = did_you_mean(name, SECTION_ORDER)
                hint = f"; did you mean '{close}'?" if close else ""
                problems.append(Problem(f"{source}:{line}", f"unknown section '{name}'; allowed: "
                                        f"{', '.join(SECTION_ORDER)}{hint}"))
                continue
            if body is None:
                continue  # an empty section
            if name in MAPPINGS:
                if not isinstance(body, YMap):
                    shape = ", ".join(f"{f}: ..." for f in MAPPINGS[name].field_names[:2])
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
    if problems:
        raise ValidationFailed(problems, subject=source)
    return sections


def load_files(conn: sqlite3.Connection, paths: list[tuple[Path, str]], *, dry_run: bool = False
               ) -> LoadResult:
    """Validate every file in full, then write them all in one transaction (unless dry_run)."""
    result = LoadResult()
    merged: dict[str, list[Record]] = {}
    problems: list[Problem] = []
    for path, source in paths:
        try:
            sections, digest = read_document(path, source)
        except ValidationFailed as exc:
            problems.extend(exc.problems)
            continue
        for name, records in sections.items():
            merged.setdefault(name, []).extend(records)
        result.files.append((source, digest))
    if problems:
        raise ValidationFailed(problems, subject=_subject(paths))

    # A record whose key is stored may leave out required fields: it updates the fields it
    # gives; a new record still needs them all.
    checker = Checker(conn, Reading(updates=True))
    converted: dict[str, list] = {}
    for name in SECTION_ORDER:
        if name not in merged:
            continue
        sec = section(name)
        merged[name] = [canonical_keys(sec, r, checker.problems) for r in merged[name]]
        if name in MAPPINGS:
            values = [convert_record(sec, r, checker.problems) for r in merged[name]]
            # One record: a second one (another file, another document) would silently win.
            for later in merged[name][1:]:
                checker.problems.append(Problem(later.where(), f"{name}: duplicate record "
                                                f"(first at {merged[name][0].where()})"))
            converted[name] = [(None, v) for v in values if v is not None]
        else:
            converted[name] = checker.convert_all(sec, merged[name])
            checker.note_incoming(sec, [v for _, v in converted[name]])
    ready: dict[str, list[dict]] = {}
    for name, pairs in converted.items():
        if name in MAPPINGS:
            ready[name] = [v for _, v in pairs]
        else:
            ready[name] = checker.check_rules(section(name), pairs)
    if checker.problems:
        raise ValidationFailed(checker.problems, subject=_subject(paths))
    result.warnings = checker.warnings
    # Which file each record came from (every record passed: no problem was raised), so
    # that each file is recorded with its own counts.
    origin = {name: [r.source for r in merged[name]] if name in MAPPINGS
              else [r.source for r, _ in converted[name]] for name in ready}

    def write(auditor: Auditor | None) -> None:
        for name, records in ready.items():
            sources = origin[name] if len(origin[name]) == len(records) else [""] * len(records)
            total = Counts()
            # File by file, in the order given: a record a later file changes again is that
            # file's update.
            for source in dict.fromkeys(sources):
                part = [r for r, s in zip(records, sources, strict=True) if s == source]
                counts = upsert(conn, section(name), part, auditor, dry_run=dry_run,
                                changes_out=result.changes)
                total.add(counts)
                result.by_file.setdefault(source, Counts()).add(counts)
            result.counts[name] = total

    if dry_run:
        write(None)
        return result
    with db.transaction(conn):
        auditor = Auditor(conn)
        write(auditor)
        for source, digest in result.files:
            record_import(conn, auditor, "*", source, digest,
                          result.by_file.get(source, Counts()))
    return result


def _subject(paths: list[tuple[Path, str]]) -> str:
    return paths[0][1] if len(paths) == 1 else f"{len(paths)} files"
