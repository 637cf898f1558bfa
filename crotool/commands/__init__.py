"""One module per noun (or top-level verb); each exposes `register(app)`.

Command modules parse options, call the domain, and render: no SQL, no business rules.
"""

from __future__ import annotations

import importlib

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
    "report",
    "dbcmd",
    "audit",
)


def register_all(app: typer.Typer) -> None:
    for name in MODULES:
        try:
            module = importlib.import_module(f"crotool.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"crotool.commands.{name}":
                continue  # not built yet
            raise
        module.register(app)
