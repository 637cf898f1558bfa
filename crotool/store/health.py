"""The database's own health: `db check`, `db info` and `db backup`.

`check` runs every test it can and reports each as rows (check, status, detail), never
stopping at the first failure: a damaged file is exactly when the user needs the whole list.
It covers what SQLite can verify (`integrity_check`, `foreign_key_check`), what only crotool
knows (the audit hash chain and its append-only triggers, the file's privacy, references held
inside JSON lists, which no foreign key can express, and the cross-record rules that
validation applies on the way in).
Rows that violate a rule can only appear behind the tool's back (an old version, a hand edit
with the sqlite3 shell): validation refuses them on the way in.

`backup` copies through SQLite's backup API (a consistent snapshot even while other processes
write; copying the file of a WAL database can lose committed data), into a temporary file in
the destination's folder, verifies the copy, and only then gives it its name, without ever
replacing an existing file: a killed backup leaves no partial file under the name.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crotool.errors import CroError
from crotool.store import db
from crotool.store.audit import head_text, verify_chain
from crotool.store.migrations import SCHEMA_VERSION, version
from crotool.store.schema import SECTIONS

OK = "ok"
FAIL = "fail"

Row = dict[str, Any]


def _row(check: str, status: str, detail: str) -> Row:
    return {"check": check, "status": status, "detail": detail}


def _tables(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name")]


def _quote(name: str) -> str:
    """An identifier for SQL text (table names come from sqlite_master, never from a user)."""
    return '"' + name.replace('"', '""') + '"'


def _describe(conn: sqlite3.Connection, table: str, rowid: int | None) -> str:
    """`officers[0417]`: a row named by its natural key where it has one."""
    if rowid is None:
        return f"{table} (a row without rowid)"
    section = SECTIONS.get(table)
    if section is not None and section.key:
        cols = ", ".join(_quote(k) for k in section.key)
        found = conn.execute(f"SELECT {cols} FROM {_quote(table)} WHERE rowid = ?",
                             (rowid,)).fetchone()
        if found is not None:
            return f"{table}[{'/'.join(str(v) for v in found)}]"
    return f"{table} row {rowid}"


# ---------------------------------------------------------------- the checks


def _integrity(conn: sqlite3.Connection, path: Path) -> list[Row]:
    found = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    if found == ["ok"]:
        return [_row("integrity", OK, "PRAGMA integrity_check: ok")]
    return [_row("integrity", FAIL, line) for line in found]


def _foreign_keys(conn: sqlite3.Connection, path: Path) -> list[Row]:
    rows = []
    columns: dict[tuple[str, int], tuple[str, str]] = {}
    for table, rowid, parent, fkid in conn.execute("PRAGMA foreign_key_check").fetchall():
        if (table, fkid) not in columns:
            for fk in conn.execute(f"PRAGMA foreign_key_list({_quote(table)})"):
                columns[(table, fk["id"])] = (fk["from"], fk["to"] or "")
        column, target = columns.get((table, fkid), ("?", ""))
        value = None
        if rowid is not None and column != "?":
            hit = conn.execute(f"SELECT {_quote(column)} FROM {_quote(table)} WHERE rowid = ?",
                               (rowid,)).fetchone()
            value = hit[0] if hit else None
        rows.append(_row("foreign_keys", FAIL, f"{_describe(conn, table, rowid)}.{column}: "
                         f"'{value}' is not in {parent}{f'.{target}' if target else ''}"))
    return rows or [_row("foreign_keys", OK, "PRAGMA foreign_key_check: every reference found")]


def _audit(conn: sqlite3.Connection, path: Path) -> list[Row]:
    rows = [_row("audit_chain", FAIL, finding) for finding in verify_chain(conn)]
    if not rows:
        count = conn.execute("SELECT count(*) FROM audit").fetchone()[0]
        rows.append(_row("audit_chain", OK, f"{count} audit rows, hash chain intact and "
                         f"anchored ({head_text(conn)})"))
    triggers = {r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit'")}
    missing = sorted({"audit_no_update", "audit_no_delete", "audit_in_order"} - triggers)
    if missing:
        rows.append(_row("audit_append_only", FAIL, f"trigger {', '.join(missing)} is missing: "
                         "audit rows can be edited through SQL"))
    else:
        rows.append(_row("audit_append_only", OK, "UPDATE, DELETE and out-of-order INSERT on "
                         "audit are refused"))
    return rows


def _permissions(conn: sqlite3.Connection, path: Path) -> list[Row]:
    if str(path) == ":memory:":
        return []
    rows = []
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            mode = stat.S_IMODE(os.stat(file).st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            rows.append(_row("permissions", FAIL, f"{file} is mode {mode:04o}: others can read "
                             f"it; run: chmod 600 {file}"))
    return rows or [_row("permissions", OK, f"{path} is private to its owner")]


# Rules the schema cannot hold: (name, what it says when no row breaks it, a query that returns
# (label, detail) for every row that does). The rules for list fields with a reference are
# derived from schema.py (_list_reference_rules).
_DOMAIN: list[tuple[str, str, str]] = [
    ("officer_agency", "every officer belongs to a known agency",
     """SELECT 'officers[' || o.badge || ']', 'agency ''' || o.agency || ''' is not a known agency'
        FROM officers o LEFT JOIN agencies a ON a.id = o.agency
        WHERE a.id IS NULL ORDER BY o.badge"""),
    ("high_school", "every feeder pattern's high school is a high school of that pattern",
     """SELECT 'feeder_patterns[' || p.id || ']',
               CASE WHEN s.level <> 'high'
                    THEN 'high_school ''' || s.id || ''' is a ' || s.level || ' school, not high'
                    ELSE 'high_school ''' || s.id || ''' belongs to feeder pattern '''
                         || s.feeder_pattern || '''' END
        FROM feeder_patterns p JOIN schools s ON s.id = p.high_school
        WHERE s.level <> 'high' OR s.feeder_pattern <> p.id ORDER BY p.id"""),
    ("assignment_year", "every assignment lies inside its school year",
     """SELECT 'assignments[' || a.officer || '/' || a.feeder_pattern || '/' || a.school_year
               || '/' || a.start || ']',
               CASE WHEN y.id IS NULL THEN 'school year ''' || a.school_year || ''' is unknown'
                    ELSE a.start || ' to ' || a.end || ' is outside school year ' || y.id
                         || ' (' || y.start || ' to ' || y.end || ')' END
        FROM assignments a LEFT JOIN school_years y ON y.id = a.school_year
        WHERE y.id IS NULL OR a.start < y.start OR a.end > y.end
        ORDER BY a.school_year, a.officer, a.start"""),
    ("leave_dates", "no leave ends before it starts",
     """SELECT 'leaves[' || officer || '/' || start || ']',
               'ends ' || end || ', before it starts'
        FROM leaves WHERE end < start ORDER BY officer, start"""),
    # Rules are replaceable data (migration 11): a record that names a rule no applied pack
    # defines any more is found here, not by a foreign key.
    ("district_rule_packs", "every rule pack the district applies is stored",
     """SELECT 'district', 'rule_packs names rule pack ''' || j.value || ''', which is not stored'
        FROM district d, json_each(d.rule_packs) j LEFT JOIN rule_packs p ON p.id = j.value
        WHERE p.id IS NULL ORDER BY j.key"""),
    ("category_role", "every duty category's role is a rule of an applied pack",
     """SELECT 'duty_categories[' || c.id || ']', 'role ''' || c.role || ''' is defined by no '
               || 'applied rule pack'
        FROM duty_categories c WHERE c.role IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM roles r WHERE r.id = c.role) ORDER BY c.id"""),
    ("followup_rule", "every done follow-up names a follow-up rule of an applied pack",
     """SELECT 'followups[' || f.officer || '/' || f.school || '/' || f.category || '/' || f.at
               || '/' || f.rule || ']', 'rule ''' || f.rule || ''' of duty category '''
               || f.category || ''' is defined by no applied rule pack'
        FROM followups f WHERE NOT EXISTS (SELECT 1 FROM followup_rules r
            WHERE r.category = f.category AND r.id = f.rule) ORDER BY f.category, f.at"""),
    ("officer_kind", "every officer's kind is an officer kind of an applied pack",
     """SELECT 'officers[' || o.badge || ']', 'kind ''' || o.kind || ''' is defined by no '
               || 'applied rule pack'
        FROM officers o WHERE o.kind IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM officer_kinds k WHERE k.id = o.kind) ORDER BY o.badge"""),
    ("training_topic", "every training names a training topic of an applied pack",
     """SELECT 'trainings[' || t.officer || '/' || t.topic || '/' || t.completed_on || ']',
               'topic ''' || t.topic || ''' is defined by no applied rule pack'
        FROM trainings t WHERE NOT EXISTS (SELECT 1 FROM training_topics p WHERE p.id = t.topic)
        ORDER BY t.officer, t.completed_on"""),
]



def _list_reference_rules() -> list[tuple[str, str, str]]:
    """One rule per list field with a reference (schools.also_feeds, engagements.connectors,
    ...), derived from schema.py: a list lives in one JSON column, where no foreign key
    reaches, so every item is joined to the table it must name."""
    rules = []
    for section in SECTIONS.values():
        if not section.key:
            continue
        key = " || '/' || ".join(f"t.{k}" for k in section.key)
        order = ", ".join(f"t.{k}" for k in section.key)
        for f in section.fields:
            if f.kind != "list" or not f.ref:
                continue
            target = SECTIONS[f.ref]
            noun = target.label or f.ref
            name = f"{(section.label or section.name).replace(' ', '_')}_{f.name}"
            quote = "'''"
            rules.append((
                name, f"every {section.label}'s {f.name} are known ({noun} ids)",
                f"SELECT '{section.name}[' || {key} || ']',"
                f" '{f.name} names unknown {noun} {quote} || j.value || {quote}'"
                f" FROM {section.name} t, json_each(t.{f.name}) j"
                f" LEFT JOIN {f.ref} r ON r.{target.key[0]} = j.value"
                f" WHERE r.{target.key[0]} IS NULL ORDER BY {order}, j.key"))
    return rules


