"""Small helpers the command modules share."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable
from typing import Any

import typer

from crotool.errors import CroError
from crotool.output.messages import message
from crotool.program import years
from crotool.store import db
from crotool.store.schema import SECTIONS


def connect(*, reads_only: bool = False) -> sqlite3.Connection:
    """The database. A command that only reads (`reads_only`) never creates it: when --db or
    $CROTOOL_DB names a file that is not there (a mistyped path), it says so in one `warning:`
    line and reads an empty database in memory, so a list is still `[]` for a script; the
    first command that writes creates the file. Commands call it as `common.connect`, looked
    up when they run, so a test can wrap it (tests/test_snapshot.py traces each SELECT)."""
    absent = db.absent_named_file() if reads_only else None
    if absent is not None:
        path, by = absent
        message(f"warning: {path} (named by {by}) does not exist: nothing is stored there, and "
                "nothing was created; check the path (a command that writes, such as "
                "`crotool load`, creates the file)")
        return db.connect(":memory:")
    return db.connect()


def confirm(question: str, yes: bool) -> None:
    """Ask before a destructive change, but only on a terminal; --yes skips it.

    Without a terminal (cron, scripts) and without --yes, refuse rather than hang.
    """
    if yes:
        return
    if not sys.stdin.isatty():
        raise CroError(f"{question.rstrip('?')}: refused without --yes (no terminal to ask on)")
    if not typer.confirm(question, default=False, err=True):
        raise CroError("nothing was changed")


def year_warning(warning: str | None) -> None:
    """The stale-year warning, when the command fell back to a year that does not
    contain today: one `warning:` line on stderr, also under --quiet (a cron job must hear it);
    the exit code stays what it was. `years.resolve_year` writes the text; this shows it."""
    if warning:
        message(f"warning: {warning}")


def school_year(conn: sqlite3.Connection, year_id: str | None) -> dict[str, str]:
    """`--year` as a record (id, start, end), else the current year, showing the stale-year
    warning when the command had to fall back to one that does not contain today."""
    resolution = years.resolve_year(conn, year_id)
    year_warning(resolution.warning)
    return resolution.year.as_dict()


def ids(section: str, column: str | None = None) -> Callable[[Any, str], list[str]]:
    """Tab completion of the ids stored in `section` (feeder patterns, badges, ...); `column`
    for a section whose key has several (a follow-up rule's `id`, an assignment's `officer`),
    or whose id is a number (an assessment's `id`)."""

    def complete(ctx: typer.Context, incomplete: str) -> list[str]:
        col = column or SECTIONS[section].key[0]
        return completed(ctx, lambda conn: [str(r[0]) for r in conn.execute(
            f"SELECT DISTINCT {col} FROM {section} WHERE substr({col}, 1, ?) = ?"
            f" ORDER BY {col} LIMIT 200", (len(incomplete), incomplete))])

    return complete


def completed(ctx: Any, read: Callable[[sqlite3.Connection], list[str]]) -> list[str]:
    """What `read` finds in the database being completed against (a typed --db, else the
    usual one). Runs inside the shell's completion request: it must never create a database,
    print, or fail, so any problem completes nothing."""
    try:
        # The root callback (which remembers --db) does not run during completion: the
        # typed --db is read from the parsed command line instead.
        path = db.resolve_path(_typed_db(ctx))
        if not path.exists():
            return []
        conn = db.connect(path, migrate=False)
        try:
            return read(conn)
        finally:
            conn.close()
    except Exception:  # noqa: BLE001 - completion must stay silent
        return []


def _typed_db(ctx: Any) -> str | None:
    """The --db given on the command line being completed, if any."""
    try:
        value = ctx.find_root().params.get("db")
    except AttributeError:
        return None
    return value if isinstance(value, str) and value else None


def choices(section: str, field: str) -> Callable[[str], list[str]]:
    """Tab completion of a field's allowed values (an officer's status, a school's level),
    from schema.py: the same list the domain checks the typed value against."""

    def complete(incomplete: str) -> list[str]:
        return [c for c in SECTIONS[section].field(field).choices if c.startswith(incomplete)]

    return complete
