"""The audit trail: who changed what, when; append-only and hash-chained.

Each row's `hash` is SHA-256 over the previous row's hash and this row's fields, so editing or
deleting a row behind the tool's back (the triggers refuse it through SQL, but a file can be
edited) breaks the chain at that row, and `db check` names it. Rows are written inside the
same transaction as the change they describe. Private fields (duty notes) are recorded as
changed, never with their text.

Reading: `entries` lists rows for `crotool audit` (oldest first; a limit keeps the most recent),
`verify_chain` recomputes the chain for `db check`. Times are UTC (`...Z`), so `--since` is
compared in UTC too.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
_command_provider: Callable[[], str] = lambda: "crotool"  # noqa: E731


def set_command_provider(provider: Callable[[], str]) -> None:
    """How to name the running command (e.g. `crotool duty log`) in audit rows: the CLI
    gives its command path, never its arguments, which may hold notes."""
    global _command_provider
    _command_provider = provider


def current_command() -> str:
    return _command_provider()


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}"


def row_hash(prev: str, at: str, user: str, command: str, table: str, key: str, action: str,
             changes: str) -> str:
    payload = "\x1f".join((prev, at, user, command, table, key, action, changes))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def redact(table_private: frozenset[str], changes: dict[str, Any]) -> dict[str, Any]:
    return {k: ("(changed)" if k in table_private else v) for k, v in changes.items()}


class Auditor:
    """Appends audit rows on one connection, inside the caller's transaction."""

    def __init__(self, conn: sqlite3.Connection, command: str | None = None):
        self.conn = conn
        self.command = command or current_command()
        self.user = os_user()
        self.at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

    def _last_hash(self) -> str:
        row = self.conn.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        return row[0] if row else GENESIS

    def record(self, table: str, key: str, action: str, changes: dict[str, Any] | None = None
               ) -> None:
        self.record_many([(table, key, action, changes or {})])

    def record_many(self, rows: list[tuple[str, str, str, dict[str, Any]]]) -> None:
        if not rows:
            return
        # Read, not remembered from the last call: a rolled-back savepoint (db.transaction
        # nests) may have taken this auditor's last rows with it.
        prev = self._last_hash()
        out = []
        for table, key, action, changes in rows:
            text = json.dumps(changes, sort_keys=True, ensure_ascii=False, default=str)
            h = row_hash(prev, self.at, self.user, self.command, table, key, action, text)
            out.append((self.at, self.user, self.command, table, key, action, text, prev, h))
            prev = h
        self.conn.executemany(
            "INSERT INTO audit (at, os_user, command, table_name, row_key, action, changes,"
            " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            out,
        )


def verify_chain(conn: sqlite3.Connection) -> list[str]:
    """Every audit row whose hash does not follow from its predecessor, as messages."""
    findings = []
    prev = GENESIS
    for r in conn.execute(
        "SELECT id, at, os_user, command, table_name, row_key, action, changes, prev_hash, hash"
        " FROM audit ORDER BY id"
    ):
        expected = row_hash(prev, r[1], r[2], r[3], r[4], r[5], r[6], r[7])
        if r[8] != prev or r[9] != expected:
            findings.append(f"audit row {r[0]} does not match the hash chain: it was edited, "
                            "or a row before it was removed")
        prev = r[9]
    return findings


# ---------------------------------------------------------------- reading the trail


def parse_since(text: str) -> str:
    """--since: a date or an ISO 8601 date-time, in UTC like the audit times (an offset is
    converted); the text that audit times compare against."""
    from crotool.errors import CroError

    raw = text.strip()
    try:
        if len(raw) == 10:
            return datetime.fromisoformat(raw).date().isoformat()
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise CroError(f"--since: {text!r} is not a date or date-time",
                       hint="write YYYY-MM-DD or YYYY-MM-DDTHH:MM, in UTC") from None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="seconds")


def entries(conn: sqlite3.Connection, *, since: str | None = None, table: str | None = None,
            limit: int | None = None, changes_as_text: bool = False,
            spaced: bool = False) -> list[dict[str, Any]]:
    """Audit rows, oldest first; `limit` keeps the most recent N.

    `spaced`: changes text with a space after each `,` and `:`, and a composite key's parts
    with spaces around each `/`, so that a table for people can wrap them between items
    instead of inside a date or an id."""
    from crotool.errors import CroError, did_you_mean
    from crotool.schema import SECTION_ORDER

    where: list[str] = []
    params: list[Any] = []
    if since is not None:
        where.append("at >= ?")
        params.append(parse_since(since))
    if table is not None:
        if table not in SECTION_ORDER:
            close = did_you_mean(table, SECTION_ORDER)
            raise CroError(f"--table: unknown table '{table}'",
                           hint=f"did you mean '{close}'?" if close
                           else f"one of {', '.join(SECTION_ORDER)}")
        where.append("table_name = ?")
        params.append(table)
    sql = ("SELECT id, at, os_user, command, table_name, row_key, action, changes FROM audit"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC")
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    rows = []
    for r in conn.execute(sql, params):
        changes = r["changes"]
        if not changes_as_text:
            changes = json.loads(changes)
        else:
            # Compact: one line per audit row in a table or a CSV cell.
            changes = json.dumps(json.loads(changes), ensure_ascii=False, sort_keys=True,
                                 separators=(", ", ": ") if spaced else (",", ":"))
        rows.append({"id": r["id"], "at": r["at"], "user": r["os_user"],
                     "command": r["command"], "table": r["table_name"],
                     "key": r["row_key"].replace("/", " / ") if spaced else r["row_key"],
                     "action": r["action"], "changes": changes})
    rows.reverse()
    return rows
