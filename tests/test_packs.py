"""Rule packs (SPEC §5.1, issue 25): versions in force on the event's day, packs stored whole,
the deadlines a change would move, switching a district's packs, every bad input, `local`, the
migration of a database from before packs, and `rules list/show/diff` in every format.

Worked by hand: a CPS clock of 48 hours changed to 24 from 2026-03-01. A duty of 2026-02-27
10:00 is due 2026-03-01 10:00 (48 hours); one of 2026-03-02 10:00 is due 2026-03-03 10:00 (24
hours, where the old clock said 2026-03-04 10:00).
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from conftest import ROOT, dump

from crotool.store import db, migrations
from crotool.store.rule_schema import RULE_TABLES
from crotool.store.rules import in_force, in_force_sql

RULES = ROOT / "data" / "rules"

DISTRICT = """\
district: {{name: Test District, rule_packs: [{packs}]}}
school_years:
  - {{id: "2025-26", start: 2025-09-02, end: 2026-06-19}}
agencies:
  - {{id: town-pd, name: Town PD, kind: city}}
feeder_patterns:
  - {{id: north, name: North, high_school: north-hs}}
schools:
  - {{id: north-hs, name: North HS, level: high, feeder_pattern: north, agency: town-pd}}
officers:
  - {{badge: "100", name: One, agency: town-pd}}
duty_categories:
  - {{id: cps-investigation, name: CPS investigation}}
duties:
  - {{officer: "100", school: north-hs, category: cps-investigation, at: 2026-02-27T10:00}}
  - {{officer: "100", school: north-hs, category: cps-investigation, at: 2026-03-02T10:00}}
