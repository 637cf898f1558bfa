"""Typed records -> rows: upserts by natural key, with audit rows, inside the caller's
transaction.

`upsert` compares each record with what is stored and writes only what differs, so a re-load
changes nothing and says so. A record updates only the fields it gives: a CSV without a
`phone` column leaves phones alone; `phone: null` clears one. Defaults (status, role, dates)
apply on insert.

The bulk path (`Staging`, `bulk_upsert`, `bulk_counts`, `bulk_changes`) has the same semantics
for imports of any size: the rows wait in a TEMP table and SQLite compares and writes them, so
a million-row import is bounded by SQLite, not by a Python loop over stored rows.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from crotool.store.audit import Auditor, redact
from crotool.store.schema import Section


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
    return _sql_value(section.field(name).kind, value)


def _sql_value(kind: str, value: Any) -> Any:
    if kind in ("list", "pairs"):
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
    if not section.key:
        return _upsert_mapping(conn, section, records, auditor, dry_run, changes_out)
    table = section.name
    key_where = " AND ".join(f"{_q(k)} = ?" for k in section.key)
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
            name: [from_sql(section, name, stored[name]), values[name]]
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
            f"INSERT INTO {table} ({', '.join(map(_q, cols))}) VALUES "
            f"({', '.join('?' * len(cols))})", rows
        )
    for cols, rows in updates.items():
        sets = ", ".join(f"{_q(c)} = ?" for c in cols)
        conn.executemany(f"UPDATE {table} SET {sets} WHERE {key_where}", rows)
    if auditor is not None:
        auditor.record_many(audit_rows)
    return counts


def from_sql(section: Section, name: str, value: Any) -> Any:
    kind = section.field(name).kind
    if kind in ("list", "pairs") and value is not None:
        return json.loads(value)
    if kind == "bool" and value is not None:
        return bool(value)
    return value


def _upsert_mapping(conn, section, records, auditor, dry_run, changes_out) -> Counts:
    """A mapping section (`district`, `training_policy`): one row, id 1."""
    counts = Counts()
    table = section.name
    for values in records:
        row = {name: to_sql(section, name, v) for name, v in values.items()}
        stored = conn.execute(f"SELECT {', '.join(map(_q, section.field_names))} FROM {table}"
                              " WHERE id = 1").fetchone()
        if stored is None:
            counts.inserted += 1
            action, diff = "insert", dict(values)
        else:
            diff = {k: [from_sql(section, k, stored[k]), v] for k, v in values.items()
                    if stored[k] != row[k]}
            if not diff:
                counts.unchanged += 1
                continue
            counts.updated += 1
            action = "update"
        if changes_out is not None:
            changes_out.append((table, f"{action} {table}", diff))
        if dry_run:
            continue
        cols = list(row)
        conn.execute(
            f"INSERT INTO {table} (id, {', '.join(cols)}) VALUES (1, {', '.join('?' * len(cols))})"
            f" ON CONFLICT(id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in cols)}",
            list(row.values()),
        )
        if auditor is not None:
            auditor.record(table, table, action, diff)
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


# ---------------------------------------------------------------- bulk: imports of any size
#
# `upsert` reads each stored row into Python to compare it: right for a seed document, far too
# slow for a million-row duty log. An import instead stages its validated rows in a TEMP table
# (`Staging`) and lets SQLite do the rest: duplicate keys with one sort, the write with one
# `INSERT ... SELECT ... ON CONFLICT DO UPDATE ... WHERE <a column differs>` per set of columns.
# The semantics are `upsert`'s: a row updates only the columns it gives, an unchanged row is
# not written, and the counts say inserted / updated / unchanged.

STAGING = "import_rows"


def _q(name: str) -> str:
    """A column name from schema.py (never user input), quoted: `end` is an SQL keyword."""
    return f'"{name}"'


class Staging:
    """An import's validated rows, waiting in a TEMP table of the importing connection.

    Each row carries the line it came from (for messages about duplicates) and a `mask` of the
    columns it gives (bit i = field i of the section): a CSV gives the same columns on every
    row, a JSON or YAML record only its own. The TEMP table lives in a temporary file (temp_store
    is set to FILE), so memory stays flat however large the input is.
    """

    def __init__(self, conn: sqlite3.Connection, section: Section, *, by_line: bool = False):
        self.conn = conn
        self.section = section
        self.columns: tuple[str, ...] = section.field_names
        self._bit = {name: 1 << i for i, name in enumerate(self.columns)}
        self._masks: dict[tuple[str, ...], int] = {}  # the fields a record gives -> its mask
        self._special = [(i + 2, f.name, f.kind) for i, f in enumerate(section.fields)
                         if f.kind in ("list", "bool")]
        self.count = 0
        self.masks: set[int] = set()
        # Set when validation left repeated keys to the write to find (see bulk_upsert).
        self.repeats_unchecked = False
        # Before the first TEMP object: changing temp_store drops existing TEMP tables.
        conn.execute("PRAGMA temp_store = FILE")
        conn.execute(f"DROP TABLE IF EXISTS temp.{STAGING}")
        conn.execute(f"CREATE TEMP TABLE {STAGING} (line INTEGER NOT NULL, mask INTEGER NOT NULL, "
                     f"{', '.join(_q(c) for c in self.columns)})")
        # A CSV's rows each have a line of their own: stored as the rowid, they stay in file
        # order (ids are given in it) whichever way each row was checked (see load).
        self.by_line = by_line
        self._insert = (f"INSERT INTO temp.{STAGING} VALUES "
                        f"({', '.join('?' * (len(self.columns) + 2))})" if not by_line else
                        f"INSERT INTO temp.{STAGING} (rowid, line, mask, "
                        f"{', '.join(_q(c) for c in self.columns)}) VALUES (?1, ?1, "
                        f"{', '.join(f'?{i}' for i in range(2, len(self.columns) + 3))})")

    def row(self, line: int, values: dict[str, Any]) -> list:
        """One validated record as a staging row: [line, mask, every column in SQL form]."""
        shape = tuple(values)
        mask = self._masks.get(shape)
        if mask is None:
            mask = self._masks[shape] = sum(self._bit[name] for name in shape)
        out = [line, mask, *map(values.get, self.columns)]
        for i, name, kind in self._special:  # the few list and bool columns
            if name in values:
                out[i] = _sql_value(kind, values[name])
        return out

    def add(self, rows: list[list]) -> None:
        """Append rows made by `row`, in one short transaction on the TEMP database only."""
        if not rows:
            return
        with self._temp_write():
            self.conn.executemany(self._insert, rows)
        self.count += len(rows)
        self.masks.update(r[1] for r in rows)

    @contextmanager
    def _temp_write(self) -> Iterator[None]:
        """A write to the TEMP table: its own short transaction, unless one is open."""
        own = not self.conn.in_transaction
        if own:
            self.conn.execute("BEGIN")
        try:
            yield
        except BaseException:
            if own and self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        if own:
            self.conn.execute("COMMIT")

    def load(self, insert: str, rows: Iterable[Sequence], mask: int) -> None:
        """Stage rows as they come, by `insert` (a prescreen Plan's: cells converted in SQL),
        in one short transaction on the TEMP database. Rows are checked after (`flagged`)."""
        with self._temp_write():
            cursor = self.conn.executemany(insert, rows)
        self.count += max(cursor.rowcount, 0)
        self.masks.add(mask)

    def settle(self, statements: Sequence[str]) -> None:
        """Run statements on the staged rows (a prescreen Plan's `settle`), in one short
        transaction on the TEMP database."""
        if statements:
            with self._temp_write():
                for sql in statements:
                    self.conn.execute(sql)

    def flagged(self, ok: str, columns: Sequence[str], batch: int = 1_000
                ) -> Iterator[list[tuple]]:
        """The staged rows for which `ok` is not true, a batch at a time by line, each taken out
        of the staging table as it is handed over: (line, mask, *columns) per row."""
        cols = ", ".join(_q(c) for c in columns)
        sql = (f"SELECT rowid, mask, {cols} FROM temp.{STAGING} WHERE rowid > ? "
               f"AND ({ok}) IS NOT 1 ORDER BY rowid LIMIT {int(batch)}")
        last = 0
        while True:
            rows = self.conn.execute(sql, (last,)).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            with self._temp_write():
                self.conn.executemany(f"DELETE FROM temp.{STAGING} WHERE rowid = ?",
                                      [(r[0],) for r in rows])
            self.count -= len(rows)
            yield rows

    def given(self, mask: int) -> tuple[str, ...]:
        """The columns that rows with this mask give."""
        return tuple(c for c in self.columns if mask & self._bit[c])

    def has_repeats(self) -> bool:
        """Whether two staged rows share a key (one sort of the staged rows)."""
        keys = ", ".join(_q(k) for k in self.section.key)
        return bool(self.conn.execute(f"SELECT EXISTS (SELECT 1 FROM temp.{STAGING} GROUP BY "
                                      f"{keys} HAVING count(*) > 1)").fetchone()[0])

    def stored_matches(self) -> int:
        """How many staged rows have a key that is stored (a lookup each in the key's index)."""
        section = self.section
        return int(self.conn.execute(
            f"SELECT count(*) FROM temp.{STAGING} s WHERE EXISTS (SELECT 1 FROM "
            f"main.{section.name} t WHERE {_key_join(section, 's', 't')})").fetchone()[0])

    def duplicates(self) -> Iterator[tuple[int, int, dict[str, Any]]]:
        """(line, line of the first row with the same key, key values) for every repeat, by line.

        One sort of the staged rows to see whether any key repeats (the usual answer: no),
        and only then a window over the key to name each repeat and its first line.
        """
        keys = ", ".join(_q(k) for k in self.section.key)
        if not self.has_repeats():
            return
        # By rowid, not line: the records of a one-line JSON file all stand on line 1.
        sql = (f"SELECT line, first, {keys} FROM (SELECT rowid AS r, line, {keys}, "
               f"first_value(line) OVER w AS first, first_value(rowid) OVER w AS first_r "
               f"FROM temp.{STAGING} WINDOW w AS (PARTITION BY {keys} ORDER BY rowid)) "
               f"WHERE r > first_r ORDER BY line, r")
        for row in self.conn.execute(sql):
            yield row[0], row[1], dict(zip(self.section.key, tuple(row)[2:], strict=True))

    def new_without(self, required: tuple[str, ...]
                    ) -> Iterator[tuple[int, dict[str, Any], list[str]]]:
        """(line, key values, absent columns) for every row that leaves out one of `required`
        and whose key is not stored: such a row could only update, and there is nothing to
        update. By line."""
        need = sum(self._bit[name] for name in required)
        if not any(mask & need != need for mask in self.masks):
            return
        section = self.section
        keys = ", ".join(f"s.{_q(k)}" for k in section.key)
        sql = (f"SELECT s.line, s.mask, {keys} FROM temp.{STAGING} s WHERE (s.mask & ?) != ? "
               f"AND NOT EXISTS (SELECT 1 FROM main.{section.name} t WHERE "
               f"{_key_join(section, 's', 't')}) ORDER BY s.line")
        for row in self.conn.execute(sql, (need, need)):
            absent = [name for name in required if not row[1] & self._bit[name]]
            yield row[0], dict(zip(section.key, tuple(row)[2:], strict=True)), absent

    def drop(self) -> None:
        self.conn.execute(f"DROP TABLE IF EXISTS temp.{STAGING}")


def _differs(section: Section, given: tuple[str, ...], new: str, old: str) -> str:
    """SQL that is true when a stored row differs from a staged one in a column it gives."""
    cols = [c for c in given if c not in section.key]
    return " OR ".join(f"{old}.{_q(c)} IS NOT {new}.{_q(c)}" for c in cols) or "0"


def _key_join(section: Section, new: str, old: str) -> str:
    return " AND ".join(f"{old}.{_q(k)} = {new}.{_q(k)}" for k in section.key)


def bulk_counts(conn: sqlite3.Connection, staging: Staging) -> Counts:
    """What `bulk_upsert` would do, read-only (a dry run)."""
    section, counts = staging.section, Counts()
    for mask in sorted(staging.masks):
        given = staging.given(mask)
        total, existing, changed = conn.execute(
            f"SELECT count(*), count(t.rowid), coalesce(sum(t.rowid IS NOT NULL AND "
            f"({_differs(section, given, 's', 't')})), 0) FROM temp.{STAGING} s "
            f"LEFT JOIN main.{section.name} t ON {_key_join(section, 's', 't')} WHERE s.mask = ?",
            (mask,),
        ).fetchone()
        counts.inserted += total - existing
        counts.updated += changed
        counts.unchanged += existing - changed
    return counts


def bulk_changes(conn: sqlite3.Connection, staging: Staging, *, updates_only: bool = False
                 ) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(action, key, changes) for every row `bulk_upsert` would insert or update (by line for
    each set of columns), in the shape `upsert` audits: an insert shows the values it gives,
    an update [old, new] for each changed column; private fields (duty notes) show only that
    they changed."""
    section = staging.section
    for mask in sorted(staging.masks):
        given = staging.given(mask)
        old_cols = ", ".join(f"t.{_q(c)}" for c in given)
        sql = (f"SELECT t.rowid IS NULL, {', '.join(f's.{_q(c)}' for c in given)}, {old_cols} "
               f"FROM temp.{STAGING} s LEFT JOIN main.{section.name} t "
               f"ON {_key_join(section, 's', 't')} WHERE s.mask = ? AND ("
               f"{'0' if updates_only else 't.rowid IS NULL'} OR "
               # A new row differs from the NULLs of the missing stored one: updates_only
               # must not read (and build an audit entry for) every insert.
               f"{'t.rowid IS NOT NULL AND ' if updates_only else ''}"
               f"({_differs(section, given, 's', 't')})) ORDER BY s.line")
        n = len(given)
        for row in conn.execute(sql, (mask,)):
            new_sql, old_sql = tuple(row)[1:1 + n], tuple(row)[1 + n:]
            new = {c: from_sql(section, c, v) for c, v in zip(given, new_sql, strict=True)}
            label = key_text(section, new)
            if row[0]:
                shown = {k: v for k, v in new.items() if v is not None and v != []}
                yield "insert", label, redact(section.private, shown)
                continue
            diff = {c: [from_sql(section, c, old), new[c]]
                    for c, old, value in zip(given, old_sql, new_sql, strict=True)
                    if c not in section.key and old != value}
            yield "update", label, redact(section.private, diff)


def _insert_needs(conn: sqlite3.Connection, section: Section) -> set[str]:
    """The columns a new row must give: the required fields, and NOT NULL columns without a
    DEFAULT (an assignment's start and end, which validation fills from its school year)."""
    not_null = {r[1] for r in conn.execute(f"PRAGMA main.table_info({section.name})")
                if r[3] and r[4] is None and not r[5]}
    return set(section.required_names) | not_null


def _update_stored(conn: sqlite3.Connection, section: Section, mask: int, given: tuple[str, ...],
                   changed: Sequence[str]) -> int:
    """UPDATE the stored rows that staged rows of `mask` change; how many it wrote."""
    table = section.name
    conn.execute(
        f"UPDATE main.{table} AS t SET "
        f"{', '.join(f'{_q(c)} = s.{_q(c)}' for c in changed)} "
        f"FROM temp.{STAGING} AS s WHERE s.mask = ? AND "
        f"{_key_join(section, 's', 't')} AND ({_differs(section, given, 's', 't')})",
        (mask,))
    return _changes(conn)


def _changes(conn: sqlite3.Connection) -> int:
    """The rows the last INSERT, UPDATE or DELETE wrote itself (not its triggers)."""
    return int(conn.execute("SELECT changes()").fetchone()[0])


# An import at least this large, and at least REBUILD_SHARE of the rows the table will hold,
# drops the table's secondary indexes and builds them again after the rows (see bulk_upsert).
REBUILD_MIN_ROWS = 20_000
REBUILD_SHARE = 0.25


class RepeatedKeys(Exception):
    """Two staged rows share a key: `bulk_upsert` wrote nothing that should be kept (the
    caller's transaction must roll back), and `Staging.duplicates` names them."""


def bulk_upsert(conn: sqlite3.Connection, staging: Staging) -> Counts:
    """Write every staged row: insert the new, update the changed (only the columns each row
    gives), leave the unchanged untouched. Runs inside the caller's transaction.

    A write that is large beside the table drops the table's secondary indexes first and
    builds them again after the rows, in the same transaction (all or nothing still): each
    row inserted into four indexes lands at a random place in each, and once they outgrow the
    page cache every insert rereads pages; a build sorts each index once and writes it in
    order. The unique key's index stays (the upsert needs it). Small imports keep the
    indexes: rebuilding them costs a pass over the whole table.
    """
    table = staging.section.name
    before_rows = conn.execute(f"SELECT count(*) FROM main.{table}").fetchone()[0]
    matched = _repeats_by_count(conn, staging)
    rebuild: list[str] = []
    if (staging.count >= REBUILD_MIN_ROWS
            and staging.count >= REBUILD_SHARE * (before_rows + staging.count)):
        rebuild = [r[1] for r in conn.execute(
            "SELECT name, sql FROM main.sqlite_master WHERE type = 'index' AND tbl_name = ?"
            " AND sql IS NOT NULL ORDER BY name", (table,))]
        for name in [r[0] for r in conn.execute(
                "SELECT name FROM main.sqlite_master WHERE type = 'index' AND tbl_name = ?"
                " AND sql IS NOT NULL ORDER BY name", (table,))]:
            conn.execute(f'DROP INDEX main."{name}"')
    counts = _bulk_write(conn, staging, before_rows)
    if matched is not None and counts.inserted + matched != staging.count:
        raise RepeatedKeys(table)
    if rebuild:
        # An index build sorts in memory up to the page cache's size, on top of the cache
        # itself: a smaller cache for the builds keeps the peak down (measured: 181 MB for a
        # million duties with the bulk write's 64 MiB).
        # No helper threads (PRAGMA threads): each sorts in memory of its own, and two of them
        # added 32 MB to a million-row import's peak for no gain on 2 busy cores.
        size = conn.execute("PRAGMA main.cache_size").fetchone()[0]
        conn.execute("PRAGMA main.cache_size = -16384")
        for sql in rebuild:
            conn.execute(sql)
        conn.execute(f"PRAGMA main.cache_size = {int(size)}")
    return counts


def _repeats_by_count(conn: sqlite3.Connection, staging: Staging) -> int | None:
    """Make sure no two staged rows share a key. Left unchecked by validation, that costs a
    sort of every staged row; where each staged row is upserted (a key inserted at most once),
    the write itself can tell instead: each row either inserts or meets a stored key, so
    inserted + stored matches falls short of the rows exactly when a key repeats. Returns the
    stored matches to compare with, or None (checked here, or by validation: nothing to do)."""
    if not staging.repeats_unchecked:
        return None
    required = _insert_needs(conn, staging.section)
    upserted = all(required <= set(staging.given(m)) for m in staging.masks) and not (
        _autoincrement(conn, staging.section.name))
    if upserted:
        return staging.stored_matches()
    if staging.has_repeats():
        raise RepeatedKeys(staging.section.name)
    return None


def _autoincrement(conn: sqlite3.Connection, table: str) -> bool:
    return conn.execute("SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = ?"
                        " AND sql LIKE '%AUTOINCREMENT%'", (table,)).fetchone() is not None


def _bulk_write(conn: sqlite3.Connection, staging: Staging, before_rows: int) -> Counts:
    section, table = staging.section, staging.section.name
    keys = ", ".join(_q(k) for k in section.key)
    # changes() counts the rows a statement itself wrote; conn.total_changes also counts what
    # triggers write (an audit trigger's rows would pass for updates).
    written = 0
    required = _insert_needs(conn, section)
    # AUTOINCREMENT moves its sequence on for every row an upsert tries, even one that meets
    # its stored key: there, stored keys are updated first and only new keys inserted.
    counted = _autoincrement(conn, table)
    for mask in sorted(staging.masks):
        given = staging.given(mask)
        changed = [c for c in given if c not in section.key]
        if counted and required <= set(given):
            if changed:
                written += _update_stored(conn, section, mask, given, changed)
            cols = ", ".join(_q(c) for c in given)
            conn.execute(f"INSERT INTO main.{table} ({cols}) SELECT {cols} FROM temp.{STAGING} s"
                         f" WHERE s.mask = ? AND NOT EXISTS (SELECT 1 FROM main.{table} t WHERE"
                         f" {_key_join(section, 's', 't')}) ORDER BY s.rowid", (mask,))
            written += _changes(conn)
            continue
        if not required <= set(given):
            # Rows without every column an insert needs only update (the caller checked that
            # their keys are stored). Not an upsert: SQLite checks NOT NULL before the
            # conflict, so `INSERT ... ON CONFLICT DO UPDATE` would fail on a stored key.
            if changed:
                written += _update_stored(conn, section, mask, given, changed)
            continue
        cols = ", ".join(_q(c) for c in given)
        sets = ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in changed)
        action = (f"DO UPDATE SET {sets} WHERE {_differs(section, given, 'excluded', table)}"
                  if sets else "DO NOTHING")
        # The WHERE on the SELECT also settles SQLite's parsing ambiguity of "SELECT ... ON".
        conn.execute(f"INSERT INTO main.{table} ({cols}) SELECT {cols} FROM temp.{STAGING} "
                     f"WHERE mask = ? ORDER BY rowid ON CONFLICT ({keys}) {action}", (mask,))
        written += _changes(conn)
    inserted = conn.execute(f"SELECT count(*) FROM main.{table}").fetchone()[0] - before_rows
    return Counts(inserted=inserted, updated=written - inserted, unchanged=staging.count - written)
