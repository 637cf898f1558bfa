"""Browsing the district: `schools`, `agencies`, `patterns`, `categories`, `officers list`.

Expected values come from data/seed.yaml itself (read with the project's strict reader), so the
tests say "every school of the seed" rather than repeating the seed's contents.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from crotool.intake.readers import decode_text
from crotool.intake.yaml_reader import parse_yaml
from crotool.store import db

SEED_FILE = Path(__file__).resolve().parent.parent / "data" / "seed.yaml"
HOSTILE = Path(__file__).resolve().parent / "data" / "seed" / "hostile.yaml"
[SEED] = parse_yaml(decode_text(SEED_FILE.read_bytes(), "seed"), "seed")
SCHOOLS = SEED["schools"]


def of_pattern(school, pattern: str) -> bool:
    return school["feeder_pattern"] == pattern or pattern in (school.get("also_feeds") or [])



def listed(cli, *args: str) -> list[dict]:
    result = cli(*args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


# ---------------------------------------------------------------- schools


def test_schools_list_shows_every_school(cli, seeded):
    rows = listed(cli, "schools", "list")
    assert len(rows) == len(SCHOOLS) == 55
    assert {r["id"] for r in rows} == {s["id"] for s in SCHOOLS}
    for row in rows:
        assert {"id", "name", "level", "feeder_pattern", "agency", "city"} <= row.keys()
    by_id = {r["id"]: r for r in rows}
    for school in SCHOOLS:
        row = by_id[school["id"]]
        assert (row["name"], row["level"], row["feeder_pattern"], row["agency"], row["city"]) == (
            school["name"], school["level"], school["feeder_pattern"], school["agency"],
            school.get("city"))
        assert row["also_feeds"] == list(school.get("also_feeds") or [])


@pytest.mark.parametrize("pattern", sorted({s["feeder_pattern"] for s in SCHOOLS}))
def test_schools_of_a_pattern_include_its_split_feeders(cli, seeded, pattern):
    rows = listed(cli, "schools", "list", "--pattern", pattern)
    assert {r["id"] for r in rows} == {s["id"] for s in SCHOOLS if of_pattern(s, pattern)}
    if pattern in ("eastlake", "redmond"):
        assert {"evergreen-ms", "timberline-ms"} <= {r["id"] for r in rows}
    # Grouped by (primary) pattern, the high school first.
    own = [r for r in rows if r["feeder_pattern"] == pattern]
    assert own[0]["level"] == "high"
    assert own[0]["id"] == next(p["high_school"] for p in SEED["feeder_patterns"]
                                if p["id"] == pattern)


def test_schools_by_agency_and_level(cli, seeded):
    rows = listed(cli, "schools", "list", "--agency", "kcso")
    assert {r["id"] for r in rows} == {s["id"] for s in SCHOOLS if s["agency"] == "kcso"}
    middle = listed(cli, "schools", "list", "-l", "middle")
    assert len(middle) == 8 and {r["level"] for r in middle} == {"middle"}
    both = listed(cli, "schools", "list", "-a", "kcso", "--level", "middle", "-p", "redmond")
    assert {r["id"] for r in both} == {
        s["id"] for s in SCHOOLS
        if s["agency"] == "kcso" and s["level"] == "middle" and of_pattern(s, "redmond")}
    assert "timberline-ms" in {r["id"] for r in both}


@pytest.mark.parametrize(("args", "message"), [
    (("--pattern", "redmnd"), "crotool: --pattern: unknown feeder pattern 'redmnd' (did you "
                              "mean 'redmond'?)\n"),
    (("--agency", "kcs0"), "crotool: --agency: unknown agency 'kcs0' (did you mean 'kcso'?)\n"),
])
def test_unknown_filter_value_suggests_the_right_one(cli, seeded, args, message):
    result = cli("schools", "list", *args)
    assert result.exit_code == 1
    assert result.stderr == message
    assert result.stdout == ""


def test_unknown_pattern_without_a_close_match_lists_the_known(cli, seeded):
    result = cli("schools", "list", "--pattern", "zzz")
    assert result.exit_code == 1
    assert result.stderr == ("crotool: --pattern: unknown feeder pattern 'zzz' (known: eastlake, "
                             "juanita, lake-washington, redmond)\n")


def test_bad_level_is_checked_like_a_load(cli, seeded):
    """A choice option is text the domain checks against schema.py, as `load` checks the
    field: exit 1, what is allowed, and a did-you-mean."""
    result = cli("schools", "list", "--level", "college")
    assert result.exit_code == 1
    assert result.stderr == ("crotool: --level: 'college' is not allowed; use one of "
                             "elementary, middle, high, choice\n")
    result = cli("schools", "list", "--level", "midle")
    assert result.exit_code == 1
    assert "(did you mean 'middle'?)" in result.stderr


def test_schools_as_csv_and_table(cli, seeded):
    result = cli("schools", "list", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert len(rows) == 55
    assert {r["id"]: r["also_feeds"] for r in rows}["evergreen-ms"] == "redmond"
    table = cli("schools", "list").stdout
    assert "\x1b" not in table  # not a terminal: no colour
    for pattern in ("eastlake", "juanita", "lake-washington", "redmond"):
        assert f"Schools: {pattern}" in table
    assert "Timberline Middle School" in table


def test_schools_on_an_empty_database(cli, isolated_db):
    assert listed(cli, "schools", "list") == []
    assert cli("schools", "list").stdout.strip() == "no records"
    result = cli("schools", "list", "--pattern", "redmond")
    assert result.exit_code == 1
    assert "run `crotool load` first" in result.stderr


# ---------------------------------------------------------------- hostile text


def test_hostile_text_is_shown_as_written(cli, seeded):
    assert cli("load", HOSTILE).exit_code == 0
    # An escape sequence cannot come in through the readers; put one in as another tool could.
    conn = db.connect(seeded)
    conn.execute("UPDATE schools SET address = ? WHERE id = 'juanita-hs'",
                 ("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\ \x1b[31mred",))
    conn.close()
    table = cli("schools", "list", "-p", "juanita").stdout
    assert "[link=http://x]click[/link] [/] [bold red]boom" in table
    assert "\x1b" not in table
    markdown = cli("schools", "list", "-p", "juanita", "-f", "markdown").stdout
    assert "\x1b" not in markdown
    assert "-5 \\| pipe" in markdown
    rows = list(csv.DictReader(io.StringIO(
        cli("schools", "list", "-p", "juanita", "-f", "csv").stdout, newline="")))
    hostile = next(r for r in rows if r["id"] == "hostile-es")
    assert hostile["city"] == "'=1+2"
    assert hostile["name"] == "[link=http://x]click[/link] [/] [bold red]boom"
    assert all("\x1b" not in v for r in rows for v in r.values())
    data = listed(cli, "schools", "list", "-p", "juanita")
    assert next(r for r in data if r["id"] == "hostile-es")["address"] == "-5 | pipe"


# ---------------------------------------------------------------- the other lists


def test_agencies_list(cli, seeded):
    rows = listed(cli, "agencies", "list")
    assert [r["id"] for r in rows] == sorted(a["id"] for a in SEED["agencies"])
    assert sum(r["schools"] for r in rows) == 55
    kcso = next(r for r in rows if r["id"] == "kcso")
    assert kcso["kind"] == "county"
    assert kcso["jurisdiction"] == next(a for a in SEED["agencies"]
                                        if a["id"] == "kcso")["jurisdiction"]
    assert kcso["schools"] == sum(1 for s in SCHOOLS if s["agency"] == "kcso")
    assert sum(r["officers"] for r in rows) == len(SEED["officers"])


def test_patterns_list(cli, seeded):
    rows = listed(cli, "patterns", "list")
    assert [r["id"] for r in rows] == ["eastlake", "juanita", "lake-washington", "redmond"]
    for row in rows:
        mine = [s for s in SCHOOLS if of_pattern(s, row["id"])]
        assert row["schools"] == len(mine)
        assert row["agencies"] == sorted({s["agency"] for s in mine})
        assert row["high_school"] == f"{row['id']}-hs"


def test_categories_list(cli, seeded):
    rows = listed(cli, "categories", "list")
    expected = {c["id"]: c["requires_request"] == "true" for c in SEED["duty_categories"]}
    assert len(rows) == 13
    assert {r["id"]: r["requires_request"] for r in rows} == expected


def test_officers_list_and_filters(cli, seeded):
    rows = listed(cli, "officers", "list")
    assert {r["badge"] for r in rows} == {o["badge"] for o in SEED["officers"]}
    assert "0417" in {r["badge"] for r in rows}  # a badge is text: its leading zero stays
    inactive = listed(cli, "officers", "list", "--status", "inactive")
    assert [r["badge"] for r in inactive] == [
        o["badge"] for o in SEED["officers"] if o["status"] == "inactive"]
    redmond = listed(cli, "officers", "list", "-a", "redmond-pd")
    assert {r["agency"] for r in redmond} == {"redmond-pd"}
    assert len(redmond) == sum(1 for o in SEED["officers"] if o["agency"] == "redmond-pd")
    result = cli("officers", "list", "--agency", "redmond")
    assert result.exit_code == 1
    assert "did you mean 'redmond-pd'?" in result.stderr


@pytest.mark.parametrize("command", ["schools", "agencies", "patterns", "categories", "officers"])
def test_list_help_has_examples(cli, command):
    result = cli(command, "list", "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert "--format" in result.stdout and "--output" in result.stdout
