"""The Typer app: global options, error handling in one place, and the command modules.

Every command module imports only Typer and light standard modules at import time: Rich,
YAML and the domain load inside the commands that use them, so `crotool --version` and
`crotool gaps --format json` start fast (tests/test_startup.py keeps it so).
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperGroup

from crotool import __version__
from crotool.errors import EXIT_BUSY, CroError

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
    """Turns every error into one message on stderr and an exit code (SPEC §2)."""

    def main(self, args: Any = None, prog_name: Any = None, complete_var: Any = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        from typer._click.exceptions import ClickException

        from crotool import interrupt

        previous = interrupt.install()
        try:
            rv = super().main(args, prog_name or "crotool", complete_var, standalone_mode=False,
                              **extra)
            code = rv if isinstance(rv, int) else 0
        except interrupt.Interrupted:
            _err(interrupt.message())
            code = 130
        except CroError as exc:
            for line in exc.lines():
                _err(line)
            code = exc.code
        except ClickException as exc:
            exc.show()
            code = exc.exit_code
        except typer.Abort:
            _err("aborted; nothing was changed")
            code = 1
        except KeyboardInterrupt:
            _err("interrupted")
            code = 130
        except BrokenPipeError:
            # The reader went away (e.g. `| head`): not an error worth a message.
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
            code = 0
        except Exception as exc:
            if os.environ.get("CROTOOL_DEBUG") == "1":
                raise
            import sqlite3

            from crotool.db import DISK_FULL_MESSAGE, is_busy, is_full, known_error

            known = known_error(exc) if isinstance(exc, sqlite3.Error) else None
            if known is not None and not is_busy(exc) and not is_full(exc):
                # Read-only, damaged, interrupted...: what is really wrong, in one line.
                for line in known.lines():
                    _err(line)
                code = known.code
            elif is_busy(exc):
                _err("the database stayed busy past the timeout; another crotool is writing: "
                     "retry later")
                code = EXIT_BUSY
            elif is_full(exc):
                _err(DISK_FULL_MESSAGE)  # a write outside db.transaction (e.g. a migration)
                code = 1
            elif isinstance(exc, UnicodeEncodeError) and "surrogate" in str(exc):
                # Bytes that are not UTF-8 in an argument (Python keeps them as surrogates),
                # refused by SQLite or the output: the user's encoding, not a crotool bug.
                _err("a value given on the command line is not UTF-8 text; check the "
                     "terminal's or the script's encoding")
                code = 1
            else:
                _err(f"internal error: {type(exc).__name__}: {exc} "
                     "(run again with CROTOOL_DEBUG=1 for details, and report it)")
                code = 70
        finally:
            interrupt.restore(previous)
        if standalone_mode:
            sys.exit(code)
        return code


def _err(line: str) -> None:
    from crotool.render import clean

    sys.stderr.write(f"crotool: {clean(line)}\n")


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"crotool {__version__}\n")
        raise typer.Exit()


def make_app(modules: tuple[str, ...] | None = None) -> typer.Typer:
    """The Typer app with the given command modules (all of them by default)."""
    from crotool.commands import MODULES, register

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
    db: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--db", metavar="PATH", help="The database file (default: $CROTOOL_DB, else "
        "$XDG_DATA_HOME/crotool/crotool.db).")] = None,
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    from crotool import audit
    from crotool import db as dbmod

    dbmod.configure(db)
    audit.set_command_provider(_command_path)


def _command_path() -> str:
    from typer._click.globals import get_current_context

    ctx = get_current_context(silent=True)
    if ctx is None:
        return "crotool"
    # The root's name depends on how we were started (a test runner calls it "root"): the
    # audit trail names the command the same way whatever the entry point.
    _, _, rest = ctx.command_path.partition(" ")
    return f"crotool {rest}".rstrip()


_full_app: typer.Typer | None = None


def __getattr__(name: str) -> typer.Typer:
    # `crotool.cli.app`, the whole app (tests, docs), is built on first use only: the console
    # script builds just the part its command line needs.
    global _full_app
    if name == "app":
        if _full_app is None:
            _full_app = make_app()
        return _full_app
    raise AttributeError(name)


def main() -> None:
    from crotool.commands import modules_for

    make_app(modules_for(sys.argv[1:]))(prog_name="crotool")
