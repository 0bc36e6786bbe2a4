"""An independent oracle of the Deep Dive's `activity` measures, written from the handbook's
definitions alone (API.md: the `activity` bullet of the measure definitions, "Precise
rules" → "Measures" and "Activity measures"; DOMAIN.md's timescales), computing every
measure from the records as they were submitted (child_ref in the clear), with every derived
fact (re-referral, second plan, route, review and visit due dates) worked out here again.

It is deliberately plain: brute force, day by day, one record at a time. It uses nothing of
activity-service's or reporting-service's code (nor qaf_shared's working days or months), so
that two readings of the definitions must agree."""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from functools import cache
from typing import Any

import holidays

WORKING_DAYS_ASSESSMENT = 45
WORKING_DAYS_ICPC = 15
CIN_VISIT_WD, CP_VISIT_WD = 20, 10  # the tenant defaults (DOMAIN.md, Timescales)
CLA_FIRST_VISIT_DAYS, CLA_VISIT_DAYS = 7, 42
PLACEMENT_STARTS = frozenset("SPTB")


# -- days -------------------------------------------------------------------------------------


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    # England and Wales bank holidays (DOMAIN.md: the `holidays` package, weekends excluded)
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def working_days(first: date, second: date) -> int:
    """Working days after `first` up to and including `second`, counted one day at a time."""
    assert second >= first, (first, second)
    return sum(
        is_working_day(first + timedelta(days=n)) for n in range(1, (second - first).days + 1)
    )


def add_working_days(start: date, count: int) -> date:
    day = start
    while count:
        day += timedelta(days=1)
        count -= is_working_day(day)
    return day


def add_months(day: date, months: int) -> date:
    """The same day n months later, or that month's last day where it is shorter."""
    year = day.year + (day.month - 1 + months) // 12
    month = (day.month - 1 + months) % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def one_year_before(day: date) -> date:
    return add_months(day, -12)  # 29 February gives 28 February


def quarter_days(quarter: str) -> tuple[date, date]:
    """`FY2026Q1` is April to June 2026; `FY2026Q4` January to March 2027."""
    year, number = int(quarter[2:6]), int(quarter[7])
    first_month = 4 + 3 * (number - 1)
    start = date(year + (first_month > 12), (first_month - 1) % 12 + 1, 1)
    end = add_months(start, 3) - timedelta(days=1)
    return start, end


def previous_quarter(quarter: str) -> str:
    year, number = int(quarter[2:6]), int(quarter[7])
    return f"FY{year - 1}Q4" if number == 1 else f"FY{year}Q{number - 1}"


def open_on(start: date, end: date | None, day: date) -> bool:
    """Started on or before the day, and no end or an end after it."""
    return start <= day and (end is None or end > day)


# -- figures ----------------------------------------------------------------------------------


def pct(numerator: int, denominator: int) -> float | str:
    """numerator / denominator × 100, half-up to one decimal; "z" with no denominator."""
    if denominator == 0:
        return "z"
    return _half_up(Fraction(100 * numerator, denominator))


def _half_up(value: Fraction) -> float:
    tenths = (value * 10 + Fraction(1, 2)).__floor__()
    return tenths / 10


def median(values: list[int]) -> float | str:
    if not values:
        return "z"
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return _half_up(Fraction(ordered[middle - 1] + ordered[middle], 2))


# -- records ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """A record as it stands: its kind, child, unit and facts (dates as dates)."""

    kind: str
    child: str
    team: str | None
    service: str | None
    facts: Mapping[str, Any]

    def date(self, name: str) -> date | None:
        value = self.facts.get(name)
        return date.fromisoformat(value) if isinstance(value, str) else None


def parse(record: Mapping[str, Any]) -> Record:
    """A REST-form record (`kind`, `child_ref`, `team`/`service`, the kind's facts)."""
    facts = {k: v for k, v in record.items() if k not in ("kind", "child_ref", "team", "service")}
    return Record(
        record["kind"], record["child_ref"], record.get("team"), record.get("service"), facts
    )


@dataclass
class Child:
    referrals: list[Record] = field(default_factory=list)
    assessments: list[Record] = field(default_factory=list)
    s47s: list[Record] = field(default_factory=list)
    plans: list[Record] = field(default_factory=list)
    episodes: list[Record] = field(default_factory=list)
    reviews: list[Record] = field(default_factory=list)
    visits: list[Record] = field(default_factory=list)


_LISTS = {
    "referral": ("referrals", "referral_date"),
    "assessment": ("assessments", "start_date"),
    "s47_enquiry": ("s47s", "start_date"),
    "cp_plan": ("plans", "start_date"),
    "care_episode": ("episodes", "start_date"),
    "care_review": ("reviews", "review_date"),
    "visit": ("visits", "visit_date"),
}


