"""The floor under `crotool import duties` on this machine: what a Python program pays to put a
duty CSV's rows into the database with nothing checked, as the bench's reference for a time
limit that crotool's own work cannot go below.

    python bench/import_floor.py DUTIES.csv DATABASE

In one transaction: Python's csv reader and one `executemany` into a copy of the `duties`
table with no constraint at all (no unique key, no foreign key, no CHECK: nothing to look up
per row), then the duties table's five indexes (its unique key and the four secondary ones,
read from the database) built after the rows, as crotool's bulk path builds them; then COMMIT.
No validation, no staging, no screen, no upsert. Writes a table `duties_floor`.
"""

from __future__ import annotations

import csv
import sqlite3
import sys


def main(csv_path: str, db_path: str) -> None:
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA cache_size = -16384")  # what crotool's index builds run with
    key = [name for (name,) in conn.execute(
        "SELECT i.name FROM pragma_index_list('duties') l, pragma_index_info(l.name) i"
        " WHERE l.origin = 'u' ORDER BY l.name, i.seqno")]
    indexes = [sql for (sql,) in conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'duties'"
        " AND sql IS NOT NULL ORDER BY name")]
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DROP TABLE IF EXISTS duties_floor")
    conn.execute("CREATE TABLE duties_floor (id INTEGER PRIMARY KEY, officer TEXT, school TEXT,"
                 " category TEXT, at TEXT, minutes INTEGER, requested_by TEXT, reference TEXT,"
                 " notes TEXT)")
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        header = next(rows)
        cols = ", ".join(header)
        marks = ", ".join("nullif(?, '')" for _ in header)
        conn.executemany(f"INSERT INTO duties_floor ({cols}) VALUES ({marks})", rows)
    conn.execute(f"CREATE UNIQUE INDEX duties_floor_key ON duties_floor ({', '.join(key)})")
    for n, sql in enumerate(indexes):
        columns = sql[sql.index("("):]
        conn.execute(f"CREATE INDEX duties_floor_{n} ON duties_floor {columns}")
    conn.execute("COMMIT")
    conn.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