"""
STATE = """\
pack: {{id: state, name: State law, jurisdiction: Somewhere, source: Statute 1}}
followup_rules:
{rules}
"""
CPS_48 = ("  - {category: cps-investigation, id: cps-report, name: Report to CPS, "
          "within_hours: 48, source: Statute 1.1}")
CPS_CHANGED = (
    "  - {category: cps-investigation, id: cps-report, name: Report to CPS, within_hours: 48,\n"
    "     effective_until: 2026-02-28, source: Statute 1.1}\n"
    "  - {category: cps-investigation, id: cps-report, name: Report to CPS, within_hours: 24,\n"
    "     effective_from: 2026-03-01, source: Statute 1.1 as amended}")
TODAY = {"CROTOOL_TODAY": "2026-03-10"}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def dues(cli) -> dict[str, str]:
    rows = json.loads(ok(cli("followups", "list", "--as-of", "2026-03-10", "-f", "json",
                             env=TODAY)).stdout)
    return {r["at"]: r["due"] for r in rows}


def problem_lines(stderr: str) -> list[str]:
    """The problem lines of a refused command (its last line says what was written)."""
    return [ln for ln in stderr.splitlines() if ln.startswith("crotool: ")][:-1]


# ---------------------------------------------------------------- in force


def test_in_force_in_python_and_in_sql_agree():
    rows = [{"effective_from": "", "effective_until": "2026-02-28", "v": 48},
            {"effective_from": "2026-03-01", "effective_until": None, "v": 24}]
    assert [r["v"] for r in in_force(rows, "2026-02-28")] == [48]
    assert [r["v"] for r in in_force(rows, "2026-03-01")] == [24]
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (effective_from, effective_until, v)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?)", [tuple(r.values()) for r in rows])
    for day in ("2025-01-01", "2026-02-28", "2026-03-01", "2030-01-01"):
        sql = [r[0] for r in conn.execute(f"SELECT v FROM t r WHERE {in_force_sql('?')}",
                                          (day, day))]
        assert sql == [r["v"] for r in in_force(rows, day)], day


def test_a_clock_changed_from_a_day_applies_to_duties_from_that_day(cli, isolated_db, tmp_path):
    district = write(tmp_path, "district.yaml", DISTRICT.format(packs="state"))
    state = write(tmp_path, "state.yaml", STATE.format(rules=CPS_CHANGED))
    ok(cli("load", state, district, env=TODAY))
    assert dues(cli) == {"2026-02-27T10:00:00": "2026-03-01T10:00:00",   # 48 hours
                         "2026-03-02T10:00:00": "2026-03-03T10:00:00"}   # 24 hours
    shown = json.loads(ok(cli("rules", "show", "state", "--as-of", "2026-03-01", "-f",
                              "json")).stdout)
    assert shown == [{"section": "followup_rules", "key": "cps-investigation/cps-report",
                      "effective_from": "2026-03-01", "effective_until": None,
                      "source": "Statute 1.1 as amended",
                      "record": {"name": "Report to CPS", "within_hours": 24}}]


# ---------------------------------------------------------------- a change that moves deadlines


@pytest.fixture
def state_48(cli, isolated_db, tmp_path) -> Path:
    district = write(tmp_path, "district.yaml", DISTRICT.format(packs="state"))
    ok(cli("load", write(tmp_path, "state.yaml", STATE.format(rules=CPS_48)), district,
           env=TODAY))
    assert dues(cli) == {"2026-02-27T10:00:00": "2026-03-01T10:00:00",
                         "2026-03-02T10:00:00": "2026-03-04T10:00:00"}
    return write(tmp_path, "state-2.yaml", STATE.format(rules=CPS_CHANGED))


def test_a_change_that_moves_a_past_deadline_is_listed_and_refused(cli, state_48, isolated_db):
    before = dump(isolated_db)
    for dry in ((), ("--dry-run",)):
        refused = cli("rules", "load", state_48, *dry, env=TODAY)
        assert refused.exit_code == 1
        assert problem_lines(refused.stderr) == [
            "crotool: follow-up cps-report of duty 2: due 2026-03-04T10:00:00, would be "
            "2026-03-03T10:00:00"]
        assert "would move 1 deadline already past; nothing was written" in refused.stderr
        assert "--yes" in refused.stderr
        assert dump(isolated_db) == before


def test_with_yes_the_change_is_written_and_audited(cli, state_48, isolated_db):
    result = ok(cli("rules", "load", state_48, "--yes", "-f", "json", env=TODAY))
    assert ("moved: follow-up cps-report of duty 2: due 2026-03-04T10:00:00, would be "
            "2026-03-03T10:00:00") in result.stderr
    assert "stored rule pack state" in result.stderr
    rows = json.loads(result.stdout)
    assert {(r["key"], r["effective_from"], r["change"]) for r in rows} == {
        ("cps-investigation/cps-report", None, "changed"),
        ("cps-investigation/cps-report", "2026-03-01", "added")}
    assert dues(cli) == {"2026-02-27T10:00:00": "2026-03-01T10:00:00",
                         "2026-03-02T10:00:00": "2026-03-03T10:00:00"}
    assert ok(cli("audit", "--table", "pack_rules"))
    conn = db.connect(isolated_db)
    audit = [tuple(r) for r in conn.execute(
        "SELECT table_name, row_key, action, changes FROM audit WHERE command = "
        "'crotool rules load' ORDER BY id")]
    conn.close()
    assert audit == [
        ("pack_rules", "state/followup_rules/cps-investigation/cps-report", "change",
         '{"effective_until": [null, "2026-02-28"]}'),
        ("pack_rules", "state/followup_rules/cps-investigation/cps-report/2026-03-01", "add",
         '{"name": "Report to CPS", "source": "Statute 1.1 as amended", "within_hours": 24}'),
        ("rule_packs", "state", "store", audit[2][3])]
    # The same file again changes nothing, and no deadline moves.
    again = ok(cli("rules", "load", state_48, env=TODAY))
    assert "unchanged" in again.stderr and "moved:" not in again.stderr


def test_a_training_deadline_that_moves_is_listed(cli, seeded, tmp_path):
    text = (RULES / "wa.yaml").read_text(encoding="utf-8")
    changed = write(tmp_path, "wa.yaml", text.replace("classroom_within_months: 6",
                                                      "classroom_within_months: 3"))
    refused = cli("rules", "load", changed)
    assert refused.exit_code == 1
    lines = problem_lines(refused.stderr)
    assert lines and all(ln.startswith("crotool: training deadline classroom of officer ")
                         for ln in lines)
    diff = json.loads(ok(cli("rules", "diff", changed, "-f", "json")).stdout)
    assert diff == [{"pack": "wa", "section": "training_policy", "key": "training_policy",
                     "effective_from": None, "change": "changed",
                     "changes": {"classroom_within_months": [6, 3]}}]


# ---------------------------------------------------------------- another state's pack


def test_florida_loads_beside_washington_and_then_replaces_it(cli, seeded, tmp_path):
    before = dump(seeded)
    dry = ok(cli("rules", "load", RULES / "fl.yaml", "--dry-run"))
    assert "would store rule pack fl" in dry.stderr and dump(seeded) == before
    stored = ok(cli("rules", "load", RULES / "fl.yaml"))  # not applied: nothing moves
    assert "stored rule pack fl" in stored.stderr and "moved:" not in stored.stderr
    listed = json.loads(ok(cli("rules", "list", "-f", "json")).stdout)
    assert [(p["pack"], p["applied"]) for p in listed] == [("fl", None), ("lwsd", 2),
                                                           ("wa", 1)]
    assert all(p["rules"] > 0 for p in listed)

    district = write(tmp_path, "district.yaml", "district:\n  name: Lake Washington School "
                     "District\n  short_name: LWSD\n  rule_packs: [fl]\n")
    before = dump(seeded)
    refused = cli("load", district)  # Washington's clocks and training deadlines go
    assert refused.exit_code == 1
    assert "follow-up cps-report of duty" in refused.stderr
    assert dump(seeded) == before
    ok(cli("load", district, "--yes"))
    conn = db.connect(seeded)
    packs = {t: {r[0] for r in conn.execute(f"SELECT DISTINCT pack FROM {t}")}
             for t in RULE_TABLES}
    followup_rules = [tuple(r) for r in conn.execute("SELECT category, id FROM followup_rules")]
    conn.close()
    assert all(found <= {"fl"} for found in packs.values()), packs
    assert packs["officer_kinds"] == packs["training_topics"] == {"fl"}
    assert followup_rules == [("emergency-response", "sso-discharge-notice")]
    listed = json.loads(ok(cli("rules", "list", "-f", "json")).stdout)
    assert [(p["pack"], p["applied"]) for p in listed] == [("fl", 1), ("lwsd", None),
                                                           ("wa", None)]


def test_the_bundled_packs_are_the_seeds_rules(cli, seeded):
    """The seed's collision duty carries the flag that Washington's collision-report rule
    names, and keeps its done follow-up; the rules show the sources they came with."""
    conn = db.connect(seeded)
    flags = conn.execute("SELECT flags FROM duties WHERE category = 'collision-response'"
                         ).fetchone()[0]
    when = conn.execute("SELECT \"when\", pack FROM followup_rules WHERE id = "
                        "'collision-report'").fetchone()
    conn.close()
    assert json.loads(flags) == ["injury-or-damage"] and tuple(when) == ("injury-or-damage",
                                                                          "wa")
    rows = json.loads(ok(cli("followups", "list", "--as-of", "2024-06-14", "-f",
                             "json")).stdout)
    [collision] = [r for r in rows if r["rule"] == "collision-report"]
    assert (collision["due"], collision["status"]) == ("2023-11-18T15:05:00", "done")
    assert ok(cli("rules", "diff", RULES / "wa.yaml")).stdout.strip() == (
        "no changes to rule pack wa")


# ---------------------------------------------------------------- bad input

CASES = {
    "no_id": ("pack: {name: Nameless}\nroles:\n  - {id: a, name: A}\n",
              r"x\.yaml:1: pack: missing required field 'id'"),
    "until_before_from": (
        "pack: {id: t, name: T}\nroles:\n  - {id: a, name: A, effective_from: 2026-03-01,\n"
        "     effective_until: 2026-02-01}\n",
        r"x\.yaml:4: roles\[a\]\.effective_until: 2026-02-01 is before its effective_from "
        r"2026-03-01"),
    "two_versions_on_one_day": (
        "pack: {id: t, name: T}\nroles:\n  - {id: a, name: A, effective_from: 2026-01-01}\n"
        "  - {id: a, name: A2, effective_from: 2026-03-01}\n",
        r"x\.yaml:4: roles\[a\]: its version from 2026-03-01 and its version from 2026-01-01 "
        r"\(until no end\) are both in force on 2026-03-01.*"),
    "unknown_days": (
        "pack: {id: t, name: T}\nfollowup_rules:\n  - {category: c, id: r, name: R, "
        "within_days: 3,\n     days: weekly}\n",
        r"x\.yaml:4: followup_rules\[c/r\]\.days: 'weekly' is not allowed; use one of "
        r"calendar, business, school"),
    "when_names_no_flag": (
        "pack: {id: t, name: T}\nfollowup_rules:\n  - {category: c, id: r, name: R, "
        "within_hours: 3,\n     when: no-such-flag}\n",
        r"x\.yaml:4: followup_rules\[c/r\]\.when: unknown duty flag 'no-such-flag'.*"),
    "applies_to_unknown_kind": (
        "pack: {id: t, name: T}\ntraining_topics:\n  - {id: a, name: A, kind: classroom,\n"
        "     applies_to: [robot]}\n",
        r"x\.yaml:4: training_topics\[a\]\.applies_to: unknown officer kind 'robot'.*"),
    "term_years_below_1": (
        "pack: {id: t, name: T}\nagreement_policy:\n  term_years: 0\n",
        r"x\.yaml:3: agreement_policy\.term_years: 0 is out of range; allowed 1 to 50"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_and_nothing_is_written(cli, seeded, tmp_path, case):
    text, expected = CASES[case]
    path = write(tmp_path, "x.yaml", text)
    before = dump(seeded)
    for command in (("rules", "load", path), ("load", path), ("rules", "diff", path)):
        result = cli(*command)
        assert result.exit_code == 1, (command, result.stderr)
        [line] = problem_lines(result.stderr)
        assert re.fullmatch(f"crotool: {re.escape(str(tmp_path))}/{expected}", line), line
    assert dump(seeded) == before


def test_a_rule_two_applied_packs_define_is_refused_naming_both(cli, seeded, tmp_path):
    extra = write(tmp_path, "extra.yaml", "pack: {id: extra, name: Extra}\nroles:\n"
                  "  - {id: law-enforcement, name: Policing}\n")
    district = write(tmp_path, "district.yaml", "district:\n  name: Lake Washington School "
                     "District\n  rule_packs: [wa, lwsd, extra]\n")
    before = dump(seeded)
    result = cli("load", extra, district)
    assert result.exit_code == 1
    assert problem_lines(result.stderr) == [
        f"crotool: {extra}:3: roles[law-enforcement] is defined by rule packs lwsd and extra, "
        "both applied; a rule may come from one applied pack only (leave one of them out of "
        "district.rule_packs, or the rule out of one pack)"]
    assert dump(seeded) == before
    # Stored first, the pack is refused when the district names it.
    ok(cli("rules", "load", extra))
    result = cli("load", district)
    assert result.exit_code == 1
    [line] = problem_lines(result.stderr)
    assert line.startswith(f"crotool: {district}:3: roles[law-enforcement] is defined by rule "
                           "packs lwsd and extra")


@pytest.mark.parametrize("packs, message", [
    ("[nowhere]", "district.rule_packs: unknown rule pack 'nowhere'"),
    ("[wa, wa]", "district.rule_packs: 'wa' is named twice"),
    ("[local]", "district.rule_packs: 'local' is applied after the packs named here"),
])
def test_a_district_names_stored_packs_once(cli, seeded, tmp_path, packs, message):
    district = write(tmp_path, "d.yaml", f"district: {{name: D, rule_packs: {packs}}}\n")
    result = cli("load", district)
    assert result.exit_code == 1
    [line] = problem_lines(result.stderr)
    assert line.startswith(f"crotool: {district}:1: {message}"), line


def test_a_seed_file_is_not_a_pack(cli, seeded, tmp_path):
    seed = write(tmp_path, "s.yaml", "roles:\n  - {id: a, name: A}\n")
    assert cli("rules", "load", seed).exit_code == 1
    mixed = write(tmp_path, "m.yaml", "pack: {id: m, name: M}\nschools:\n  - {id: x}\n")
    result = cli("rules", "load", mixed)
    assert result.exit_code == 1
    assert "section 'schools' is not a rule: a rule pack holds rule sections only" in (
        result.stderr)


# ---------------------------------------------------------------- local


def test_rules_without_a_pack_are_the_pack_local_applied_last(cli, seeded, tmp_path):
    doc = write(tmp_path, "old.yaml", """\
