"""Activity measures (docs/measures.md, "activity"; docs/activity-derived-facts.md): case
activity from activity-service's `recorded` and `withdrawn` events.

Two projections. A child's referrals, assessments, S47 enquiries, CP plans and care
episodes are one fact (key: `child_key`), because the funnel (a referral, its assessment
and S47, the S47's ICPC, a plan after it) and the measures of looked after children (one
child over several episodes, placements in the 12 months to a day) join them. Care reviews
and visits need nothing from the child's other records (activity-service derives their
timeliness), so each is a fact of its own (key: the record's id): a long history's many
reviews and visits are never loaded, nor counted again, when the child's other records
change.

Each record is kept at the highest `version` seen; a `withdrawn` event removes it but its
version is kept, so a lower version arriving later (a replay, a redelivery) changes
nothing. Every record counts in its own org unit. Flows count in the quarter (and month) of
their date; the measures of a quarter's last day (open plans, looked after children,
placements in the 12 months to it, plans whose reviews are on time) are emitted as the
intervals of days on which they hold, so they are never worked out again on a read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Final, Literal

from qaf_shared.events import activity as ev
from qaf_shared.events.envelope import CloudEvent
from qaf_shared.events.payloads import OrgUnitRef, Payload
from qaf_shared.months import add_months, one_year_before
from qaf_shared.working_days import working_days_between
from reporting_service.projections.engine import Contributing, Emissions, Emitter, Fact, event_uuid

ASSESSMENT_WORKING_DAYS: Final = 45
ICPC_WORKING_DAYS: Final = 15
FUNNEL_DAYS: Final = 30  # a referral's assessment or S47 started 0-30 days after it
FUNNEL_PLAN_DAYS: Final = 45  # a CP plan started 0-45 days after the ICPC
LONG_PLAN: Final = timedelta(days=730)
FIRST_CP_REVIEW_MONTHS: Final = 3
NEXT_CP_REVIEW_MONTHS: Final = 6
PLACEMENTS: Final = 3  # "3 or more placements in the 12 months"
# `reason_new_episode`: `S` started to be looked after; `S`, `P`, `T` and `B` begin a placement.
STARTED_CARE: Final = "S"
PLACEMENT_STARTS: Final = frozenset({"S", "P", "T", "B"})
DAY: Final = timedelta(days=1)

ChildKind = Literal["referral", "assessment", "s47_enquiry", "cp_plan", "care_episode"]
OwnKind = Literal["care_review", "visit"]
Interval = tuple[date, date | None]  # [first day it holds, first day it no longer holds)


class ChildRecord(Fact):
    """One of a child's records, with what the measures read of it. `day` is the kind's
    first date (`referral_date`, or `start_date`)."""

    kind: ChildKind
    version: int
    unit: OrgUnitRef
    day: date
    end: date | None = None  # a plan's or an episode's end
    referral: date | None = None  # an assessment's or S47's referral
    authorised: date | None = None  # an assessment's authorisation
    icpc: date | None = None  # an S47's ICPC
    nfa: bool = False  # a referral with no further action
    re_referral: bool = False  # derived by activity-service
    second: bool = False  # a second or subsequent plan, derived by activity-service
    reviews: tuple[date, ...] = ()  # a plan's review dates, in order
    reason: str | None = None  # an episode's `reason_new_episode`
    route: ev.CareRoute = "NONE"  # derived by activity-service


class ChildFact(Fact):
    """A child's current records by id, and the version at which each withdrawn one went."""

    records: dict[str, ChildRecord] = {}
    withdrawn: dict[str, int] = {}


class OwnRecord(Fact):
    """A care review or a visit: measured when activity-service could say whether it was
    on time (`on_time` not None)."""

    kind: OwnKind
    version: int
    unit: OrgUnitRef
    day: date
    plan_type: ev.VisitPlanType | None = None
    on_time: bool | None = None
    withdrawn: bool = False


def _payloads(kinds: Iterable[str]) -> dict[str, type[ev.ActivityRecord]]:
    out: dict[str, type[ev.ActivityRecord]] = {}
    for kind in kinds:
        for payload in (ev.RECORDED[kind], ev.WITHDRAWN[kind]):
            out[payload.event_type] = payload
    return out


_CHILD_PAYLOADS = _payloads(("referral", "assessment", "s47_enquiry", "cp_plan", "care_episode"))
_OWN_PAYLOADS = _payloads(("care_review", "visit"))


