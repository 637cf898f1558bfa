"""The training rule (SPEC §4.4, §5.2 "Training"): pure functions over plain data.

Given the topics (every version of each, with its own fields), the training policy and one
officer's trainings, `deadline_row` says where that officer stands on a day (`training due`),
and `cover_spans` says on which days the officer counts as trained for coverage. Nothing here
reads a database, prints or looks at the clock; `crotool.program.training` loads the records.

How a topic is counted:
- A topic applies to an officer whose kind is in its `applies_to` (no list: every kind). Its
  version is the one in force on the day its deadline counts from (`due_from`:
  `first_on_campus`, the default, or `assignment_start`, the officer's first assignment's
  start); an officer with no such day yet gets the version in force on the day asked about,
  with no deadline.
- An on-the-job topic that says none of `due_within_months`, `due_from`, `hours`,
  `refresh_every_months` is counted as the policy says: by distinct days, with the other
  such topics (`on_the_job_days` of them by `on_the_job_within_months`). Every other topic is
  counted one by one: it is due `due_within_months` after its day (default: the policy's
  months for its kind; no policy and no months: no deadline), and done by its trainings.
- Done: with `hours`, when the hours of its trainings add up to them (a training whose hours
  were not recorded adds none); without, by any training. Each time the sum reaches the
  hours is one completion, and the sum starts again from nothing.
- With `refresh_every_months` R, a completion on day c counts from c to c + R months
  inclusive (calendar months, clamped as deadlines are): that last day is the refresher's
  deadline, and a refresher done on it leaves no day uncounted, as a training done on its
  deadline is on time. From the next day the topic is `expired` until done again.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

__all__ = [
    "DUE_FROM",
    "FOREVER",
    "Policy",
    "Rule",
    "Topic",
    "add_months",
    "completions",
    "counting_spans",
    "cover_spans",
    "deadline_row",
    "topic_states",
]

DUE_FROM = ("first_on_campus", "assignment_start")
FOREVER = date.max  # the end of a span that never ends (a completion with no refresher)
_DAY = timedelta(days=1)

Span = tuple[date, date]  # both ends inclusive


def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the month's last day: 2023-08-31 + 6 = 2024-02-29."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _in_force(start: date | None, until: date | None, day: date) -> bool:
    return (start is None or start <= day) and (until is None or day <= until)


@dataclass(frozen=True, slots=True)
class Policy:
    """`training_policy`: the default months and days for topics that say nothing."""

    classroom_within_months: int
    on_the_job_days: int
    on_the_job_within_months: int
    effective_from: date | None = None
    effective_until: date | None = None

    def in_force(self, day: date) -> bool:
        return _in_force(self.effective_from, self.effective_until, day)

    def months(self, kind: str) -> int:
        return (self.on_the_job_within_months if kind == "on_the_job"
                else self.classroom_within_months)


@dataclass(frozen=True, slots=True)
class Topic:
    """One version of a training topic, with the fields a pack may give it."""

    id: str
    kind: str = "classroom"  # classroom | on_the_job
    due_within_months: int | None = None
    due_from: str | None = None  # DUE_FROM; None: first_on_campus
    hours: float | None = None
    refresh_every_months: int | None = None
    applies_to: tuple[str, ...] | None = None  # officer kind ids; None: every kind
    required_to_cover: bool = False
    effective_from: date | None = None
    effective_until: date | None = None

    def in_force(self, day: date) -> bool:
        return _in_force(self.effective_from, self.effective_until, day)

    def applies(self, kind: str | None) -> bool:
        return self.applies_to is None or kind in self.applies_to

    @property
    def counts_from(self) -> str:
        return self.due_from or "first_on_campus"

    @property
    def by_days(self) -> bool:
        """Counted by distinct days under the policy: an on-the-job topic that says nothing."""
        return self.kind == "on_the_job" and self.due_within_months is None and (
            self.due_from is None and self.hours is None and self.refresh_every_months is None)


@dataclass(slots=True)
class Rule:
    """The policy and the topics: what every officer must complete.

    `classroom` and `on_the_job` are the topic ids (plain topics, as before packs); `topics`
    holds every version of every topic with its fields, and when left out is made from those
    ids. `policies` are the policy's versions (left out: `policy`, always in force); no
    policy at all means no default deadline and no on-the-job days.
    """

    policy: Policy | None
    classroom: tuple[str, ...] = ()  # classroom topic ids, sorted
    on_the_job: frozenset[str] = field(default_factory=frozenset)  # on-the-job topic ids
    topics: tuple[Topic, ...] = ()
    policies: tuple[Policy, ...] = ()

    def __post_init__(self) -> None:
        if not self.topics:
            self.topics = (*(Topic(t) for t in self.classroom),
                           *(Topic(t, "on_the_job") for t in sorted(self.on_the_job)))
        if not self.policies and self.policy is not None:
            self.policies = (self.policy,)

    def policy_on(self, day: date | None) -> Policy | None:
        if day is None:
            return self.policy
        return next((p for p in self.policies if p.in_force(day)), None)

    def versions(self) -> dict[str, list[Topic]]:
        """topic id -> its versions, in the order given; ids sorted."""
        out: dict[str, list[Topic]] = {}
        for t in sorted(self.topics, key=lambda t: (t.id, t.effective_from or date.min)):
            out.setdefault(t.id, []).append(t)
        return out

    @property
    def has_refreshers(self) -> bool:
        return any(t.refresh_every_months is not None for t in self.topics)

    @property
    def required(self) -> tuple[Topic, ...]:
        return tuple(t for t in self.topics if t.required_to_cover)


# ---------------------------------------------------------------- one topic's completions


def completions(sessions: Iterable[tuple[date, float | None]], hours: float | None) -> list[date]:
    """The days a topic was completed, in order, from its trainings (day, hours).

    Without `hours` every training day is a completion. With them, the trainings' hours are
    added in date order, and each day the sum reaches `hours` is a completion (the sum then
    starts again): a 16-hour topic done in two 8-hour sessions is completed on the second.
    """
    ordered = sorted(sessions, key=lambda s: s[0])
    if hours is None:
        return sorted({day for day, _ in ordered})
    out: list[date] = []
    total = 0.0
    for day, h in ordered:
        total += h or 0.0
        # A small tolerance: 0.1 + 0.2 hours is 0.3 hours.
        if total >= hours - 1e-9:
            if not out or out[-1] != day:
                out.append(day)
            total = 0.0
    return out


def counting_spans(done: Sequence[date], refresh_months: int | None) -> list[Span]:
    """The days on which a topic's completions count, as disjoint sorted spans.

    No refresher: from the first completion on, for ever (FOREVER). A refresher of R months:
    each completion c counts from c through c + R months; overlapping or touching spans merge.
    """
    if not done:
        return []
    if refresh_months is None:
        return [(min(done), FOREVER)]
    spans: list[Span] = []
    for c in sorted(done):
        end = add_months(c, refresh_months)
        if spans and c <= spans[-1][1] + _DAY:
            if end > spans[-1][1]:
                spans[-1] = (spans[-1][0], end)
        else:
            spans.append((c, end))
    return spans


@dataclass(frozen=True, slots=True)
class TopicState:
    """Where one topic counted one by one stands for an officer on a day."""

    topic: Topic
    due: date | None  # its deadline (None: none)
    state: str  # done | expired | missing
    counts_until: date | None = None  # done: the last day the completion counts


def _state(topic: Topic, sessions: list[tuple[date, float | None]], as_of: date
           ) -> tuple[str, date | None]:
    spans = counting_spans(completions([s for s in sessions if s[0] <= as_of], topic.hours),
                           topic.refresh_every_months)
    if not spans:
        return "missing", None
    for lo, hi in spans:
        if lo <= as_of <= hi:
            return "done", hi
    return "expired", None


def _start_days(officer: dict[str, Any]) -> dict[str, date | None]:
    def day(name: str) -> date | None:
        value = officer.get(name)
        return date.fromisoformat(value) if isinstance(value, str) else value

    return {"first_on_campus": day("first_on_campus"), "assignment_start": day("assignment_start")}


def _version(versions: list[Topic], starts: dict[str, date | None], as_of: date
             ) -> tuple[Topic, date | None] | None:
    """The version applied to an officer and the day its deadline counts from: the version in
    force on that day; with no day yet, the one in force on as_of (and no deadline)."""
    for v in versions:
        start = starts[v.counts_from]
        if start is not None and v.in_force(start):
            return v, start
    for v in versions:
        if starts[v.counts_from] is None and v.in_force(as_of):
            return v, None
    return None


def topic_states(officer: dict[str, Any], rule: Rule,
                 sessions: dict[str, list[tuple[date, float | None]]], as_of: date
                 ) -> tuple[list[TopicState], list[Topic]]:
    """The topics counted one by one (with their states) and the by-days topics that apply
    to this officer, each in the version applied to it."""
    starts = _start_days(officer)
    kind = officer.get("kind")
    one_by_one: list[TopicState] = []
    by_days: list[Topic] = []
    for versions in rule.versions().values():
        chosen = _version(versions, starts, as_of)
        if chosen is None or not chosen[0].applies(kind):
            continue
        topic, start = chosen
        policy = rule.policy_on(start)
        if topic.by_days and policy is not None:
            by_days.append(topic)
            continue
        months = topic.due_within_months
        if months is None and policy is not None:
            months = policy.months(topic.kind)
        due = add_months(start, months) if start is not None and months is not None else None
        state, until = _state(topic, sessions.get(topic.id, []), as_of)
        one_by_one.append(TopicState(topic, due, state, until))
    return one_by_one, by_days


# ---------------------------------------------------------------- `training due`


def _sessions(trainings: Iterable[tuple[Any, ...]]) -> dict[str, list[tuple[date, float | None]]]:
    out: dict[str, list[tuple[date, float | None]]] = {}
    for t in trainings:
        out.setdefault(t[0], []).append((t[1], t[2] if len(t) > 2 else None))
    return out


def deadline_row(officer: dict[str, Any], rule: Rule, trainings: Iterable[tuple[Any, ...]],
                 as_of: date, warn_days: int, *, with_expired: bool | None = None
                 ) -> dict[str, Any]:
    """One `training due` row for an officer.

    `officer` has badge, name, agency, first_on_campus, and optionally kind and
    assignment_start (the first assignment's start). `trainings` are (topic, completed_on)
    or (topic, completed_on, hours) of this officer; only those on or before `as_of` count.
    The row carries `expired` when `with_expired` (default: when any topic has a refresher).
    """
    sessions = _sessions(trainings)
    states, day_topics = topic_states(officer, rule, sessions, as_of)
    first = _start_days(officer)["first_on_campus"]
    policy = rule.policy_on(first)
    job_ids = {t.id for t in day_topics}
    job_days = {day for t in job_ids for day, _ in sessions.get(t, []) if day <= as_of}
    # The days part: the policy's, unless on-the-job topics exist and none applies.
    any_job_topic = any(t.by_days for t in rule.topics)
    job_required = (policy.on_the_job_days if policy is not None
                    and (day_topics or not any_job_topic) else 0)
    job_due = (add_months(first, policy.on_the_job_within_months)
               if policy is not None and first is not None else None)
    job_done = len(job_days) >= job_required

    missing = sorted(s.topic.id for s in states if s.state == "missing")
    expired = sorted(s.topic.id for s in states if s.state == "expired")
    pending = [s.due for s in states if s.state == "missing" and s.due is not None]
    dues = [s.due for s in states if s.due is not None]
    # The next deadline of a topic not done; all done, the last one; no topic with one, the
    # policy's classroom deadline.
    classroom_due = (min(pending) if pending else max(dues) if dues else
                     add_months(first, policy.classroom_within_months)
                     if policy is not None and first is not None else None)

    parts = [(s.due, s.state == "done") for s in states if s.state != "expired"]
    if job_required:
        parts.append((job_due, job_done))
    soon = as_of + timedelta(days=warn_days)
    # A refresher's last counting day is its deadline too: renewing by then keeps it done.
    renewals = [s.counts_until for s in states if s.state == "done" and s.counts_until
                and s.counts_until != FOREVER]
    if any(due is not None and due < as_of and not done for due, done in parts):
        status = "overdue"
    elif expired:
        status = "expired"
    elif (any(due is not None and due <= soon and not done for due, done in parts)
          or any(until <= soon for until in renewals)):
        status = "due_soon"
    elif all(done for _, done in parts):
        status = "complete"
    else:
        status = "in_progress"
    row = {
        "officer": officer["badge"],
        "officer_name": officer.get("name"),
        "agency": officer["agency"],
        "first_on_campus": first.isoformat() if first else None,
        "classroom_due": classroom_due.isoformat() if classroom_due else None,
        "classroom_done": sum(1 for s in states if s.state == "done"),
        "classroom_required": len(states),
        "missing": missing,
    }
    if rule.has_refreshers if with_expired is None else with_expired:
        row["expired"] = expired
    row.update({
        "on_the_job_due": job_due.isoformat() if job_due else None,
        "on_the_job_days": len(job_days),
        "on_the_job_required": job_required,
        "status": status,
    })
    return row


# ---------------------------------------------------------------- coverage


def _intersect(a: list[Span], b: list[Span]) -> list[Span]:
    out: list[Span] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _merge(spans: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    for lo, hi in sorted(spans):
        if out and (out[-1][1] == FOREVER or lo <= out[-1][1] + _DAY):
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def cover_spans(topics: Sequence[Topic], kind: str | None, school_trained_on: date | None,
                trainings: Iterable[tuple[Any, ...]], lo: date, hi: date) -> tuple[Span, ...]:
    """The days from `lo` to `hi` on which an officer counts as trained for coverage.

    `topics` are the versions of the topics marked `required_to_cover` (others are ignored).
    On a day when one of them is in force, the officer is trained when, for each one in
    force that day that applies to the officer's kind, a completion counts that day (the
    version in force that day sets its hours and refresher); on a day when none is in force,
    when `school_trained_on` is on or before it, as before packs.
    """
    required = [t for t in topics if t.required_to_cover]
    sessions = _sessions(trainings)
    cuts = {lo, hi + _DAY}
    for t in required:
        for edge in (t.effective_from, t.effective_until and t.effective_until + _DAY):
            if edge is not None and lo < edge <= hi:
                cuts.add(edge)
    edges = sorted(cuts)
    spans_of: dict[Topic, list[Span]] = {}
    out: list[Span] = []
    for a, after in zip(edges, edges[1:], strict=False):
        b = after - _DAY
        in_force = [t for t in required if t.in_force(a)]
        if not in_force:
            if school_trained_on is not None and school_trained_on <= b:
                out.append((max(a, school_trained_on), b))
            continue
        here = [(a, b)]
        for t in in_force:
            if not t.applies(kind):
                continue
            if t not in spans_of:
                spans_of[t] = counting_spans(completions(sessions.get(t.id, []), t.hours),
                                             t.refresh_every_months)
            here = _intersect(here, spans_of[t])
            if not here:
                break
        out.extend(here)
    return tuple(_merge(out))
