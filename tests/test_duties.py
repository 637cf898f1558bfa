"""`duty log` and `duty list`: validation shared with load/import, messages, out-of-pattern
marking, filters, privacy of notes in every format, and idempotent loads of duties.

The bundled seed is loaded first (officers 0417 juanita, 2291 redmond, ...; today pinned to
2024-01-15, inside school year 2023-24). Its seven duties are all in pattern.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import SEED_DUTIES

from crotool.store import db
from crotool.store.reads import categories

SECRET = "Student disclosed a threat; CPS case pending"
FORMULA = '=HYPERLINK("http://evil.example","x")'



def log_args(**kw: str) -> list[str]:
    base = {"officer": "0417", "school": "juanita-hs", "category": "emergency-response",
            "at": "2024-01-10T09:00", "minutes": "30"}
    base.update(kw)
    args = ["duty", "log"]
    for key, value in base.items():
        if value is not None:
            args += [f"--{key.replace('_', '-')}", value]
    return args


def duty_rows(path: Path) -> list[sqlite3.Row]:
    conn = db.connect(path)
    try:
        return conn.execute("SELECT * FROM duties ORDER BY id").fetchall()
    finally:
        conn.close()


def list_json(cli, *args: str) -> list[dict]:
    result = cli("duty", "list", "-f", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


# ---------------------------------------------------------------- duty log


def test_log_prints_the_new_id_and_stores_every_field(cli, seeded):
    result = cli(*log_args(requested_by="Juanita HS principal", reference="KPD-24-1",
                           notes="private"))
    assert result.exit_code == 0, result.stderr
    rows = duty_rows(seeded)
    new = rows[-1]
    assert f"logged duty {new['id']}" in result.stderr
    assert result.stdout == ""
    assert (new["officer"], new["school"], new["category"], new["at"], new["minutes"],
            new["requested_by"], new["reference"], new["notes"]) == (
        "0417", "juanita-hs", "emergency-response", "2024-01-10T09:00:00", 30,
        "Juanita HS principal", "KPD-24-1", "private")


def test_at_defaults_to_now_on_the_pinned_day(cli, seeded):
    result = cli(*log_args(at=None))
    assert result.exit_code == 0, result.stderr
    assert duty_rows(seeded)[-1]["at"].startswith("2024-01-15T")


def test_minutes_is_optional(cli, seeded):
    assert cli(*log_args(minutes=None)).exit_code == 0
    assert duty_rows(seeded)[-1]["minutes"] is None


@pytest.mark.parametrize("minutes", ["1", "1440"])
def test_minutes_bounds_are_accepted(cli, seeded, minutes):
    assert cli(*log_args(minutes=minutes)).exit_code == 0
    assert duty_rows(seeded)[-1]["minutes"] == int(minutes)


@pytest.mark.parametrize(("minutes", "what"), [
    ("0", "--minutes: 0 is out of range; allowed 1 to 1440"),
    ("1441", "--minutes: 1441 is out of range; allowed 1 to 1440"),
    ("-5", "--minutes: -5 is out of range; allowed 1 to 1440"),
    ("half an hour", "--minutes: 'half an hour' is not a whole number"),
])
def test_bad_minutes_are_refused_and_nothing_is_written(cli, seeded, minutes, what):
    before = len(duty_rows(seeded))
    result = cli(*log_args(minutes=minutes))
    assert result.exit_code == 1
    assert f"crotool: {what}\n" in result.stderr
    assert "nothing was written" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(duty_rows(seeded)) == before


def test_bad_at_is_refused_with_the_allowed_shape(cli, seeded):
    result = cli(*log_args(at="yesterday"))
    assert result.exit_code == 1
    assert "--at: 'yesterday' is not a date-time; write YYYY-MM-DDTHH:MM[:SS]" in result.stderr


def test_every_category_that_requires_a_request_needs_requested_by(cli, seeded):
    conn = db.connect(seeded)
    cats = categories(conn)
    conn.close()
    on_request = [c["id"] for c in cats if c["requires_request"]]
    assert len(on_request) >= 4  # threat-assessment, safety-assessment, ... from the seed
    for i, cat in enumerate(on_request):
        at = f"2024-01-1{i}T08:00"
        refused = cli(*log_args(category=cat, at=at))
        assert refused.exit_code == 1, cat
        assert (f"crotool: --category: category '{cat}' is done only on request: give "
                "--requested-by (who asked for it)") in refused.stderr
        accepted = cli(*log_args(category=cat, at=at, requested_by="district office"))
        assert accepted.exit_code == 0, accepted.stderr
    for cat in (c["id"] for c in cats if not c["requires_request"]):
        result = cli(*log_args(category=cat, at="2024-01-12T10:00"))
        assert result.exit_code == 0, (cat, result.stderr)


@pytest.mark.parametrize(("option", "typed", "meant", "noun"), [
    ("category", "emergency-respons", "emergency-response", "duty category"),
    ("school", "juanita-h", "juanita-hs", "school"),
    ("officer", "417", "0417", "officer"),
])
def test_unknown_ids_suggest_the_closest(cli, seeded, option, typed, meant, noun):
    result = cli(*log_args(**{option: typed}))
    assert result.exit_code == 1
    assert (f"crotool: --{option}: unknown {noun} '{typed}'; did you mean '{meant}'?"
            in result.stderr)


def test_every_problem_is_listed_at_once(cli, seeded):
    result = cli(*log_args(officer="417", school="juanita-h"))
    assert result.exit_code == 1
    assert "--officer: unknown officer '417'" in result.stderr
    assert "--school: unknown school 'juanita-h'" in result.stderr
    assert "duty log: 2 problems found; nothing was written" in result.stderr


def test_the_same_duty_twice_is_refused_naming_the_first(cli, seeded):
    first = cli(*log_args())
    assert first.exit_code == 0
    duty_id = duty_rows(seeded)[-1]["id"]
    again = cli(*log_args(minutes="45", notes=SECRET))
    assert again.exit_code == 1
    assert (f"crotool: duty {duty_id} is already logged for officer 0417 at juanita-hs, "
            "emergency-response, 2024-01-10T09:00:00; nothing was written") in again.stderr
    assert SECRET not in again.stderr
    rows = duty_rows(seeded)
    assert rows[-1]["id"] == duty_id and rows[-1]["minutes"] == 30
    # Another minute is another duty.
    assert cli(*log_args(at="2024-01-10T09:01")).exit_code == 0


def test_notes_never_reach_the_audit_trail_or_messages(cli, seeded):
    result = cli(*log_args(notes=SECRET))
    assert result.exit_code == 0
    assert SECRET not in result.stderr + result.stdout
    conn = db.connect(seeded)
    changes = [r[0] for r in conn.execute(
        "SELECT changes FROM audit WHERE table_name = 'duties' AND action = 'insert'"
        " ORDER BY id DESC LIMIT 1")]
    conn.close()
    assert json.loads(changes[0])["notes"] == "(changed)"
    refused = cli(*log_args(minutes="0", notes=SECRET, at="2024-01-11T09:00"))
    assert refused.exit_code == 1 and SECRET not in refused.stderr


# ---------------------------------------------------------------- out of pattern


def test_a_duty_outside_the_officers_patterns_is_accepted_and_marked(cli, seeded):
    # 0417 is the juanita CRO; redmond-hs is in the redmond pattern.
    result = cli(*log_args(school="redmond-hs"))
    assert result.exit_code == 0
    assert "out of pattern" in result.stderr
    rows = {r["school"]: r for r in list_json(cli, "--officer", "0417")}
    assert rows["redmond-hs"]["out_of_pattern"] is True
    assert rows["juanita-hs"]["out_of_pattern"] is False


def test_a_split_feeder_is_in_each_of_its_patterns(cli, seeded):
    # evergreen-ms: feeder_pattern eastlake, also_feeds [redmond]; 2291 is the redmond CRO.
    result = cli(*log_args(officer="2291", school="evergreen-ms"))
    assert result.exit_code == 0
    assert "out of pattern" not in result.stderr
    [row] = list_json(cli, "--officer", "2291", "--school", "evergreen-ms")
    assert row["out_of_pattern"] is False


def test_an_additional_assignment_counts_as_in_pattern(cli, seeded):
    # 1260 has an `additional` assignment to lake-washington.
    assert cli(*log_args(officer="1260", school="kirkland-ms")).exit_code == 0
    [row] = list_json(cli, "--officer", "1260")
    assert row["out_of_pattern"] is False


def test_a_duty_outside_every_school_year_is_out_of_pattern(cli, seeded):
    assert cli(*log_args(at="2023-07-01T10:00")).exit_code == 0  # summer before 2023-24
    [row] = list_json(cli, "--from", "2023-07-01", "--to", "2023-07-31")
    assert row["out_of_pattern"] is True


def test_out_of_pattern_follows_later_assignments(cli, seeded):
    assert cli(*log_args(school="redmond-hs")).exit_code == 0
    conn = db.connect(seeded)
    with db.transaction(conn):
        conn.execute("INSERT INTO assignments (officer, feeder_pattern, school_year, role, start,"
                     " end) VALUES ('0417', 'redmond', '2023-24', 'additional', '2024-02-01',"
                     " '2024-03-01')")
    conn.close()
    [row] = list_json(cli, "--school", "redmond-hs", "--officer", "0417")
    assert row["out_of_pattern"] is False


# ---------------------------------------------------------------- duty list


def test_list_defaults_to_the_current_year_oldest_first(cli, seeded):
    seed_duties = len(list_json(cli))  # the seed's, all in 2023-24
    assert cli(*log_args(at="2022-10-01T09:00")).exit_code == 0  # an earlier year
    assert cli(*log_args(at="2023-09-05T00:00")).exit_code == 0  # the year's first minute
    assert cli(*log_args(at="2024-06-21T23:59")).exit_code == 0  # its last
    rows = list_json(cli)
    ats = [r["at"] for r in rows]
    assert ats == sorted(ats)
    assert ats[0] == "2023-09-05T00:00:00" and ats[-1] == "2024-06-21T23:59:00"
    assert len(rows) == seed_duties + 2
    assert list(rows[0]) == ["id", "at", "officer", "school", "category", "minutes",
                             "requested_by", "reference", "flags", "out_of_pattern",
                             "open_followups"]  # flags: SPEC §5.2 (a duty's flags are listed)


def test_list_has_no_silent_limit(cli, seeded):
    seed_duties = len(list_json(cli))
    for day in range(1, 29):
        assert cli(*log_args(at=f"2024-02-{day:02d}T10:00")).exit_code == 0
    assert len(list_json(cli)) == seed_duties + 28


def test_limit_keeps_the_latest_still_oldest_first(cli, seeded):
    every = list_json(cli)
    result = cli("duty", "list", "-f", "json", "--limit", "3")
    rows = json.loads(result.stdout)
    assert rows == every[-3:] and len(every) > 3
    assert f"showing the latest 3 of {len(every)} duties" in result.stderr
    assert cli("duty", "list", "--limit", "0").exit_code == 1



def test_the_summary_counts_in_words_one_duty_or_many(cli, seeded):
    one = cli("duty", "list", "--from", "2023-09-12", "--to", "2023-09-12", "-f", "markdown")
    assert "1 duty, 45 minutes, 2023-09-12 to 2023-09-12" in one.stdout
    assert "1 duties" not in one.stdout
    many = cli("duty", "list", "--year", "2023-24", "-f", "markdown").stdout
    count = len(list_json(cli, "--year", "2023-24"))
    assert count > 1 and f"{count} duties, " in many

# The seed's duties up to the end of March 2024 (its end-of-year visits come later).
@pytest.mark.parametrize(("args", "ids"), [
    (["--officer", "1182"], {"kirkland-ms", "lake-washington-hs"}),
    (["--school", "redmond-hs"], {"redmond-hs"}),
    (["--category", "safety-training"], {"rose-hill-ms"}),
    (["--pattern", "eastlake"], {"eastlake-hs", "inglewood-ms", "tesla-stem-hs"}),
    (["--from", "2023-10-03", "--to", "2023-11-08"],
     {"kirkland-ms", "eastlake-hs", "lake-washington-hs"}),
    (["--year", "2023-24", "--from", "2024-01-01"],
     {"rose-hill-ms", "inglewood-ms", "tesla-stem-hs", "redmond-ms"}),
    (["--pattern", "lake-washington", "--officer", "2307"], {"rose-hill-ms"}),
])
def test_filters(cli, seeded, args, ids):
    to = [] if "--to" in args else ["--year", "2023-24", "--to", "2024-03-31"]
    if "--year" in args:
        to = to[2:]
    assert {r["school"] for r in list_json(cli, *args, *to)} == ids


def test_pattern_filter_includes_split_feeders(cli, seeded):
    assert cli(*log_args(officer="2291", school="evergreen-ms")).exit_code == 0
    assert "evergreen-ms" in {r["school"] for r in list_json(cli, "--pattern", "redmond")}
    assert "evergreen-ms" in {r["school"] for r in list_json(cli, "--pattern", "eastlake")}


@pytest.mark.parametrize(("args", "message"), [
    (["--pattern", "redmnd"], "--pattern: unknown feeder pattern 'redmnd' (did you mean "
                              "'redmond'?)"),
    (["--category", "trafic-safety"], "did you mean 'traffic-safety'?"),
    (["--year", "2022-23"], "--year: unknown school year '2022-23'"),
    (["--from", "2024-02-30"], "--from: '2024-02-30' is not a real date"),
    (["--from", "2024-02-01", "--to", "2024-01-01"], "--to 2024-01-01 is before --from "
                                                     "2024-02-01"),
    (["--year", "2023-24", "--from", "2024-07-01"], "--from 2024-07-01 is after the end of "
                                                    "school year 2023-24 (2024-06-21)"),
])
def test_bad_filters_are_refused(cli, seeded, args, message):
    result = cli("duty", "list", *args)
    assert result.exit_code == 1
    assert message in result.stderr


# ---------------------------------------------------------------- notes: private


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown", "html", "svg"])
def test_notes_are_absent_from_every_format_without_include_notes(cli, seeded, fmt):
    assert cli(*log_args(notes=SECRET)).exit_code == 0
    result = cli("duty", "list", "-f", fmt)
    assert result.exit_code == 0
    assert "juanita-hs" in result.stdout or "juanita" in result.stdout
    # The seed's own note too ("Morning drop-off traffic review ...").
    for text in (SECRET, "Student disclosed", "Morning drop-off"):
        assert text not in result.stdout
    assert "notes" not in result.stdout.lower()


def test_notes_with_include_notes_are_formula_safe_in_csv(cli, seeded):
    assert cli(*log_args(notes=FORMULA)).exit_code == 0
    result = cli("duty", "list", "-f", "csv", "--include-notes", "--school", "juanita-hs",
                 "--year", "2023-24", "--to", "2024-01-15")  # the seed visits it again in May
    lines = result.stdout.splitlines()
    assert lines[0].endswith(",out_of_pattern,open_followups,notes")
    assert lines[-1].endswith(',"\'=HYPERLINK(""http://evil.example"",""x"")"')
    assert ',"=HYPERLINK' not in result.stdout


def test_notes_with_include_notes_in_json(cli, seeded):
    assert cli(*log_args(notes=SECRET)).exit_code == 0
    rows = list_json(cli, "--include-notes", "--officer", "0417")
    assert SECRET in [r["notes"] for r in rows]


def test_list_writes_output_atomically_private_with_notes(cli, seeded, tmp_path):
    import os

    target, private = tmp_path / "duties.csv", tmp_path / "notes.csv"
    old = os.umask(0o022)
    try:
        result = cli("duty", "list", "-f", "csv", "-o", target)
        with_notes = cli("duty", "list", "--include-notes", "-o", private)
    finally:
        os.umask(old)
    assert result.exit_code == 0 and result.stdout == ""
    assert with_notes.exit_code == 0 and with_notes.stdout == ""
    assert target.read_text().count("\n") == 1 + len(list_json(cli))
    assert target.stat().st_mode & 0o777 == 0o644  # the umask's: a report, no notes
    assert private.stat().st_mode & 0o777 == 0o600  # notes: private whatever the umask


# ---------------------------------------------------------------- load and import share it


DUTIES_YAML = """\
duties:
  - officer: "0417"
    school: redmond-hs
    category: emergency-response
    at: 2024-01-08T12:00:00
    minutes: 20
    notes: loaded note
  - {officer: "2291", school: redmond-hs, category: safety-training, at: 2024-01-09T09:00,
     minutes: 60, requested_by: Redmond HS principal}
