"""A corpus of bad seed documents (tests/data/bad/), each with the exact error it must produce.

Every case is loaded over the bundled seed: it must exit 1, name the file and line and say what
is wrong (and, where it can, what to write instead), leave the database byte-for-byte as it was
(compared as an SQL dump), and answer in under a second. The time bound is a correctness bound,
not a benchmark: an alias bomb or a deep nesting that the reader expanded would take minutes.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from conftest import dump

BAD = Path(__file__).resolve().parent / "data" / "bad"

# file -> a substring stderr must hold (with file:line), per kind of bad input the README's
# load section lists.
EXPECTED: dict[str, str] = {
    # shape
    "malformed_yaml.yaml": "malformed_yaml.yaml:5: malformed YAML: while scanning a quoted "
    "scalar (from line 4), found unexpected end of stream",
    "list_not_mapping.yaml": "list_not_mapping.yaml:1: a seed document must be a mapping of "
    "sections (district, school_years,",
    "section_not_list.yaml": "section_not_list.yaml:2: officers must be a list of records "
    "(- field: value)",
    "entry_not_mapping.yaml": "entry_not_mapping.yaml:2: officers: each entry must be a mapping "
    "of field: value",
    "list_for_scalar.yaml": "list_for_scalar.yaml:3: officers[7001].name: a list is not allowed "
    "here; give one value",
    "mapping_for_value.yaml": "mapping_for_value.yaml:4: officers.agency: a mapping is not "
    "allowed here",
    "unknown_section.yaml": "unknown_section.yaml:1: unknown section 'offcers'; allowed: "
    "district, school_years,",
    "unknown_field.yaml": "unknown_field.yaml:5: officers[7001]: unknown field 'rnak'; allowed: "
    "badge, name, agency, status, school_trained_on, rank, phone, email, first_on_campus, kind; "
    "did you mean 'rank'?",
    "missing_required.yaml": "missing_required.yaml:2: officers[7001]: missing required field "
    "'name'",
    # unknown references, one per kind of thing referred to
    "unknown_agency.yaml": "unknown_agency.yaml:4: officers[7001].agency: unknown agency "
    "'kirkland-p'; did you mean 'kirkland-pd'?",
    "unknown_pattern.yaml": "unknown_pattern.yaml:3: assignments[0417/juanitta/2023-24/"
    "2023-09-05].feeder_pattern: unknown feeder pattern 'juanitta'; did you mean 'juanita'?",
    "unknown_also_feeds.yaml": "unknown_also_feeds.yaml:6: schools[new-choice].also_feeds: "
    "unknown feeder pattern 'lakewashington'; did you mean 'lake-washington'?",
    "unknown_school.yaml": "unknown_school.yaml:3: duties[0417/juanita-high/traffic-safety/"
    "2023-10-02T08:00:00].school: unknown school 'juanita-high'; did you mean 'juanita-hs'?",
    "unknown_high_school.yaml": "unknown_high_school.yaml:4: feeder_patterns[new-pattern]."
    "high_school: unknown school 'nowhere-hs'; known: ",
    "unknown_officer.yaml": "unknown_officer.yaml:2: leaves[9999/2023-12-01].officer: unknown "
    "officer '9999'; known: 0417, 0923, 1182,",
    "unknown_year.yaml": "unknown_year.yaml:4: assignments[0417/juanita/2024-25].school_year: "
    "unknown school year '2024-25'; did you mean '2023-24'?",
    "unknown_category.yaml": "unknown_category.yaml:4: duties[0417/juanita-hs/trafic-safety/"
    "2023-10-02T08:00:00].category: unknown duty category 'trafic-safety'; did you mean "
    "'traffic-safety'?",
    "unknown_connector.yaml": "unknown_connector.yaml:4: engagements[2024-05-01/Spring "
    "listening session].connectors: unknown connector 'no-such-connector'; known: ",
    # values
    "impossible_date.yaml": "impossible_date.yaml:3: leaves[0417/2024-02-30].start: "
    "'2024-02-30' is not a real date (no such day)",
    "bad_datetime.yaml": "bad_datetime.yaml:5: duties[0417/juanita-hs/traffic-safety/yesterday "
    "morning].at: 'yesterday morning' is not a date-time; write YYYY-MM-DDTHH:MM[:SS]",
    "bad_year_id.yaml": "bad_year_id.yaml:2: school_years[2024-2025].id: '2024-2025' is not a "
    "school year; write it like 2023-24",
    "negative_minutes.yaml": "negative_minutes.yaml:6: duties[0417/juanita-hs/traffic-safety/"
    "2023-10-02T08:00:00].minutes: -30 is out of range; allowed 1 to 1440",
    "non_slug_id.yaml": "non_slug_id.yaml:2: connectors[Youth Council].id: 'Youth Council' is "
    "not a valid id; use lowercase letters, digits and single hyphens (e.g. 'youth-council')",
    "wrong_type_bool.yaml": "wrong_type_bool.yaml:4: duty_categories[new-category]."
    "requires_request: 'sometimes' is not a boolean; write true or false",
    "invalid_level.yaml": "invalid_level.yaml:4: schools[new-school].level: 'junior-high' is "
    "not allowed; use one of elementary, middle, high, choice",
    "invalid_status.yaml": "invalid_status.yaml:5: officers[7001].status: 'retired' is not "
    "allowed; use one of active, inactive",
    "invalid_role.yaml": "invalid_role.yaml:5: assignments[1260/juanita/2023-24].role: 'backup' "
    "is not allowed; use one of cro, additional",
    "invalid_phase.yaml": "invalid_phase.yaml:4: engagements[2024-05-01/Spring listening "
    "session].phase: 'preparedness' is not allowed; use one of prevention, mitigation, "
    "response, recovery",
    # rules across fields and records
    "leave_backwards.yaml": "leave_backwards.yaml:4: leaves[0417/2024-03-04].end: 2024-03-01 is "
    "before its start 2024-03-04",
    "assignment_outside_year.yaml": "assignment_outside_year.yaml:7: assignments[1260/juanita/"
    "2023-24/2023-09-05].end: 2024-08-31 is outside school year 2023-24 (2023-09-05 to "
    "2024-06-21)",
    "requires_request.yaml": "requires_request.yaml:4: duties[1182/kirkland-ms/threat-assessment"
    "/2023-12-04T09:00:00]: category 'threat-assessment' is done only on request: give "
    "requested_by",
    "duplicate_key.yaml": "duplicate_key.yaml:5: duplicate key 'name' (first at line 3); each "
    "key may appear once in a mapping",
    "duplicate_record.yaml": "duplicate_record.yaml:5: officers[7001]: duplicate record (first "
    "at duplicate_record.yaml:2)",
    # hostile files
    "alias_bomb.yaml": "alias_bomb.yaml:1: YAML anchors (&name) are not allowed; write the "
    "value out",
    "deep_nesting.yaml": "deep_nesting.yaml:3: nested deeper than 6 levels",
    "python_tag.yaml": "python_tag.yaml:3: YAML tags (tag:yaml.org,2002:python/object/apply:"
    "os.system) are not allowed; remove the tag",
    "non_utf8.yaml": "non_utf8.yaml:3: not UTF-8 text (byte 0xe9 at offset 41); save the file "
    "as UTF-8",
    "binary_garbage.yaml": "binary_garbage.yaml:1: not UTF-8 text (byte 0xf8 at offset 9); save "
    "the file as UTF-8",
    "nul_byte.yaml": "nul_byte.yaml:3: control character U+0000 is not allowed",
    "escaped_control.yaml": "escaped_control.yaml:3: control character U+001B (written as an "
    "escape) is not allowed",
    # issue 18: C1 controls, dates outside the plausible range, free-text keys in one form
    "c1_control.yaml": "c1_control.yaml:3: control character U+009B (written as an escape) is "
    "not allowed",
    "date_before_range.yaml": "date_before_range.yaml:3: leaves[0417/0001-01-01].start: "
    "'0001-01-01' is outside the dates crotool accepts (1900-01-01 to 2199-12-31)",
    "datetime_after_range.yaml": "datetime_after_range.yaml:5: duties[0417/juanita-hs/"
    "traffic-safety/9999-12-31T08:00:00].at: '9999-12-31' is outside the dates crotool accepts "
    "(1900-01-01 to 2199-12-31)",
    "school_year_out_of_range.yaml": "school_year_out_of_range.yaml:2: school_years[1850-51].id: "
    "'1850-51' is outside the years crotool accepts (1900 to 2199)",
    "title_variants.yaml": "title_variants.yaml:3: engagements[2024-05-01/café NIGHT]: duplicate "
    "record (first at title_variants.yaml:2)",
}

# Bad import files (tests/data/bad-import/TABLE-what.EXT): each refused with its message, the
# database unchanged, no private value (a note) quoted.
BAD_IMPORT = BAD.parent / "bad-import"
EXPECTED_IMPORT: dict[str, str] = {
    "duties-nan.json": "duties-nan.json:7: minutes: NaN is not allowed (JSON has no NaN or "
    "Infinity); write a number, or null for no value",
    "duties-infinity.json": "duties-infinity.json:7: minutes: -Infinity is not allowed (JSON has "
    "no NaN or Infinity)",
    # A duty's bad value is described, not quoted: in a section with notes it might be one.
    "duties-huge-number.json": "duties-huge-number.json:3: duties[0417/juanita-hs/traffic-safety/"
    "2024-01-09T07:45:00].minutes: a value of 5000 characters (not shown: it may be private "
    "text) is not a valid whole number",
    "duties-c1.json": "duties-c1.json:7: reference: control character U+009B is not allowed",
    "duties-c1.csv": "duties-c1.csv:2: duties[0417/juanita-hs/traffic-safety/2024-01-09T07:45:00]"
    ".notes: control character U+009B is not allowed",
    "duties-year-0001.csv": "duties-year-0001.csv:2: duties[0417/juanita-hs/traffic-safety/"
    "0001-01-01T08:00:00].at: '0001-01-01' is outside the dates crotool accepts (1900-01-01 to "
    "2199-12-31)",
    "engagements-variants.json": "engagements-variants.json:32: engagements[2024-05-01/Café "
    "night]: duplicate record (first at engagements-variants.json:2)",
}


def test_every_import_corpus_file_has_an_expected_message() -> None:
    on_disk = {p.name for p in BAD_IMPORT.iterdir() if p.is_file()}
    assert on_disk == set(EXPECTED_IMPORT), (on_disk ^ set(EXPECTED_IMPORT))


@pytest.mark.parametrize("name", sorted(EXPECTED_IMPORT))
def test_bad_import_file_is_refused_with_its_message_and_changes_nothing(
        cli, seeded_copy: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.chdir(BAD_IMPORT)
    before = dump(seeded_copy)
    started = time.perf_counter()
    result = cli("import", name.split("-")[0], name)
    assert time.perf_counter() - started < 2.0
    assert result.exit_code == 1, result.stdout + result.stderr
    assert EXPECTED_IMPORT[name] in result.stderr, result.stderr
    assert "nothing was written" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert "disclosed" not in result.stderr  # a note is never quoted
    assert dump(seeded_copy) == before





def test_every_corpus_file_has_an_expected_message() -> None:
    on_disk = {p.name for p in BAD.iterdir() if p.is_file()}
    assert on_disk == set(EXPECTED), (on_disk ^ set(EXPECTED))


@pytest.fixture
def in_corpus(seeded_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A seeded database, run from the corpus folder so that messages name files as a user
    would type them."""
    monkeypatch.chdir(BAD)
    return seeded_copy


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_is_refused_with_its_message_and_changes_nothing(cli, in_corpus: Path,
                                                                   name: str) -> None:
    before = dump(in_corpus)
    started = time.perf_counter()
    result = cli("load", name)
    elapsed = time.perf_counter() - started
    assert result.exit_code == 1, result.stdout + result.stderr
    assert EXPECTED[name] in result.stderr, result.stderr
    assert "nothing was written" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert elapsed < 1.0, f"{name} took {elapsed:.2f} s"
    assert dump(in_corpus) == before


