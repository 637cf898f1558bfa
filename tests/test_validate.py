"""Field conversion by declared type, and every check the loader runs, with its message.

Part one calls `convert` for each kind of field. Part two feeds small seed documents to
`seed.load_files` against a real database holding the bundled seed (so references can point at
stored records) and compares the exact problems: what, where (file:line), what is allowed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crotool.errors import Problem, ValidationFailed
from crotool.intake.seed import bundled_seed, load_files
from crotool.store import db
from crotool.store.fields import BadValue, Record, convert, convert_record, parse_datetime
from crotool.store.schema import SECTIONS, Field


def bad(f: Field, raw) -> str:
    with pytest.raises(BadValue) as exc:
        convert(f, raw)
    return str(exc.value)


# ---------------------------------------------------------------- convert, kind by kind


def test_text_is_kept_as_written_but_trimmed():
    f = Field("name")
    assert convert(f, "  NO  ") == "NO"
    assert convert(f, "0123") == "0123"
    assert convert(f, "   ") is None
    assert convert(f, None) is None
    assert convert(f, "a\nb") == "a\nb"


def test_private_text_keeps_its_whitespace():
    assert convert(Field("notes"), "  indented\n", private=True) == "  indented\n"


def test_text_length_limit():
    assert bad(Field("name", max_length=5), "abcdef") == "longer than 5 characters"
    assert convert(Field("name", max_length=5), "abcde") == "abcde"


def test_slug():
    f = Field("id", "slug")
    assert convert(f, "lake-washington") == "lake-washington"
    assert convert(f, " bell-es ") == "bell-es"
    assert bad(f, "Bell ES") == ("'Bell ES' is not a valid id; use lowercase letters, digits and "
                                 "single hyphens (e.g. 'bell-es')")
    assert bad(f, "a--b").startswith("'a--b' is not a valid id")
    assert bad(f, "!!!") == ("'!!!' is not a valid id; use lowercase letters, digits and single "
                             "hyphens")


def test_code():
    f = Field("badge", "code", max_length=8)
    assert convert(f, "0123") == "0123"
    assert convert(f, "K9.unit_2-a"[:8]) == "K9.unit_"
    assert bad(f, "12 34") == "'12 34' is not a valid code; use letters, digits, '.', '_' or '-'"
    assert bad(f, "-12").startswith("'-12' is not a valid code")
    assert bad(f, "123456789").startswith("'123456789' is not a valid code")


def test_year():
    f = Field("id", "year")
    assert convert(f, "2023-24") == "2023-24"
    assert convert(f, "1999-00") == "1999-00"
    for wrong in ("2023-25", "2023", "2023-2024", "23-24"):
        assert bad(f, wrong) == f"'{wrong}' is not a school year; write it like 2023-24"


def test_int_with_range():
    f = Field("minutes", "int", minimum=1, maximum=1440)
    assert convert(f, "45") == 45
    assert convert(f, "+1440") == 1440
    assert bad(f, "0") == "0 is out of range; allowed 1 to 1440"
    assert bad(f, "1441") == "1441 is out of range; allowed 1 to 1440"
    assert bad(f, "1.5") == "'1.5' is not a whole number"
    assert bad(f, "ten") == "'ten' is not a whole number"
    assert bad(f, "1e3") == "'1e3' is not a whole number"


@pytest.mark.parametrize("raw", ["true", "True", "yes", "YES", "y", "on", "1"])
def test_bool_true(raw):
    assert convert(Field("requires_request", "bool"), raw) is True


@pytest.mark.parametrize("raw", ["false", "False", "no", "NO", "n", "off", "0"])
def test_bool_false(raw):
    assert convert(Field("requires_request", "bool"), raw) is False


def test_bool_refuses_anything_else():
    assert bad(Field("r", "bool"), "maybe") == ("'maybe' is not a boolean; write true or false "
                                                "(yes/no also read)")


def test_date():
    f = Field("start", "date")
    assert convert(f, "2023-09-05") == "2023-09-05"
    assert convert(f, "2024-02-29") == "2024-02-29"
    assert bad(f, "2023-9-5") == "'2023-9-5' is not a date; write YYYY-MM-DD, e.g. 2023-09-05"
    assert bad(f, "09/05/2023").startswith("'09/05/2023' is not a date; write YYYY-MM-DD")
    assert bad(f, "2023-09-05T10:00").startswith("'2023-09-05T10:00' is not a date")
    assert bad(f, "2023-02-30") == "'2023-02-30' is not a real date (no such day)"
    assert bad(f, "2023-02-29") == "'2023-02-29' is not a real date (no such day)"
    assert bad(f, "2023-13-01") == "'2023-13-01' is not a real date (no such day)"


def test_datetime():
    f = Field("at", "datetime")
    assert convert(f, "2023-10-03T09:30") == "2023-10-03T09:30:00"
    assert convert(f, "2023-10-03 09:30:15") == "2023-10-03T09:30:15"
    assert convert(f, "2023-10-03T09:30:15.999") == "2023-10-03T09:30:15"
    assert convert(f, "2023-10-03") == "2023-10-03T00:00:00"
    assert bad(f, "yesterday") == ("'yesterday' is not a date-time; write YYYY-MM-DDTHH:MM[:SS], "
                                   "e.g. 2023-10-03T09:30")
    assert bad(f, "2023-10-03T25:00").startswith("'2023-10-03T25:00' is not a date-time")
    # An impossible day is named as such, as the user wrote it.
    assert bad(f, "2023-02-30") == "'2023-02-30' is not a real date (no such day)"
    assert bad(f, "2023-02-30T10:00") == "'2023-02-30' is not a real date (no such day)"


@pytest.mark.parametrize("text", ["2023-10-03T16:30:00+00:00", "2023-10-03T09:30:00-07:00",
                                  "2023-10-03T16:30Z"])
def test_datetime_with_an_offset_is_refused_not_converted_by_the_machine_zone(text):
    """Converting by the machine's zone would give the same file different keys on two
    machines (a duplicate duty on every re-import); the message says what to write."""
    message = bad(Field("at", "datetime"), text)
    assert message.startswith(f"'{text}' has a UTC offset; write the local time at the school")


def test_local_datetime_is_kept_as_written():
    assert parse_datetime("2023-10-03T09:30") == dt.datetime(2023, 10, 3, 9, 30)


def test_enum_with_did_you_mean():
    f = Field("level", "enum", choices=("elementary", "middle", "high", "choice"))
    assert convert(f, "middle") == "middle"
    assert bad(f, "hgh") == ("'hgh' is not allowed; use one of elementary, middle, high, choice "
                             "(did you mean 'high'?)")
    assert bad(f, "zzz") == "'zzz' is not allowed; use one of elementary, middle, high, choice"
    # Choices match ignoring case and are stored canonical.
    assert convert(f, "High") == "high"
    assert convert(f, " MIDDLE ") == "middle"


def test_list():
    f = Field("also_feeds", "list", item_kind="slug")
    assert convert(f, None) == []
    assert convert(f, ["redmond", None, " juanita "]) == ["redmond", "juanita"]
    assert convert(f, "redmond; juanita;eastlake") == ["redmond", "juanita", "eastlake"]
    assert bad(f, ["ok", "Not OK"]).startswith("'Not OK' is not a valid id")


def test_a_list_where_one_value_belongs():
    assert bad(Field("name"), ["a", "b"]) == "a list is not allowed here; give one value"


# ---------------------------------------------------------------- convert_record


def record(**values) -> Record:
    return Record("f.yaml", 3, values, {k: 3 + i for i, k in enumerate(values)})


def test_convert_record_lists_every_problem_with_the_records_key():
    problems: list[Problem] = []
    out = convert_record(SECTIONS["schools"],
                         record(id="bell-es", level="hi", colour="red", feeder_pattern="X Y"),
                         problems)
    assert out is None
    assert [str(p) for p in problems] == [
        "f.yaml:4: schools[bell-es].level: 'hi' is not allowed; use one of elementary, middle, "
        "high, choice (did you mean 'high'?)",
        "f.yaml:6: schools[bell-es].feeder_pattern: 'X Y' is not a valid id; use lowercase "
        "letters, digits and single hyphens (e.g. 'x-y')",
        "f.yaml:5: schools[bell-es]: unknown field 'colour'; allowed: id, name, level, "
        "feeder_pattern, also_feeds, agency, city, address",
        "f.yaml:3: schools[bell-es]: missing required field 'name'",
        "f.yaml:3: schools[bell-es]: missing required field 'agency'",
    ]


def test_no_value_for_a_field_with_a_default_is_left_out():
    # `status: ~` (or a blank CSV cell) means "not given": the default on insert, the stored
    # value on update; never a NULL into a NOT NULL column.
    problems: list[Problem] = []
    out = convert_record(SECTIONS["officers"],
                         record(badge="0123", name="NO", agency="kcso", status=None, rank=None),
                         problems)
    assert problems == []
    assert out == {"badge": "0123", "name": "NO", "agency": "kcso", "rank": None}


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_no_value_for_a_required_field(raw):
    problems: list[Problem] = []
    out = convert_record(SECTIONS["agencies"], record(id="a", name=raw, kind="city"), problems)
    assert out is None
    assert [str(p) for p in problems] == ["f.yaml:4: agencies[a]: missing required field 'name'"]


def test_required_null_is_reported_beside_another_bad_field():
    problems: list[Problem] = []
    convert_record(SECTIONS["agencies"], record(id="a", name=None, kind="town"), problems)
    assert [p.what.split(":")[0] for p in problems] == ["agencies[a].kind", "agencies[a]"]


# ---------------------------------------------------------------- whole loads


@pytest.fixture(scope="module")
def conn(tmp_path_factory):
    """One database with the bundled seed; loads that fail validation write nothing, so the
    tests below can share it."""
    path = tmp_path_factory.mktemp("validate") / "seeded.db"
    connection = db.connect(path)
    load_files(connection, [(bundled_seed(), "seed")])
    yield connection
    connection.close()


def load_problems(conn, tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationFailed) as exc:
        load_files(conn, [(path, "t.yaml")], dry_run=True)
    assert exc.value.lines()[-1].endswith("nothing was written")
    return [str(p) for p in exc.value.problems]


def dry_load(conn, tmp_path: Path, text: str):
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    return load_files(conn, [(path, "t.yaml")], dry_run=True)


REF_CASES = {
    "school.feeder_pattern": (
        "schools:\n  - {id: x-es, name: X, level: elementary, feeder_pattern: redmnd, "
        "agency: kcso}\n",
        ["t.yaml:2: schools[x-es].feeder_pattern: unknown feeder pattern 'redmnd'; did you "
         "mean 'redmond'?"]),
    "school.also_feeds": (
        "schools:\n  - {id: x-es, name: X, level: elementary, feeder_pattern: redmond, "
        "also_feeds: [juanita, eastlak], agency: kcso}\n",
        ["t.yaml:2: schools[x-es].also_feeds: unknown feeder pattern 'eastlak'; did you mean "
         "'eastlake'?"]),
    "school.agency": (
        "schools:\n  - {id: x-es, name: X, level: elementary, feeder_pattern: redmond, "
        "agency: kcs}\n",
        ["t.yaml:2: schools[x-es].agency: unknown agency 'kcs'; did you mean 'kcso'?"]),
    "pattern.high_school": (
        "feeder_patterns:\n  - {id: p, name: P, high_school: redmond-h}\n",
        ["t.yaml:2: feeder_patterns[p].high_school: unknown school 'redmond-h'; did you mean "
         "'redmond-hs'?"]),
    "officer.agency": (
        "officers:\n  - {badge: '7', name: N, agency: redmond}\n",
        ["t.yaml:2: officers[7].agency: unknown agency 'redmond'; did you mean 'redmond-pd'?"]),
    "leave.officer": (
        "leaves:\n  - {officer: '04170', start: 2024-01-02, end: 2024-01-03}\n",
        ["t.yaml:2: leaves[04170/2024-01-02].officer: unknown officer '04170'; did you mean "
         "'0417'?"]),
    "duty.officer/school/category": (
        "duties:\n  - officer: '1183'\n    school: juanita-h\n    category: trafic-safety\n"
        "    at: 2023-10-01T10:00\n",
        ["t.yaml:2: duties[1183/juanita-h/trafic-safety/2023-10-01T10:00:00].officer: unknown "
         "officer '1183'; did you mean '1182'?",
         "t.yaml:3: duties[1183/juanita-h/trafic-safety/2023-10-01T10:00:00].school: unknown "
         "school 'juanita-h'; did you mean 'juanita-hs'?",
         "t.yaml:4: duties[1183/juanita-h/trafic-safety/2023-10-01T10:00:00].category: unknown "
         "duty category 'trafic-safety'; did you mean 'traffic-safety'?"]),
    "engagement.connectors": (
        "engagements:\n  - {date: 2024-01-01, title: T, connectors: [evpa, yuth-wellness], "
        "phase: prevention, dimension: physical}\n",
        ["t.yaml:2: engagements[2024-01-01/T].connectors: unknown connector 'yuth-wellness'; did "
         "you mean 'youth-wellness'?"]),
    "assessment.school": (
        "assessments:\n  - {school: redmond-m, due: 2024-01-01}\n",
        ["t.yaml:2: assessments[redmond-m/2024-01-01].school: unknown school 'redmond-m'; did "
         "you mean 'redmond-ms'?"]),
}


@pytest.mark.parametrize("case", list(REF_CASES))
def test_reference_checks(conn, tmp_path, case):
    text, expected = REF_CASES[case]
    assert load_problems(conn, tmp_path, text) == expected


def test_assignment_references(conn, tmp_path):
    # assignment.officer / feeder_pattern / school_year, each on its own line
    msgs = load_problems(conn, tmp_path,
                         "assignments:\n  - officer: '1183'\n    feeder_pattern: juanit\n"
                         "    school_year: '2024-25'\n")
    assert msgs == [
        "t.yaml:2: assignments[1183/juanit/2024-25].officer: unknown officer '1183'; did you mean "
        "'1182'?",
        "t.yaml:3: assignments[1183/juanit/2024-25].feeder_pattern: unknown feeder pattern "
        "'juanit'; did you mean 'juanita'?",
        "t.yaml:4: assignments[1183/juanit/2024-25].school_year: unknown school year '2024-25'; "
        "did you mean '2023-24'?",
    ]


def test_unknown_reference_without_a_close_match_lists_the_known(conn, tmp_path):
    [msg] = load_problems(conn, tmp_path, "officers:\n  - {badge: '7', name: N, agency: zzz}\n")
    assert msg.startswith("t.yaml:2: officers[7].agency: unknown agency 'zzz'; known: ")
    assert "kcso" in msg and "redmond-pd" in msg


def test_a_reference_may_point_into_the_same_load(conn, tmp_path):
    result = dry_load(conn, tmp_path, """\
