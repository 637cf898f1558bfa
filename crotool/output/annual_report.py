"""How `report annual` looks in each format (the report itself is `annual.annual_report`).

Only the parts the report holds are shown (the rules in force list them: staff, agencies,
incidents, complaints, training).
- json: the report object as it is.
- csv: one row per value, columns `part, key, field, value`, in the object's order:
  `school_year` (key empty), `staff` (key: school id; fields name, officers (badges joined by
  ';'), staff_count, and `days_per_week.BADGE` for each assigned officer, empty = no
  schedule), `staff_total`, `agencies` (key: agency id; name, agreement_adopted_on),
  `incidents` (key: reference; school, at, one field per incident flag (its id), summary,
  and `students.SEQ.FIELD` for each student row) or, suppressed, `incident_counts` (key:
  group; field: value; value: the count), `complaints` (key: about; field count),
  `training_as_of` and `training` (key: badge; each field of its row), `warnings` (key: 1,
  2, ...; field text). One long table keeps every part in one file a spreadsheet opens.
- table, markdown, html, svg: a title, the district and year, then each part as its own
  titled table with names beside ids (an incident's flags by their names), then the
  warnings.

What the report says about itself comes in `meta` from the caller: the title and the parts'
titles (the report rule in force), the district, the year, the names beside ids, the
incident flags (ids and names) and student fields, and today.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from crotool.errors import EXIT_USAGE, CroError
from crotool.output import charts
from crotool.output.encode import to_csv, to_json
from crotool.output.files import emit
from crotool.output.render import FORMATS, render
from crotool.output.view import Context, View

CSV_COLUMNS = ("part", "key", "field", "value")


def csv_rows(report: dict[str, Any], suppressed: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(part: str, key: Any, field: str, value: Any) -> None:
        rows.append({"part": part, "key": key, "field": field, "value": value})

    add("school_year", "", "school_year", report["school_year"])
    for r in report.get("staff", ()):
        add("staff", r["school"], "name", r["name"])
        add("staff", r["school"], "officers", r["officers"])
        add("staff", r["school"], "staff_count", r["staff_count"])
        for badge, days in r["days_per_week"].items():
            add("staff", r["school"], f"days_per_week.{badge}", _days(days))
    if "staff_total" in report:
        add("staff_total", "", "staff_total", report["staff_total"])
    for r in report.get("agencies", ()):
        add("agencies", r["agency"], "name", r["name"])
        add("agencies", r["agency"], "agreement_adopted_on", r["agreement_adopted_on"])
    if suppressed:
        for r in report.get("incidents", ()):
            add("incident_counts", r["group"], r["value"], r["count"])
    else:
        for r in report.get("incidents", ()):
            for f, v in r.items():
                if f not in ("reference", "students"):
                    add("incidents", r["reference"], f, v)
            for s in r["students"]:
                for f, v in s.items():
                    if f != "seq":
                        add("incidents", r["reference"], f"students.{s['seq']}.{f}", v)
    for about, n in report.get("complaints", {}).items():
        add("complaints", about, "count", n)
    if "training" in report:
        add("training_as_of", "", "training_as_of", report["training_as_of"])
        for r in report["training"]:
            for f, v in r.items():
                if f != "officer":
                    add("training", r["officer"], f, v)
    for i, text in enumerate(report["warnings"], start=1):
        add("warnings", i, "text", text)
    return rows


def _days(days: float | None) -> str | None:
    return None if days is None else f"{days:g}"


def heading(titles: dict[str, Any], part: str) -> str:
    """A part's heading: its letter (when the data gives one) and its title."""
    letter = titles.get(f"{part}_letter")
    return f"{letter} {titles[f'{part}_title']}" if letter else str(titles[f"{part}_title"])


