"""The only module that opens SQLite.

Every connection gets the same pragmas (WAL, a 30 s busy timeout, foreign keys, secure_delete;
each for a reason given where it is set), the schema is migrated on open, and every
write runs inside `transaction()`, which starts with BEGIN IMMEDIATE: a deferred BEGIN that later
upgrades to a write does not honour the busy timeout and fails at once under a concurrent writer.

The database file and its folder are created private (0600 / 0700) before SQLite touches them,
since SQLite would create them with the umask (0644 under the usual 022).
"""

from __future__ import annotations

import itertools
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from crotool.errors import BusyError, CroError

DEFAULT_BUSY_TIMEOUT = 30.0  # seconds; $CROTOOL_BUSY_TIMEOUT overrides
SQLITE_FULL = 13  # "database or disk is full" (also: PRAGMA max_page_count reached)
DISK_FULL_MESSAGE = ("the disk (or the database's size limit) is full; nothing was written")

_db_path: str | None = None  # set by the --db option


def configure(path: str | None) -> None:
    """Remember the --db option for this process (the CLI's global option)."""
    global _db_path
    _db_path = path


def resolve_path(explicit: str | None = None) -> Path:
    """--db, else $CROTOOL_DB, else $XDG_DATA_HOME/crotool/crotool.db."""
    chosen = explicit or _db_path or os.environ.get("CROTOOL_DB")
    if chosen:
        return Path(chosen).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(data_home) / "crotool" / "crotool.db"


def busy_timeout() -> float:
    raw = os.environ.get("CROTOOL_BUSY_TIMEOUT")
    if not raw:
        return DEFAULT_BUSY_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise CroError(
            f"CROTOOL_BUSY_TIMEOUT={raw!r} is not a number of seconds", hint="e.g. 30"
        ) from None
    if value < 0:
        raise CroError(f"CROTOOL_BUSY_TIMEOUT={raw!r} must not be negative")
    return value


def _create_private(path: Path) -> None:
    folder = path.parent
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return  # another process created it first: it did the same
        os.close(fd)
        os.chmod(path, 0o600)


def is_busy(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and (
        "locked" in str(exc) or "busy" in str(exc)
    )


def is_full(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.Error) and (
        getattr(exc, "sqlite_errorcode", None) == SQLITE_FULL
        or "database or disk is full" in str(exc)
    )


def _max_pages() -> int | None:
    """$CROTOOL_MAX_PAGES: a testing knob that caps the database's size in pages (PRAGMA
    max_page_count), so that tests can force SQLITE_FULL without filling a disk."""
    raw = os.environ.get("CROTOOL_MAX_PAGES")
    if not raw:
        return None
    try:
        return max(1, int(raw))
    except ValueError:
        raise CroError(f"CROTOOL_MAX_PAGES={raw!r} is not a whole number of pages") from None


def _raw_connect(path: Path | str, timeout: float) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN ourselves (BEGIN IMMEDIATE for writes) instead of
    # letting the sqlite3 module open deferred transactions behind our back.
    conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")
    return conn


def connect(path: Path | str | None = None, *, migrate: bool = True) -> sqlite3.Connection:
    """Open (creating if needed) the database with crotool's pragmas and newest schema."""
    target = Path(path) if path is not None else resolve_path()
    if str(target) != ":memory:":
        try:
            _create_private(target)
        except OSError as exc:
            raise CroError(
                f"cannot create the database at {target}: {exc.strerror}",
                hint="choose another place with --db PATH or $CROTOOL_DB",
            ) from None
    timeout = busy_timeout()
    try:
        conn = _raw_connect(target, timeout)
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal" and str(target) != ":memory:":
            raise CroError(f"{target}: cannot switch the database to WAL mode (got {mode})")
        if migrate:
            from crotool.migrations import migrate as apply_migrations

            apply_migrations(conn)
        limit = _max_pages()
        if limit is not None:
            conn.execute(f"PRAGMA max_page_count = {limit}")
    except sqlite3.DatabaseError as exc:
        if is_busy(exc):
            raise BusyError() from None
        if is_full(exc):
            raise CroError(DISK_FULL_MESSAGE) from None
        raise CroError(
            f"{target}: not a crotool database or damaged ({exc})",
            hint="check the path, or restore a backup made with `crotool db backup`",
        ) from None
    return conn


def open_readonly(path: Path | str) -> sqlite3.Connection:
    """A read-only connection to another database file (used to verify backups)."""
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout(), isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One all-or-nothing write: BEGIN IMMEDIATE ... COMMIT, ROLLBACK on any error.

    Inside another transaction it nests through a SAVEPOINT, so that two domain operations
    can make one command all or nothing: an inner failure undoes only the inner part (if the
    caller catches it), and one that escapes the outer block undoes everything.
    """
    if conn.in_transaction:
        with _savepoint(conn):
            yield conn
        return
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if is_busy(exc):
            raise BusyError() from None
        raise
    try:
        yield conn
    except BaseException as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if is_full(exc):
            raise CroError(DISK_FULL_MESSAGE) from None
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if is_busy(exc):
            raise BusyError() from None
        if is_full(exc):
            raise CroError(DISK_FULL_MESSAGE) from None
        raise
    except sqlite3.IntegrityError as exc:
        # Deferred foreign keys are checked here; validation should have caught it first.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise CroError(f"the change was refused by the database: {exc}; nothing was written"
                       ) from None


_savepoints = itertools.count(1)


@contextmanager
def _savepoint(conn: sqlite3.Connection) -> Iterator[None]:
    name = f"crotool_{next(_savepoints)}"  # unique, so nested levels never release each other
    conn.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        conn.execute(f"ROLLBACK TO {name}")
        conn.execute(f"RELEASE {name}")
        raise
    conn.execute(f"RELEASE {name}")


BULK_CACHE_KIB = 64 * 1024


def for_bulk_write(conn: sqlite3.Connection) -> None:
    """A larger page cache for a write of many rows into indexed tables.

    SQLite's default cache is 2 MiB; an import updates six b-trees of the duties table at
    random places, and with the default it rereads their pages over and over (measured: 200,000
    rows into the indexed table took 6.6 s with 2 MiB, 3.2 s with 64 MiB). The cache is a
    ceiling, not an allocation: it grows only as pages are read.
    """
    conn.execute(f"PRAGMA main.cache_size = -{BULK_CACHE_KIB}")
    conn.execute("PRAGMA temp.cache_size = -16384")


def checkpoint(conn: sqlite3.Connection) -> None:
    """Fold the WAL into the main file (after deleting sensitive rows: secure_delete is not
    enough while the old page still sits in the -wal file)."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def backup_to(conn: sqlite3.Connection, dest: Path) -> None:
    """A consistent copy through SQLite's backup API, even while others write.

    The copy is switched to a rollback journal: a backup is one self-contained file, and a
    WAL-mode copy would grow -wal/-shm files beside it as soon as anyone opened it."""
    target = sqlite3.connect(str(dest), isolation_level=None)
    try:
        conn.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")
    finally:
        target.close()