agencies:
  - {id: new-pd, name: New PD, kind: city}
feeder_patterns:
  - {id: new-pattern, name: New, high_school: new-hs}
schools:
  - {id: new-hs, name: New HS, level: high, feeder_pattern: new-pattern, agency: new-pd}
""")
    assert {r["section"]: r["inserted"] for r in result.rows()} == {
        "agencies": 1, "feeder_patterns": 1, "schools": 1}


def test_a_reference_into_another_file_of_the_same_load(conn, tmp_path):
    (tmp_path / "a.yaml").write_text("agencies:\n  - {id: other-pd, name: O, kind: city}\n")
    (tmp_path / "b.yaml").write_text("officers:\n  - {badge: '55', name: N, agency: other-pd}\n")
    result = load_files(conn, [(tmp_path / "a.yaml", "a.yaml"), (tmp_path / "b.yaml", "b.yaml")],
                        dry_run=True)
    assert result.total.inserted == 2


def test_missing_required_fields(conn, tmp_path):
    msgs = load_problems(conn, tmp_path,
                         "schools:\n  - {id: x-es, level: elementary, feeder_pattern: redmond}\n")
    assert msgs == ["t.yaml:2: schools[x-es]: missing required fields 'name', 'agency' (nothing "
                    "with this key is stored to update; a new school needs id, name, level, "
                    "feeder_pattern, agency)"]


def test_unknown_field_with_did_you_mean(conn, tmp_path):
    assert load_problems(conn, tmp_path,
                         "officers:\n  - {badge: '7', name: N, agency: kcso, stauts: active}\n"
                         ) == [
        "t.yaml:2: officers[7]: unknown field 'stauts'; allowed: badge, name, agency, status, "
        "school_trained_on, rank, phone, email, first_on_campus, kind; did you mean 'status'?"]


def test_unknown_section_with_did_you_mean(conn, tmp_path):
    [msg] = load_problems(conn, tmp_path, "district: {name: X}\nofficer:\n  - {badge: '1'}\n")
    assert msg.startswith("t.yaml:2: unknown section 'officer'; allowed: district, school_years,")
    from crotool.store.schema import SECTION_ORDER

    assert msg.endswith(f"{SECTION_ORDER[-1]}; did you mean 'officers'?")


def test_duplicate_record_names_both_lines(conn, tmp_path):
    assert load_problems(conn, tmp_path, """\
