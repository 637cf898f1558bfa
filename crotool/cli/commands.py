"""The command table: each first word of a `crotool` command line -> the module that defines it.

The root group (`crotool.cli.app.CroGroup`) is a lazy group over this table (see lazy.py): a
command line imports and builds only the module of its command, so `crotool gaps -f json` never
imports the duty log's module, nor the domain behind it. `crotool report X` goes one table
further down, to `crotool.cli.report.REPORTS`.

A module named here has `register(app)`, which adds exactly the words the table gives it
(tests/test_startup.py checks both ways). The order is the order of `crotool --help`: the
single commands first, then the groups, as the app listed them when every module was added up
front.
"""

from __future__ import annotations

from collections.abc import Sequence

COMMANDS: dict[str, str] = {
    "load": "crotool.cli.load",
    "import": "crotool.cli.imports",
    "assign": "crotool.cli.assignments",
    "unassign": "crotool.cli.assignments",
    "gaps": "crotool.cli.gaps",
    "audit": "crotool.cli.audit",
    "imports": "crotool.cli.imports",
    "agencies": "crotool.cli.browse",
    "patterns": "crotool.cli.browse",
    "schools": "crotool.cli.browse",
    "categories": "crotool.cli.browse",
    "officers": "crotool.cli.officers",
    "assignments": "crotool.cli.assignments",
    "years": "crotool.cli.years",
    "duty": "crotool.cli.duty",
    "followups": "crotool.cli.followups",
    "assessments": "crotool.cli.assessments",
    "training": "crotool.cli.training",
    "agreements": "crotool.cli.agreements",
    "connectors": "crotool.cli.connectors",
    "engagements": "crotool.cli.connectors",
    "incidents": "crotool.cli.incidents",
    "complaints": "crotool.cli.incidents",
    "report": "crotool.cli.report",
    "rules": "crotool.cli.rules",
    "db": "crotool.cli.db",
}


def command_words(argv: Sequence[str]) -> list[str]:
    """The words of a command line after its global options (--db PATH)."""
    args = list(argv)
    i = 0
    while i < len(args) and (args[i] == "--db" or args[i].startswith("--db=")):
        i += 2 if args[i] == "--db" else 1
    return args[i:]
