"""Typed records -> rows: upserts by natural key, with audit rows, inside the caller's
transaction.

`upsert` compares each record with what is stored and writes only what differs, so a re-load
changes nothing and says so. A record updates only the fields it gives: a CSV without a
`phone` column leaves phones alone; `phone: null` clears one. Defaults (status, role, dates)
apply on insert.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from crotool.audit import Auditor, redact
from crotool.schema import Section


@dataclass(slots=True)
class Counts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def add(self, other: Counts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged

    def describe(self) -> str:
        return f"{self.inserted} new, {self.updated} updated, {self.unchanged} unchanged"


def to_sql(section: Section, name: str, value: Any) -> Any:
    """A typed value -> what its column stores (lists as JSON, booleans as 0/1)."""
    kind = section.field(name).kind
    if kind == "list":
        return json.dumps(value if value is not None else [], ensure_ascii=False)
    if kind == "bool":
        return None if value is None else int(bool(value))
    return value


def key_text(section: Section, values: dict[str, Any]) -> str:
    return "/".join(str(values.get(k)) for k in section.key) if section.key else section.name


def upsert(conn: sqlite3.Connection, section: Section, records: list[dict[str, Any]],
           auditor: Auditor | None, *, dry_run: bool = False,
           changes_out: list[tuple[str, str, dict[str, Any]]] | None = None) -> Counts:
    """Insert new records, update changed ones, count the unchanged; audit each change."""
    counts = Counts()
    if section.name == "district":
        return _upsert_district(conn, section, records, auditor, dry_run, changes_out)
    table = section.name
    key_where = " AND ".join(f"{k} = ?" for k in section.key)
    audit_rows: list[tuple[str, str, str, dict[str, Any]]] = []
    inserts: dict[tuple[str, ...], list[tuple]] = {}
    updates: dict[tuple[str, ...], list[tuple]] = {}
    for values in records:
        row = {name: to_sql(section, name, v) for name, v in values.items()}
        key = [row[k] for k in section.key]
        stored = conn.execute(f"SELECT * FROM {table} WHERE {key_where}", key).fetchone()
        label = key_text(section, values)
        if stored is None:
            counts.inserted += 1
            cols = tuple(row)
            inserts.setdefault(cols, []).append(tuple(row.values()))
            shown = {k: v for k, v in values.items() if v is not None and v != []}
            audit_rows.append((table, label, "insert", redact(section.private, shown)))
            continue
        diff = {
            name: [_from_sql(section, name, stored[name]), values[name]]
            for name, v in row.items()
            if name not in section.key and stored[name] != v
        }
        if not diff:
            counts.unchanged += 1
            continue
        counts.updated += 1
        cols = tuple(diff)
        updates.setdefault(cols, []).append(tuple(row[c] for c in cols) + tuple(key))
        audit_rows.append((table, label, "update", redact(section.private, diff)))
    if changes_out is not None:
        changes_out.extend((t, action + " " + k, c) for t, k, action, c in audit_rows)
    if dry_run:
        return counts
    for cols, rows in inserts.items():
        conn.executemany(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows
        )
    for cols, rows in updates.items():
        sets = ", ".join(f"{c} = ?" for c in cols)
        conn.executemany(f"UPDATE {table} SET {sets} WHERE {key_where}", rows)
    if auditor is not None:
        auditor.record_many(audit_rows)
    return counts


def _from_sql(section: Section, name: str, value: Any) -> Any:
    kind = section.field(name).kind
    if kind == "list" and value is not None:
        return json.loads(value)
    if kind == "bool" and value is not None:
        return bool(value)
    return value


def _upsert_district(conn, section, records, auditor, dry_run, changes_out) -> Counts:
    counts = Counts()
    for values in records:
        stored = conn.execute("SELECT name, short_name FROM district WHERE id = 1").fetchone()
        if stored is None:
            counts.inserted += 1
            action, diff = "insert", dict(values)
        else:
            diff = {k: [stored[k], v] for k, v in values.items() if stored[k] != v}
            if not diff:
                counts.unchanged += 1
                continue
            counts.updated += 1
            action = "update"
        if changes_out is not None:
            changes_out.append(("district", f"{action} district", diff))
        if dry_run:
            continue
        cols = list(values)
        conn.execute(
            f"INSERT INTO district (id, {', '.join(cols)}) VALUES (1, {', '.join('?' * len(cols))})"
            f" ON CONFLICT(id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in cols)}",
            list(values.values()),
        )
        if auditor is not None:
            auditor.record("district", "district", action, diff)
    return counts


def record_import(conn: sqlite3.Connection, auditor: Auditor, table: str, file: str,
                  sha256: str, counts: Counts) -> None:
    """Provenance: which file was brought in, its hash, and what it did."""
    conn.execute(
        "INSERT INTO imports (at, os_user, command, table_name, file, sha256, rows, inserted,"
        " updated, unchanged) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (auditor.at, auditor.user, auditor.command, table, file, sha256, counts.total,
         counts.inserted, counts.updated, counts.unchanged),
    )
