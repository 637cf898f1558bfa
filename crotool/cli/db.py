"""`crotool db check|backup|info`: the database file's health, a safe copy, and what it holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crotool.cli.options import FormatOpt, OutputOpt, out
from crotool.errors import CroError
from crotool.output.messages import message
from crotool.output.view import View
from crotool.store import db, health
from crotool.store.health import FAIL, failures

db_app = typer.Typer(help="""The database file: check it, back it up, describe it.

Examples:

\b
  crotool db check
  crotool db info -f json
  crotool db backup crotool-backup.db
""", no_args_is_help=True)


def _path_and_conn():
    absent = db.absent_named_file()
    if absent is not None:  # nothing to check, copy or describe: and nothing is created
        raise CroError(f"{absent[0]} (named by {absent[1]}) does not exist",
                       hint="check the path; a command that writes, such as `crotool load`, "
                       "creates the file")
    return db.resolve_path(), db.connect()


@db_app.command("check")
def check(fmt: FormatOpt = None, output: OutputOpt = None) -> None:
    """Check the database: integrity, foreign keys, the audit chain, privacy and data rules.

    Runs every check and lists each as a row (check, status, detail), one row per problem
    found. Exit status 0 when every check passes, 1 when any fails.

    Checks: SQLite's integrity_check and foreign_key_check; the audit trail's hash chain
    (an audit row edited or removed behind crotool's back is named) and its append-only
    triggers; the file being private (0600); officers of unknown agencies, schools'
    also_feeds and engagements' connectors that name nothing, feeder patterns whose
    high_school is not a high school of the pattern, assignments outside their school year.

    Examples:

      crotool db check

      crotool db check -f json -o check.json    # for cron: exit 1 on any problem
    """
    path, conn = _path_and_conn()
    rows = health.check(conn, path)
    out(rows, fmt, output, View(
        title="Database check", columns=["check", "status", "detail"],
        cell_style=lambda col, r: ("bold red" if r["status"] == FAIL else "green")
        if col == "status" else None))
    bad = failures(rows)
    if bad:
        raise CroError(f"db check: {bad} problem{'s' if bad != 1 else ''} found in {path}",
                       hint="restore a backup made with `crotool db backup` if the file is "
                       "damaged")


@db_app.command("backup")
def backup(
    dest: Annotated[Path, typer.Argument(metavar="DEST", help="The new backup file; it must "
                                         "not exist yet.", dir_okay=False)],
) -> None:
    """Write a consistent, verified, private copy of the database to DEST.

    Safe while other crotool commands read and write: the copy is SQLite's backup API
    snapshot, checked with integrity_check before it gets its name. DEST is created 0600,
    written under a temporary name in DEST's folder then renamed, so an interrupted backup
    never leaves a partial DEST. An existing DEST is never replaced.

    Examples:

      crotool db backup ~/backups/crotool-2024-01-15.db

      crotool --db /srv/cro.db db backup /mnt/usb/cro-$(date +%F).db
    """
    path, conn = _path_and_conn()
    result = health.backup(conn, dest)
    message(f"backed up {path} to {result['backup']}: {result['size_bytes']:,} bytes, "
            f"{result['rows']:,} rows, integrity ok; audit head: {result['audit_head']}")


@db_app.command("info")
def info(fmt: FormatOpt = None, output: OutputOpt = None) -> None:
    """Where the database is and what it holds: path, schema version, size, journal mode,
    and the number of rows of every table (rows.TABLE), all from one snapshot.

    Examples:

      crotool db info

      crotool db info -f json | jq '.[] | select(.item == "rows.duties") | .value'
    """
    path, conn = _path_and_conn()
    # Left-aligned: the values are a path and words as well as numbers.
    out(health.info(conn, path), fmt, output, View(title="Database", columns=["item", "value"]))


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