officers:
  - badge: '77'
    name: A
    agency: kcso
  - {badge: '77', name: B, agency: kcso}
""") == ["t.yaml:5: officers[77]: duplicate record (first at t.yaml:2)"]


def test_duplicate_composite_key(conn, tmp_path):
    assert load_problems(conn, tmp_path, """\
leaves:
  - {officer: '0417', start: 2024-01-02, end: 2024-01-03}
  - {officer: '0417', start: 2024-01-02, end: 2024-01-09}
""") == ["t.yaml:3: leaves[0417/2024-01-02]: duplicate record (first at t.yaml:2)"]


def test_duplicate_record_across_files(conn, tmp_path):
    (tmp_path / "a.yaml").write_text("agencies:\n  - {id: dup-pd, name: A, kind: city}\n")
    (tmp_path / "b.yaml").write_text("\nagencies:\n  - {id: dup-pd, name: B, kind: city}\n")
    with pytest.raises(ValidationFailed) as exc:
        load_files(conn, [(tmp_path / "a.yaml", "a.yaml"), (tmp_path / "b.yaml", "b.yaml")])
    assert [str(p) for p in exc.value.problems] == [
        "b.yaml:3: agencies[dup-pd]: duplicate record (first at a.yaml:2)"]


def test_district_twice_is_a_duplicate(conn, tmp_path):
    assert load_problems(conn, tmp_path, "district: {name: A}\n---\ndistrict: {name: B}\n") == [
        "t.yaml:3: district: duplicate record (first at t.yaml:1)"]


def test_leave_ending_before_it_starts(conn, tmp_path):
    assert load_problems(conn, tmp_path, """\
