"""Ctrl-C, said as what it did: `interrupted; nothing was written`, or that the change had
already been committed when it came.

Typer turns a KeyboardInterrupt into a silent Exit(130) before crotool's error handler sees
it, so `install` replaces Python's SIGINT handler for the run with one that raises
`Interrupted`, which no library catches. Two places matter:

- a long SQL statement (an import's INSERT ... SELECT, a report) runs inside SQLite, where no
  Python signal handler can run: a progress handler on every connection aborts it once the
  flag is set, and the transaction rolls back;
- COMMIT itself: an interrupt that arrives while it runs is held until it has returned and
  been counted, so the message can never say "nothing was written" about a committed change.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Interrupted(BaseException):
    """Ctrl-C (SIGINT). A BaseException, like KeyboardInterrupt: no `except Exception` keeps
    it, and every transaction rolls back on its way out."""


_state = {"requested": False, "holding": 0, "commits": 0}


def _on_sigint(signum: int, frame: Any) -> None:
    _state["requested"] = True
    if not _state["holding"]:
        raise Interrupted()


def install() -> Any:
    """Handle SIGINT for this run; returns the previous handler (for `restore`), or None when
    not on the main thread (where Python allows no handler)."""
    _state.update(requested=False, holding=0, commits=0)
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGINT, _on_sigint)


def restore(previous: Any) -> None:
    """The run is over: Python's handler back, and no Ctrl-C pending for what runs next (an
    in-process caller's own SQLite connections must not be aborted by this run's)."""
    _state.update(requested=False, holding=0)
    if previous is not None:
        signal.signal(signal.SIGINT, previous)


def requested() -> bool:
    """True once Ctrl-C was pressed (the progress handler's answer: non-zero aborts SQL)."""
    return bool(_state["requested"])


def progress() -> int:
    return 1 if _state["requested"] else 0


def committed() -> bool:
    """Whether this run has committed a change (a late Ctrl-C then interrupted no write)."""
    return _state["commits"] > 0


@contextmanager
def holding() -> Iterator[None]:
    """Hold Ctrl-C while a COMMIT runs and is counted; raise it afterwards."""
    _state["holding"] += 1
    try:
        yield
        _state["commits"] += 1
    finally:
        _state["holding"] -= 1
    if _state["requested"] and not _state["holding"]:
        raise Interrupted()


def message() -> str:
    if committed():
        return ("interrupted after the change was committed: it is complete (see "
                "`crotool audit`)")
    return "interrupted; nothing was written"