# An incident's flags are the truth (migration 14); its three booleans are written with them.
_INCIDENT_FLAGS = ("incident_flags", "every incident's discipline, use_of_force and arrest "
                   "agree with its flags",
                   "SELECT 'incidents[' || i.reference || ']', 'discipline ' || i.discipline"
                   " || ', use_of_force ' || i.use_of_force || ', arrest ' || i.arrest"
                   " || ' disagree with flags ' || i.flags FROM incidents i WHERE "
                   + " OR ".join(f"i.{b} <> EXISTS (SELECT 1 FROM json_each(i.flags) j WHERE"
                                 f" j.value = '{b}')"
                                 for b in ("discipline", "use_of_force", "arrest"))
                   + " ORDER BY i.reference")


def _rule_choice_rules() -> list[tuple[str, str, str]]:
    """One rule per field whose choices are a rule section's ids (an agency's kind, a
    complaint's about, a student row's grade; migration 14): the value is an id the applied
    packs define, or, while they define none, one of the field's fixed choices."""
    rules = []
    for section in SECTIONS.values():
        for f in section.fields:
            if not f.rule_choices:
                continue
            label = " || '/' || ".join(f"t.{k}" for k in section.key)
            fixed = ", ".join(f"'{c}'" for c in f.choices)
            always = "".join(f" AND t.{f.name} <> '{c}'" for c in f.always)
            noun = SECTIONS[f.rule_choices].label
            article = "an" if noun[0] in "aeiou" else "a"
            q = "'''"
            rules.append((
                f"{section.name}_{f.name}",
                f"every {section.label}'s {f.name} is {article} {noun} of an applied pack",
                f"SELECT '{section.name}[' || {label} || ']', '{f.name} {q} || t.{f.name}"
                f" || {q} is defined by no applied rule pack ({f.rule_choices})'"
                f" FROM {section.name} t"
                f" WHERE (CASE WHEN EXISTS (SELECT 1 FROM {f.rule_choices})"
                f" THEN NOT EXISTS (SELECT 1 FROM {f.rule_choices} r WHERE r.id = t.{f.name})"
                f" ELSE t.{f.name} NOT IN ({fixed}) END){always}"
                f" ORDER BY {', '.join(f't.{k}' for k in section.key)}"))
    return rules


