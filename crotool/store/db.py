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
import math
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from crotool import interrupt
from crotool.errors import BusyError, CroError
from crotool.store.migrations import migrate as apply_migrations
from crotool.store.private import make_private_dirs

DEFAULT_BUSY_TIMEOUT = 30.0  # seconds; $CROTOOL_BUSY_TIMEOUT overrides
MAX_BUSY_TIMEOUT = 86_400.0  # a day: longer is a mistake (and SQLite takes milliseconds as int)
SQLITE_BUSY = 5  # another connection holds the lock past the busy timeout (WAL: a writer)
SQLITE_LOCKED = 6  # a conflict inside this process (a shared cache, a table being read)
SQLITE_FULL = 13  # "database or disk is full" (also: PRAGMA max_page_count reached)
# Primary result codes (the low byte of sqlite_errorcode) that a user can do something about.
SQLITE_READONLY, SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_CANTOPEN, SQLITE_NOTADB = 8, 10, 11, 14, 26
SQLITE_IOERR_SHMSIZE = SQLITE_IOERR | (19 << 8)
SQLITE_IOERR_SHMOPEN = SQLITE_IOERR | (18 << 8)
SQLITE_READONLY_CANTINIT = SQLITE_READONLY | (5 << 8)
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


def absent_named_file() -> tuple[Path, str] | None:
    """The database file that --db or $CROTOOL_DB names, and which of them named it, when
    that file does not exist (a mistyped path); None when it exists or none is named (the
    default file is created on first use, whatever the command)."""
    if _db_path:
        chosen, by = _db_path, "--db"
    elif os.environ.get("CROTOOL_DB"):
        chosen, by = os.environ["CROTOOL_DB"], "$CROTOOL_DB"
    else:
        return None
    path = Path(chosen).expanduser()
    if str(path) == ":memory:":
        return None
    try:
        os.lstat(path)
    except FileNotFoundError:
        return path, by
    except OSError:  # through a file, a name too long: `connect` says which
        return None
    return None


def busy_timeout() -> float:
    raw = os.environ.get("CROTOOL_BUSY_TIMEOUT")
    if not raw:
        return DEFAULT_BUSY_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):  # 'nan', 'inf' and '1e309' all read as floats
        raise CroError(
            f"CROTOOL_BUSY_TIMEOUT={raw!r} is not a number of seconds", hint="e.g. 30"
        ) from None
    if value < 0:
        raise CroError(f"CROTOOL_BUSY_TIMEOUT={raw!r} must not be negative")
    if value > MAX_BUSY_TIMEOUT:
        raise CroError(f"CROTOOL_BUSY_TIMEOUT={raw!r} is more than a day "
                       f"({MAX_BUSY_TIMEOUT:.0f} seconds)", hint="e.g. 30")
    return value


