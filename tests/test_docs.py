"""Every command teaches: its --help has examples, and the README shows it in use."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from crotool.cli import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def leaf_commands() -> list[tuple[str, object]]:
    out = []

    def walk(cmd, path):
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, [*path, name])
        else:
            out.append((" ".join(path), cmd))

    walk(typer.main.get_command(app), [])
    return out


COMMANDS = leaf_commands()


def test_there_are_commands_to_check():
    assert len(COMMANDS) >= 30


@pytest.mark.parametrize("path,command", COMMANDS, ids=[p for p, _ in COMMANDS])
def test_help_has_examples(path, command):
    assert command.help and "Example" in command.help, f"crotool {path} --help has no example"


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS])
def test_readme_shows_the_command(path):
    assert f"crotool {path}" in README, f"README has no example of `crotool {path}`"


def test_quickstart_is_two_commands():
    block = README.split("## Quickstart", 1)[1].split("```", 2)[1]
    commands = [ln for ln in block.splitlines()[1:] if ln.strip() and not ln.startswith("#")]
    assert len(commands) == 2
    assert "load" in commands[0] and "report coverage" in commands[0]
    assert "pytest" in commands[1] and "[test]" in commands[1]