def _child_record(data: ev.ActivityRecord) -> ChildRecord:
    common = {"version": data.version, "unit": data.org_unit}
    if isinstance(data, ev.ReferralRecorded):
        return ChildRecord(
            kind="referral",
            day=data.referral_date,
            nfa=bool(data.nfa),
            re_referral=data.re_referral_12m,
            **common,
        )
    if isinstance(data, ev.AssessmentRecorded):
        return ChildRecord(
            kind="assessment",
            day=data.start_date,
            referral=data.referral_date,
            authorised=data.authorised_date,
            **common,
        )
    if isinstance(data, ev.S47EnquiryRecorded):
        return ChildRecord(
            kind="s47_enquiry",
            day=data.start_date,
            referral=data.referral_date,
            icpc=data.icpc_date,
            **common,
        )
    if isinstance(data, ev.CpPlanRecorded):
        return ChildRecord(
            kind="cp_plan",
            day=data.start_date,
            end=data.end_date,
            second=data.second_or_subsequent,
            reviews=tuple(sorted(set(data.review_dates))),
            **common,
        )
    if isinstance(data, ev.CareEpisodeRecorded):
        return ChildRecord(
            kind="care_episode",
            day=data.start_date,
            end=data.end_date,
            reason=data.reason_new_episode,
            route=data.route,
            **common,
        )
    raise TypeError(type(data).__name__)  # pragma: no cover: _CHILD_PAYLOADS lists the kinds


class _Emitters:
    """One emitter per org unit, all adding to one Counter: each record counts in its own."""

    __slots__ = ("_by_unit", "into", "sign", "tenant")

    def __init__(self, tenant: str, into: Emissions, sign: int) -> None:
        self.tenant = tenant
        self.into = into
        self.sign = sign
        self._by_unit: dict[OrgUnitRef, Emitter] = {}

    def __call__(self, unit: OrgUnitRef) -> Emitter:
        emit = self._by_unit.get(unit)
        if emit is None:
            emit = self._by_unit[unit] = Emitter(self.tenant, unit, self.into, self.sign)
        return emit


class ActivityChildren(Contributing[ChildFact]):
    """A child's referrals, assessments, S47 enquiries, CP plans and care episodes."""

    kind = "activity_child"
    spans_partitions = True
    fact = ChildFact
    handles: frozenset[type[Payload]] = frozenset(_CHILD_PAYLOADS.values())

    def key(self, event: CloudEvent) -> str:
        return str(event.data["child_key"])

    def fold(self, fact: ChildFact | None, event: CloudEvent) -> ChildFact:
        data = _CHILD_PAYLOADS[event.type].model_validate(event.data)
        fact = fact or ChildFact()
        ident = str(data.record_id)
        current = fact.records.get(ident)
        seen = current.version if current is not None else fact.withdrawn.get(ident, 0)
        if data.version <= seen:
            return fact  # redelivered, or older than what is kept
        records, withdrawn = dict(fact.records), dict(fact.withdrawn)
        if isinstance(data, ev.ActivityWithdrawn):
            records.pop(ident, None)
            withdrawn[ident] = data.version
        else:
            records[ident] = _child_record(data)
            withdrawn.pop(ident, None)
        return ChildFact(records=records, withdrawn=withdrawn)

    def emit(self, tenant: str, fact: ChildFact, into: Emissions, sign: int) -> None:
        emit = _Emitters(tenant, into, sign)
        by_kind: dict[str, list[ChildRecord]] = {}
        for ident in sorted(fact.records, key=lambda i: (fact.records[i].day, i)):
            record = fact.records[ident]
            by_kind.setdefault(record.kind, []).append(record)
        referrals = by_kind.get("referral", [])
        assessments = by_kind.get("assessment", [])
        enquiries = by_kind.get("s47_enquiry", [])
        plans = by_kind.get("cp_plan", [])
        episodes = by_kind.get("care_episode", [])
        _referrals(emit, referrals, assessments, enquiries, plans)
        _assessments(emit, assessments)
        _enquiries(emit, enquiries)
        _plans(emit, plans)
        _care(emit, episodes)


def _referrals(
    emit: _Emitters,
    referrals: list[ChildRecord],
    assessments: list[ChildRecord],
    enquiries: list[ChildRecord],
    plans: list[ChildRecord],
) -> None:
    """Referrals, re-referrals, NFA, and each referral's way through the funnel."""
    plan_starts = [p.day for p in plans]
    for referral in referrals:
        out, day = emit(referral.unit), referral.day
        out.count(day, "activity.referrals")
        if referral.re_referral:
            out.count(day, "activity.re_referrals_12m")
        if referral.nfa:
            out.count(day, "activity.referrals_nfa")
        out.count(day, "activity.funnel", "referrals")

        def soon(record: ChildRecord, day: date = day) -> bool:
            return record.referral == day and 0 <= (record.day - day).days <= FUNNEL_DAYS

        if any(soon(a) for a in assessments):
            out.count(day, "activity.funnel", "assessed")
        started = [s for s in enquiries if soon(s)]
        if not started:
            continue
        out.count(day, "activity.funnel", "s47")
        icpcs = [i for i in map(_icpc, started) if i is not None]
        if not icpcs:
            continue
        out.count(day, "activity.funnel", "icpc")
        if any(0 <= (start - i).days <= FUNNEL_PLAN_DAYS for i in icpcs for start in plan_starts):
            out.count(day, "activity.funnel", "cp_plan")


