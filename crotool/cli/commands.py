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
import re
from collections.abc import Sequence

import typer

_HERE = os.path.dirname(__file__)
# A command module says, near its top, which first words of a command line it defines and
# which reports (`report X`) it adds, and where it sits in `crotool --help`:
#     WORDS = "officers"
#     REPORTS = "coverage"
#     ORDER = 40
# The router reads those lines from the first 2 KB of the module's file (right after its
# imports), without importing it: importing every module to route one command line would
# cost what routing saves. A file without WORDS is not a command module (common.py);
# tests/test_startup.py fails for a module that registers commands but is not found.
_HEAD = 2048
_DECLARED = re.compile(r'^(WORDS|REPORTS|ORDER) = "?([^"\n]*)"?$', re.MULTILINE)


def _declarations() -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for entry in os.scandir(_HERE):
        name, ext = os.path.splitext(entry.name)
        if ext != ".py" or name.startswith("_"):
            continue
        with open(entry.path, encoding="utf-8") as fh:
            declared = dict(_DECLARED.findall(fh.read(_HEAD)))
        if "WORDS" in declared:
            found[name] = declared
    return found


_MODULES = _declarations()
# The order is the order of `crotool --help`.
MODULES: tuple[str, ...] = tuple(sorted(_MODULES, key=lambda m: (int(_MODULES[m].get(
    "ORDER", "999")), m)))
# First word of a command line -> the modules that define it.
ROUTES: dict[str, tuple[str, ...]] = {}
for _name in MODULES:
    for _word in _MODULES[_name]["WORDS"].split():
        ROUTES[_word] = (*ROUTES.get(_word, ()), _name)
# `report X` -> the module that defines report X (each registers itself on report_app).
REPORTS: dict[str, str] = {report: name for name in MODULES
                           for report in _MODULES[name].get("REPORTS", "").split()}


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
        importlib.import_module(f"crotool.cli.{name}").register(app)


def command_words(argv: Sequence[str]) -> list[str]:
    """The words of a command line after its global options (--db PATH)."""
    args = list(argv)
    i = 0
    while i < len(args) and (args[i] == "--db" or args[i].startswith("--db=")):
        i += 2 if args[i] == "--db" else 1
    return args[i:]