def test_dry_run_of_a_bad_file_fails_the_same_way(cli, in_corpus: Path) -> None:
    result = cli("load", "--dry-run", "unknown_agency.yaml")
    assert result.exit_code == 1
    assert EXPECTED["unknown_agency.yaml"] in result.stderr


def test_a_bad_file_among_good_ones_writes_none_of_them(cli, in_corpus: Path,
                                                        tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text('officers:\n  - {badge: "7100", name: Good Officer, agency: kcso}\n')
    before = dump(in_corpus)
    result = cli("load", str(good), "invalid_status.yaml")
    assert result.exit_code == 1
    assert EXPECTED["invalid_status.yaml"] in result.stderr
    assert dump(in_corpus) == before


def test_every_problem_of_a_file_is_listed(cli, seeded: Path, tmp_path: Path) -> None:
    many = tmp_path / "many.yaml"
    many.write_text(
        "officers:\n"
        '  - {badge: "7001", name: A, agency: nowhere-pd}\n'
        '  - {badge: "7002", name: B, agency: kcso, status: retired}\n'
        '  - {badge: "7003", name: C, agency: kcso, school_trained_on: 2024-13-01}\n'
    )
    before = dump(seeded)
    result = cli("load", str(many))
    assert result.exit_code == 1
    assert "many.yaml:2: officers[7001].agency: unknown agency 'nowhere-pd'" in result.stderr
    assert "many.yaml:3: officers[7002].status: 'retired' is not allowed" in result.stderr
    assert "many.yaml:4: officers[7003].school_trained_on: '2024-13-01'" in result.stderr
    assert "3 problems found; nothing was written" in result.stderr
    assert dump(seeded) == before


def test_a_huge_file_is_refused_before_it_is_read(cli, seeded: Path, tmp_path: Path) -> None:
    from crotool.intake import readers

    huge = tmp_path / "huge.yaml"
    with open(huge, "wb") as fh:  # sparse: no disk or time spent on the 64 MiB
        fh.truncate(readers.MAX_YAML_BYTES + 1)
    before = dump(seeded)
    started = time.perf_counter()
    result = cli("load", str(huge))
    assert time.perf_counter() - started < 1.0
    assert result.exit_code == 1
    assert f"huge.yaml:1: file is {readers.MAX_YAML_BYTES + 1:,} bytes; the limit is" in (
        result.stderr)
    assert dump(seeded) == before


def test_the_alias_bomb_would_really_explode() -> None:
    """The corpus's alias bomb is a real one: PyYAML's own loader expands it to 9**9 leaves
    (counted here without building them), which is why anchors are refused outright."""
    import yaml

    node = yaml.compose((BAD / "alias_bomb.yaml").read_text(), Loader=yaml.SafeLoader)

    def leaves(n, memo: dict) -> int:
        if id(n) in memo:
            return memo[id(n)]
        if isinstance(n, yaml.ScalarNode):
            count = 1
        elif isinstance(n, yaml.SequenceNode):
            count = sum(leaves(c, memo) for c in n.value)
        else:
            count = sum(leaves(v, memo) for _, v in n.value)
        memo[id(n)] = count
        return count

    assert leaves(node, {}) > 9**9
    assert os.path.getsize(BAD / "alias_bomb.yaml") < 1000


# ---------------------------------------------------------------- hostile text
# Text that is valid data but dangerous to show: Rich markup, terminal escape sequences and
# spreadsheet formulas. Stored as given, it must come out as plain text in every format.

HOSTILE_SEED = """
officers:
  - {badge: "6001", name: "[link=https://evil.example]Click me[/link]", agency: kcso}
  - {badge: "6002", name: "[/] [bold red]unbalanced", agency: kcso}
  - {badge: "6003", name: '=HYPERLINK("https://evil.example","pay")', agency: kcso}
  - {badge: "6004", name: "+1+2", agency: kcso, rank: "@SUM(A1:A9)", phone: "-2+3"}
schools:
  - {id: hostile-es, name: "[red]Fake[/red] =1+1", level: elementary, feeder_pattern: redmond,
     agency: redmond-pd, address: "[link=file:///etc/passwd]home[/link]"}
duties:
  - {officer: "6001", school: hostile-es, category: traffic-safety, at: 2024-01-09T08:00:00,
     reference: "=cmd|' /C calc'!A0", notes: "[link=https://evil.example]see[/link] @x"}
"""
# What another tool (or an older version) may have left in the file: escapes the readers
# would refuse, planted behind crotool's back.
PLANTED = "Esc\x1b[2J\x1b]8;;https://evil.example\x07Link\x1b]8;;\x07\x9b31mC1"
CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@pytest.fixture
def hostile(cli, seeded_copy: Path, tmp_path: Path) -> Path:
    doc = tmp_path / "hostile.yaml"
    doc.write_text(HOSTILE_SEED)
    result = cli("load", str(doc))
    assert result.exit_code == 0, result.stderr
    import sqlite3

    raw = sqlite3.connect(str(seeded_copy), isolation_level=None)
    raw.execute("UPDATE officers SET name = ? WHERE badge = '0923'", (PLANTED,))
    raw.execute("UPDATE schools SET city = ? WHERE id = 'hostile-es'", (PLANTED,))
    raw.close()
    return seeded_copy


COMMANDS = [["officers", "list"], ["schools", "list", "--pattern", "redmond"],
            ["duty", "list", "--include-notes"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("fmt", ["table", "markdown", "html", "svg", "csv", "json"])
def test_hostile_text_is_shown_as_plain_text(cli, hostile: Path, command: list[str],
                                             fmt: str) -> None:
    result = cli(*command, "-f", fmt)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    if fmt == "markdown":  # escaped so that no link forms; unescaped, the same text
        assert "](https://evil" not in out and "[link=https://" not in out
        out = re.sub(r"\\(.)", r"\1", out)
    assert not CONTROLS.search(out.replace("\r\n", "\n")), repr(CONTROLS.search(out))
    assert "evil.example" in out or command[0] == "schools"  # the text is kept, as text
    assert 'href="https://evil.example' not in out and "href='https://evil.example" not in out
    assert "file:///etc/passwd" in out or command[0] != "schools"
    if fmt in ("table", "markdown"):
        expected = {"officers": ["[link=https://evil.example]Click me[/link]",
                                 "[/] [bold red]unbalanced",
                                 # control characters gone, the rest is inert text
                                 "Esc[2J]8;;https://evil.exampleLink]8;;31mC1"],
                    "schools": ["[red]Fake[/red] =1+1", "[link=file:///etc/passwd]home[/link]"],
                    "duty": ["[link=https://evil.example]see[/link] @x"]}[command[0]]
        for text in expected:
            assert text in out, (text, out)


def test_hostile_text_in_csv_is_formula_safe(cli, hostile: Path) -> None:
    import csv as csvmod
    import io

    out = cli("officers", "list", "-f", "csv").stdout
    cells = [c for row in csvmod.reader(io.StringIO(out)) for c in row]
    assert "'=HYPERLINK(\"https://evil.example\",\"pay\")" in cells
    assert "'+1+2" in cells and "'@SUM(A1:A9)" in cells and "'-2+3" in cells
    duties = cli("duty", "list", "--include-notes", "-f", "csv").stdout
    cells = [c for row in csvmod.reader(io.StringIO(duties)) for c in row]
    assert "'=cmd|' /C calc'!A0" in cells
    for cell in cells:
        assert not cell.startswith(("=", "+", "@", "\t", "\r", "\n")), cell


def test_hostile_text_in_json_is_exact_data(cli, hostile: Path) -> None:
    import json

    rows = {r["badge"]: r for r in json.loads(cli("officers", "list", "-f", "json").stdout)}
    assert rows["6001"]["name"] == "[link=https://evil.example]Click me[/link]"
    assert rows["6003"]["name"] == '=HYPERLINK("https://evil.example","pay")'
    assert rows["0923"]["name"] == PLANTED  # escaped in the JSON text, exact once parsed


@pytest.mark.slow
def test_hostile_text_through_the_installed_script(hostile: Path) -> None:
    from conftest import run_installed

    result = run_installed("officers", "list")
    assert result.returncode == 0, result.stderr
    assert "[link=https://evil.example]Click me[/link]" in result.stdout
    assert not CONTROLS.search(result.stdout)


def test_hostile_text_in_an_error_message_is_plain(cli, seeded_copy: Path) -> None:
    result = cli("officers", "list", "--agency", "[link=https://evil.example]x[/link]\x1b[2J")
    assert result.exit_code == 1
    assert "[link=https://evil.example]x[/link]" in result.stderr
    assert "\x1b" not in result.stderr


def test_control_characters_in_a_command_line_value_are_refused(cli, seeded_copy: Path) -> None:
    result = cli("duty", "log", "--officer", "0417", "--school", "juanita-hs", "--category",
                 "traffic-safety", "--notes", "secret \x1b[8m hidden")
    assert result.exit_code == 1
    assert "--notes: control character U+001B is not allowed" in result.stderr
    assert "secret" not in result.stderr  # a note is never echoed, even when refused


@pytest.mark.slow
@pytest.mark.parametrize("args, message", [
    (["duty", "log", "--officer", "0417", "--school", "juanita-hs", "--category",
      "traffic-safety", "--notes", "caf\udce9 notes"], "--notes: not UTF-8 text"),
    (["officers", "list", "--agency", "caf\udce9"], "a value given on the command line is not "
     "UTF-8 text"),
])
def test_arguments_that_are_not_utf8_are_a_clear_error(seeded_copy: Path, args: list[str],
                                                       message: str) -> None:
    """A Latin-1 terminal sends byte 0xe9 for 'é': Python hands it over as a lone surrogate,
    which SQLite cannot store; the user gets one line, not an internal error."""
    from conftest import run_installed

    result = run_installed(*args)  # the str arguments are encoded back to the raw bytes
    assert result.returncode == 1, result.stderr
    assert message in result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
