"""`crotool rules load/list/show/diff`: rule packs, the law and policy a district applies
(SPEC §5.1). Thin: files and options in, `crotool.program.packs` called, rows rendered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from crotool.cli import common
from crotool.cli.load import said_packs
from crotool.cli.options import DryRunOpt, FormatOpt, OutputOpt, fmt_of, out
from crotool.intake.seed import load_files, pack_diff
from crotool.output.view import View
from crotool.program.packs import (
    DIFF_COLUMNS,
    LIST_COLUMNS,
    SHOW_COLUMNS,
    list_packs,
    pack_ids,
    show_pack,
)
from crotool.store.fields import option_date

rules_app = typer.Typer(help="""Rule packs: a state's law or a district's policy, as data.

A pack is a YAML document with a `pack` mapping (id, name, jurisdiction, source) and rule
sections (training_topics, followup_rules, report, grades ...); every rule may say
effective_from and effective_until. The district applies the packs its rule_packs names, in
order; rules loaded without a pack form the pack `local`, applied last.

Examples:

\b
  crotool rules list
  crotool rules show wa --as-of 2024-01-15 -f json
  crotool rules show lwsd -f csv -o lwsd-rules.csv
""", no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(metavar="FILE", dir_okay=False,
                                         help="A rule pack (YAML with a `pack` mapping).")]


def _pack_ids(ctx: typer.Context, incomplete: str) -> list[str]:
    return common.completed(ctx, lambda conn: [p for p in pack_ids(conn)
                                               if p.startswith(incomplete)])


def _as_text(rows: list[dict[str, Any]], fmt: str, *columns: str) -> list[dict[str, Any]]:
    """Mapping cells as compact JSON text, except in JSON (where they stay objects)."""
    if fmt == "json":
        return rows
    return [{k: json.dumps(v, ensure_ascii=False, separators=(", ", ": "))
             if k in columns and isinstance(v, dict) else v for k, v in r.items()} for r in rows]


@rules_app.command("load")
def rules_load(
    file: FileArg,
    dry_run: DryRunOpt = False,
    yes: Annotated[bool, typer.Option(
        "--yes", "-y", help="Write even when the change moves a deadline already past (they "
        "are listed).")] = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Store a rule pack, replacing a stored pack of its id whole.

    Prints what changes (each rule added, changed or removed: pack, section, key,
    effective_from, change, changes) and every deadline already past that the change would
    move (a follow-up's due time, an officer's training deadline); when any would move, it
    writes only with --yes (exit 1 otherwise, nothing written). Every change is audited.

    Examples:

      crotool rules load data/rules/wa.yaml --dry-run

      crotool rules load data/rules/lwsd.yaml -f json
    """
    chosen = fmt_of(fmt, output)
    result = load_files(common.connect(), [(file, str(file))], dry_run=dry_run, yes=yes,
                        packs_only=True)
    said_packs(result, dry_run)
    rows = [row for change in result.packs for row in change.rows]
    out(_as_text(rows, chosen, "changes"), chosen, output, View(
        title="Rule pack changes", columns=list(DIFF_COLUMNS), secondary=("pack",),
        empty="no rule changes"))


@rules_app.command("list")
def rules_list(fmt: FormatOpt = None, output: OutputOpt = None) -> None:
    """Every stored rule pack: pack, name, jurisdiction, rules (how many rule records) and
    applied (its place in the order the district applies them, from 1; empty when not
    applied).

    Examples:

      crotool rules list

      crotool rules list -f json
    """
    out(list_packs(common.connect(reads_only=True)), fmt, output, View(
        title="Rule packs", columns=list(LIST_COLUMNS),
        justify={"rules": "right", "applied": "right"}, empty="no rule packs are stored"))


@rules_app.command("show")
def rules_show(
    pack: Annotated[str, typer.Argument(metavar="PACK", autocompletion=_pack_ids,
                                        help="The pack's id (`rules list`).")],
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="DATE", help="Only the rules in force on DATE (YYYY-MM-DD).")
    ] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """A stored pack's rules: section, key (the record's key, parts joined by /),
    effective_from, effective_until, source and record (its other fields; in a table or CSV,
    compact JSON text).

    Examples:

      crotool rules show wa

      crotool rules show lwsd --as-of 2024-01-15 -f json
    """
    day = option_date(as_of, "--as-of")
    chosen = fmt_of(fmt, output)
    rows = show_pack(common.connect(reads_only=True), pack, day.isoformat() if day else None)
    out(_as_text(rows, chosen, "record"), chosen, output, View(
        title=f"Rule pack {pack}" + (f" in force on {day}" if day else ""),
        columns=list(SHOW_COLUMNS), secondary=("source",), empty="no rules"))


@rules_app.command("diff")
def rules_diff(file: FileArg, fmt: FormatOpt = None, output: OutputOpt = None) -> None:
    """What `rules load FILE` would change in the stored pack of its id (all added when none
    is stored): pack, section, key, effective_from, change (added, changed, removed) and
    changes. Writes nothing.

    Examples:

      crotool rules diff data/rules/wa.yaml

      crotool rules diff data/rules/fl.yaml -f json
    """
    chosen = fmt_of(fmt, output)
    change = pack_diff(common.connect(reads_only=True), file, str(file))
    out(_as_text(change.rows, chosen, "changes"), chosen, output, View(
        title=f"Rule pack {change.pack}: {change.describe()}", columns=list(DIFF_COLUMNS),
        secondary=("pack",), empty=f"no changes to rule pack {change.pack}"))


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")
