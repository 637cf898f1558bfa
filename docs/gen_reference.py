"""Writes docs/reference.md: every group and command of crotool with its `--help` text.

    python docs/gen_reference.py           # rewrite docs/reference.md
    python docs/gen_reference.py --check   # exit 1 when docs/reference.md is out of date

The page is generated, never edited by hand: it walks the Click command tree of the whole app
(`crotool.cli.app.app`), depth first in the order `crotool --help` lists commands, and writes
each one's help exactly as `--help` prints it on a terminal 100 columns wide or wider (the app's
`max_content_width` is 100, and Click leaves two columns of margin). tests/test_docs_drift.py
fails when the committed page differs from what this script writes now.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer.main

from crotool.cli.app import app

PAGE = Path(__file__).resolve().parent / "reference.md"
# What Click wraps help to on a terminal at least `max_content_width` (100) wide:
# min(columns, 100) - 2. Fixed here so that the page does not depend on the terminal that ran
# the script.
WIDTH = 98

HEAD = """\
# Command reference

Every group and command of `crotool`, with its `--help` text as printed on a terminal 100
columns wide. **Generated** by `python docs/gen_reference.py` from the command tree: do not edit
by hand (tests/test_docs_drift.py fails when this page differs from what the script writes).
The [user guide](guide.md) explains the commands with worked examples.
"""


def commands() -> list[tuple[list[str], Any, str]]:
    """(path, command, help text) for the root and every group and command under it, depth
    first, in the order of the groups' own listings."""
    root = typer.main.get_command(app)
    out: list[tuple[list[str], Any, str]] = []

    def walk(cmd: Any, path: list[str], parent: Any) -> None:
        # The context `--help` runs in: the command's own context class (of the Click that
        # Typer vendors) and its context settings (the root's `-h`, inherited below it).
        settings = {**cmd.context_settings, "terminal_width": WIDTH}
        ctx = cmd.context_class(cmd, info_name=path[-1], parent=parent, **settings)
        out.append((path, cmd, cmd.get_help(ctx)))
        for name in cmd.list_commands(ctx) if hasattr(cmd, "list_commands") else ():
            walk(cmd.get_command(ctx, name), [*path, name], ctx)

    walk(root, ["crotool"], None)
    return out


def anchor(path: list[str]) -> str:
    """GitHub's anchor for a heading `crotool officers add`."""
    return "-".join(path)


def render() -> str:
    entries = commands()
    lines = [HEAD, "## Contents", ""]
    for path, _cmd, _help in entries[1:]:
        indent = "  " * (len(path) - 2)
        lines.append(f"{indent}- [{' '.join(path[1:])}](#{anchor(path)})")
    for path, _cmd, text in entries:
        level = "##" if len(path) <= 2 else "###"  # the root and its commands, then theirs
        lines += ["", f"{level} {' '.join(path)}", "", "```text", text.rstrip("\n"), "```"]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if argv == ["--check"]:
        if PAGE.read_text(encoding="utf-8") != text:
            sys.stderr.write(f"{PAGE} is out of date: run python docs/gen_reference.py\n")
            return 1
        return 0
    if argv:
        sys.stderr.write("usage: python docs/gen_reference.py [--check]\n")
        return 2
    PAGE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
