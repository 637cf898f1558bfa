"""The console script's entry point.

`crotool --version` answers before Typer is imported: Typer and the Click it vendors cost about
100 ms to import, which a version check (run by scripts and package managers) need not pay.
Everything else goes to the Typer app in app.py, imported here only then (it imports Typer).
"""

from __future__ import annotations

import sys

from crotool import __version__


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        sys.stdout.write(f"crotool {__version__}\n")
        return
    from crotool.cli.app import main as cli_main

    cli_main()
