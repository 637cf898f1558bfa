"""Start-up guard: which heavy modules a command imports, checked in a fresh interpreter.

Not a timing (timings belong in bench/): an import that creeps onto a fast path fails here
whatever the machine's speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PROBE = """
import json, sys
sys.argv = ["crotool", *json.loads(sys.argv[1])]
from crotool.cli.entry import main
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
roots = {name.split(".")[0] for name in sys.modules}
sys.stderr.write("\\nMODULES=" + json.dumps([code, sorted(roots)]) + "\\n")
cli = sorted(name for name in sys.modules if name.startswith("crotool.cli."))
sys.stderr.write("\\nCLI=" + json.dumps(cli) + "\\n")
"""

HEAVY = {"rich", "yaml", "sqlite_utils", "pydantic", "hypothesis", "jinja2", "markupsafe"}


def probe(args: list[str], env: dict[str, str] | None = None) -> tuple[set[str], set[str]]:
    """(the top-level packages, the crotool.cli modules) a command line imported."""
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)],
                          capture_output=True, text=True, timeout=60,
                          env=None if env is None else {**os.environ, **env})
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith("MODULES=")]
    assert line, proc.stderr
    code, mods = json.loads(line[-1][len("MODULES="):])
    assert code == 0, proc.stderr
    cli = [ln for ln in proc.stderr.splitlines() if ln.startswith("CLI=")]
    return set(mods), set(json.loads(cli[-1][len("CLI="):]))


def imported(args: list[str]) -> set[str]:
    return probe(args)[0]


@pytest.mark.slow
def test_version_imports_neither_typer_nor_anything_heavy():
    mods = imported(["--version"])
    assert not mods & (HEAVY | {"typer", "sqlite3"})


@pytest.mark.slow
@pytest.mark.parametrize("args", [
    ["schools", "list", "--format", "json"],
    ["gaps", "--format", "json"],
    ["report", "coverage", "--format", "json"],
    ["report", "duties", "--format", "json"],
    ["duty", "list", "--format", "csv"],
    ["followups", "list", "--open", "--format", "json"],
    ["report", "presence", "--format", "json"],
    ["training", "due", "--format", "json"],
    ["agreements", "check", "--format", "json"],
])
def test_machine_formats_import_no_rich_yaml_or_sqlite_utils(seeded, args):
    mods = imported(args)
    assert "crotool" in mods and "typer" in mods
    assert not mods & HEAVY, sorted(mods & HEAVY)


# Standard modules that only some paths need: hashlib (OpenSSL) for audit hashes and the
# readers' checksums, tempfile (and the random it seeds) for `-o FILE`.
ONLY_WHEN_NEEDED = {"hashlib", "tempfile", "random"}


@pytest.mark.slow
@pytest.mark.parametrize("args", [
    ["schools", "list", "--format", "json"],
    ["gaps", "--format", "json"],
    ["report", "coverage", "--format", "json"],
    ["report", "presence", "--format", "json"],
    ["report", "presence", "--as-of", "2024-01-15", "--format", "json"],  # a date option
    ["duty", "list", "--format", "csv"],
    ["followups", "list", "--overdue", "--format", "json"],
])
def test_reads_to_stdout_import_no_hashing_nor_temporary_files(seeded, args):
    mods = imported(args)
    assert not mods & ONLY_WHEN_NEEDED, sorted(mods & ONLY_WHEN_NEEDED)


@pytest.mark.slow
def test_table_output_imports_rich_but_not_yaml(seeded):
    mods = imported(["schools", "list"])
    assert "rich" in mods
    assert not mods & {"yaml", "sqlite_utils", "pydantic"}


@pytest.mark.slow
def test_load_is_the_path_that_imports_yaml():
    mods = imported(["load", "--dry-run", "--format", "json"])
    assert "yaml" in mods
    assert "sqlite_utils" not in mods


# The modules every command line loads: the package, the app and its table, the helpers.
FRAME = {"crotool.cli.app", "crotool.cli.commands", "crotool.cli.lazy", "crotool.cli.common",
         "crotool.cli.options", "crotool.cli.entry"}


@pytest.mark.parametrize(("args", "modules"), [
    (["gaps", "--format", "json"], {"crotool.cli.gaps"}),
    (["--db", "{db}", "schools", "list", "--format", "json"], {"crotool.cli.browse"}),
    (["report", "coverage", "--format", "json"],
     {"crotool.cli.report", "crotool.cli.report.coverage"}),
    # The group's help shows each report's one-line help: every report, and nothing else.
    (["report", "--help"], {"crotool.cli.report", *(f"crotool.cli.report.{name}" for name in (
        "coverage", "duties", "connectors", "annual", "presence"))}),
])
def test_a_command_line_imports_only_its_own_command_module(seeded, args, modules):
    """The root group is lazy (crotool/cli/lazy.py): a command line imports the module the
    command table names for its command, and no other command module."""
    _, cli = probe([a.format(db=seeded) for a in args])
    assert cli - FRAME == modules, sorted(cli - FRAME)


def test_shell_completion_imports_only_the_typed_command_module(seeded):
    env = {"_CROTOOL_COMPLETE": "complete_bash", "COMP_WORDS": "crotool gaps --pattern red",
           "COMP_CWORD": "3"}
    _, cli = probe([], env)
    assert cli - FRAME == {"crotool.cli.gaps"}, sorted(cli - FRAME)


def test_every_command_is_reachable_and_builds_its_module_alone():
    """Every word of the table is a command of the whole app, with the same subcommands, and
    looking it up in a fresh app builds only the module the table names for it."""
    import typer.main

    from crotool.cli.app import app, make_app
    from crotool.cli.commands import COMMANDS
    from crotool.cli.report import REPORTS

    full = typer.main.get_command(app)
    assert list(full.commands) == list(COMMANDS)
    for name, module in COMMANDS.items():
        fresh = typer.main.get_command(make_app())
        command = fresh.commands[name]
        assert fresh.commands.loaded == [module], name
        assert set(getattr(command, "commands", {})) == set(
            getattr(full.commands[name], "commands", {})), name
    assert list(full.commands["report"].commands) == list(REPORTS)
    for name, module in REPORTS.items():
        report = typer.main.get_command(make_app()).commands["report"]
        assert report.commands[name].name == name
        assert report.commands.loaded == [module], name


def test_help_lists_every_command_in_the_tables_order(cli):
    """`crotool --help` and `crotool report --help` list the tables' words, in their order."""
    from crotool.cli.commands import COMMANDS
    from crotool.cli.report import REPORTS

    for args, table in ((["--help"], COMMANDS), (["report", "--help"], REPORTS)):
        result = cli(*args)
        assert result.exit_code == 0, result.stderr
        listed = [line.split()[0] for line in
                  result.stdout.split("\nCommands:\n", 1)[1].splitlines() if line.strip()]
        assert listed == list(table)


