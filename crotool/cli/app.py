"""The Typer app: global options, error handling in one place, and the command modules.

Every command module imports only Typer and light standard modules at import time: Rich,
YAML and the domain load inside the commands that use them, so `crotool --version` and
`crotool gaps --format json` start fast (tests/test_startup.py keeps it so).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from crotool import __version__
from crotool.errors import (
    EXIT_BUSY,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USER,
    CroError,
)

HELP = """Community Resource Officer program: coverage, duties and Community Connectors.

All data lives in one SQLite file: --db PATH, else $CROTOOL_DB, else
$XDG_DATA_HOME/crotool/crotool.db.

Examples:

\b
  crotool load                    # the bundled district seed
  crotool gaps --fail-on-gaps     # exit 3 when a pattern lacks its officer
  crotool report coverage -f html -o coverage.html
"""


class CroGroup(TyperGroup):
    """Turns every error into one message on stderr and an exit code (README: Commands).

    Typer lets an app choose its group class; `invoke` runs the root callback and the
    command, so crotool's errors are caught there and become `typer.Exit(code)`, which
    Typer's own `main` turns into the exit status. Usage errors (exit 2) and `--help` stay
    Typer's: they pass through untouched.
    """

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        global _command
        from crotool import interrupt

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
        from crotool import interrupt

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
    import sqlite3

    from crotool.store.db import DISK_FULL_MESSAGE, is_busy, is_full, known_error

    known = known_error(exc) if isinstance(exc, sqlite3.Error) else None
    if known is not None and not is_busy(exc) and not is_full(exc):
        # Read-only, damaged, interrupted...: what is really wrong, in one line.
        for line in known.lines():
            _err(line)
        return known.code
    if is_busy(exc):
        _err("the database stayed busy past the timeout; another crotool is writing: "
             "retry later")
        return EXIT_BUSY
    if is_full(exc):
        _err(DISK_FULL_MESSAGE)  # a write outside db.transaction (e.g. a migration)
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
    may hold notes), for the audit trail. The router skips the global options; the words are
    then looked up in the command tree, group by group."""
    from crotool.cli.commands import command_words

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
    from crotool.output.render import clean

    sys.stderr.write(f"crotool: {clean(line)}\n")


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"crotool {__version__}\n")
        raise typer.Exit()


def make_app(modules: tuple[str, ...] | None = None) -> typer.Typer:
    """The Typer app with the given command modules (all of them by default)."""
    from crotool.cli.commands import MODULES, register

    app = typer.Typer(
        cls=CroGroup,
        help=HELP,
        rich_markup_mode=None,  # plain Click help: half the start-up time of Rich help
        pretty_exceptions_enable=False,
        no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    )
    app.callback()(root)
    register(app, MODULES if modules is None else modules)
    return app


def root(
    db: Annotated[str | None, typer.Option(
        "--db", metavar="PATH", help="The database file (default: $CROTOOL_DB, else "
        "$XDG_DATA_HOME/crotool/crotool.db).")] = None,
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    from crotool.store import audit
    from crotool.store import db as dbmod

    dbmod.configure(db)
    audit.set_command_provider(lambda: _command)


_full_app: typer.Typer | None = None


def __getattr__(name: str) -> typer.Typer:
    # `crotool.cli.app.app`, the whole app (tests, docs), is built on first use only: the console
    # script builds just the part its command line needs.
    global _full_app
    if name == "app":
        if _full_app is None:
            _full_app = make_app()
        return _full_app
    raise AttributeError(name)


def main() -> None:
    from crotool.cli.commands import modules_for

    make_app(modules_for(sys.argv[1:]))(prog_name="crotool")