leaves:
  - officer: '0417'
    start: 2024-01-05
    end: 2024-01-02
""") == ["t.yaml:4: leaves[0417/2024-01-05].end: 2024-01-02 is before its start 2024-01-05"]


def test_school_year_ending_before_it_starts(conn, tmp_path):
    assert load_problems(conn, tmp_path,
                         "school_years:\n  - {id: '2024-25', start: 2024-09-01, end: 2024-06-01}\n"
                         ) == ["t.yaml:2: school_years[2024-25].end: 2024-06-01 is before its "
                               "start 2024-09-01"]


def test_assignment_outside_its_school_year(conn, tmp_path):
    assert load_problems(conn, tmp_path, """\
assignments:
  - officer: '0417'
    feeder_pattern: juanita
    school_year: '2023-24'
    start: 2023-09-01
    end: 2024-07-01
""") == [
        "t.yaml:5: assignments[0417/juanita/2023-24/2023-09-01].start: 2023-09-01 is outside "
        "school year 2023-24 (2023-09-05 to 2024-06-21)",
        "t.yaml:6: assignments[0417/juanita/2023-24/2023-09-01].end: 2024-07-01 is outside "
        "school year 2023-24 (2023-09-05 to 2024-06-21)",
    ]


def test_assignment_in_a_year_defined_by_the_same_load(conn, tmp_path):
    msgs = load_problems(conn, tmp_path, """\
