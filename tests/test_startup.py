"""Start-up guard: which heavy modules a command imports, checked in a fresh interpreter.

Not a timing (timings belong in bench/): an import that creeps onto a fast path fails here
whatever the machine's speed.
"""

from __future__ import annotations

import json
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
"""

HEAVY = {"rich", "yaml", "sqlite_utils", "pydantic", "hypothesis", "jinja2", "markupsafe"}


def imported(args: list[str]) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)],
                          capture_output=True, text=True, timeout=60)
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith("MODULES=")]
    assert line, proc.stderr
    code, mods = json.loads(line[-1][len("MODULES="):])
    assert code == 0, proc.stderr
    return set(mods)


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


def test_every_command_is_routed_to_the_module_that_defines_it():
    """The console script builds only the modules a command line needs: every command of the
    whole app must be reachable that way, with the same subcommands."""
    import typer.main

    from crotool.cli.app import app, make_app
    from crotool.cli.commands import modules_for

    full = typer.main.get_command(app)
    for name, command in full.commands.items():
        partial = typer.main.get_command(make_app(modules_for([name, "--help"])))
        assert name in partial.commands, name
        subs = getattr(command, "commands", {})
        for sub in subs:
            routed = typer.main.get_command(make_app(modules_for([name, sub, "--help"])))
            assert sub in routed.commands[name].commands, f"{name} {sub}"


def test_global_db_option_before_the_command_is_skipped_by_routing():
    from crotool.cli.commands import modules_for

    assert modules_for(["--db", "x.db", "gaps"]) == ("gaps",)
    assert modules_for(["--db=x.db", "report", "duties"]) == ("report", "duty")
    assert "load" in modules_for(["--help"])


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


def test_every_command_module_declares_its_words():
    """A module in crotool/commands that registers commands must say which first words it
    defines (its WORDS line), or the router would never build it; and the words and reports
    it declares must be the ones it registers."""
    import importlib
    import os

    import typer
    import typer.main

    import crotool.cli.commands as commands

    for entry in sorted(os.listdir(os.path.dirname(commands.__file__))):
        name, ext = os.path.splitext(entry)
        if ext != ".py" or name.startswith("_"):
            continue
        module = importlib.import_module(f"crotool.cli.{name}")
        if not hasattr(module, "register"):
            continue
        assert name in commands.MODULES, f"{name}.py has register() but no WORDS line"
        assert module.WORDS == " ".join(w for w, m in commands.ROUTES.items() if name in m)
        app = typer.Typer()
        app.callback()(lambda: None)
        module.register(app)
        words = set(typer.main.get_command(app).commands)
        assert set(module.WORDS.split()) == words, (name, words)
        reports = set(getattr(module, "REPORTS", "").split())
        assert reports == {r for r, m in commands.REPORTS.items() if m == name}


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
