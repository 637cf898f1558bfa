"""One error type for everything a user can fix, with the exit code it maps to.

The domain raises `CroError`; `cli.main` turns it into one stderr line (or, for validation,
one line per problem then a summary) and the exit code. No other module prints errors.
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_USER = 1
EXIT_USAGE = 2
EXIT_GAPS = 3
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug in crotool (the message asks for a report)
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C
EXIT_BUSY = 75  # EX_TEMPFAIL: the database stayed locked past the timeout; retry later


class CroError(Exception):
    """An error the user can fix. `str(err)` is the message; `code` the exit code."""

    def __init__(self, message: str, *, code: int = EXIT_USER, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.hint = hint

    def lines(self) -> list[str]:
        return [self.message + (f" ({self.hint})" if self.hint else "")]


class BusyError(CroError):
    def __init__(self, message: str = "the database stayed busy past the timeout"):
        super().__init__(message + "; another crotool is writing: retry later", code=EXIT_BUSY)


@dataclass(frozen=True, slots=True)
class Problem:
    """One bad value, record or row: where it is, and what is wrong with it."""

    where: str  # "file:line" (or "--option")
    what: str  # e.g. "schools[eastlake-hs].level: 'hi' is not allowed; use one of ..."

    def __str__(self) -> str:
        return f"{self.where}: {self.what}" if self.where else self.what


class ValidationFailed(CroError):
    """Input with one or more bad records; nothing was written."""

    MAX_SHOWN = 50

    def __init__(self, problems: list[Problem], *, subject: str = "input"):
        n = len(problems)
        plural = "s" if n != 1 else ""
        super().__init__(f"{subject}: {n} problem{plural} found; nothing was written")
        self.problems = problems

    def lines(self) -> list[str]:
        shown = [str(p) for p in self.problems[: self.MAX_SHOWN]]
        if len(self.problems) > self.MAX_SHOWN:
            shown.append(f"... and {len(self.problems) - self.MAX_SHOWN} more")
        return [*shown, self.message]


def did_you_mean(value: str, choices: list[str] | tuple[str, ...] | set[str]) -> str | None:
    """The closest valid choice to a misspelt value, for a 'did you mean' hint."""
    import difflib

    close = difflib.get_close_matches(value, sorted(choices), n=1, cutoff=0.6)
    return close[0] if close else None
