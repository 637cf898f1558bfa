"""Community Connectors: connectors add/update/list, engagements add/list, and
`report connectors` (the phase x dimension matrix, stale connectors, new organizations).

Most tests load one small, hand-worked YAML document (today is pinned to 2024-01-15 by
conftest) and check exact numbers against it.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from crotool.store import db
from crotool.store.schema import DIMENSIONS, PHASES
from tests.conftest import run_installed

# Hand-worked set. Cells with input (phase/dimension: engagements, distinct connectors):
#   prevention/physical 2, 3 (a, b | b, c)   prevention/emotional 1, 1 (a)
#   response/academic   1, 0 (no connectors)  recovery/social     2, 2 (a | d, dated after today)
# Every other cell (16 of 20) is 0, 0.
DOC = """\
connectors:
  - id: a
    name: Safety chair
    organization: Org A
    sector: parents
  - {id: b, name: Liaison, organization: Org B, sector: faith, status: new}
  - {id: c, name: Youth lead, organization: Org B, sector: faith, status: new}
  - id: d
    name: Solo
    status: new
engagements:
  - date: 2023-09-10
    title: Listening session
    connectors: [a, b]
    phase: prevention
    dimension: physical
  - date: 2023-10-01
    title: Walk of the school zone
    connectors:
      - b
      - c
    phase: prevention
    dimension: physical
    summary: Two crossings need beacons.
  - {date: 2023-11-01, title: Counseling roundtable, connectors: [a], phase: prevention,
     dimension: emotional}
  - {date: 2023-12-01, title: Staff-only review, phase: response, dimension: academic}
  - {date: 2024-01-15, title: Support circle, connectors: [a], phase: recovery,
     dimension: social}
  - {date: 2024-03-01, title: Planned follow-up, connectors: [d], phase: recovery,
     dimension: social}