def _icpc(enquiry: ChildRecord) -> date | None:
    """An S47's ICPC; one dated before the S47 began counts in no ICPC measure."""
    icpc = enquiry.icpc
    return icpc if icpc is not None and icpc >= enquiry.day else None


def _assessments(emit: _Emitters, assessments: list[ChildRecord]) -> None:
    """Assessments authorised, those within 45 working days of their referral, and the
    working days each took (the median's distribution)."""
    for assessment in assessments:
        authorised, referral = assessment.authorised, assessment.referral
        if authorised is None or referral is None:
            continue
        out = emit(assessment.unit)
        out.count(authorised, "activity.assessments_completed")
        days = working_days_between(referral, authorised)
        if days <= ASSESSMENT_WORKING_DAYS:
            out.count(authorised, "activity.assessments_within_45wd")
        out.count(authorised, "activity.assessment_wd", str(days))


def _enquiries(emit: _Emitters, enquiries: list[ChildRecord]) -> None:
    """S47 enquiries started and those with an ICPC (in the quarter of the start); ICPCs
    held and those within 15 working days of the S47's start (in the ICPC's quarter)."""
    for enquiry in enquiries:
        out = emit(enquiry.unit)
        out.count(enquiry.day, "activity.s47_started")
        icpc = _icpc(enquiry)
        if icpc is None:
            continue
        out.count(enquiry.day, "activity.s47_to_icpc")
        out.count(icpc, "activity.icpc_held")
        if working_days_between(enquiry.day, icpc) <= ICPC_WORKING_DAYS:
            out.count(icpc, "activity.icpc_within_15wd")


def _plans(emit: _Emitters, plans: list[ChildRecord]) -> None:
    """Plans started (second or subsequent ones), ended, open on a day, open 730 days or
    more on it, open 3 months or more on it and, of those, with every review on time."""
    for plan in plans:
        out, start, end = emit(plan.unit), plan.day, plan.end
        out.count(start, "activity.cp_plans_started")
        if plan.second:
            out.count(start, "activity.cp_second_or_subsequent")
        if end is not None:
            out.count(end, "activity.cp_plans_ended")
        out.open_between(start, end, "activity.cp_open_at_end")
        _holds(out, start + LONG_PLAN, end, "activity.cp_open_2y_plus_at_end")
        three_months = add_months(start, FIRST_CP_REVIEW_MONTHS)
        _holds(out, three_months, end, "activity.cp_open_3m_at_end")
        _holds(
            out,
            three_months,
            _earliest(_reviews_late_from(plan), end),
            "activity.cp_reviews_on_time",
        )


def _holds(out: Emitter, first: date, stop: date | None, measure: str) -> None:
    """A state that holds on the days [first, stop): nothing when that is empty."""
    if stop is None or stop > first:
        out.open_between(first, stop, measure)


def _earliest(a: date | None, b: date | None) -> date | None:
    """The earlier of two ends, None standing for never."""
    if a is None:
        return b
    return a if b is None else min(a, b)


def _reviews_late_from(plan: ChildRecord) -> date:
    """The first day on which a plan's reviews are no longer on time: the day after the due
    date of the first review not held by it (the first is due 3 months after the start,
    each next 6 months after the one before was held). Once late, never on time again."""
    due = add_months(plan.day, FIRST_CP_REVIEW_MONTHS)
    for review in plan.reviews:
        if review > due:
            break
        due = add_months(review, NEXT_CP_REVIEW_MONTHS)
    return due + DAY


def _care(emit: _Emitters, episodes: list[ChildRecord]) -> None:
    """Episodes starting care (by route), the child looked after on a day, and looked after
    with 3 or more placements open at some time in the 12 months to it."""
    for episode in episodes:
        if episode.reason == STARTED_CARE:
            out = emit(episode.unit)
            out.count(episode.day, "activity.cla_started")
            out.count(episode.day, "activity.cla_routes", episode.route)
    if not episodes:
        return
    segments = list(_looked_after(episodes))
    for first, stop, unit in segments:
        emit(unit).open_between(first, stop, "activity.cla_open_at_end")
    for first, stop in _at_least(_placement_windows(episodes), PLACEMENTS):
        for seg_first, seg_stop, unit in segments:
            low = max(first, seg_first)
            high = _earliest(stop, seg_stop)
            _holds(emit(unit), low, high, "activity.cla_3plus_placements_12m")


