"""One module per noun (or top-level verb); each exposes `register(app)`.

Command modules parse options, call the domain, and render: no SQL, no business rules.

Typer has no lazy loading: building the Click command tree inspects every command's signature,
about 0.1 s for the whole app. So the console script builds only the part a command line needs
(`modules_for`): `crotool gaps ...` imports and builds the gaps module alone. Help and anything
unrecognised get the whole app; shell completion is routed by the words already typed. Nothing
is ever unreachable (tests/test_startup.py checks that every command is routed).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence

import typer

# The order is the order of `crotool --help`.
MODULES = (
    "load",
    "imports",
    "browse",
    "officers",
    "assignments",
    "gaps",
    "duty",
    "assessments",
    "connectors",
    "training",
    "agreements",
    "report",
    "dbcmd",
    "audit",
)

# First word of a command line -> the modules that define it.
ROUTES: dict[str, tuple[str, ...]] = {
    "load": ("load",),
    "import": ("imports",),
    "imports": ("imports",),
    "agencies": ("browse",),
    "patterns": ("browse",),
    "schools": ("browse",),
    "categories": ("browse",),
    "officers": ("officers",),
    "assign": ("assignments",),
    "unassign": ("assignments",),
    "assignments": ("assignments",),
    "gaps": ("gaps",),
    "duty": ("duty",),
    "assessments": ("assessments",),
    "connectors": ("connectors",),
    "engagements": ("connectors",),
    "training": ("training",),
    "agreements": ("agreements",),
    "db": ("dbcmd",),
    "audit": ("audit",),
}
# `report X` -> the module that defines report X (each registers itself on report_app).
REPORTS = {"coverage": "gaps", "duties": "duty", "connectors": "connectors"}


def modules_for(argv: Sequence[str]) -> tuple[str, ...]:
    """The command modules a command line needs; all of them when in doubt."""
    if any(key.endswith("_COMPLETE") for key in os.environ):
        # Shell completion: route by the words already typed, so a TAB stays fast too.
        words = _completed_words()
        if words is None:
            return MODULES
        argv = words
    args = list(argv)
    i = 0
    while i < len(args):
        if args[i] == "--db":
            i += 2
        elif args[i].startswith("--db="):
            i += 1
        elif args[i].startswith("-"):
            return MODULES  # --help, --version, or a usage error: the whole app
        else:
            break
    if i >= len(args):
        return MODULES
    command = args[i]
    if command == "report":
        sub = args[i + 1] if i + 1 < len(args) else None
        if sub in REPORTS:
            return ("report", REPORTS[sub])
        return ("report", *dict.fromkeys(REPORTS.values()))
    return ROUTES.get(command, MODULES)


def _completed_words() -> list[str] | None:
    """The words before the cursor that are complete, from the shell's completion request
    (bash: COMP_WORDS/COMP_CWORD; zsh, fish, PowerShell: _TYPER_COMPLETE_ARGS)."""
    if "COMP_WORDS" in os.environ:
        words = os.environ["COMP_WORDS"].split()
        cword = int(os.environ.get("COMP_CWORD", len(words)))
        return words[1:cword]
    raw = os.environ.get("_TYPER_COMPLETE_ARGS")
    if raw is None:
        return None
    words = raw.split()[1:]
    return words if raw.endswith(" ") else words[:-1]


def register(app: typer.Typer, modules: Sequence[str] = MODULES) -> None:
    for name in modules:
        importlib.import_module(f"crotool.commands.{name}").register(app)
