"""The Typer app: global options, error handling in one place, and the command table.

The root group is lazy (lazy.py): a command line imports only its command's module
(commands.py names them), and that module imports the domain it calls; Rich, YAML and Jinja2
load inside the code that draws or reads with them. So `crotool --version` (answered in
entry.py before Typer loads) and `crotool gaps --format json` start fast (tests/test_startup.py
keeps it so).
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from crotool import __version__, interrupt
from crotool.cli.commands import COMMANDS, command_words
from crotool.cli.lazy import LazyGroup
from crotool.errors import (
    EXIT_BUSY,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USER,
    CroError,
)
from crotool.output.view import clean
from crotool.store import audit
from crotool.store import db as dbmod

HELP = """Community Resource Officer program: coverage, duties and Community Connectors.

All data lives in one SQLite file: --db PATH, else $CROTOOL_DB, else
$XDG_DATA_HOME/crotool/crotool.db.

Examples:

\b
  crotool load                    # the bundled district seed
  crotool gaps --fail-on-gaps     # exit 3 when a pattern lacks its officer
  crotool report coverage -f html -o coverage.html
"""


class CroGroup(LazyGroup):
    """The root group: the command table's commands, built when used (lazy.py), and every
    error turned into one message on stderr and an exit code (README: Commands).

    Typer lets an app choose its group class; `invoke` runs the root callback and the
    command, so crotool's errors are caught there and become `typer.Exit(code)`, which
    Typer's own `main` turns into the exit status. Usage errors (exit 2) and `--help` stay
    Typer's: they pass through untouched.
    """

    table = COMMANDS

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        global _command
        words = list(sys.argv[1:] if args is None else args)
        _command = command_path(self, words)
        previous = interrupt.install()
        try:
            return super().main(words, prog_name or "crotool", complete_var,
                                standalone_mode=standalone_mode,
                                windows_expand_args=windows_expand_args, **extra)
        finally:
            interrupt.restore(previous)

    def invoke(self, ctx: Any) -> Any:  # Click's Context, which Typer does not re-export
        try:
            return super().invoke(ctx)
        except interrupt.Interrupted:
            # Ctrl-C: said as what it did (nothing written, or the change was committed).
            _err(interrupt.message())
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except (typer.Exit, typer.Abort) as exc:
            if isinstance(exc, typer.Abort):
                _err("aborted; nothing was changed")
                raise typer.Exit(EXIT_USER) from None
            raise
        except CroError as exc:
            for line in exc.lines():
                _err(line)
            raise typer.Exit(exc.code) from None
        except KeyboardInterrupt:
            _err(interrupt.message())
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            # The reader went away (e.g. `| head`): not an error worth a message.
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
            raise typer.Exit(EXIT_OK) from None
        except Exception as exc:
            if _is_usage_error(exc) or os.environ.get("CROTOOL_DEBUG") == "1":
                raise
            raise typer.Exit(_unexpected(exc)) from None


def _is_usage_error(exc: Exception) -> bool:
    """Click's own errors (a bad option of a subcommand, a missing argument): they know how
    to show themselves and their exit code, and Typer's main shows them. Recognised by that
    interface, not by a class from the Click that Typer vendors privately."""
    return callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None),
                                                                int)


def _unexpected(exc: Exception) -> int:
    """A message and an exit code for an error no domain module raised as a CroError."""
    known = dbmod.known_error(exc) if isinstance(exc, sqlite3.Error) else None
    if known is not None and not dbmod.is_busy(exc) and not dbmod.is_full(exc):
        # Read-only, damaged, interrupted...: what is really wrong, in one line.
        for line in known.lines():
            _err(line)
        return known.code
    if dbmod.is_busy(exc):
        _err("the database stayed busy past the timeout; another crotool is writing: "
             "retry later")
        return EXIT_BUSY
    if dbmod.is_full(exc):
        _err(dbmod.DISK_FULL_MESSAGE)  # a write outside db.transaction (e.g. a migration)
        return EXIT_USER
    if isinstance(exc, UnicodeEncodeError) and "surrogate" in str(exc):
        # Bytes that are not UTF-8 in an argument (Python keeps them as surrogates),
        # refused by SQLite or the output: the user's encoding, not a crotool bug.
        _err("a value given on the command line is not UTF-8 text; check the "
             "terminal's or the script's encoding")
        return EXIT_USER
    _err(f"internal error: {type(exc).__name__}: {exc} "
         "(run again with CROTOOL_DEBUG=1 for details, and report it)")
    return EXIT_INTERNAL


def command_path(group: TyperGroup, args: list[str]) -> str:
    """`crotool duty log`: the command words of a command line, never its arguments (which
    may hold notes), for the audit trail: the global options skipped, the words are looked up
    in the command tree, group by group (building only the groups named)."""
    path, node = ["crotool"], group
    for word in command_words(args):
        sub = node.commands.get(word)
        if sub is None:
            break
        path.append(word)
        if not isinstance(sub, TyperGroup):
            break
        node = sub
    return " ".join(path)


_command = "crotool"


def _err(line: str) -> None:
    sys.stderr.write(f"crotool: {clean(line)}\n")


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"crotool {__version__}\n")
        raise typer.Exit()


def make_app() -> typer.Typer:
    """The Typer app: the root options and the command table (nothing is built yet)."""
    app = typer.Typer(
        cls=CroGroup,
        help=HELP,
        rich_markup_mode=None,  # plain Click help: half the start-up time of Rich help
        pretty_exceptions_enable=False,
        no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    )
    app.callback()(root)
    return app


def root(
    db: Annotated[str | None, typer.Option(
        "--db", metavar="PATH", help="The database file (default: $CROTOOL_DB, else "
        "$XDG_DATA_HOME/crotool/crotool.db).")] = None,
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    dbmod.configure(db)
    audit.set_command_provider(lambda: _command)


# The whole app (the console script, tests, docs): cheap to make, as no command is built until a
# command line (or a walk of the command tree) asks for it.
app = make_app()


def main() -> None:
    app(prog_name="crotool")
