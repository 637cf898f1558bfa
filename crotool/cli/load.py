"""`crotool load`: seed documents and rule packs in, validated in full, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crotool.cli import common
from crotool.cli.options import DryRunOpt, FormatOpt, OutputOpt, out
from crotool.intake.bundled import bundled_load
from crotool.intake.seed import LoadResult, load_files
from crotool.output.messages import message
from crotool.output.view import View
from crotool.program.rule_moves import moved_text


def load(
    files: Annotated[list[Path] | None, typer.Argument(
        metavar="[FILE]...", help="Seed documents or rule packs (YAML). None: the bundled rule "
        "packs and district seed.", dir_okay=False)] = None,
    dry_run: DryRunOpt = False,
    yes: Annotated[bool, typer.Option(
        "--yes", "-y", help="Write even when a rule pack or district.rule_packs changes a "
        "deadline already past (they are listed).")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                          help="List every record that changes.")] = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Load seed documents: every section validated first, then written in one transaction.

    Re-loading the same files changes nothing and says so. Records are matched by their
    natural key (an officer by badge, an assignment by officer, pattern, year and start).
    A document with a `pack` mapping is a rule pack, stored whole under its id (as `crotool
    rules load`); rules given without one go to the pack `local`. When a pack or the
    district's rule_packs would move a deadline already past, the load lists them and writes
    only with --yes.

    Examples:

      crotool load                          # the bundled rule packs and district seed

      crotool load roster-2024.yaml --dry-run

      crotool load district.yaml officers.yaml   # one transaction for both
    """
    paths = [(p, str(p)) for p in files] if files else bundled_load()
    conn = common.connect()
    result = load_files(conn, paths, dry_run=dry_run, yes=yes)
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
    if result.files or not result.packs:
        message(f"{verb} {names}: {total.total} records, {total.describe()}{tail}")
    said_packs(result, dry_run)
    out(result.rows(), fmt, output, View(title="Load", columns=["section", "inserted",
                                                                "updated", "unchanged"],
                                         justify={"inserted": "right", "updated": "right",
                                                  "unchanged": "right"}))


def said_packs(result: LoadResult, dry_run: bool) -> None:
    """One line per rule pack stored (or that a dry run would store), then each deadline
    already past that the change moved."""
    for change in result.packs:
        if not change.rows and not change.header:
            message(f"rule pack {change.pack} ({change.file}): {change.unchanged} rules, "
                    "unchanged")
            continue
        message(f"{'would store' if dry_run else 'stored'} rule pack {change.pack} "
                f"({change.file}): {change.describe()}")
    for moved in result.moved:
        message(f"moved: {moved_text(moved)}")


def register(app: typer.Typer) -> None:
    app.command("load")(load)