def _domain(conn: sqlite3.Connection, path: Path) -> list[Row]:
    rows = []
    for name, ok, sql in [*_list_reference_rules(), *_DOMAIN, *_rule_choice_rules(),
                          _INCIDENT_FLAGS]:
        found = conn.execute(sql).fetchall()
        rows += [_row(name, FAIL, f"{label}: {detail}") for label, detail in found]
        if not found:
            rows.append(_row(name, OK, ok))
    return rows


CHECKS: list[tuple[str, Callable[[sqlite3.Connection, Path], list[Row]]]] = [
    ("integrity", _integrity),
    ("foreign_keys", _foreign_keys),
    ("audit_chain", _audit),
    ("permissions", _permissions),
    ("domain", _domain),
]


def check(conn: sqlite3.Connection, path: Path) -> list[Row]:
    """Every check, as rows (check, status, detail); one row per finding."""
    rows: list[Row] = []
    for name, run in CHECKS:
        try:
            rows += run(conn, path)
        except sqlite3.DatabaseError as exc:
            # A damaged file can break a check itself: report it and go on with the rest.
            rows.append(_row(name, FAIL, f"could not run: {exc}"))
    return rows


def failures(rows: list[Row]) -> int:
    return sum(1 for r in rows if r["status"] == FAIL)


