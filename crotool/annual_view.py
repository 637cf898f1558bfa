"""How `report annual` looks in each format (the report itself is `annual.annual_report`).

- json: the report object as it is (SPEC §4.6).
- csv: one row per value, columns `part, key, field, value`, in the object's order:
  `school_year` (key empty), `staff` (key: school id; fields name, officers (badges joined by
  ';'), staff_count, and `days_per_week.BADGE` for each assigned officer, empty = no
  schedule), `staff_total`, `agencies` (key: agency id; name, agreement_adopted_on),
  `incidents` (key: reference; school, at, discipline, use_of_force, arrest, summary, and
  `students.SEQ.FIELD` for each student row) or, suppressed, `incident_counts` (key: group;
  field: value; value: the count), `complaints` (key: about; field count), `warnings` (key:
  1, 2, ...; field text). One long table keeps every part in one file a spreadsheet opens.
- table, markdown, html, svg: a title, the district and year, then each part (a) to (d) as
  its own titled table with names beside ids, then the warnings (`render.render_document`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

CSV_COLUMNS = ("part", "key", "field", "value")


def csv_rows(report: dict[str, Any], suppressed: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(part: str, key: Any, field: str, value: Any) -> None:
        rows.append({"part": part, "key": key, "field": field, "value": value})

    add("school_year", "", "school_year", report["school_year"])
    for r in report["staff"]:
        add("staff", r["school"], "name", r["name"])
        add("staff", r["school"], "officers", r["officers"])
        add("staff", r["school"], "staff_count", r["staff_count"])
        for badge, days in r["days_per_week"].items():
            add("staff", r["school"], f"days_per_week.{badge}", _days(days))
    add("staff_total", "", "staff_total", report["staff_total"])
    for r in report["agencies"]:
        add("agencies", r["agency"], "name", r["name"])
        add("agencies", r["agency"], "agreement_adopted_on", r["agreement_adopted_on"])
    if suppressed:
        for r in report["incidents"]:
            add("incident_counts", r["group"], r["value"], r["count"])
    else:
        for r in report["incidents"]:
            for f in ("school", "at", "discipline", "use_of_force", "arrest", "summary"):
                add("incidents", r["reference"], f, r[f])
            for s in r["students"]:
                for f, v in s.items():
                    if f != "seq":
                        add("incidents", r["reference"], f"students.{s['seq']}.{f}", v)
    for about, n in report["complaints"].items():
        add("complaints", about, "count", n)
    for i, text in enumerate(report["warnings"], start=1):
        add("warnings", i, "text", text)
    return rows


def _days(days: float | None) -> str | None:
    return None if days is None else f"{days:g}"


def parts(report: dict[str, Any], names: dict[str, dict[str, str]], suppressed: bool
          ) -> list[Any]:
    """The titled tables of the human formats; `names` maps school/officer/agency ids to
    names."""
    from crotool.render import Part

    schools, officers = names["schools"], names["officers"]
    staff = [{
        "school": r["school"], "name": r["name"],
        "officers": [f"{b} {officers.get(b, '')}".strip() for b in r["officers"]],
        "staff_count": r["staff_count"],
        "days_per_week": "; ".join(f"{b}: {_days(d) or 'no schedule'}"
                                   for b, d in r["days_per_week"].items()),
    } for r in report["staff"]]
    out = [
        Part("(a) Safety and security staff by building", staff,
             ("school", "name", "officers", "staff_count", "days_per_week"),
             headers={"staff_count": "staff", "days_per_week": "days per week"}),
        Part("(a) Safety and security staff in the district",
             [{"measure": "distinct officers", "count": report["staff_total"]}],
             ("measure", "count")),
        Part("(b) Agencies the district has an agreement with", report["agencies"],
             ("agency", "name", "agreement_adopted_on"),
             headers={"agreement_adopted_on": "agreement adopted on"}),
    ]
    if suppressed:
        out.append(Part("(c) Incidents with discipline, use of force or arrest (counts only)",
                        report["incidents"], ("group", "value", "count")))
    else:
        incidents = [{**r, "school_name": schools.get(r["school"], ""),
                      "students": len(r["students"])} for r in report["incidents"]]
        out.append(Part("(c) Incidents with discipline, use of force or arrest", incidents,
                        ("reference", "school", "school_name", "at", "discipline",
                         "use_of_force", "arrest", "students", "summary"),
                        headers={"school_name": "school name", "use_of_force": "use of force"},
                        empty="no such incidents in this year"))
        students = [{"reference": r["reference"], **s} for r in report["incidents"]
                    for s in r["students"]]
        out.append(Part("(c) Students in those incidents (no names or identifiers)", students,
                        ("reference", "seq", "race", "ethnicity", "gender", "grade", "iep",
                         "plan_504"), headers={"plan_504": "504 plan"}))
    out.append(Part("(d) Complaints about the staff, received in the year",
                    [{"about": k.replace("_", " "), "count": v}
                     for k, v in report["complaints"].items()], ("about", "count")))
    out.append(Part("Data-quality warnings", [{"warning": w} for w in report["warnings"]],
                    ("warning",), empty="none: every part is complete"))
    return out


def render_annual(report: dict[str, Any], fmt: str, output: str | None, *,
                  meta: dict[str, Any], suppressed: bool) -> None:
    """The one entry point: every format of `report annual`."""
    from crotool import render

    if fmt == "json":
        render.emit(render.to_json(report), output)
        return
    if fmt == "csv":
        render.emit(render.to_csv(csv_rows(report, suppressed), list(CSV_COLUMNS)), output)
        return
    if fmt not in render.FORMATS:
        raise render.CroError(f"unknown format '{fmt}'", code=2)
    year = meta["year"]
    counted = "" if suppressed else f", {len(report['incidents'])} reportable incidents"
    summary = (f"{len(report['staff'])} buildings, {report['staff_total']} safety and security "
               f"staff{counted}, {len(report['warnings'])} data-quality warnings")
    if suppressed:
        summary += (f". Public version: counts below {meta['suppress_under']} are shown as "
                    f"<{meta['suppress_under']}, and incidents only as counts.")
    context = render.Context(district=meta["district"],
                             made_on=date.fromisoformat(meta["today"]))
    render.render_document(meta["title"], parts(report, meta["names"], suppressed), fmt, output,
                           summary=summary,
                           period=f"school year {year['id']} ({year['start']} to {year['end']})",
                           context=context)
