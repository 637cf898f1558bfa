"""A query's column spec, and the SQL that has SQLite write each of its rows as a JSON object.

A listing of a million rows (`duty list`, `followups list`) is not turned into a million
dicts for JSON or CSV: the program hands the cursor's tuples, or each row's JSON text made by
SQLite, with a `Columns` spec that says what the stored values mean, and output writes them
(output/encode.py reads a spec by these attribute names, without importing this module).
"""

from __future__ import annotations


class Columns:
    """The columns of a query's rows, in the order of its tuples, and what their values are.
    (A plain class: a dataclass would cost the start-up of every command that lists duties.)"""

    __slots__ = ("names", "bools", "json_lists", "identifiers")

    def __init__(self, names: tuple[str, ...], *, bools: tuple[str, ...] = (),
                 json_lists: tuple[str, ...] = (), identifiers: tuple[str, ...] = ()) -> None:
        self.names = names
        self.bools = bools  # stored 0/1, meaning false/true
        self.json_lists = json_lists  # a JSON array's text (json_group_array)
        # Columns whose kind admits only an id, a code or a date-time (schema.py): nothing in
        # them is ever quoted or guarded in a CSV.
        self.identifiers = identifiers


def json_object_sql(columns: Columns) -> str:
    """The SQL expression that writes a row of `columns` (names of the query's columns, never
    user input) as the JSON object output's `to_json` would: the booleans as true/false, the
    JSON lists as their JSON, the rest as values. Keys keep the order of `names`; output
    escapes DEL and C1 characters as it writes the objects."""
    parts = []
    for c in columns.names:
        value = f'"{c}"'
        if c in columns.bools:
            value = f"json(CASE WHEN {value} THEN 'true' ELSE 'false' END)"
        elif c in columns.json_lists:
            value = f"json({value})"
        parts.append(f"'{c}', {value}")
    return f"json_object({', '.join(parts)})"