roles:
  - {id: mentoring, name: Informal counselor/mentor, source: NASRO triad}
followup_rules:
  - {category: cps-investigation, id: cps-report, name: Report within a day, within_hours: 24}
""")
    first = ok(cli("load", doc, "-f", "json"))
    assert {r["section"]: (r["inserted"], r["updated"]) for r in json.loads(first.stdout)} == {
        "roles": (1, 0), "followup_rules": (0, 1)}  # cps-report was in force from wa
    again = ok(cli("load", doc))
    assert "nothing changed" in again.stderr
    listed = {p["pack"]: p for p in json.loads(ok(cli("rules", "list", "-f", "json")).stdout)}
    assert (listed["local"]["applied"], listed["local"]["rules"]) == (3, 2)
    # local's version replaces wa's: the CPS clock is 24 hours now.
    duty = ok(cli("duty", "log", "--officer", "0417", "--school", "juanita-hs", "--category",
                  "cps-investigation", "--at", "2024-01-15T09:00"))
    assert "due 2024-01-16T09:00:00" in duty.stderr
    shown = json.loads(ok(cli("rules", "show", "local", "-f", "json")).stdout)
    assert shown[1]["record"] == {"name": "Report within a day", "within_hours": 24}


@pytest.mark.parametrize("table", ["duty_flags", "grades", "complaint_kinds", "agency_kinds",
                                   "officer_kinds"])
def test_the_new_rule_sections_import_into_local(cli, seeded, tmp_path, table):
    good = write(tmp_path, f"{table}.csv", "id,name,source\nextra-1,Extra,District policy\n")
    first = ok(cli("import", table, good))
    assert "1 new, 0 updated, 0 unchanged" in first.stderr
    again = ok(cli("import", table, good))
    assert "nothing changed" in again.stderr
    conn = db.connect(seeded)
    row = conn.execute(f"SELECT name, source, pack FROM {table} WHERE id = 'extra-1'").fetchone()
    conn.close()
    assert tuple(row) == ("Extra", "District policy", "local")
    bad = write(tmp_path, "bad.csv", "id,name\nBad Id,Bad\n,No id\n")
    before = dump(seeded)
    result = cli("import", table, bad)
    assert result.exit_code == 1 and "Bad Id" in result.stderr
    assert dump(seeded) == before


# ---------------------------------------------------------------- every format


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown", "html"])
def test_rules_list_show_and_diff_in_every_format(cli, seeded, fmt):
    for command in (("rules", "list"), ("rules", "show", "lwsd"),
                    ("rules", "diff", RULES / "fl.yaml")):
        result = ok(cli(*command, "-f", fmt))
        assert result.stdout.strip(), command
    csv = ok(cli("rules", "show", "lwsd", "-f", "csv")).stdout.splitlines()
    assert csv[0] == "section,key,effective_from,effective_until,source,record"
    assert csv[1].startswith('roles,law-enforcement,,,LWSD Policy 4311; NASRO triad (law '
                             'enforcement officer),"{""name"": ""Law enforcement""}"')
    diff = json.loads(ok(cli("rules", "diff", RULES / "fl.yaml", "-f", "json")).stdout)
    assert len(diff) == 50 and {r["change"] for r in diff} == {"added"}
    unknown = cli("rules", "show", "wx")
    assert unknown.exit_code == 1 and "unknown rule pack 'wx'" in unknown.stderr


def test_pack_ids_complete(seeded):
    from crotool.cli.rules import _pack_ids

    class Ctx:
        def find_root(self):
            return self

        params = {"db": str(seeded)}

    assert _pack_ids(Ctx(), "") == ["lwsd", "wa"]  # type: ignore[arg-type]
    assert _pack_ids(Ctx(), "w") == ["wa"]  # type: ignore[arg-type]


def test_db_check_names_a_record_whose_rule_no_applied_pack_defines(cli, seeded, tmp_path):
    district = write(tmp_path, "district.yaml", "district:\n  name: Lake Washington School "
                     "District\n  rule_packs: [wa]\n")
    ok(cli("load", district, "--yes"))  # lwsd (and its roles) no longer applied
    result = cli("db", "check", "-f", "json")
    assert result.exit_code == 1
    failed = {r["detail"] for r in json.loads(result.stdout) if r["status"] == "fail"}
    assert ("duty_categories[threat-assessment]: role 'crime-prevention' is defined by no "
            "applied rule pack") in failed


# ---------------------------------------------------------------- a database from before packs


def test_a_database_from_before_packs_keeps_its_rules_as_the_pack_local(tmp_path, cli):
    path = tmp_path / "old.db"
    conn = db.connect(path, migrate=False)
    for step in migrations.MIGRATIONS[:10]:
        conn.execute("BEGIN IMMEDIATE")
        step(conn)
        conn.execute("COMMIT")
    conn.execute("PRAGMA user_version = 10")
    conn.executescript("""
        BEGIN;
        INSERT INTO agencies (id, name, kind) VALUES ('town-pd', 'Town PD', 'city');
        INSERT INTO feeder_patterns (id, name) VALUES ('north', 'North');
        INSERT INTO schools (id, name, level, feeder_pattern, agency)
            VALUES ('north-hs', 'North HS', 'high', 'north', 'town-pd');
        INSERT INTO officers (badge, name, agency) VALUES ('100', 'One', 'town-pd');
        INSERT INTO roles (id, name, source) VALUES ('policing', 'Policing', 'Policy 1');
        INSERT INTO duty_categories (id, name, role) VALUES ('cps', 'CPS', 'policing');
        INSERT INTO followup_rules (category, id, name, within_hours)
            VALUES ('cps', 'report', 'Report', 48);
        INSERT INTO duties (officer, school, category, at)
            VALUES ('100', 'north-hs', 'cps', '2024-01-10T10:00:00');
        INSERT INTO followups (officer, school, category, at, rule, done_at)
            VALUES ('100', 'north-hs', 'cps', '2024-01-10T10:00:00', 'report',
                    '2024-01-11T10:00:00');
        INSERT INTO training_topics (id, name, kind) VALUES ('rights', 'Rights', 'classroom');
        INSERT INTO trainings (officer, topic, completed_on) VALUES ('100', 'rights', '2024-01-02');
        INSERT INTO stakeholder_groups (id, name, sectors) VALUES ('parents', 'Parents', '["p"]');
        COMMIT;
    """)
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'"
                                          " AND tbl_name IN ('followups', 'trainings', 'duties')")}
    conn.close()
    conn = db.connect(path)
    assert migrations.version(conn) == migrations.SCHEMA_VERSION
    assert indexes <= {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type ="
                                                  " 'index'")}
    rules = {tuple(r) for r in conn.execute("SELECT pack, section, key, record FROM pack_rules")}
    assert rules == {
        ("local", "roles", "policing", '{"name": "Policing"}'),
        ("local", "followup_rules", "cps/report", '{"name": "Report", "within_hours": 48}'),
        ("local", "training_topics", "rights",
         '{"name": "Rights", "kind": "classroom"}'),
        ("local", "stakeholder_groups", "parents", '{"name": "Parents", "sectors": ["p"]}')}
    assert tuple(conn.execute("SELECT pack, effective_from, within_hours FROM followup_rules"
                              ).fetchone()) == ("local", "", 48)
    referred = {t: {r["table"] for r in conn.execute(f"PRAGMA foreign_key_list({t})")}
                for t in ("duty_categories", "followups", "trainings")}
    conn.close()
    assert referred == {"duty_categories": set(), "followups": {"duties"},
                        "trainings": {"officers"}}
    rows = json.loads(ok(cli("--db", path, "followups", "list", "--as-of", "2024-01-15",
                             "-f", "json")).stdout)
    assert [(r["due"], r["status"]) for r in rows] == [("2024-01-12T10:00:00", "done")]
    listed = json.loads(ok(cli("--db", path, "rules", "list", "-f", "json")).stdout)
    assert [(p["pack"], p["rules"], p["applied"]) for p in listed] == [("local", 4, 1)]
    assert ok(cli("--db", path, "db", "check"))


def test_two_versions_of_a_local_rule_on_one_day_are_refused(cli, seeded, tmp_path):
    first = write(tmp_path, "a.yaml", "roles:\n  - {id: mentoring, name: Mentoring}\n")
    ok(cli("load", first))
    later = write(tmp_path, "b.yaml", "roles:\n  - {id: mentoring, name: Mentoring 2, "
                  "effective_from: 2024-09-01}\n")
    before = dump(seeded)
    result = cli("load", later)
    assert result.exit_code == 1
    assert problem_lines(result.stderr) == [
        "crotool: rule pack local: roles[mentoring]: its version from 2024-09-01 and its version "
        "from the beginning (until no end) are both in force on 2024-09-01; give the earlier "
        "one an effective_until before 2024-09-01"]
    assert dump(seeded) == before
    ok(cli("load", write(tmp_path, "c.yaml", "roles:\n  - {id: mentoring, name: Mentoring, "
                         "effective_until: 2024-08-31}\n")))
    ok(cli("load", later))
    shown = json.loads(ok(cli("rules", "show", "local", "--as-of", "2024-09-01", "-f",
                              "json")).stdout)
    assert [(r["key"], r["record"]["name"]) for r in shown] == [("mentoring", "Mentoring 2")]