"""


def test_reloading_the_same_duties_adds_nothing(cli, seeded, tmp_path):
    doc = tmp_path / "duties.yaml"
    doc.write_text(DUTIES_YAML)
    first = cli("load", doc, "-f", "json")
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout) == [{"section": "duties", "inserted": 2, "updated": 0,
                                         "unchanged": 0}]
    count = len(duty_rows(seeded))
    second = cli("load", doc, "-f", "json")
    assert json.loads(second.stdout) == [{"section": "duties", "inserted": 0, "updated": 0,
                                          "unchanged": 2}]
    assert "nothing changed" in second.stderr
    assert len(duty_rows(seeded)) == count
    # The bundled seed's duties too.
    again = cli("load", "-f", "json")
    by_section = {r["section"]: r for r in json.loads(again.stdout)}
    assert by_section["duties"] == {"section": "duties", "inserted": 0, "updated": 0,
                                    "unchanged": SEED_DUTIES}


def test_loaded_duties_are_listed_like_logged_ones(cli, seeded, tmp_path):
    doc = tmp_path / "duties.yaml"
    doc.write_text(DUTIES_YAML)
    assert cli("load", doc).exit_code == 0
    rows = {(r["officer"], r["school"]): r for r in list_json(cli, "--school", "redmond-hs")}
    assert rows[("0417", "redmond-hs")]["out_of_pattern"] is True
    assert rows[("2291", "redmond-hs")]["out_of_pattern"] is False
    # Logging a duty that a load brought in is the same duty.
    again = cli(*log_args(school="redmond-hs", at="2024-01-08T12:00:00"))
    assert again.exit_code == 1 and "is already logged" in again.stderr


def test_load_applies_the_same_request_rule(cli, seeded, tmp_path):
    doc = tmp_path / "bad.yaml"
    doc.write_text("duties:\n  - {officer: '0417', school: juanita-hs, category: "
                   "threat-assessment, at: 2024-01-08T12:00}\n")
    result = cli("load", doc)
    assert result.exit_code == 1
    assert "category 'threat-assessment' is done only on request" in result.stderr


@pytest.mark.slow
def test_log_and_list_through_the_installed_script(seeded):
    from conftest import run_installed

    logged = run_installed(*log_args(school="redmond-hs", notes=SECRET))
    assert logged.returncode == 0, logged.stderr
    assert logged.stderr.startswith(f"logged duty {SEED_DUTIES + 1}: officer 0417 at redmond-hs")
    listed = run_installed("duty", "list", "-f", "csv", "--school", "redmond-hs")
    assert listed.returncode == 0
    # requested_by, reference and flags (SPEC §5.2) empty, then out_of_pattern
    assert "0417,redmond-hs,emergency-response,30,,,,true" in listed.stdout
    assert SECRET not in listed.stdout