def children_of(records: Iterable[Record]) -> dict[str, Child]:
    """Each child's whole history in the tenant, each kind in date order."""
    children: dict[str, Child] = defaultdict(Child)
    for record in records:
        getattr(children[record.child], _LISTS[record.kind][0]).append(record)
    for child in children.values():
        for name, key in _LISTS.values():
            getattr(child, name).sort(key=lambda r, key=key: r.date(key))
    return children


# -- derived facts ----------------------------------------------------------------------------


def is_re_referral(child: Child, referral: Record) -> bool:
    day = referral.date("referral_date")
    assert day is not None
    return any(
        one_year_before(day) <= other_day < day
        for other in child.referrals
        if (other_day := other.date("referral_date")) is not None
    )


def is_second_plan(child: Child, plan: Record) -> bool:
    start = plan.date("start_date")
    assert start is not None
    earlier = any((p.date("start_date") or start) < start for p in child.plans)
    return earlier or (plan.facts.get("previous_plans") or 0) > 0


def route(child: Child, day: date) -> str:
    if any(open_on(p.date("start_date"), p.date("end_date"), day) for p in child.plans):  # type: ignore[arg-type]
        return "CP_PLAN"
    if any(open_on(r.date("referral_date"), r.date("closure_date"), day) for r in child.referrals):  # type: ignore[arg-type]
        return "CIN"
    return "NONE"


Span = tuple[date, date | None]


def _runs(
    child: Child, begins: Callable[[Record, Record | None], bool]
) -> list[tuple[Span, list[Record]]]:
    """The child's episodes cut into runs, a new run where `begins(episode, previous)`."""
    runs: list[tuple[Span, list[Record]]] = []
    previous: Record | None = None
    for episode in child.episodes:
        if not runs or begins(episode, previous):
            runs.append(((episode.date("start_date"), episode.date("end_date")), [episode]))  # type: ignore[arg-type]
        else:
            (start, _), members = runs[-1]
            members.append(episode)
            runs[-1] = ((start, episode.date("end_date")), members)
        previous = episode
    return runs


def periods_of_care(child: Child) -> list[tuple[Span, list[Record]]]:
    """Runs of episodes with no gap: a new period where an episode does not start on the
    previous one's end."""
    return _runs(
        child, lambda e, prev: prev is None or prev.date("end_date") != e.date("start_date")
    )


def placements(child: Child) -> list[tuple[Span, list[Record]]]:
    """Runs of episodes beginning with one whose reason_new_episode is S, P, T or B."""
    return _runs(
        child,
        lambda e, prev: (
            e.facts.get("reason_new_episode") in PLACEMENT_STARTS
            or prev is None
            or prev.date("end_date") != e.date("start_date")
        ),
    )


def review_on_time(child: Child, review: Record) -> bool | None:
    """A child looked after review against the timescales of its period of care: the first
    within 20 working days of the period's start, the second within 3 months of the first,
    each next within 6 months of the one before. None: in no period of care."""
    day = review.date("review_date")
    assert day is not None
    for (start, end), _ in periods_of_care(child):
        if not open_on(start, end, day):
            continue
        held = sorted(
            d
            for r in child.reviews
            if (d := r.date("review_date")) is not None and open_on(start, end, d)
        )
        due = add_working_days(start, 20)
        for number, held_on in enumerate(held):
            if held_on == day:
                return day <= due
            due = add_months(held_on, 3 if number == 0 else 6)
    return None


def visit_on_time(child: Child, visit: Record) -> bool | None:
    """A seen visit against the timescale of the seen visit before it within the same
    referral (CIN), plan (CP) or placement (CLA); the first from that one's start. None:
    not seen, or nothing of its plan type open that day."""
    if visit.facts.get("seen") is not True:
        return None
    plan_type, day = visit.facts["plan_type"], visit.date("visit_date")
    assert day is not None

    def work_on(d: date) -> tuple[date, date | None] | None:
        """The referral, plan or placement the visit of that day belongs to: the latest open."""
        spans: list[Span]
        if plan_type == "CIN":
            spans = [(r.date("referral_date"), r.date("closure_date")) for r in child.referrals]  # type: ignore[misc]
        elif plan_type == "CP":
            spans = [(p.date("start_date"), p.date("end_date")) for p in child.plans]  # type: ignore[misc]
        else:
            spans = [span for span, _ in placements(child)]
        opened = [s for s in spans if open_on(s[0], s[1], d)]
        return max(opened, key=lambda s: s[0]) if opened else None

    work = work_on(day)
    if work is None:
        return None
    before = [
        d
        for v in child.visits
        if v.facts.get("plan_type") == plan_type
        and v.facts.get("seen") is True
        and (d := v.date("visit_date")) is not None
        and d < day
        and work_on(d) == work
    ]
    if plan_type == "CLA":
        due = (
            (max(before) + timedelta(days=CLA_VISIT_DAYS))
            if before
            else work[0] + timedelta(days=CLA_FIRST_VISIT_DAYS)
        )
    else:
        interval = CIN_VISIT_WD if plan_type == "CIN" else CP_VISIT_WD
        due = add_working_days(max(before) if before else work[0], interval)
    return day <= due


