"""Small helpers the command modules share."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable


def connect() -> sqlite3.Connection:
    from crotool import db

    return db.connect()


def confirm(question: str, yes: bool) -> None:
    """Ask before a destructive change, but only on a terminal; --yes skips it.

    Without a terminal (cron, scripts) and without --yes, refuse rather than hang.
    """
    from crotool.errors import CroError

    if yes:
        return
    if not sys.stdin.isatty():
        raise CroError(f"{question.rstrip('?')}: refused without --yes (no terminal to ask on)")
    import typer

    if not typer.confirm(question, default=False, err=True):
        raise CroError("nothing was changed")


def ids(section: str, column: str | None = None) -> Callable[[str], list[str]]:
    """Tab completion of the ids stored in `section` (feeder patterns, badges, ...); `column`
    for a section whose key has several (a follow-up rule's `id`).

    Runs inside the shell's completion request: it must never create a database, print, or
    fail, so any problem completes nothing.
    """

    def complete(incomplete: str) -> list[str]:
        try:
            from crotool import db
            from crotool.schema import SECTIONS

            path = db.resolve_path()
            if not path.exists():
                return []
            col = column or SECTIONS[section].key[0]
            conn = db.connect(path, migrate=False)
            try:
                return [r[0] for r in conn.execute(
                    f"SELECT DISTINCT {col} FROM {section} WHERE substr({col}, 1, ?) = ?"
                    f" ORDER BY {col} LIMIT 200", (len(incomplete), incomplete))]
            finally:
                conn.close()
        except Exception:  # noqa: BLE001 - completion must stay silent
            return []

    return complete