"""

FILLED = {
    ("prevention", "physical"): (2, 3),
    ("prevention", "emotional"): (1, 1),
    ("response", "academic"): (1, 0),
    ("recovery", "social"): (2, 2),
}


@pytest.fixture
def hand(cli, tmp_path: Path) -> Path:
    path = tmp_path / "connectors.yaml"
    path.write_text(DOC, encoding="utf-8")
    result = cli("load", path)
    assert result.exit_code == 0, result.stderr
    return path


def as_json(cli, *args: str):
    result = cli(*args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def counts() -> tuple[int, int, int]:
    conn = db.connect()
    try:
        return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                     for t in ("connectors", "engagements", "audit"))
    finally:
        conn.close()


def expected_cells(filled: dict[tuple[str, str], tuple[int, int]]) -> list[dict]:
    return [{"phase": p, "dimension": d, "engagements": filled.get((p, d), (0, 0))[0],
             "connectors": filled.get((p, d), (0, 0))[1]}
            for p in PHASES for d in DIMENSIONS]


# ---------------------------------------------------------------- loading


def test_load_reads_connectors_and_engagements_in_block_and_flow_style(cli, hand):
    rows = {r["id"]: r for r in as_json(cli, "connectors", "list")}
    assert list(rows) == ["a", "b", "c", "d"]
    assert rows["a"] | {} == {"id": "a", "name": "Safety chair", "organization": "Org A",
                              "sector": "parents", "status": "current", "engagements": 3,
                              "last_engaged": "2024-01-15"}
    # d's only engagement is after today: counted, but not as its last engagement yet.
    assert (rows["d"]["engagements"], rows["d"]["last_engaged"]) == (1, None)
    assert rows["d"]["organization"] is None and rows["d"]["status"] == "new"

    engagements = as_json(cli, "engagements", "list")
    assert [e["date"] for e in engagements] == ["2023-09-10", "2023-10-01", "2023-11-01",
                                                "2023-12-01", "2024-01-15", "2024-03-01"]
    walk = engagements[1]
    assert walk["connectors"] == ["b", "c"] and walk["summary"] == "Two crossings need beacons."
    assert engagements[3]["connectors"] == []

    again = cli("load", hand)
    assert again.exit_code == 0
    assert "0 new, 0 updated, 10 unchanged" in again.stderr


def test_load_refuses_an_engagement_with_an_unknown_connector_and_writes_nothing(cli, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(DOC + "  - {date: 2024-01-02, title: X, connectors: [a, bb], "
                    "phase: prevention, dimension: social}\n", encoding="utf-8")
    result = cli("load", path)
    assert result.exit_code == 1
    assert "engagements[2024-01-02/X].connectors: unknown connector 'bb'; did you mean 'b'?" \
        in result.stderr
    assert counts() == (0, 0, 0)


@pytest.mark.skipif(importlib.util.find_spec("crotool.cli.imports") is None,
                    reason="`crotool import` is not built yet")
def test_import_connectors_csv_and_engagements_json(cli, tmp_path):
    people = tmp_path / "connectors.csv"
    people.write_text("id,name,organization,sector,status\n"
                      "a,Safety chair,Org A,parents,current\n"
                      "b,Liaison,Org B,faith,new\n", encoding="utf-8")
    events = tmp_path / "engagements.json"
    events.write_text(json.dumps([
        {"date": "2023-09-10", "title": "Listening session", "connectors": ["a", "b"],
         "phase": "prevention", "dimension": "physical"},
        {"date": "2023-10-01", "title": "Roundtable", "connectors": ["b"],
         "phase": "recovery", "dimension": "academic", "summary": "Tutoring after closures."},
    ]), encoding="utf-8")
    assert cli("import", "connectors", people).exit_code == 0
    assert cli("import", "engagements", events).exit_code == 0
    assert [c["id"] for c in as_json(cli, "connectors", "list")] == ["a", "b"]
    cells = {(r["phase"], r["dimension"]): (r["engagements"], r["connectors"])
             for r in as_json(cli, "report", "connectors")}
    assert cells[("prevention", "physical")] == (1, 2)
    assert cells[("recovery", "academic")] == (1, 1)
    # Re-running the import adds nothing.
    assert cli("import", "engagements", events).exit_code == 0
    assert len(as_json(cli, "engagements", "list")) == 2


# ---------------------------------------------------------------- connectors add / update


def test_add_and_update_a_connector_with_audit_rows(cli, hand):
    result = cli("connectors", "add", "evpa", "--name", "Chair", "--organization",
                 "Example Valley Parents Association", "--sector", "parents", "--status", "new")
    assert result.exit_code == 0, result.stderr
    assert "added connector evpa" in result.stderr
    before = counts()
    result = cli("connectors", "update", "evpa", "--status", "current", "--organization", "")
    assert result.exit_code == 0, result.stderr
    assert "status 'new' -> 'current'" in result.stderr
    row = next(r for r in as_json(cli, "connectors", "list") if r["id"] == "evpa")
    # Only the given options changed; "" cleared the organization.
    assert (row["name"], row["organization"], row["sector"], row["status"]) == (
        "Chair", None, "parents", "current")
    conn = db.connect()
    audit = conn.execute("SELECT table_name, row_key, action, changes FROM audit"
                         " WHERE row_key = 'evpa' ORDER BY id").fetchall()
    conn.close()
    assert [(r[0], r[2]) for r in audit] == [("connectors", "insert"), ("connectors", "update")]
    assert json.loads(audit[1][3])["status"] == ["new", "current"]
    assert counts()[2] == before[2] + 1

    same = cli("connectors", "update", "evpa", "--status", "current")
    assert same.exit_code == 0 and "unchanged" in same.stderr
    assert counts()[2] == before[2] + 1


def test_add_of_an_existing_id_is_refused_suggesting_update(cli, hand):
    before = counts()
    result = cli("connectors", "add", "a", "--name", "Someone else")
    assert result.exit_code == 1
    assert "connector 'a' already exists" in result.stderr
    assert "crotool connectors update a" in result.stderr
    assert counts() == before


def test_add_refuses_a_bad_id_and_status_listing_every_problem(cli, hand):
    before = counts()
    result = cli("connectors", "add", "Youth Group", "--name", "X", "--status", "nwe")
    assert result.exit_code == 1
    assert "'Youth Group' is not a valid id" in result.stderr and "'youth-group'" in result.stderr
    assert "--status: connectors[Youth Group].status: 'nwe' is not allowed; use one of " \
        "current, new (did you mean 'new'?)" in result.stderr
    assert "2 problems found; nothing was written" in result.stderr
    assert counts() == before


def test_update_of_an_unknown_id_is_refused_with_did_you_mean(cli, hand):
    before = counts()
    result = cli("connectors", "update", "dd", "--status", "current")
    assert result.exit_code == 1
    assert "unknown connector 'dd' (did you mean 'd'?)" in result.stderr
    far = cli("connectors", "update", "zzz", "--status", "current")
    assert far.exit_code == 1
    assert "unknown connector 'zzz' (known: a, b, c, d)" in far.stderr
    assert counts() == before


def test_update_refuses_clearing_the_name_and_an_empty_update(cli, hand):
    result = cli("connectors", "update", "a", "--name", "")
    assert result.exit_code == 1
    assert "--name: connectors[a]: missing required field 'name'" in result.stderr
    nothing = cli("connectors", "update", "a")
    assert nothing.exit_code == 1 and "nothing to update" in nothing.stderr


# ---------------------------------------------------------------- engagements add / list


def test_add_an_engagement_then_list_it(cli, hand):
    result = cli("engagements", "add", "Tutoring partners meeting", "--date", "2024-01-10",
                 "--phase", "recovery", "--dimension", "academic", "-c", "b", "-c", "a,b",
                 "--summary", "Make-up tutoring after closures.")
    assert result.exit_code == 0, result.stderr
    assert "added engagement 2024-01-10 'Tutoring partners meeting'" in result.stderr
    rows = as_json(cli, "engagements", "list", "--dimension", "academic", "--phase", "recovery")
    assert len(rows) == 1
    assert rows[0]["connectors"] == ["b", "a"]  # each once, in the order given
    assert rows[0]["summary"] == "Make-up tutoring after closures."


def test_add_an_engagement_defaults_to_today(cli, hand):
    result = cli("engagements", "add", "Drop-in", "--phase", "mitigation", "--dimension",
                 "social")
    assert result.exit_code == 0, result.stderr
    assert [r["date"] for r in as_json(cli, "engagements", "list", "--phase", "mitigation")] \
        == ["2024-01-15"]


@pytest.mark.parametrize(("args", "message"), [
    (["--phase", "preventon", "--dimension", "social"],
     "--phase: engagements[2024-01-10/T].phase: 'preventon' is not allowed; use one of "
     "prevention, mitigation, response, recovery (did you mean 'prevention'?)"),
    (["--phase", "response", "--dimension", "spiritual"],
     "--dimension: engagements[2024-01-10/T].dimension: 'spiritual' is not allowed; use one of "
     "physical, emotional, social, behavioral, academic"),
    (["--phase", "response", "--dimension", "social", "-c", "a", "-c", "bb"],
     "--connector: engagements[2024-01-10/T].connectors: unknown connector 'bb'; did you mean "
     "'b'?"),
    (["--phase", "response", "--dimension", "social", "-c", "nobody-here"],
     "unknown connector 'nobody-here'; known: a, b, c, d"),
])
def test_engagement_refusals_name_what_is_allowed(cli, hand, args, message):
    before = counts()
    result = cli("engagements", "add", "T", "--date", "2024-01-10", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert "nothing was written" in result.stderr
    assert counts() == before


def test_an_engagement_with_the_same_date_and_title_is_refused(cli, hand):
    before = counts()
    result = cli("engagements", "add", "Support circle", "--date", "2024-01-15", "--phase",
                 "response", "--dimension", "social")
    assert result.exit_code == 1
    assert "an engagement 'Support circle' on 2024-01-15 already exists" in result.stderr
    assert counts() == before


def test_engagements_list_filters(cli, hand):
    def titles(*args: str) -> list[str]:
        return [r["title"] for r in as_json(cli, "engagements", "list", *args)]

    assert titles("--connector", "a") == ["Listening session", "Counseling roundtable",
                                          "Support circle"]
    assert titles("--from", "2023-10-01", "--to", "2023-12-01") == [
        "Walk of the school zone", "Counseling roundtable", "Staff-only review"]
    assert titles("--phase", "recovery", "--dimension", "social") == [
        "Support circle", "Planned follow-up"]
    assert titles("--phase", "mitigation") == []
    bad = cli("engagements", "list", "--phase", "recvery")
    assert bad.exit_code == 1 and "did you mean 'recovery'?" in bad.stderr
    unknown = cli("engagements", "list", "--connector", "aa")
    assert unknown.exit_code == 1 and "--connector: unknown connector 'aa'" in unknown.stderr
    backwards = cli("engagements", "list", "--from", "2024-01-01", "--to", "2023-01-01")
    assert backwards.exit_code == 1 and "before --from" in backwards.stderr


# ---------------------------------------------------------------- the report


def test_report_matrix_counts_every_cell_of_the_hand_worked_set(cli, hand):
    rows = as_json(cli, "report", "connectors")
    assert isinstance(rows, list) and len(rows) == 20
    assert rows == expected_cells(FILLED)
    assert sum(1 for r in rows if r["engagements"] == 0) == 16


def test_report_matrix_over_a_date_range(cli, hand):
    rows = as_json(cli, "report", "connectors", "--from", "2023-10-01", "--to", "2024-01-15")
    assert rows == expected_cells({
        ("prevention", "physical"): (1, 2),
        ("prevention", "emotional"): (1, 1),
        ("response", "academic"): (1, 0),
        ("recovery", "social"): (1, 1),
    })


def test_report_on_an_empty_database_has_twenty_zero_cells(cli):
    rows = as_json(cli, "report", "connectors")
    assert rows == expected_cells({})


def test_report_csv_has_the_same_twenty_rows(cli, hand):
    result = cli("report", "connectors", "-f", "csv")
    lines = result.stdout.splitlines()
    assert lines[0] == "phase,dimension,engagements,connectors"
    assert len(lines) == 21
    assert "prevention,physical,2,3" in lines and "mitigation,academic,0,0" in lines


def test_stale_days_wraps_json_with_stale_connectors_and_new_by_sector(cli, hand):
    doc = as_json(cli, "report", "connectors", "--stale-days", "100")
    assert set(doc) == {"rows", "stale_connectors", "new_by_sector"}
    assert doc["rows"] == expected_cells(FILLED)
    # Today 2024-01-15, cutoff 2023-10-07: a was engaged today; b and c last on 2023-10-01
    # (106 days); d only on a date after today, so never yet. Never-engaged first.
    stale = [(r["id"], r["last_engaged"], r["days_since"]) for r in doc["stale_connectors"]]
    assert stale == [("d", None, None), ("b", "2023-10-01", 106), ("c", "2023-10-01", 106)]
    assert doc["new_by_sector"] == [
        {"sector": "faith", "connectors": 2, "new_connectors": 2, "new_organizations": 1},
        {"sector": "parents", "connectors": 1, "new_connectors": 0, "new_organizations": 0},
        {"sector": None, "connectors": 1, "new_connectors": 1, "new_organizations": 1},
    ]


def test_stale_days_boundary_counts_the_day_n_days_ago_as_engaged(cli, hand):
    def stale(days: str) -> list[str]:
        doc = as_json(cli, "report", "connectors", "--stale-days", days)
        return [r["id"] for r in doc["stale_connectors"]]

    assert stale("106") == ["d"]
    assert stale("105") == ["d", "b", "c"]
    assert stale("0") == ["d", "b", "c"]  # a's engagement is today: engaged in the last 0 days


def test_table_view_is_a_heat_map_then_the_stale_list_and_sectors(cli, hand):
    result = cli("report", "connectors", "--stale-days", "100")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "2 eng / 3 conn" in text and "1 eng / 0 conn" in text
    grid = [line for line in text.splitlines() if line.startswith(tuple(f"│ {p} " for p in PHASES))]
    assert len(grid) == 4
    assert sum(line.count(" none ") for line in grid) == 16
    assert grid[1].count(" none ") == 5  # mitigation: no input in any dimension
    assert "4 of 20 cells have input; 16 have none" in text
    assert "Connectors not engaged in the last 100 days (as of 2024-01-15)" in text
    assert text.index("not engaged") < text.index("Connectors by sector")
    header = next(line for line in text.splitlines() if "physical" in line)
    assert [header.index(d) for d in DIMENSIONS] == sorted(header.index(d) for d in DIMENSIONS)


def test_html_heat_map_colours_empty_cells(cli, hand, tmp_path):
    out = tmp_path / "report.html"
    result = cli("report", "connectors", "-f", "html", "-o", out)
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    # The heat map is an inline SVG: an empty cell is white with a mark and the word.
    assert "<svg" in html and "✕ none" in html and 'fill="#ffffff"' in html
    assert 'fill="#116329"' in html  # the busiest cells in the darkest green


def test_seed_report_has_twenty_cells_with_gaps(cli, seeded):
    rows = as_json(cli, "report", "connectors")
    assert len(rows) == 20
    assert {(r["phase"], r["dimension"]) for r in rows} == {(p, d) for p in PHASES
                                                           for d in DIMENSIONS}
    empty = [r for r in rows if r["engagements"] == 0]
    assert 0 < len(empty) < 20
    assert all(r["connectors"] == 0 for r in empty)
    connectors = as_json(cli, "connectors", "list")
    assert len(connectors) >= 6 and any(c["status"] == "new" for c in connectors)
    assert all("Example" in (c["organization"] or "Example") for c in connectors)


@pytest.mark.slow
def test_installed_report_connectors_json_end_to_end(cli, seeded):
    result = run_installed("report", "connectors", "--stale-days", "180", "-f", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert len(doc["rows"]) == 20 and doc["stale_connectors"]
    assert all(set(s) >= {"id", "last_engaged", "days_since"} for s in doc["stale_connectors"])


def test_heat_map_fits_an_80_column_terminal_with_two_line_cells(hand):
    import io

    from crotool.output import pictures
    from crotool.output.terminal import make_console

    rows = [{"phase": p, "dimension": d, "engagements": FILLED.get((p, d), (0, 0))[0],
             "connectors": FILLED.get((p, d), (0, 0))[1]} for p in PHASES for d in DIMENSIONS]
    buf = io.StringIO()
    make_console(file=buf, width=80).print(pictures.connectors_heat_map(None, None, rows, False))
    lines = buf.getvalue().splitlines()
    grid = lines[: lines.index("") if "" in lines else len(lines)]
    assert all(len(line.rstrip()) <= 80 for line in grid)
    prevention = next(i for i, line in enumerate(grid) if line.startswith("│ prevention"))
    assert "2 eng" in grid[prevention] and "3 conn" in grid[prevention + 1]
    assert "eng / " not in "".join(grid)


# ---------------------------------------------------------------- the report's lower tables

STALE_TITLE = "Connectors not engaged in the last"
SECTORS_TITLE = "Connectors by sector"


@pytest.mark.parametrize("extra", [(), ("--from", "2023-10-01"), ("-o", "conn.txt")],
                         ids=["stdout", "from", "output"])
def test_table_view_draws_each_lower_table_once(cli, seeded, tmp_path, extra):
    args = [str(tmp_path / a) if a == "conn.txt" else a for a in extra]
    result = cli("report", "connectors", *args)
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "conn.txt").read_text(encoding="utf-8") if "-o" in extra \
        else result.stdout
    assert text.count(STALE_TITLE) == 1
    assert text.count(f"{STALE_TITLE} 180 days (as of 2024-01-15)") == 1
    assert text.count(SECTORS_TITLE) == 1
    # The seed's health clinic has never been engaged: its row says so, once.
    rows = [line for line in text.splitlines() if line.startswith("│ health-clinic ")]
    assert len(rows) == 1 and "│ never " in rows[0]
    assert text.index("none") < text.index(STALE_TITLE) < text.index(SECTORS_TITLE)


def test_table_view_lower_tables_with_no_sector_and_nobody_stale(cli, hand):
    text = cli("report", "connectors", "--stale-days", "106").stdout
    stale = [line for line in text.splitlines() if line.startswith("│ d ")]
    assert len(stale) == 1 and "│ never " in stale[0]
    assert any(line.startswith("│ (no sector) ") for line in text.splitlines())
    quiet = cli("report", "connectors", "--stale-days", "200", "--to", "2023-01-01").stdout
    assert quiet.count(STALE_TITLE) == 1 and quiet.count(SECTORS_TITLE) == 1
    quiet = cli("report", "connectors", "--stale-days", "1").stdout
    assert quiet.count(f"{STALE_TITLE} 1 day (as of 2024-01-15)") == 1


def _connectors_section() -> str:
    # The README's connectors section now lives in the user guide.
    guide = (Path(__file__).resolve().parent.parent / "docs" / "guide.md").read_text(
        encoding="utf-8")
    section = guide.split("<!-- section:connectors -->", 1)[1].split(
        "<!-- /section:connectors -->", 1)[0]
    return " ".join(section.split())


def test_markdown_has_the_cells_then_the_two_lower_tables_as_documented(cli, hand):
    result = cli("report", "connectors", "--stale-days", "106", "-f", "markdown")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == ["# Community input by phase and dimension",
                        f"## {STALE_TITLE} 106 days \\(as of 2024-01-15\\)",
                        f"## {SECTORS_TITLE}"]
    assert "| d | Solo |  |  | new | never |  |" in text.splitlines()
    assert "| \\(no sector\\) | 1 | 1 | 1 |" in text.splitlines()
    # CSV (and JSON without --stale-days) stay the 20 cells.
    assert len(cli("report", "connectors", "--stale-days", "106", "-f", "csv")
               .stdout.splitlines()) == 21
    assert len(as_json(cli, "report", "connectors")) == 20
    # The README and --help say the same: only CSV is just the cells; Markdown and HTML
    # carry the lower tables as the table view does.
    help_text = " ".join(cli("report", "connectors", "--help").stdout.split())
    for doc in (_connectors_section(), help_text):
        assert "CSV always carries just the 20 cells" in doc
        assert "Markdown and HTML" in doc and "the same two tables" in doc
        assert "Markdown always carry" not in doc and "CSV and Markdown carry" not in doc


def test_summary_counts_in_words(cli, hand):
    one = cli("report", "connectors", "--stale-days", "106", "-f", "markdown").stdout
    assert "4 of 20 cells have input; 1 connector not engaged in the last 106 days" in one
    three = cli("report", "connectors", "--stale-days", "1", "-f", "markdown").stdout
    assert "3 connectors not engaged in the last 1 day" in three
    single = cli("report", "connectors", "--from", "2023-11-01", "--to", "2023-11-01",
                 "-f", "markdown").stdout
    assert "1 of 20 cells has input;" in single
