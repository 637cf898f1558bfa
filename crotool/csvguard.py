"""The CSV formula guard, both ways: one rule, so that a CSV crotool wrote imports as itself.

A spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, tab, CR or LF as a formula
(`+1 425-555-0117` becomes a sum, `=HYPERLINK(...)` a link). The writer puts a `'` before
such a cell, and before one that already starts with `'`s followed by such a character, so the
reader can take exactly one `'` off every cell that starts with `'`s and then one of them:
`unguard(guard(s)) == s` for every text (tests/test_csvguard.py holds it by property).
"""

from __future__ import annotations

import re

_TRIGGER = "=+-@\t\r\n"
_NEEDS_GUARD = re.compile(r"'*[=+\-@\t\r\n]")
_GUARDED = re.compile(r"'+[=+\-@\t\r\n]")
# A number is data, not a formula, in every spreadsheet: -5 and -2.5 are written as they are.
_NUMERIC = re.compile(r"-?\d+(\.\d+)?")


def guard(text: str) -> str:
    """The cell a spreadsheet will not run: `'` + text where it would be a formula."""
    if text and text[0] in "'=+-@\t\r\n" and _NEEDS_GUARD.match(text) and not (
            _NUMERIC.fullmatch(text)):
        return "'" + text
    return text


def unguard(cell: str) -> str:
    """The text `guard` was given: one leading `'` off a guarded cell, nothing else."""
    if cell[:1] == "'" and _GUARDED.match(cell):
        return cell[1:]
    return cell