def _looked_after(episodes: list[ChildRecord]) -> list[tuple[date, date | None, OrgUnitRef]]:
    """The days the child is looked after, as intervals, each in the unit of the episode
    open on them (the latest-starting, should two overlap): the child counts once a day."""
    bounds = sorted({e.day for e in episodes} | {e.end for e in episodes if e.end is not None})
    out: list[tuple[date, date | None, OrgUnitRef]] = []
    for i, day in enumerate(bounds):
        stop = bounds[i + 1] if i + 1 < len(bounds) else None
        open_ = [e for e in episodes if e.day <= day and (e.end is None or e.end > day)]
        if not open_:
            continue
        unit = open_[-1].unit  # episodes are in order of start
        if out and out[-1][1] == day and out[-1][2] == unit:
            out[-1] = (out[-1][0], stop, unit)
        else:
            out.append((day, stop, unit))
    return out


def _placement_windows(episodes: list[ChildRecord]) -> Iterator[Interval]:
    """For each placement, the days D on which it was open at some time in the 12 months to
    D (from the day after D - 1 year to D): from its start until the first D whose year
    before reaches its last open day. A placement is a run of episodes beginning with one
    whose `reason_new_episode` is `S`, `P`, `T` or `B`, or with the first episode of a
    period of care (a gap before it, or the history beginning in care)."""
    first: ChildRecord | None = None
    end: date | None = None
    for i, episode in enumerate(episodes):
        new_period = i == 0 or episodes[i - 1].end != episode.day
        if first is not None and (new_period or episode.reason in PLACEMENT_STARTS):
            yield first.day, _year_after_last_open(end)
            first = None
        first = first or episode
        end = episode.end
    if first is not None:
        yield first.day, _year_after_last_open(end)


def _year_after_last_open(end: date | None) -> date | None:
    """The first day D on which something that ended on `end` (last open the day before)
    was not open in the 12 months to D: the first D whose "one year before" is on or after
    its last open day. None for something still open."""
    if end is None:
        return None
    last_open = end - DAY
    day = add_months(last_open, 12)
    # 29 February: a year after is 28 February, whose year before is the 28th again.
    return day if one_year_before(day) >= last_open else day + DAY


def _at_least(windows: Iterable[Interval], n: int) -> Iterator[Interval]:
    """The days on which `n` or more of the windows hold, as intervals."""
    changes: Counter[date] = Counter()
    for first, stop in windows:
        changes[first] += 1
        if stop is not None:
            changes[stop] -= 1
    count, begun = 0, None
    for day in sorted(changes):
        count += changes[day]
        if count >= n and begun is None:
            begun = day
        elif count < n and begun is not None:
            yield begun, day
            begun = None
    if begun is not None:
        yield begun, None


class ActivityOwnRecords(Contributing[OwnRecord]):
    """Care reviews and visits: each counts by its own date, as activity-service measured
    its timeliness; one with nothing to measure it from (`on_time` None) counts nowhere."""

    kind = "activity_record"
    spans_partitions = False
    fact = OwnRecord
    handles: frozenset[type[Payload]] = frozenset(_OWN_PAYLOADS.values())

    def key(self, event: CloudEvent) -> str:
        return event_uuid(event, "record_id")

    def fold(self, fact: OwnRecord | None, event: CloudEvent) -> OwnRecord:
        data = _OWN_PAYLOADS[event.type].model_validate(event.data)
        if fact is not None and data.version <= fact.version:
            return fact  # redelivered, or older than what is kept
        common = {"version": data.version, "unit": data.org_unit}
        if isinstance(data, ev.CareReviewRecorded):
            return OwnRecord(
                kind="care_review", day=data.review_date, on_time=data.on_time, **common
            )
        if isinstance(data, ev.VisitRecorded):
            return OwnRecord(
                kind="visit",
                day=data.visit_date,
                plan_type=data.plan_type,
                on_time=data.on_time,
                **common,
            )
        assert isinstance(data, ev.ActivityWithdrawn)
        kind: OwnKind = "visit" if isinstance(data, ev.VisitWithdrawn) else "care_review"
        return OwnRecord(kind=kind, day=data.key_date, withdrawn=True, **common)

    def emit(self, tenant: str, fact: OwnRecord, into: Emissions, sign: int) -> None:
        if fact.withdrawn or fact.on_time is None:
            return
        emit = Emitter(tenant, fact.unit, into, sign)
        if fact.kind == "care_review":
            emit.count(fact.day, "activity.cla_reviews")
            if fact.on_time:
                emit.count(fact.day, "activity.cla_reviews_on_time")
        elif fact.plan_type is not None:
            emit.count(fact.day, "activity.visits", fact.plan_type)
            if fact.on_time:
                emit.count(fact.day, "activity.visits_on_time", fact.plan_type)
