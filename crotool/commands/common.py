"""Small helpers the command modules share."""

from __future__ import annotations

import sqlite3
import sys


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