def parts(report: dict[str, Any], names: dict[str, dict[str, str]], suppressed: bool,
          titles: dict[str, Any], *, compact: bool = False,
          flags: Sequence[dict[str, str]] = (), student_fields: Sequence[str] = ()
          ) -> list[tuple[list[dict[str, Any]], View]]:
    """The titled tables of the human formats, each (rows, View), for the parts the report
    holds; `names` maps school/officer/agency ids to names, `titles` the parts to their
    letters and titles, `flags` the report's incident flags (id, name: an incident's are
    shown by name) and `student_fields` the columns of its students. A table that belongs to
    the part before it has `level` 3. `compact` (a terminal): a student's fields as one list,
    which wraps between its items."""
    def view(title: str, columns: tuple[str, ...], **kw: Any) -> View:
        return View(title=title, columns=columns, names={}, empty=kw.pop("empty", "none"),
                    **kw)

    out: list[tuple[list[dict[str, Any]], View]] = []
    if "staff" in report:
        out.append(_staff(report, names["officers"], heading(titles, "staff"), view))
    if "agencies" in report:
        out.append((report["agencies"], view(heading(titles, "agencies"),
                                             ("agency", "name", "agreement_adopted_on"),
                                             headers={"agreement_adopted_on":
                                                      "agreement adopted on"})))
    if "incidents" in report and suppressed:
        out.append((report["incidents"], view(
            f"{heading(titles, 'incidents')} (counts only)", ("group", "value", "count"),
            justify={"count": "right"})))
    elif "incidents" in report:
        out += _incidents(report, names["schools"], heading(titles, "incidents"), view,
                          flags=flags, fields=tuple(student_fields), compact=compact)
    if "complaints" in report:
        out.append(([{"about": k.replace("_", " "), "count": v}
                     for k, v in report["complaints"].items()],
                    view(heading(titles, "complaints"), ("about", "count"),
                         justify={"count": "right"})))
    if "training" in report:
        out.append((report["training"], view(
            f"{heading(titles, 'training')} (as of {report['training_as_of']})",
            ("officer", "officer_name", "agency", "status", "classroom_done",
             "classroom_required", "on_the_job_days", "on_the_job_required", "missing"),
            headers={"officer_name": "name", "classroom_done": "classroom done",
                     "classroom_required": "of", "on_the_job_days": "on-the-job days",
                     "on_the_job_required": "of"},
            justify={c: "right" for c in ("classroom_done", "classroom_required",
                                          "on_the_job_days", "on_the_job_required")},
            secondary=("missing", "officer_name", "agency"), blanks={"status": "unknown"})))
    return out


def _staff(report: dict[str, Any], officers: dict[str, str], title: str, view: Any
           ) -> tuple[list[dict[str, Any]], View]:
    staff = [{
        "school": r["school"], "name": r["name"],
        "officers": [f"{b} {officers.get(b, '')}".strip() for b in r["officers"]],
        "staff_count": r["staff_count"],
        "days_per_week": "; ".join(f"{b}: {_days(d) or 'no schedule'}"
                                   for b, d in r["days_per_week"].items()),
    } for r in report["staff"]]
    return (staff, view(title, ("school", "name", "officers", "staff_count", "days_per_week"),
                        headers={"staff_count": "staff", "days_per_week": "days per week"},
                        justify={"staff_count": "right"},
                        caption=f"In the district: {report['staff_total']} distinct officers.",
                        secondary=("name", "days_per_week")))


def _incidents(report: dict[str, Any], schools: dict[str, str], title: str, view: Any, *,
               flags: Sequence[dict[str, str]], fields: tuple[str, ...], compact: bool
               ) -> list[tuple[list[dict[str, Any]], View]]:
    """The incidents (their flags by name) and, below them, their students' rows."""
    incidents = [{"reference": r["reference"], "school": r["school"],
                  "school_name": schools.get(r["school"], ""), "at": r["at"],
                  "flags": [f["name"] for f in flags if r.get(f["id"])],
                  "students": len(r["students"]), "summary": r["summary"]}
                 for r in report["incidents"]]
    students = [{"reference": r["reference"], **s} for r in report["incidents"]
                for s in r["students"]]
    if compact:
        students = [{"reference": s["reference"], "seq": s["seq"],
                     "student": [_student_item(f, s.get(f)) for f in fields]}
                    for s in students]
        fields = ("student",)
    return [(incidents, view(title, ("reference", "school", "school_name", "at", "flags",
                                     "students", "summary"),
                             headers={"school_name": "school name"}, justify={"students":
                                                                              "right"},
                             secondary=("school_name", "summary", "students"),
                             empty="no such incidents in this year")),
            (students, view("Students in those incidents (no names or identifiers)",
                            ("reference", "seq", *fields), headers={"plan_504": "504 plan"},
                            level=3))]