def cp_reviews_on_time(plan: Record, day: date) -> bool:
    """Every review so far by its due date (start + 3 months, then the one before + 6
    months) and the next due date not before the day."""
    start = plan.date("start_date")
    assert start is not None
    due = add_months(start, 3)
    for held in sorted(date.fromisoformat(d) for d in plan.facts.get("review_dates") or []):
        if held > day:
            break
        if held > due:
            return False
        due = add_months(held, 6)
    return due >= day


def placements_in_12_months(child: Child, day: date) -> int:
    """Placements open at any time from the day after one year before `day` to `day`: open
    on some day of that window is started by its last day and not ended by its first (open
    on a day: started on or before it, and no end or an end after it)."""
    first = one_year_before(day) + timedelta(days=1)
    return sum(
        start <= day and (end is None or end > first) for (start, end), _ in placements(child)
    )


# -- the measures -----------------------------------------------------------------------------


@dataclass
class Figures:
    """A quarter's `activity` block for one unit, and the denominators of its rates."""

    values: dict[str, Any]
    denominators: dict[str, int]
    counts: dict[str, int]


def activity(
    children: Mapping[str, Child], quarter: str, in_unit: Callable[[Record], bool]
) -> Figures:
    """Every `activity` measure of API.md for `quarter`, counting the records that `in_unit`,
    over the tenant's children (`children_of` its records)."""
    q_start, q_end = quarter_days(quarter)

    def in_q(day: date | None) -> bool:
        return day is not None and q_start <= day <= q_end

    referrals = [
        (c, r)
        for c in children.values()
        for r in c.referrals
        if in_unit(r) and in_q(r.date("referral_date"))
    ]
    assessments = [
        r
        for c in children.values()
        for r in c.assessments
        if in_unit(r) and in_q(r.date("authorised_date"))
    ]
    assessment_wd = [
        working_days(r.date("referral_date"), r.date("authorised_date")) for r in assessments
    ]  # type: ignore[arg-type]
    s47s = [
        r for c in children.values() for r in c.s47s if in_unit(r) and in_q(r.date("start_date"))
    ]

    def icpc_counts(s47: Record) -> bool:
        icpc, start = s47.date("icpc_date"), s47.date("start_date")
        return icpc is not None and start is not None and icpc >= start

    icpcs = [
        r
        for c in children.values()
        for r in c.s47s
        if in_unit(r) and icpc_counts(r) and in_q(r.date("icpc_date"))
    ]
    started = [
        (c, p)
        for c in children.values()
        for p in c.plans
        if in_unit(p) and in_q(p.date("start_date"))
    ]
    ended = [
        p for c in children.values() for p in c.plans if in_unit(p) and in_q(p.date("end_date"))
    ]
    open_plans = [
        p
        for c in children.values()
        for p in c.plans
        if in_unit(p) and open_on(p.date("start_date"), p.date("end_date"), q_end)  # type: ignore[arg-type]
    ]
    reviewable = [p for p in open_plans if add_months(p.date("start_date"), 3) <= q_end]  # type: ignore[arg-type]
    cla_started = [
        (c, e)
        for c in children.values()
        for e in c.episodes
        if in_unit(e) and e.facts.get("reason_new_episode") == "S" and in_q(e.date("start_date"))
    ]
    routes = {"CP_PLAN": 0, "CIN": 0, "NONE": 0}
    for c, e in cla_started:
        routes[route(c, e.date("start_date"))] += 1  # type: ignore[arg-type]
    looked_after = [
        c
        for c in children.values()
        if any(
            in_unit(e) and open_on(e.date("start_date"), e.date("end_date"), q_end)
            for e in c.episodes
        )  # type: ignore[arg-type]
    ]
    three_plus = [c for c in looked_after if placements_in_12_months(c, q_end) >= 3]
    reviews = [
        on_time
        for c in children.values()
        for r in c.reviews
        if in_unit(r)
        and in_q(r.date("review_date"))
        and (on_time := review_on_time(c, r)) is not None
    ]
    visits: dict[str, list[bool]] = {"CIN": [], "CP": [], "CLA": []}
    for c in children.values():
        for v in c.visits:
            if in_unit(v) and in_q(v.date("visit_date")):
                on_time = visit_on_time(c, v)
                if on_time is not None:
                    visits[v.facts["plan_type"]].append(on_time)

    funnel = {"referrals": len(referrals), "assessed": 0, "s47": 0, "icpc": 0, "cp_plan": 0}
    for c, r in referrals:
        day = r.date("referral_date")
        assert day is not None

        def of_referral(rs: list[Record], day: date = day) -> list[Record]:
            return [
                x
                for x in rs
                if x.date("referral_date") == day and 0 <= (x.date("start_date") - day).days <= 30  # type: ignore[operator]
            ]

        funnel["assessed"] += bool(of_referral(c.assessments))
        enquiries = of_referral(c.s47s)
        funnel["s47"] += bool(enquiries)
        held = [s.date("icpc_date") for s in enquiries if icpc_counts(s)]
        funnel["icpc"] += bool(held)
        funnel["cp_plan"] += any(
            0 <= (p.date("start_date") - icpc).days <= 45  # type: ignore[operator]
            for icpc in held
            if icpc is not None
            for p in c.plans
        )

    values = {
        "referrals": len(referrals),
        "re_referrals_12m_pct": pct(
            sum(is_re_referral(c, r) for c, r in referrals), len(referrals)
        ),
        "referrals_nfa_pct": pct(
            sum(r.facts.get("nfa") is True for _, r in referrals), len(referrals)
        ),
        "assessments_completed": len(assessments),
        "assessments_within_45wd_pct": pct(
            sum(wd <= WORKING_DAYS_ASSESSMENT for wd in assessment_wd), len(assessments)
        ),
        "median_assessment_wd": median(assessment_wd),
        "s47_started": len(s47s),
        "s47_to_icpc_pct": pct(sum(icpc_counts(s) for s in s47s), len(s47s)),
        "icpc_held": len(icpcs),
        "icpc_within_15wd_pct": pct(
            sum(
                working_days(s.date("start_date"), s.date("icpc_date")) <= WORKING_DAYS_ICPC
                for s in icpcs
            ),  # type: ignore[arg-type]
            len(icpcs),
        ),
        "cp_plans_started": len(started),
        "cp_second_or_subsequent_pct": pct(
            sum(is_second_plan(c, p) for c, p in started), len(started)
        ),
        "cp_plans_ended": len(ended),
        "cp_open_at_end": len(open_plans),
        "cp_open_2y_plus_at_end": sum(
            (q_end - p.date("start_date")).days >= 730 for p in open_plans
        ),  # type: ignore[operator]
        "cp_reviews_on_time_pct": pct(
            sum(cp_reviews_on_time(p, q_end) for p in reviewable), len(reviewable)
        ),
        "cla_started": len(cla_started),
        "cla_routes": routes,
        "cla_open_at_end": len(looked_after),
        "cla_3plus_placements_12m_pct": pct(len(three_plus), len(looked_after)),
        "cla_reviews_on_time_pct": pct(sum(reviews), len(reviews)),
        "visits_on_time_pct": {k: pct(sum(v), len(v)) for k, v in visits.items()},
        "funnel": funnel,
    }
    denominators = {
        "re_referrals_12m_pct": len(referrals),
        "referrals_nfa_pct": len(referrals),
        "assessments_within_45wd_pct": len(assessments),
        "median_assessment_wd": len(assessments),
        "s47_to_icpc_pct": len(s47s),
        "icpc_within_15wd_pct": len(icpcs),
        "cp_second_or_subsequent_pct": len(started),
        "cp_reviews_on_time_pct": len(reviewable),
        "cla_3plus_placements_12m_pct": len(looked_after),
        "cla_reviews_on_time_pct": len(reviews),
        **{f"visits_on_time_pct.{k}": len(v) for k, v in visits.items()},
    }
    counts = {
        name: values[name]
        for name in (
            "referrals",
            "assessments_completed",
            "s47_started",
            "icpc_held",
            "cp_plans_started",
            "cp_plans_ended",
            "cp_open_at_end",
            "cp_open_2y_plus_at_end",
            "cla_started",
            "cla_open_at_end",
        )
    }
    counts |= {f"cla_routes.{k}": v for k, v in routes.items()}
    counts |= {f"funnel.{k}": v for k, v in funnel.items()}
    return Figures(values, denominators, counts)