school_years:
  - {id: '2024-25', start: 2024-09-04, end: 2025-06-18}
assignments:
  - {officer: '0417', feeder_pattern: juanita, school_year: '2024-25', end: 2025-06-30}
""")
    assert msgs == ["t.yaml:4: assignments[0417/juanita/2024-25/2024-09-04].end: 2025-06-30 is "
                    "outside school year 2024-25 (2024-09-04 to 2025-06-18)"]


def test_assignment_dates_default_to_its_school_year(conn, tmp_path):
    result = dry_load(conn, tmp_path, """\
assignments:
  - {officer: '2350', feeder_pattern: redmond, school_year: '2023-24', role: additional}
  - {officer: '2350', feeder_pattern: juanita, school_year: '2023-24', start: 2024-01-08}
  - {officer: '1182', feeder_pattern: juanita, school_year: '2023-24', start: ~, end: null}
""")
    inserted = {what: changes for table, what, changes in result.changes}
    assert inserted["insert 2350/redmond/2023-24/2023-09-05"]["end"] == "2024-06-21"
    assert inserted["insert 2350/juanita/2023-24/2024-01-08"]["end"] == "2024-06-21"
    assert inserted["insert 1182/juanita/2023-24/2023-09-05"]["end"] == "2024-06-21"


def test_duty_in_a_request_only_category_needs_requested_by(conn, tmp_path):
    assert load_problems(conn, tmp_path, """\