def _create_private(path: Path) -> Path:
    """Create the database file (and any folder it needs) private, whatever the umask; the
    path it really lives at is returned.

    A dangling symlink is followed to the file it names (else O_EXCL refuses the link and
    SQLite creates the target with the umask, 0644); each missing folder is made 0700 one by
    one (`mkdir(parents=True)` gives the intermediate ones the umask's 0777 under umask 000).
    SQLite gives the -wal and -shm files the database file's own mode.
    """
    real = Path(os.path.realpath(path))
    make_private_dirs(real.parent)
    if not real.exists():
        try:
            fd = os.open(real, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return real  # another process created it first: it did the same
        try:
            os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
    return real


def is_busy(exc: BaseException) -> bool:
    """SQLITE_BUSY (any extended code of it): another process holds the database. By the
    error code, like `is_full`: SQLITE_LOCKED (a conflict inside this process) and a message
    that merely contains "locked" are other errors."""
    return (isinstance(exc, sqlite3.OperationalError)
            and (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF == SQLITE_BUSY)


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
    _set_pragmas(conn, timeout)
    return conn


def _set_pragmas(conn: sqlite3.Connection, timeout: float) -> None:
    """The per-connection settings (none of them writes to the file)."""
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")
    # Ctrl-C cannot run Python code while SQLite runs a statement: this aborts it.
    conn.set_progress_handler(interrupt.progress, 10_000)


def connect(path: Path | str | None = None, *, migrate: bool = True) -> sqlite3.Connection:
    """Open (creating if needed) the database with crotool's pragmas and newest schema.

    A file that is there but cannot be written (a read-only file or folder) is opened
    read-only, so that reports still work; a write then says the file is read-only.
    Another application's SQLite file is refused before anything could change it.
    """
    target = Path(path) if path is not None else resolve_path()
    memory = str(target) == ":memory:"
    exists = False
    if not memory:
        try:
            os.stat(target)
            exists = True
        except FileNotFoundError:
            pass
        except OSError as exc:  # a symlink loop, a path through a file, a name too long
            raise CroError(f"cannot create the database at {target}: {exc.strerror or exc}",
                           hint="choose another place with --db PATH or $CROTOOL_DB") from None
        if exists and target.is_dir():
            raise CroError(f"{target} is a folder, not a database file",
                           hint=f"name a file in it, e.g. --db {target / 'crotool.db'}")
    readonly = exists and not _writable(target)
    if not memory and not readonly:
        try:
            _create_private(target)
        except OSError as exc:
            raise CroError(
                f"cannot create the database at {target}: {exc.strerror or exc}",
                hint="choose another place with --db PATH or $CROTOOL_DB",
            ) from None
    if not memory:
        _refuse_stale_wal(target)
    timeout = busy_timeout()
    try:
        conn = _readonly_connect(target, timeout) if readonly else _raw_connect(target, timeout)
        _refuse_foreign(conn, target)
        if not readonly:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal" and not memory:
                raise CroError(f"{target}: cannot switch the database to WAL mode (got {mode})")
        if migrate:
            apply_migrations(conn)
        limit = _max_pages()
        if limit is not None:
            conn.execute(f"PRAGMA max_page_count = {limit}")
    except sqlite3.DatabaseError as exc:
        raise error_for(exc, target) from None
    return conn


def _writable(path: Path) -> bool:
    """Whether SQLite can write the file and create its -wal/-shm beside it."""
    folder = path.resolve().parent
    # effective ids: what SQLite's open() will be allowed (sudo, setuid wrappers)
    return (os.access(path, os.W_OK, effective_ids=True)
            and os.access(folder, os.W_OK | os.X_OK, effective_ids=True))


def _readonly_connect(path: Path, timeout: float) -> sqlite3.Connection:
    """A read-only connection to a file crotool may not write. In a read-only folder a WAL
    database needs its -shm file, which cannot be created there: `immutable` then reads the
    file as it stands (nobody can write through that folder's -wal either)."""
    real = path.resolve()
    query = "mode=ro"
    if (not os.access(real.parent, os.W_OK, effective_ids=True)
            and not Path(f"{real}-shm").exists()):
        query += "&immutable=1"
    conn = sqlite3.connect(f"{real.as_uri()}?{query}", uri=True, timeout=timeout,
                           isolation_level=None)
    _set_pragmas(conn, timeout)
    return conn


def _refuse_stale_wal(target: Path) -> None:
    """Refuse a -wal file that cannot belong to the database beside it.

    A rollback-journal file (what `db backup` writes; header bytes 18-19 are 1) never has a
    live -wal: SQLite folds it in and deletes it when a database leaves WAL mode. One there
    is left from the file that was replaced (`cp backup.db crotool.db` over a database that
    crashed or was in use), and switching to WAL would replay its pages onto the restored
    file: silently old values, or a damaged b-tree.
    """
    wal = Path(f"{target}-wal")
    try:
        if wal.stat().st_size == 0:
            return
        with open(target, "rb") as fh:
            header = fh.read(20)
    except OSError:
        return  # no -wal, or no file yet: nothing stale
    if len(header) == 20 and header.startswith(b"SQLite format 3\0") and header[18] == 1:
        raise CroError(f"{target}: a -wal file from before the file was replaced lies beside it "
                       f"({wal}); opening would replay it onto the restored file",
                       hint=f"move {wal} and {target}-shm away, then run the command again")


# The tables of migration 1: a file holding tables but none of these is another program's.
_OWN_TABLES = frozenset({"audit", "officers", "schools", "duties"})


def _refuse_foreign(conn: sqlite3.Connection, target: Path) -> None:
    """Refuse another application's SQLite file (a browser's history given as --db) before
    any pragma or migration writes to it: it would gain crotool's tables and WAL mode."""
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name")]
    if tables and not _OWN_TABLES <= set(tables):
        conn.close()
        shown = ", ".join(tables[:5]) + (f" ... ({len(tables)} tables)" if len(tables) > 5
                                         else "")
        raise CroError(f"{target}: not a crotool database (it holds other tables: {shown}); "
                       "nothing was changed", hint="give crotool its own file with --db PATH")


def error_for(exc: BaseException, target: Path | str | None = None) -> CroError:
    """The error for an SQLite failure while opening: what is wrong, else 'not a crotool
    database or damaged'."""
    return known_error(exc, target) or CroError(
        f"{target}: not a crotool database or damaged ({exc})",
        hint="check the path, or restore a backup made with `crotool db backup`",
    )


def known_error(exc: BaseException, target: Path | str | None = None) -> CroError | None:
    """The one line a user gets for an SQLite error that is about the file, not about
    crotool (busy, full, read-only, damaged, interrupted), with what to do; None for the
    rest (a bug: the caller reports an internal error)."""
    where = target if target is not None else resolve_path()
    code = getattr(exc, "sqlite_errorcode", None) or 0
    primary = code & 0xFF
    text = str(exc)
    if interrupt.requested() or "interrupted" == text:
        return CroError(interrupt.message(), code=130)
    if is_busy(exc):
        return BusyError()
    if is_full(exc) or code == SQLITE_IOERR_SHMSIZE:
        return CroError(DISK_FULL_MESSAGE if code != SQLITE_IOERR_SHMSIZE else
                        f"{where}: no room on the disk for the database's shared-memory file "
                        f"({where}-shm); free some space, then run the command again")
    if primary == SQLITE_READONLY or "readonly database" in text:
        return CroError(f"{where}: the database is read-only for this account (the file or "
                        "its folder cannot be written); nothing was written",
                        hint="check their permissions and owner, or work on a copy")
    if primary == SQLITE_CANTOPEN or code == SQLITE_IOERR_SHMOPEN:
        return CroError(f"{where}: cannot open the database ({text})",
                        hint="check that the folder exists and this account may read and "
                        "write it")
    if primary == SQLITE_CORRUPT or "malformed" in text:
        wal = Path(f"{where}-wal")
        stale = (" ; if the file was restored by copying it, a stale -wal file from before may"
                 f" be applied to it: move {wal} and {where}-shm away first") if wal.exists() \
            else ""
        return CroError(f"{where}: the database is damaged ({text}){stale}",
                        hint="restore a backup made with `crotool db backup`")
    if primary == SQLITE_IOERR:
        return CroError(f"{where}: the disk reported an error reading or writing the database "
                        f"({text})", hint="check the disk, then run `crotool db check`")
    if primary == SQLITE_NOTADB:
        return CroError(f"{where}: not a crotool database or damaged ({text})",
                        hint="check the path, or restore a backup made with `crotool db backup`")
    return None


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
        if isinstance(exc, sqlite3.OperationalError) and interrupt.requested():
            raise interrupt.Interrupted() from None  # a statement aborted by Ctrl-C
        raise
    try:
        with interrupt.holding():
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


@contextmanager
def read(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One snapshot for every read of a command: BEGIN (deferred) ... COMMIT.

    In WAL mode a read transaction sees the database as it was at its first read, whatever
    commits meanwhile: a report that reads a year in several SELECTs (or counts and then
    lists) sees an import whole or not at all. It never blocks a writer, nor waits for one.
    Inside a transaction already open it adds nothing (the outer one is the snapshot).
    """
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    if conn.in_transaction:
        conn.execute("COMMIT")  # nothing was written: this only ends the snapshot


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
