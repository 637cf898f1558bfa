"""A synthetic county for the benchmarks: agencies, patterns, schools, officers, years, duties.

Deterministic (seeded random), built through crotool's own `db.connect` (so the schema is the
real one, indexes included) and written with executemany in one transaction: the point is to
measure crotool's reads and imports against a realistic file, not to measure this generator.

    python bench/county.py OUT.db [--patterns 100] [--agencies 12] [--years 10] [--duties 1000000]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crotool.store import db

CATEGORIES = (
    "threat-assessment", "threat-management", "emergency-response", "safety-assessment",
    "cps-investigation", "truancy-service", "no-trespass-service", "collision-response",
    "traffic-safety", "evidence-handling", "educational-support", "safety-training",
    "policy-compliance",
)
REQUESTED = {"threat-assessment", "safety-assessment", "educational-support", "safety-training"}
ROLES = ("law-enforcement", "positive-school-climate", "crime-prevention", "education")
# Follow-up rules like the seed's (category, id, within_hours).
RULES = (("cps-investigation", "cps-report", 48), ("collision-response", "collision-report", 96),
         ("no-trespass-service", "appeal-window", 720))


def years(n: int, last_start: int = 2025) -> list[tuple[str, str, str]]:
    out = []
    for y in range(last_start - n + 1, last_start + 1):
        out.append((f"{y}-{(y + 1) % 100:02d}", f"{y}-09-03", f"{y + 1}-06-19"))
    return out


def build(path: Path, *, patterns: int = 100, agencies: int = 12, per_pattern: int = 6,
          officers: int = 600, n_years: int = 10, duties: int = 1_000_000,
          incidents: int = 0, seed: int = 7) -> dict:
    """Create the county at `path` (which must not exist); return a summary."""
    rnd = random.Random(seed)
    conn = db.connect(path)
    ys = years(n_years)
    agency_ids = [f"agency-{i:02d}" for i in range(agencies)]
    pattern_ids = [f"pattern-{i:03d}" for i in range(patterns)]
    schools = []
    for i, p in enumerate(pattern_ids):
        for k in range(per_pattern):
            level = "high" if k == 0 else "middle" if k == 1 else "elementary"
            also = [pattern_ids[(i + 1) % patterns]] if level == "middle" and i % 10 == 0 else []
            schools.append((f"{p}-s{k}", f"School {i}-{k}", level, p, json.dumps(also),
                            agency_ids[(i + k) % agencies], "Town"))
    # Officers: spread over agencies; each required pair gets a CRO most years.
    badges = [f"{10000 + i}" for i in range(officers)]
    officer_rows = []
    for i, b in enumerate(badges):
        trained = date(2015, 8, 1) + timedelta(days=rnd.randrange(0, 3600))
        officer_rows.append((b, f"Officer {i}", agency_ids[i % agencies],
                             "inactive" if i % 37 == 0 else "active", trained.isoformat()))
    by_agency: dict[str, list[str]] = {}
    for b, _, a, _, _ in officer_rows:
        by_agency.setdefault(a, []).append(b)
    pairs = sorted({(s[3], s[5]) for s in schools})
    assignments, leaves = [], []
    for year_id, start, end in ys:
        for j, (p, a) in enumerate(pairs):
            if rnd.random() < 0.08:
                continue  # unstaffed pair
            pool = by_agency[a]
            officer = pool[(j + int(year_id[:4])) % len(pool)]
            if rnd.random() < 0.1:  # a hand-over mid-year
                mid = (date.fromisoformat(start) + timedelta(days=rnd.randrange(60, 200)))
                other = pool[(j + 1 + int(year_id[:4])) % len(pool)]
                assignments.append((officer, p, year_id, "cro", start, mid.isoformat()))
                nxt = mid + timedelta(days=rnd.choice((1, 1, 1, 8)))
                if nxt.isoformat() <= end:
                    assignments.append((other, p, year_id, "cro", nxt.isoformat(), end))
            else:
                assignments.append((officer, p, year_id, "cro", start, end))
            if rnd.random() < 0.03:  # a second CRO: a duplicate conflict
                extra = pool[(j + 2 + int(year_id[:4])) % len(pool)]
                assignments.append((extra, p, year_id, "cro", start, end))
        for b in badges:
            if rnd.random() < 0.5:
                s = date.fromisoformat(start) + timedelta(days=rnd.randrange(0, 280))
                leaves.append((b, s.isoformat(), (s + timedelta(days=rnd.randrange(1, 21)))
                               .isoformat(), "leave"))
    # Distinct keys only (the generator may pick the same officer twice for one pattern).
    assignments = list({(a[0], a[1], a[2], a[4]): a for a in assignments}.values())
    leaves = list({(lv[0], lv[1]): lv for lv in leaves}.values())

    with db.transaction(conn):
        conn.execute("INSERT INTO district (id, name, short_name) VALUES (1, 'Synthetic County',"
                     " 'SC')")
        conn.executemany("INSERT INTO school_years (id, start, end) VALUES (?, ?, ?)", ys)
        conn.executemany("INSERT INTO agencies (id, name, kind, jurisdiction) VALUES (?, ?, ?,"
                         " '[]')", [(a, a.title(), "city") for a in agency_ids])
        conn.executemany("INSERT INTO feeder_patterns (id, name, high_school) VALUES (?, ?, ?)",
                         [(p, p.title(), f"{p}-s0") for p in pattern_ids])
        conn.executemany("INSERT INTO schools (id, name, level, feeder_pattern, also_feeds,"
                         " agency, city) VALUES (?, ?, ?, ?, ?, ?, ?)", schools)
        conn.executemany("INSERT INTO officers (badge, name, agency, status, school_trained_on)"
                         " VALUES (?, ?, ?, ?, ?)", officer_rows)
        conn.executemany("INSERT INTO assignments (officer, feeder_pattern, school_year, role,"
                         " start, end) VALUES (?, ?, ?, ?, ?, ?)", assignments)
        conn.executemany("INSERT INTO leaves (officer, start, end, reason) VALUES (?, ?, ?, ?)",
                         leaves)
        conn.executemany("INSERT INTO roles (id, name) VALUES (?, ?)",
                         [(r, r.replace("-", " ").title()) for r in ROLES])
        conn.executemany("INSERT INTO duty_categories (id, name, requires_request, role) VALUES"
                         " (?, ?, ?, ?)", [(c, c.replace("-", " ").title(), int(c in REQUESTED),
                                            ROLES[i % len(ROLES)])
                                           for i, c in enumerate(CATEGORIES)])
        conn.executemany("INSERT INTO followup_rules (category, id, name, within_hours) VALUES"
                         " (?, ?, ?, ?)", [(c, r, r.replace("-", " "), h) for c, r, h in RULES])
        conn.executemany("INSERT INTO duties (officer, school, category, at, minutes,"
                         " requested_by, reference) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         duty_rows(rnd, duties, badges, [s[0] for s in schools], ys))
        if incidents:
            _annual_rows(conn, rnd, incidents, ys[-1], schools, agency_ids, assignments)
        # Most follow-ups done (some late), one duty in a hundred still open: what a
        # district's years of records look like.
        conn.execute("""INSERT INTO followups (officer, school, category, at, rule, done_at)
            SELECT d.officer, d.school, d.category, d.at, r.id,
                   strftime('%Y-%m-%dT%H:%M:%S', d.at,
                            '+' || ((d.id * 7) % (r.within_hours + 12)) || ' hours')
            FROM followup_rules r JOIN duties d ON d.category = r.category
            WHERE d.id % 100 != 0""")
    conn.close()
    return {"years": [y[0] for y in ys], "pairs": len(pairs), "schools": len(schools),
            "officers": officers, "assignments": len(assignments), "leaves": len(leaves),
            "duties": duties}


RACES = ("american-indian-alaska-native", "asian", "black-african-american", "hispanic-latino",
         "native-hawaiian-pacific-islander", "two-or-more", "white")


def _annual_rows(conn, rnd: random.Random, n: int, year: tuple[str, str, str],
                 schools: list[tuple], agency_ids: list[str], assignments: list[tuple]) -> None:
    """What `report annual` reads, in the last year: n incidents (about half flagged, each of
    those with 1-3 student rows), n/20 complaints, and a schedule for each assigned officer at
    its pattern's high school."""
    year_id, start, end = year
    cats = [("race", r) for r in RACES] + [("ethnicity", e) for e in (
        "hispanic-latino", "not-hispanic-latino")] + [("gender", g) for g in (
            "female", "male", "gender-x")]
    conn.executemany("INSERT INTO student_categories (kind, id, name) VALUES (?, ?, ?)",
                     [(k, i, i.title()) for k, i in cats])
    first, days = date.fromisoformat(start), (date.fromisoformat(end) -
                                              date.fromisoformat(start)).days
    incident_rows, students = [], []
    for i in range(n):
        flags = [int(rnd.random() < 0.3), int(rnd.random() < 0.1), int(rnd.random() < 0.15)]
        at = (first + timedelta(days=rnd.randrange(days + 1))).isoformat() + "T10:00:00"
        ref = f"INC-{i:06d}"
        ids = json.dumps([f for f, on in zip(("discipline", "use_of_force", "arrest"), flags,
                                             strict=True) if on])
        incident_rows.append((ref, schools[rnd.randrange(len(schools))][0], at, *flags, ids,
                              f"Incident {i}"))
        if any(flags):
            for seq in range(1, rnd.randint(1, 3) + 1):
                students.append((ref, seq, rnd.choice(RACES), rnd.choice(
                    ("hispanic-latino", "not-hispanic-latino")), rnd.choice(
                    ("female", "male", "gender-x")), str(rnd.randint(6, 12)),
                    rnd.randrange(2), rnd.randrange(2)))
    conn.executemany("INSERT INTO incidents (reference, school, at, discipline, use_of_force,"
                     " arrest, flags, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", incident_rows)
    conn.executemany("INSERT INTO incident_students (incident, seq, race, ethnicity, gender,"
                     " grade, iep, plan_504) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", students)
    conn.executemany(
        "INSERT INTO complaints (reference, received_on, agency, about, filed_with, status)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(f"CMP-{i:05d}", (first + timedelta(days=rnd.randrange(days + 1))).isoformat(),
          rnd.choice(agency_ids), rnd.choice(("job_duties", "student_interaction")),
          rnd.choice(("school", "agency")), "open") for i in range(n // 20)])
    scheduled = {(a[0], f"{a[1]}-s0") for a in assignments if a[2] == year_id}
    conn.executemany("INSERT INTO schedules (officer, school, school_year, days_per_week)"
                     " VALUES (?, ?, ?, ?)",
                     [(o, s, year_id, rnd.choice((1, 2.5, 3, 5))) for o, s in sorted(scheduled)])


def duty_rows(rnd: random.Random, n: int, badges: list[str], school_ids: list[str],
              ys: list[tuple[str, str, str]]):
    """n distinct duties: the minute counter makes every (officer, school, category, at)
    unique without a set of seen keys."""
    first = date.fromisoformat(ys[0][1])
    span = (date.fromisoformat(ys[-1][2]) - first).days * 24 * 60
    step = max(1, span // max(n, 1))
    for i in range(n):
        minute = i * step + rnd.randrange(step)
        day, rest = divmod(minute, 24 * 60)
        at = f"{(first + timedelta(days=day)).isoformat()}T{rest // 60:02d}:{rest % 60:02d}:00"
        category = CATEGORIES[rnd.randrange(len(CATEGORIES))]
        yield (badges[rnd.randrange(len(badges))], school_ids[rnd.randrange(len(school_ids))],
               category, at, rnd.randrange(5, 240),
               "Principal" if category in REQUESTED else None, f"R-{i}")


def write_duties_csv(path: Path, n: int, db_path: Path, seed: int = 11) -> None:
    """A CSV of n duties that reference the county at db_path (for the import benchmark)."""
    conn = db.connect(db_path)
    badges = [r[0] for r in conn.execute("SELECT badge FROM officers")]
    school_ids = [r[0] for r in conn.execute("SELECT id FROM schools")]
    ys = [tuple(r) for r in conn.execute("SELECT id, start, end FROM school_years ORDER BY id")]
    conn.close()
    rnd = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["officer", "school", "category", "at", "minutes", "requested_by",
                    "reference"])
        for row in duty_rows(rnd, n, badges, school_ids, ys):
            w.writerow(["" if v is None else v for v in row])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--patterns", type=int, default=100)
    ap.add_argument("--agencies", type=int, default=12)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--duties", type=int, default=1_000_000)
    args = ap.parse_args()
    if args.out.exists():
        sys.exit(f"{args.out} exists")
    print(build(args.out, patterns=args.patterns, agencies=args.agencies, n_years=args.years,
                duties=args.duties))


if __name__ == "__main__":
    main()