duties:
  - officer: '0417'
    school: juanita-hs
    category: threat-assessment
    at: 2023-10-01T10:00
""") == ["t.yaml:4: duties[0417/juanita-hs/threat-assessment/2023-10-01T10:00:00]: category "
         "'threat-assessment' is done only on request: give requested_by (who asked for it)"]
    ok = dry_load(conn, tmp_path, """\
duties:
  - {officer: '0417', school: juanita-hs, category: threat-assessment, at: 2023-10-01T10:00,
     requested_by: principal}
  - {officer: '0417', school: juanita-hs, category: traffic-safety, at: 2023-10-01T10:00}
""")
    assert ok.total.inserted == 2


def test_requires_request_of_a_category_in_the_same_load(conn, tmp_path):
    msgs = load_problems(conn, tmp_path, """\
duty_categories:
  - {id: escort, name: Escort, requires_request: yes}
duties:
  - {officer: '0417', school: juanita-hs, category: escort, at: 2023-10-02T10:00}
""")
    assert msgs == ["t.yaml:4: duties[0417/juanita-hs/escort/2023-10-02T10:00:00]: category "
                    "'escort' is done only on request: give requested_by (who asked for it)"]


def test_requires_request_no_is_false(conn, tmp_path):
    result = dry_load(conn, tmp_path, """\
duty_categories:
  - {id: escort, name: Escort, requires_request: no}
duties:
  - {officer: '0417', school: juanita-hs, category: escort, at: 2023-10-02T10:00}
""")
    assert result.total.inserted == 2


def test_bad_values_are_named_with_field_and_line(conn, tmp_path):
    msgs = load_problems(conn, tmp_path, """\
officers:
  - badge: '0999'
    name: Bad Values
    agency: kcso
    status: retired
    school_trained_on: 2023-02-30
duties:
  - {officer: '0417', school: juanita-hs, category: traffic-safety, at: soon, minutes: 0}
""")
    assert msgs == [
        "t.yaml:5: officers[0999].status: 'retired' is not allowed; use one of active, inactive",
        "t.yaml:6: officers[0999].school_trained_on: '2023-02-30' is not a real date (no such day)",
        "t.yaml:8: duties[0417/juanita-hs/traffic-safety/soon].at: 'soon' is not a date-time; "
        "write YYYY-MM-DDTHH:MM[:SS], e.g. 2023-10-03T09:30",
        "t.yaml:8: duties[0417/juanita-hs/traffic-safety/soon].minutes: 0 is out of range; "
        "allowed 1 to 1440",
    ]


def test_shapes_that_are_not_records(conn, tmp_path):
    assert load_problems(conn, tmp_path, "district: [a]\nschools: {id: x}\n") == [
        "t.yaml:1: district must be a mapping (name: ..., short_name: ...)",
        "t.yaml:2: schools must be a list of records (- field: value)",
    ]
    [msg] = load_problems(conn, tmp_path, "- schools\n")
    assert msg.startswith("t.yaml:1: a seed document must be a mapping of sections (district, ")
