"""The audit trail: who changed what, when; append-only and hash-chained.

Each row's `hash` is SHA-256 over the previous row's hash and this row's fields, so editing or
deleting a row behind the tool's back (the triggers refuse it through SQL, but a file can be
edited) breaks the chain at that row, and `db check` names it. Rows are written inside the
same transaction as the change they describe. Private fields (duty notes) are recorded as
changed, never with their text.

The chain alone proves nothing against someone who can write the file: they can delete the
last rows, or rewrite every hash. So it is anchored. `audit_head` (one row, written in the same
transaction as the audit rows, so a crash leaves both or neither) records the last id, its hash
and the number of rows, with an HMAC-SHA256 by a secret key that is kept outside the database:
`$XDG_DATA_HOME/crotool/audit-keys/KEY_ID` (0600, created on first use; the database holds only
the key's id). Deleting rows, rewriting the chain, or editing the head needs that key. A write
refuses to extend a head that does not verify (that would launder the tampering).

Reading: `entries` lists rows for `crotool audit` (oldest first; a limit keeps the most recent),
`verify_chain` recomputes the chain for `db check`. Times are UTC (`...Z`), so `--since` is
compared in UTC too.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crotool.errors import CroError, did_you_mean
from crotool.store.fields import option_date
from crotool.store.private import make_private_dirs
from crotool.store.schema import DATE_MAX, DATE_MIN, PACK_TABLES, SECTION_ORDER

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
    """The account that really runs crotool: its uid's name from the password database, not
    $LOGNAME or $USER, which anyone can set (`LOGNAME=superintendent crotool ...`). What the
    environment claims, when it says otherwise (`sudo` sets SUDO_USER), is kept, labelled as
    a claim: `alice (claimed: LOGNAME=bob)`."""
    import pwd

    uid = os.getuid()
    try:
        real = pwd.getpwuid(uid).pw_name
    except KeyError:
        real = f"uid:{uid}"
    claims = [f"{var}={value}" for var in ("SUDO_USER", "LOGNAME", "USER")
              if (value := os.environ.get(var)) and value != real]
    return f"{real} (claimed: {', '.join(claims)})" if claims else real


def row_hash(prev: str, at: str, user: str, command: str, table: str, key: str, action: str,
             changes: str) -> str:
    # hashlib here, not at import: it loads OpenSSL (~4 ms), and every command imports this
    # module (the CLI gives it its command path); in a loop it costs ~0.2 µs a row.
    import hashlib

    payload = "\x1f".join((prev, at, user, command, table, key, action, changes))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def redact(table_private: frozenset[str], changes: dict[str, Any]) -> dict[str, Any]:
    return {k: ("(changed)" if k in table_private else v) for k, v in changes.items()}


# ---------------------------------------------------------------- the anchor


def key_dir() -> Path:
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share")
    return Path(data_home) / "crotool" / "audit-keys"


_keys: dict[str, bytes] = {}


def _key_path(key_id: str) -> Path:
    return key_dir() / key_id


def load_key(key_id: str) -> bytes | None:
    """The secret of `key_id`, or None when its file is not on this account."""
    if key_id not in _keys:
        try:
            _keys[key_id] = bytes.fromhex(_key_path(key_id).read_text().strip())
        except (OSError, ValueError):
            return None
    return _keys[key_id]


def _new_key() -> str:
    """A new random key in its own private file; returns its id."""
    import secrets  # here, not at import: every command imports this module

    key_id = secrets.token_hex(8)
    make_private_dirs(key_dir())
    fd = os.open(_key_path(key_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (secrets.token_hex(32) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return key_id


def head_mac(key: bytes, key_id: str, last_id: int, last_hash: str, rows: int) -> str:
    message = f"crotool-audit-head\x1f{key_id}\x1f{last_id}\x1f{last_hash}\x1f{rows}"
    import hashlib
    import hmac

    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def _tail(conn: sqlite3.Connection) -> tuple[int, str, int]:
    """(last id, its hash, number of rows) as the audit table holds them."""
    last = conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    rows = conn.execute("SELECT count(*) FROM audit").fetchone()[0]
    return (last[0], last[1], rows) if last else (0, GENESIS, 0)


def anchor(conn: sqlite3.Connection) -> None:
    """Create the head record over the rows there are now (migration 7: a new key)."""
    key_id = _new_key()
    key = load_key(key_id)
    assert key is not None
    last_id, last_hash, rows = _tail(conn)
    conn.execute("INSERT INTO audit_head (id, key_id, last_id, last_hash, rows, mac)"
                 " VALUES (1, ?, ?, ?, ?, ?)",
                 (key_id, last_id, last_hash, rows,
                  head_mac(key, key_id, last_id, last_hash, rows)))


def head(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The anchored head (`db info`, `db backup` print it), or None."""
    row = conn.execute("SELECT key_id, last_id, last_hash, rows, mac FROM audit_head"
                       " WHERE id = 1").fetchone()
    return dict(zip(("key_id", "last_id", "last_hash", "rows", "mac"), row, strict=True)
                ) if row else None