def _student_item(field: str, value: Any) -> str:
    label = {"grade": "grade", "iep": "IEP", "plan_504": "504 plan"}.get(field)
    if isinstance(value, bool):
        value = "yes" if value else "no"
    shown = "unknown" if value is None else str(value)
    return f"{label} {shown}" if label else shown


def flag_chart(report: dict[str, Any], flags: Sequence[dict[str, str]], title: str) -> str:
    """Bars of the year's incidents by flag, each named (an incident may carry several)."""
    items = []
    for flag in flags:
        n = sum(1 for r in report["incidents"] if r.get(flag["id"]))
        items.append((flag["name"], n, f"{n} incident{'s' if n != 1 else ''}"))
    return charts.bars(items, title=title)


WARNINGS = "Data-quality warnings"


def render_annual(report: dict[str, Any], fmt: str, output: str | None, *,
                  meta: dict[str, Any], suppressed: bool) -> None:
    """The one entry point: every format of `report annual`."""
    if fmt == "json":
        emit(to_json(report), output)
        return
    if fmt == "csv":
        emit(to_csv(csv_rows(report, suppressed), list(CSV_COLUMNS)), output)
        return
    if fmt not in FORMATS:
        raise CroError(f"unknown format '{fmt}'", code=EXIT_USAGE)
    year = meta["year"]
    titles = meta["titles"]
    said = []
    if "staff" in report:
        said.append(f"{len(report['staff'])} buildings, {report['staff_total']} staff")
    if "incidents" in report and not suppressed:
        said.append(f"{len(report['incidents'])} reportable incidents")
    n = len(report["warnings"])
    summary = ", ".join([*said, f"{n} data-quality warning{'s' if n != 1 else ''}"])
    if suppressed:
        summary += (f". Public version: counts below {meta['suppress_under']} are shown as "
                    f"<{meta['suppress_under']}, and incidents only as counts.")
    period = f"school year {year['id']} ({year['start']} to {year['end']})"
    context = Context(district=meta["district"], made_on=date.fromisoformat(meta["today"]),
                      rules=meta.get("rules"))
    tables = parts(report, meta["names"], suppressed, titles, compact=fmt == "table",
                   flags=meta["flags"], student_fields=meta["student_fields"])
    warnings = [{"warning": w} for w in report["warnings"]]
    warnings_view = View(title=WARNINGS, columns=("warning",), names={},
                                empty="none: every part is complete")
    (first_rows, first), rest = tables[0], tables[1:]
    chart_title = f"Incidents by flag, {year['id']}"
    chart = (None if suppressed or "incidents" not in report
             else lambda _rows: flag_chart(report, meta["flags"], chart_title))
    extra = list(rest)
    lists: list[tuple[str, list[str]]] = []
    if fmt in ("html", "markdown"):
        # A document lists the warnings; a terminal shows them as one more table.
        lists = [(WARNINGS, list(report["warnings"]) or [warnings_view.empty])]
    else:
        extra.append((warnings, warnings_view))
    title = meta["title"] if fmt != "table" else f"{meta['title']}: {first.title}"
    main = replace(first, title=title, heading=first.title, summary=summary,
                   period=period, chart=chart, extra=extra, lists=lists,
                   caption=" · ".join(x for x in (meta["district"], period, summary, first.caption)
                                      if x) if fmt == "table" else first.caption)
    render(first_rows, fmt, view=main, output=output, context=context)
