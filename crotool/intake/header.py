"""The header check: a file's first row read as the table's field names.

A CSV's first line and a workbook sheet's header row both go through `check_header`, so the
two name their columns by the same rules and in the same words; a problem stops the import
before any row is read (`ImportFailed`).
"""

from __future__ import annotations

from collections.abc import Callable

from crotool.errors import Problem, did_you_mean
from crotool.intake.validator import ImportFailed
from crotool.store.fields import shown_name
from crotool.store.schema import Section


def check_header(section: Section, names: list[str], subject: str,
                 where: Callable[[int], str]) -> list[str | None]:
    """The field each column names (None: a column crotool's own export adds, read past).

    Headers match ignoring case, surrounding space and `_`/space/`-`. Every column
    a known field, named once; every required key field a column (other required fields may
    be left out by a file that updates stored records). `where(i)` names column i's header.
    A header is quoted only as a short prefix: a file without its header row has a data row
    there, and that may hold a duty's notes.
    """
    known = section.field_names
    problems: list[Problem] = []
    first: dict[str, int] = {}
    fields: list[str | None] = []
    matched = [section.match(n) if n else None for n in names]
    if names and not any(matched) and not all(n.strip() in section.derived for n in names):
        problems.append(Problem(where(0), f"the first row is not a header: none of its "
                                f"{len(names)} cells names a field of {section.name}; the "
                                f"first row must name the columns: {', '.join(known)}"))
        raise ImportFailed(problems, 1, subject=subject)
    for i, (name, matched_field) in enumerate(zip(names, matched, strict=True), start=1):
        fields.append(matched_field)
        if matched_field is None:
            if name and name.strip() in section.derived:
                continue
            if not name:
                problems.append(Problem(where(i), f"column {i} has no name; allowed: "
                                        f"{', '.join(known)}"))
                continue
            close = did_you_mean(name, known)
            hint = f"; did you mean '{close}'?" if close else ""
            problems.append(Problem(where(i), f"unknown column {shown_name(name)}; allowed: "
                                    f"{', '.join(known)}{hint}"))
            continue
        if matched_field in first:
            j = first[matched_field]
            what = (f"column {shown_name(name)} appears twice" if names[j - 1] == name else
                    f"column {shown_name(name)} names the field '{matched_field}', as column "
                    f"{shown_name(names[j - 1])} does")
            problems.append(Problem(where(i), f"{what} (columns {j} and {i}); name each column "
                                    "once"))
            continue
        first[matched_field] = i
    missing = [n for n in section.key if section.field(n).required and n not in first]
    if missing:
        s = "s" if len(missing) > 1 else ""
        problems.append(Problem(where(0), f"missing required column{s} {', '.join(missing)}; "
                                f"{section.name} are matched by {', '.join(section.key)}, and "
                                f"a new one needs {', '.join(section.required_names)}"))
    if problems:
        raise ImportFailed(problems, len(problems), subject=subject)
    return fields