def head_text(conn: sqlite3.Connection) -> str:
    found = head(conn)
    if found is None:
        return "(none)"
    return f"{found['rows']} rows, last id {found['last_id']}, hash {found['last_hash'][:16]}"


def verify_head(conn: sqlite3.Connection) -> list[str]:
    """What is wrong with the head record against the key and the table; [] when it holds."""
    found = head(conn)
    if found is None:
        return ["the audit head record is missing: the trail's end was removed or replaced"]
    key = load_key(found["key_id"])
    if key is None:
        return [f"the audit key {_key_path(found['key_id'])} is not on this account: the "
                "trail's end cannot be verified (run db check as the account that wrote it, "
                "or copy that key file)"]
    expected = head_mac(key, found["key_id"], found["last_id"], found["last_hash"],
                        found["rows"])
    import hmac

    if not hmac.compare_digest(expected, str(found["mac"])):
        return ["the audit head record does not match its key: it was rewritten (rows removed "
                "or the chain recomputed behind crotool's back)"]
    last_id, last_hash, rows = _tail(conn)
    if (last_id, last_hash, rows) != (found["last_id"], found["last_hash"], found["rows"]):
        return [f"the audit trail ends at id {last_id} with {rows} rows, but its anchored head "
                f"records {found['rows']} rows up to id {found['last_id']}: rows were removed, "
                "replaced or rewritten"]
    return []


class Auditor:
    """Appends audit rows on one connection, inside the caller's transaction."""

    def __init__(self, conn: sqlite3.Connection, command: str | None = None):
        self.conn = conn
        self.command = command or current_command()
        self.user = os_user()
        self.at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        self._key: tuple[str, bytes] | None = None  # verified on the first write

    def _start(self) -> None:
        """Check the head before extending it (a new MAC over a tampered trail would hide
        the tampering), and keep its key for the writes that follow."""
        problems = verify_head(self.conn)
        if problems:
            raise CroError(f"cannot write: {problems[0]}; nothing was written",
                           hint="run `crotool db check`, and restore a backup if it fails")
        found = head(self.conn)
        assert found is not None
        key = load_key(found["key_id"])
        assert key is not None
        self._key = (found["key_id"], key)

    def record(self, table: str, key: str, action: str, changes: dict[str, Any] | None = None
               ) -> None:
        self.record_many([(table, key, action, changes or {})])

    def record_many(self, rows: list[tuple[str, str, str, dict[str, Any]]]) -> None:
        if not rows:
            return
        if self._key is None:
            self._start()
        # Read, not remembered from the last call: a rolled-back savepoint (db.transaction
        # nests) may have taken this auditor's last rows, and the head's update, with it.
        found = head(self.conn)
        assert found is not None
        prev, last_id, count = found["last_hash"], found["last_id"], found["rows"]
        out = []
        next_id = last_id
        for table, key, action, changes in rows:
            text = json.dumps(changes, sort_keys=True, ensure_ascii=False, default=str)
            h = row_hash(prev, self.at, self.user, self.command, table, key, action, text)
            next_id += 1
            out.append((next_id, self.at, self.user, self.command, table, key, action, text,
                        prev, h))
            prev = h
        # Explicit, consecutive ids: the audit_in_order trigger refuses any other (an INSERT
        # OR REPLACE over an old row would delete it without firing the DELETE trigger).
        self.conn.executemany(
            "INSERT INTO audit (id, at, os_user, command, table_name, row_key, action, changes,"
            " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            out,
        )
        assert self._key is not None
        key_id, secret = self._key
        count += len(out)
        self.conn.execute("UPDATE audit_head SET last_id = ?, last_hash = ?, rows = ?, mac = ?"
                          " WHERE id = 1",
                          (next_id, prev, count, head_mac(secret, key_id, next_id, prev, count)))


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
    return findings + verify_head(conn)


# ---------------------------------------------------------------- reading the trail


def parse_since(text: str) -> str:
    """--since: a date or an ISO 8601 date-time, in UTC like the audit times (an offset is
    converted); the text that audit times compare against."""
    raw = text.strip()
    day = option_date(raw, "--since") if len(raw) == 10 else None  # as every date option
    if day is not None:
        return day.isoformat()
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise CroError(f"--since: {text!r} is not a date or date-time",
                       hint="write YYYY-MM-DD or YYYY-MM-DDTHH:MM, in UTC") from None
    if not DATE_MIN <= value.date().isoformat() <= DATE_MAX:
        # (converting 0001-01-01T00:00+01:00 to UTC overflowed: an internal error)
        raise CroError(f"--since: {text!r} is outside the dates crotool accepts ({DATE_MIN} "
                       f"to {DATE_MAX})")
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
    where: list[str] = []
    params: list[Any] = []
    if since is not None:
        where.append("at >= ?")
        params.append(parse_since(since))
    if table is not None:
        tables = (*SECTION_ORDER, *PACK_TABLES)
        if table not in tables:
            close = did_you_mean(table, tables)
            raise CroError(f"--table: unknown table '{table}'",
                           hint=f"did you mean '{close}'?" if close
                           else f"one of {', '.join(tables)}")
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
