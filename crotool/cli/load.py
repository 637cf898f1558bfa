"""`crotool load`: seed documents in, validated in full, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crotool.cli import common
from crotool.cli.options import DryRunOpt, FormatOpt, OutputOpt, out
from crotool.intake.seed import bundled_seed, load_files
from crotool.output.render import View, message


def load(
    files: Annotated[list[Path] | None, typer.Argument(
        metavar="[FILE]...", help="Seed documents (YAML). None: the bundled district seed.",
        dir_okay=False)] = None,
    dry_run: DryRunOpt = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                          help="List every record that changes.")] = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Load seed documents: every section validated first, then written in one transaction.

    Re-loading the same files changes nothing and says so. Records are matched by their
    natural key (an officer by badge, an assignment by officer, pattern, year and start).

    Examples:

      crotool load                          # the bundled district seed

      crotool load roster-2024.yaml --dry-run

      crotool load district.yaml officers.yaml   # one transaction for both
    """
    paths = [(p, str(p)) for p in files] if files else [(bundled_seed(), "bundled seed")]
    conn = common.connect()
    result = load_files(conn, paths, dry_run=dry_run)
    total = result.total
    names = ", ".join(name for name, _ in result.files)
    for warning in result.warnings:
        message(f"warning: {warning}")
    if verbose:
        for table, what, changes in result.changes:
            message(f"  {table}: {what} {changes}")
    verb = "would load" if dry_run else "loaded"
    tail = " (dry run: nothing written)" if dry_run else ""
    if not dry_run and total.inserted + total.updated == 0:
        tail = " (nothing changed)"
    message(f"{verb} {names}: {total.total} records, {total.describe()}{tail}")
    out(result.rows(), fmt, output, View(title="Load", columns=["section", "inserted",
                                                                "updated", "unchanged"],
                                         justify={"inserted": "right", "updated": "right",
                                                  "unchanged": "right"}))


def register(app: typer.Typer) -> None:
    app.command("load")(load)
