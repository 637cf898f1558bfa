"""`crotool audit`: who changed what, when (the append-only, hash-chained trail)."""

from __future__ import annotations

from typing import Annotated

import typer

from crotool.cli import common
from crotool.cli.options import MAX_INT, FormatOpt, OutputOpt, fmt_of, out
from crotool.output.view import View
from crotool.store.audit import entries


def audit(
    since: Annotated[str | None, typer.Option(
        "--since", "-s", metavar="DATE", help="Only changes at or after DATE (YYYY-MM-DD or "
        "YYYY-MM-DDTHH:MM, UTC like the audit times).")] = None,
    table: Annotated[str | None, typer.Option(
        "--table", "-t", metavar="TABLE", help="Only changes to this table (e.g. officers, "
        "duties, assignments).")] = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", "-n", min=1, max=MAX_INT, metavar="N",
        help="Only the N most recent changes.")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Who changed what, when: every change crotool made, oldest first.

    Each row: UTC time, OS user, the command, table, record key, action (insert, update,
    delete) and what changed (new values, or [old, new] for an update). Duty notes are
    never recorded, only that they changed. In JSON, `changes` is an object; in a table or
    CSV, compact JSON text. Every row unless --since, --table or --limit narrows them.

    Examples:

      crotool audit --since 2024-01-01

      crotool audit --table officers --limit 20

      crotool audit -f json -o audit.json
    """
    chosen = fmt_of(fmt, output)
    rows = entries(common.connect(reads_only=True), since=since, table=table, limit=limit,
                   changes_as_text=chosen != "json", spaced=chosen != "csv")
    out(rows, chosen, output, View(
        title="Audit trail",
        columns=["id", "at", "user", "command", "table", "key", "action", "changes"],
        justify={"id": "right"}, secondary=("command", "user", "table"),
        empty="no audit rows match"))


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)