# ---------------------------------------------------------------- info


def _size(file: Path) -> int:
    try:
        return os.stat(file).st_size
    except FileNotFoundError:
        return 0


def info(conn: sqlite3.Connection, path: Path) -> list[Row]:
    """What and where the database is: rows of (item, value)."""
    def pragma(name: str) -> Any:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]

    rows: list[Row] = [
        {"item": "path", "value": str(path.resolve()) if str(path) != ":memory:" else str(path)},
        {"item": "schema_version", "value": version(conn)},
        {"item": "schema_version_known", "value": SCHEMA_VERSION},
        {"item": "sqlite_version", "value": sqlite3.sqlite_version},
        {"item": "journal_mode", "value": pragma("journal_mode")},
        {"item": "size_bytes", "value": _size(path)},
        {"item": "wal_bytes", "value": _size(Path(f"{path}-wal"))},
        {"item": "page_size", "value": pragma("page_size")},
        {"item": "page_count", "value": pragma("page_count")},
        {"item": "free_pages", "value": pragma("freelist_count")},
    ]
    rows.append({"item": "audit_head", "value": head_text(conn)})
    # One read transaction: every count comes from the same snapshot, so counts taken while
    # an import commits never mix its before and after.
    with db.read(conn):
        for table in _tables(conn):
            count = conn.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()[0]
            rows.append({"item": f"rows.{table}", "value": count})
    return rows


# ---------------------------------------------------------------- backup


def backup(conn: sqlite3.Connection, dest: Path) -> dict[str, Any]:
    """A verified, private copy at `dest`, which must not exist yet."""
    dest = dest.expanduser()
    if dest.exists() or dest.is_symlink():
        raise CroError(f"{dest} already exists; a backup never replaces a file",
                       hint="choose a new name, e.g. one with today's date")
    folder = dest.parent if str(dest.parent) else Path(".")
    if not folder.is_dir():
        raise CroError(f"cannot write {dest}: no folder {folder}")
    try:
        # mkstemp creates the file 0600: the copy is private from its first byte.
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{dest.name}.", suffix=".tmp")
    except OSError as exc:
        raise CroError(f"cannot write {dest}: {exc.strerror}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            db.backup_to(conn, tmp)
        except sqlite3.Error as exc:
            if db.is_full(exc):
                raise CroError(f"cannot write {dest}: the disk is full; no backup was made"
                               ) from None
            raise CroError(f"cannot write {dest}: {exc}; no backup was made") from None
        counts = _verify(tmp, dest)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        _place(tmp, dest)
        _sync_folder(folder)
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return {"backup": str(dest), "size_bytes": _size(dest), "integrity": "ok",
            "rows": counts[0], "audit_head": counts[1]}


def _verify(copy: Path, dest: Path) -> tuple[int, str]:
    """integrity_check on the copy, read-only; the number of data rows it holds and its
    audit head (printed, so that a later copy can be compared with it)."""
    conn = db.open_readonly(copy)
    try:
        result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            raise CroError(f"the copy for {dest} failed its integrity check "
                           f"({'; '.join(result[:3])}); no backup was made")
        return (sum(conn.execute(f"SELECT count(*) FROM {_quote(t)}").fetchone()[0]
                    for t in _tables(conn)), head_text(conn))
    finally:
        conn.close()


def _place(tmp: Path, dest: Path) -> None:
    """Give the finished copy its name, never replacing a file that appeared meanwhile."""
    try:
        os.link(tmp, dest)  # fails if dest exists: no check-then-rename race
        return
    except FileExistsError:
        raise CroError(f"{dest} already exists; a backup never replaces a file") from None
    except OSError:
        pass  # a file system without hard links: fall back to a checked rename
    if dest.exists():
        raise CroError(f"{dest} already exists; a backup never replaces a file")
    try:
        os.replace(tmp, dest)
    except OSError as exc:
        raise CroError(f"cannot write {dest}: {exc.strerror}") from None


def _sync_folder(folder: Path) -> None:
    """Make the new name durable (the rename lives in the folder's entry)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