def test_global_db_option_before_the_command_is_skipped_for_the_audit_path():
    """The audit trail's command path skips --db and builds only the groups it names."""
    import typer.main

    from crotool.cli.app import command_path, make_app

    root = typer.main.get_command(make_app())
    assert command_path(root, ["--db", "x.db", "gaps", "--on", "2024-01-15"]) == "crotool gaps"
    assert root.commands.loaded == ["crotool.cli.gaps"]
    root = typer.main.get_command(make_app())
    assert command_path(root, ["--db=x.db", "report", "duties"]) == "crotool report duties"
    assert root.commands.loaded == ["crotool.cli.report"]
    assert root.commands["report"].commands.loaded == ["crotool.cli.report.duties"]
    root = typer.main.get_command(make_app())
    assert command_path(root, ["--help"]) == "crotool" and root.commands.loaded == []


def complete(words: str, env_db) -> list[str]:
    """Ask the installed crotool for bash completions, as the shell's hook does."""
    from conftest import run_installed

    parts = words.split(" ")
    proc = run_installed(env={"_CROTOOL_COMPLETE": "complete_bash", "COMP_WORDS": words,
                              "COMP_CWORD": str(len(parts) - 1), "CROTOOL_DB": str(env_db)})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


@pytest.mark.slow
def test_tab_completes_stored_ids(seeded):
    assert complete("crotool gaps --pattern red", seeded) == ["redmond"]
    assert complete("crotool duty list --officer 04", seeded) == ["0417"]
    assert complete("crotool schools list --agency k", seeded) == ["kcso", "kirkland-pd"]
    assert "report" in complete("crotool rep", seeded)


@pytest.mark.slow
def test_completion_never_creates_a_database(tmp_path):
    missing = tmp_path / "none.db"
    assert complete("crotool gaps --pattern r", missing) == []
    assert not missing.exists()


