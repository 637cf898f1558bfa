"""Every command teaches: its --help has examples, and the README or docs/ show it in use."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from crotool.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
# The README and the pages of docs/ that people write (the user guide, cron, import, ...): the
# generated command reference is left out, since it names every command by construction.
DOCS = "\n".join([README, *(page.read_text(encoding="utf-8")
                             for page in sorted((ROOT / "docs").glob("*.md"))
                             if page.name != "reference.md")])


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
    assert f"crotool {path}" in DOCS, f"README and docs/ have no example of `crotool {path}`"


def test_quickstart_is_two_commands():
    block = README.split("## Quickstart", 1)[1].split("```", 2)[1]
    commands = [ln for ln in block.splitlines()[1:] if ln.strip() and not ln.startswith("#")]
    assert len(commands) == 2
    assert "load" in commands[0] and "report coverage" in commands[0]
    assert "pytest" in commands[1] and "[test]" in commands[1]


def groups() -> list[str]:
    """Every command group of the app (`officers`, `report`, ...), walked from its command
    tree: a group added later is checked without being named here."""
    out = []

    def walk(cmd, path):
        subs = getattr(cmd, "commands", None)
        if subs:
            if path:
                out.append(" ".join(path))
            for name, sub in subs.items():
                walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return out


GROUPS = groups()


def example_lines(help_text: str) -> list[str]:
    """The command lines of a help page's "Examples:" block (none without one); a line that
    ends in a backslash goes on, indented, on the next."""
    if "Examples:" not in help_text:
        return []
    block = help_text.split("Examples:", 1)[1]
    lines: list[str] = []
    for line in block.splitlines():
        if line and not line.startswith(" "):  # the next section: Options:, Commands:
            break
        text = line.strip()
        if lines and lines[-1].endswith("\\"):
            lines[-1] = f"{lines[-1][:-1]}{text}"
        elif text.startswith("crotool "):
            lines.append(text)
    return lines


def test_there_are_groups_to_check():
    assert {"officers", "report", "db", "engagements", "complaints"} <= set(GROUPS)


@pytest.mark.parametrize("path", GROUPS)
def test_group_help_has_examples(cli, path):
    result = cli(*path.split(), "--help")
    assert result.exit_code == 0, result.stderr
    assert "Examples:" in result.stdout, f"crotool {path} --help has no examples"
    examples = example_lines(result.stdout)
    # 2 to 4 command lines, printed as written (the \b line keeps Click from re-wrapping
    # them), at least one of them of this group's own commands.
    assert 2 <= len(examples) <= 4, examples
    assert any(line.startswith(f"crotool {path} ") for line in examples), examples


@pytest.mark.parametrize("path", GROUPS)
def test_group_examples_run_on_the_seed(cli, path, seeded_template, isolated_db, tmp_path,
                                        monkeypatch):
    """Each example of a group's --help works as printed on the bundled seed, on its own."""
    import gc
    import shlex
    import shutil

    monkeypatch.chdir(tmp_path)  # where examples with -o FILE write
    monkeypatch.setenv("CROTOOL_TODAY", "2024-03-15")
    examples = example_lines(cli(*path.split(), "--help").stdout)
    assert examples, f"crotool {path} --help has no examples"
    for line in examples:
        gc.collect()  # the previous command's connection, before its files go
        for leftover in tmp_path.glob("*"):  # its database, WAL and output files
            if leftover.is_file():
                leftover.unlink()
        shutil.copyfile(seeded_template, isolated_db)
        isolated_db.chmod(0o600)  # as `load` leaves it (db check says so)
        words = shlex.split(line, comments=True)
        assert words[0] == "crotool"
        result = cli(*words[1:])
        assert result.exit_code == 0, f"{line}: {result.stderr}"
