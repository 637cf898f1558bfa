"""Messages for people on stderr (what changed, a warning, what to do next), never mixed with
the data on stdout: a script reads stdout, cron mails what reaches stderr."""

from __future__ import annotations

import sys

from crotool.output.view import clean


def message(text: str) -> None:
    """A human message on stderr, each line without control characters."""
    sys.stderr.write(clean(text).rstrip("\n") + "\n") if "\n" not in text else sys.stderr.write(
        "\n".join(clean(line) for line in text.splitlines()) + "\n")
