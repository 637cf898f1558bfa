"""The audit trail: written with every change, in its transaction; append-only; hash-chained;
listed by `crotool audit`; and never holding (or leaking) the text of duty notes."""

from __future__ import annotations

import getpass
import json
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from crotool.store import db
from crotool.store.audit import GENESIS, verify_chain

SECRET = "CPS-case-detail-do-not-leak"



def audit_rows(path: Path, where: str = "1", params: tuple = ()) -> list[dict]:
    conn = db.connect(path)
    try:
        return [dict(r) for r in conn.execute(f"SELECT * FROM audit WHERE {where} ORDER BY id",
                                              params)]
    finally:
        conn.close()


def listing(cli, *args: str) -> list[dict]:
    result = cli("audit", "-f", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def duty_with_notes(notes: str, extra: str = "") -> str:
    return ('duties:\n  - {officer: "0417", school: juanita-hs, category: traffic-safety, '
            f'at: 2024-01-08T08:00:00, {extra}notes: "{notes}"}}\n')


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ---------------------------------------------------------------- what is written


def test_a_load_audits_every_inserted_record_with_who_when_and_what(seeded: Path) -> None:
    rows = audit_rows(seeded)
    conn = db.connect(seeded)
    schools = conn.execute("SELECT count(*) FROM schools").fetchone()[0]
    conn.close()
    assert len([r for r in rows if r["table_name"] == "schools"]) == schools == 55
    first = rows[0]
    assert first["os_user"] == getpass.getuser()
    assert first["command"] == "crotool load"
    assert first["action"] == "insert"
    at = datetime.fromisoformat(first["at"].replace("Z", "+00:00"))
    assert at.tzinfo is not None and abs(datetime.now(UTC) - at) < timedelta(minutes=5)
    officer = next(r for r in rows if r["table_name"] == "officers" and r["row_key"] == "0417")
    assert json.loads(officer["changes"])["name"] == "Pat Placeholder"
    assert verify_chain(db.connect(seeded)) == []
    assert rows[0]["prev_hash"] == GENESIS


def test_an_update_records_old_and_new_values(cli, seeded: Path, tmp_path: Path) -> None:
    update = write(tmp_path, "u.yaml", 'officers:\n  - {badge: "0417", name: Pat Renamed, '
                   "agency: kirkland-pd, status: inactive}\n")
    assert cli("load", str(update)).exit_code == 0
    [row] = listing(cli, "--table", "officers", "--limit", "1")
    assert row["action"] == "update" and row["key"] == "0417"
    assert row["changes"] == {"name": ["Pat Placeholder", "Pat Renamed"],
                              "status": ["active", "inactive"]}


def test_reloading_unchanged_data_audits_no_change(cli, seeded: Path) -> None:
    before = audit_rows(seeded)
    assert cli("load").exit_code == 0
    after = audit_rows(seeded)
    assert after == before


def test_duty_log_writes_its_audit_row_in_the_same_transaction(cli, seeded: Path) -> None:
    result = cli("duty", "log", "--officer", "3045", "--school", "eastlake-hs", "--category",
                 "traffic-safety", "--at", "2024-01-10T08:00", "--minutes", "20",
                 "--notes", SECRET)
    assert result.exit_code == 0, result.stderr
    [row] = audit_rows(seeded, "table_name = 'duties' AND command = ?", ("crotool duty log",))
    assert row["row_key"] == "3045/eastlake-hs/traffic-safety/2024-01-10T08:00:00"
    changes = json.loads(row["changes"])
    assert changes["minutes"] == 20 and changes["notes"] == "(changed)"


# Every command that changes data, with the table its audit rows name.
WRITES = [
    (["assign", "2350", "juanita", "--role", "additional"], "assignments"),
    (["unassign", "2291", "redmond", "--yes"], "assignments"),
    (["officers", "add", "7777", "--name", "Sam Sample", "--agency", "redmond-pd"], "officers"),
    (["officers", "update", "2307", "--phone", "425-555-0000"], "officers"),
    (["officers", "leave", "2307", "--start", "2024-03-01", "--end", "2024-03-05"], "leaves"),
    (["assessments", "schedule", "--school", "redmond-ms", "--due", "2024-05-20",
      "--requested-by", "District safety office"], "assessments"),
    (["assessments", "cancel", "2"], "assessments"),
    (["connectors", "add", "new-group", "--name", "New group"], "connectors"),
    (["connectors", "update", "evpa", "--sector", "parent-association"], "connectors"),
    (["engagements", "add", "Winter check-in", "--date", "2024-01-10", "--phase",
      "prevention", "--dimension", "social", "--connector", "evpa"], "engagements"),
    (["duty", "log", "--officer", "0417", "--school", "juanita-hs", "--category",
      "traffic-safety", "--at", "2024-01-11T08:00"], "duties"),
    (["import", "officers", "{csv}"], "officers"),
    (["load", "{yaml}"], "officers"),
]


@pytest.mark.parametrize("args, table", WRITES, ids=lambda v: "-".join(v[:2])
                         if isinstance(v, list) else v)
def test_every_write_command_is_audited(cli, seeded: Path, tmp_path: Path, args: list[str],
                                        table: str) -> None:
    roster = write(tmp_path, "roster.csv", "badge,name,agency\n8001,Imported Officer,kcso\n")
    doc = write(tmp_path, "o.yaml", 'officers:\n  - {badge: "8002", name: Loaded, agency: kcso}\n')
    args = [a.format(csv=roster, yaml=doc) for a in args]
    before = max(r["id"] for r in audit_rows(seeded))
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    new = audit_rows(seeded, "id > ?", (before,))
    assert new, f"`crotool {' '.join(args)}` wrote no audit row"
    # The command is named by its path, never with its arguments (a --notes value, say).
    groups = ("officers", "assessments", "connectors", "engagements", "duty")
    path = " ".join(args[:2]) if args[0] in groups else args[0]
    assert {r["command"] for r in new} == {f"crotool {path}"}
    assert table in {r["table_name"] for r in new}
    assert verify_chain(db.connect(seeded)) == []


def test_a_refused_change_writes_no_audit_row(cli, seeded: Path, tmp_path: Path) -> None:
    before = len(audit_rows(seeded))
    bad = write(tmp_path, "bad.yaml", 'officers:\n  - {badge: "7001", name: X, agency: nope}\n')
    assert cli("load", str(bad)).exit_code == 1
    assert len(audit_rows(seeded)) == before


# ---------------------------------------------------------------- append-only, chained


def test_audit_rows_cannot_be_changed_or_removed_through_sql(seeded: Path) -> None:
    conn = db.connect(seeded)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit SET os_user = 'mallory'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit WHERE id = 1")
    conn.close()


def test_verify_chain_names_the_edited_row(seeded: Path) -> None:
    raw = sqlite3.connect(str(seeded), isolation_level=None)
    raw.executescript("DROP TRIGGER audit_no_update;"
                      "UPDATE audit SET at = '2020-01-01T00:00:00Z' WHERE id = 12;")
    raw.close()
    assert verify_chain(db.connect(seeded)) == [
        "audit row 12 does not match the hash chain: it was edited, or a row before it was "
        "removed"]


def test_tampering_makes_db_check_fail_and_name_the_row(cli, seeded: Path) -> None:
    raw = sqlite3.connect(str(seeded), isolation_level=None)
    raw.executescript("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;"
                      "UPDATE audit SET row_key = 'someone-else' WHERE id = 3;")
    raw.close()
    result = cli("db", "check")
    assert result.exit_code == 1
    assert "audit row 3 does not match the hash chain" in result.stdout
    assert "problems found" in result.stderr


def test_chain_stays_intact_across_many_commands(cli, seeded: Path, tmp_path: Path) -> None:
    for i in range(3):
        assert cli("duty", "log", "--officer", "0417", "--school", "juanita-hs", "--category",
                   "traffic-safety", "--at", f"2024-01-0{i + 2}T08:00").exit_code == 0
        update = write(tmp_path, f"u{i}.yaml", f'officers:\n  - {{badge: "0417", name: N{i}, '
                       "agency: kirkland-pd}\n")
        assert cli("load", str(update)).exit_code == 0
    assert verify_chain(db.connect(seeded)) == []
    assert cli("db", "check", "-f", "json").exit_code == 0


# ---------------------------------------------------------------- crotool audit


def test_audit_lists_oldest_first_and_limit_keeps_the_latest(cli, seeded: Path) -> None:
    every = listing(cli)
    assert len(every) == len(audit_rows(seeded))
    assert [r["id"] for r in every] == sorted(r["id"] for r in every)
    last3 = listing(cli, "--limit", "3")
    assert [r["id"] for r in last3] == [r["id"] for r in every[-3:]]
    assert set(every[0]) == {"id", "at", "user", "command", "table", "key", "action", "changes"}


def test_audit_filters_by_table_and_since(cli, seeded: Path) -> None:
    officers = listing(cli, "--table", "officers")
    assert len(officers) == 9 and {r["table"] for r in officers} == {"officers"}
    today = datetime.now(UTC).date()
    assert len(listing(cli, "--since", today.isoformat())) == len(audit_rows(seeded))
    assert listing(cli, "--since", (today + timedelta(days=2)).isoformat()) == []
    # A date-time with an offset is compared in UTC, like the stored times.
    soon = (datetime.now(UTC) + timedelta(hours=1)).astimezone(timezone(timedelta(hours=-8)))
    assert listing(cli, "--since", soon.isoformat(timespec="minutes")) == []


def test_audit_table_and_csv_show_changes_as_compact_json(cli, seeded: Path) -> None:
    import csv
    import io

    result = cli("audit", "--table", "agencies", "--limit", "1", "-f", "csv")
    assert result.exit_code == 0
    header, row = list(csv.reader(io.StringIO(result.stdout)))
    assert header == ["id", "at", "user", "command", "table", "key", "action", "changes"]
    assert row[5:7] == ["kcso", "insert"]
    assert row[7] == json.dumps(json.loads(row[7]), separators=(",", ":"), sort_keys=True,
                                ensure_ascii=False)  # compact: no spaces after , and :
    assert json.loads(row[7])["kind"] == "county"
    table = cli("audit", "--table", "agencies", "--limit", "1")
    assert table.exit_code == 0
    # The table spaces it out, so that a narrow terminal wraps between items, not in a date.
    assert '"kind": "county"' in table.stdout


@pytest.mark.parametrize("args, message", [
    (["--table", "offcers"], "--table: unknown table 'offcers' (did you mean 'officers'?)"),
    (["--since", "last tuesday"], "--since: 'last tuesday' is not a date or date-time"),
    # A date that has the form but not a day: the words every date option uses.
    (["--since", "2024-02-30"], "--since: '2024-02-30' is not a real date (no such day)"),
    (["--since", "2023-02-29"], "--since: '2023-02-29' is not a real date (no such day)"),
    (["--since", "2024-02-30T10:00"], "--since: '2024-02-30T10:00' is not a date or date-time"),
])
def test_audit_refuses_bad_options(cli, seeded: Path, args: list[str], message: str) -> None:
    result = cli("audit", *args)
    assert result.exit_code == 1
    assert message in result.stderr


def test_audit_limit_must_be_positive(cli, seeded: Path) -> None:
    assert cli("audit", "--limit", "0").exit_code == 2


def test_audit_of_an_empty_database(cli) -> None:
    result = cli("audit")
    assert result.exit_code == 0
    assert "no audit rows match" in result.stdout
    assert listing(cli) == []


# ---------------------------------------------------------------- privacy of notes


def test_notes_never_reach_audit_rows_even_when_they_change(cli, seeded: Path,
                                                            tmp_path: Path) -> None:
    first, second = duty_with_notes(SECRET), duty_with_notes(SECRET + " v2")
    assert cli("load", str(write(tmp_path, "d1.yaml", first))).exit_code == 0
    assert cli("load", str(write(tmp_path, "d2.yaml", second))).exit_code == 0
    conn = db.connect(seeded)
    dumped = "\n".join(conn.iterdump())
    conn.close()
    audit_text = json.dumps(audit_rows(seeded))
    assert SECRET not in audit_text
    assert dumped.count(SECRET) == 1  # the duty's own row, and nowhere else
    [update] = listing(cli, "--table", "duties", "--limit", "1")
    assert update["action"] == "update"
    assert update["changes"] == {"notes": "(changed)"}  # that they changed; never what to
    for fmt in ("table", "csv", "json"):
        assert SECRET not in cli("audit", "-f", fmt).stdout


def test_a_too_long_note_is_refused_without_echoing_it(cli, seeded: Path,
                                                        tmp_path: Path) -> None:
    note = SECRET + "x" * 10_000
    bad = write(tmp_path, "long.yaml", duty_with_notes(note))
    result = cli("load", str(bad))
    assert result.exit_code == 1
    assert "notes: longer than 10000 characters" in result.stderr
    assert SECRET not in result.stderr + result.stdout
    logged = cli("duty", "log", "--officer", "0417", "--school", "juanita-hs", "--category",
                 "traffic-safety", "--notes", note)
    assert logged.exit_code == 1
    assert SECRET not in logged.stderr + logged.stdout


def test_an_error_in_a_duty_with_notes_does_not_echo_them(cli, seeded: Path,
                                                          tmp_path: Path) -> None:
    bad = write(tmp_path, "d.yaml", duty_with_notes(SECRET, "minutes: 0, "))
    result = cli("load", str(bad), "--verbose")
    assert result.exit_code == 1
    assert SECRET not in result.stderr + result.stdout


def test_load_verbose_does_not_print_notes(cli, seeded: Path, tmp_path: Path) -> None:
    good = write(tmp_path, "d.yaml", duty_with_notes(SECRET))
    result = cli("load", str(good), "--verbose")
    assert result.exit_code == 0
    assert "notes" in result.stderr  # it says the notes were set...
    assert SECRET not in result.stderr + result.stdout  # ...never what they say