@pytest.mark.slow
@pytest.mark.parametrize(("words", "expected"), [
    ("crotool officers update 23", ["2307", "2350"]),
    ("crotool officers leave 23", ["2307", "2350"]),
    ("crotool assign 23", ["2307", "2350"]),
    ("crotool assign 2307 lake", ["lake-washington"]),
    ("crotool --db {db} assign 2307 e", ["eastlake"]),
    # unassign takes what is assigned: the badges and patterns of stored assignments.
    ("crotool unassign 23", ["2307"]),
    ("crotool unassign 2307 lake", ["lake-washington"]),
    ("crotool connectors update ", ["business-alliance", "evpa", "health-clinic",
                                    "heritage-council", "interfaith-circle",
                                    "resident-at-large", "student-voice", "youth-wellness"]),
    ("crotool connectors update stu", ["student-voice"]),
    ("crotool assessments complete ", ["1", "2"]),
    ("crotool assessments cancel 2", ["2"]),
])
def test_tab_completes_positional_ids(seeded, tmp_path, words, expected):
    """A positional argument that names a stored record completes from the database, as the
    options do; --db before the command is the database read."""
    missing = tmp_path / "none.db"
    if "{db}" in words:
        assert complete(words.format(db=seeded), missing) == expected
        assert not missing.exists()
    else:
        assert complete(words, seeded) == expected


@pytest.mark.slow
@pytest.mark.parametrize("words", ["crotool officers update 23", "crotool assign 2307 lake",
                                   "crotool unassign 23", "crotool connectors update "])
def test_positional_completion_never_creates_a_database(tmp_path, words):
    missing = tmp_path / "none.db"
    assert complete(words, missing) == []
    assert not missing.exists()
    assert not missing.parent.joinpath("none.db-wal").exists()


# Positional arguments that name something new or free (not a stored record): nothing to
# complete from the database (a file argument completes as a file, by the shell).
NOT_STORED = {
    ("load", "files"), ("import", "file"), ("officers add", "badge"),
    ("years add", "year_id"), ("connectors add", "connector_id"), ("engagements add", "title"),
    ("incidents add", "reference"), ("complaints add", "reference"), ("db backup", "dest"),
    ("rules load", "file"), ("rules diff", "file"),
}


def test_every_positional_argument_that_names_a_record_completes():
    """Each positional argument of the command tree either completes (ids or choices) or is
    listed above as taking a new value: a new argument has to say which."""
    import typer.main

    from crotool.cli.app import app

    found, missing = set(), []

    def walk(cmd, path):
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*path, name])
        for param in getattr(cmd, "params", []):
            if param.param_type_name != "argument":
                continue
            key = (" ".join(path), param.name)
            found.add(key)
            if key not in NOT_STORED and param._custom_shell_complete is None:
                missing.append(key)

    walk(typer.main.get_command(app), [])
    assert not missing, f"positional arguments without completion: {missing}"
    assert NOT_STORED <= found, NOT_STORED - found


def test_every_module_in_the_table_registers_exactly_its_words():
    """A module the command table (or the report table) names registers exactly the words the
    table gives it; and every module of crotool/cli that registers commands is in a table, or
    its commands would be unreachable."""
    import importlib
    import pkgutil

    import typer
    import typer.main

    import crotool.cli
    import crotool.cli.report
    from crotool.cli.commands import COMMANDS
    from crotool.cli.report import REPORTS

    for table in (COMMANDS, REPORTS):
        for module in set(table.values()):
            app = typer.Typer()
            app.callback()(lambda: None)
            importlib.import_module(module).register(app)
            words = set(typer.main.get_command(app).commands)
            assert words == {w for w, m in table.items() if m == module}, module
    named = set(COMMANDS.values()) | set(REPORTS.values())
    for package in (crotool.cli, crotool.cli.report):
        for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            module = importlib.import_module(info.name)
            if hasattr(module, "register"):
                assert info.name in named, f"{info.name} registers commands no table names"


@pytest.mark.slow
def test_followups_done_completes_open_duties_from_the_typed_db(cli, seeded, tmp_path):
    logged = cli("duty", "log", "--officer", "0417", "--school", "kamiakin-ms", "--category",
                 "cps-investigation", "--at", "2024-03-01T10:00", "--requested-by",
                 "Kamiakin MS counselor")
    assert logged.exit_code == 0, logged.stderr
    duty = logged.stderr.split("logged duty ")[1].split(":")[0]
    missing = tmp_path / "none.db"
    open_ones = complete("crotool followups done ", seeded)
    assert duty in open_ones
    assert complete(f"crotool --db {seeded} followups done ", missing) == open_ones
    assert complete("crotool followups done ", missing) == [] and not missing.exists()
