"""The facts a record's measures need from its child's whole history in the tenant, derived
here, where that history is (docs/activity.md, "Derived facts"). Pure: a child's current
(not withdrawn) records in, each record's derived facts out. The handler derives them again
for every child a write touches and publishes the records whose derived facts changed, so a
late record corrects the facts of the records it changes.

Every rule reads the child's records in date order once, so a child's derivation is
O(n log n) in its record count: it runs for every child of a 50,000-child return."""

from __future__ import annotations

import heapq
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Final, NamedTuple

from activity_service.domain.kinds import Kind
from qaf_shared import months, working_days

# The calendar's answers kept: a batch, or a return, asks for the same few thousand days'
# due dates and years before child after child (kept here, not in qaf_shared, whose calendar
# reporting's projections fold with as it is).
add_months: Final = lru_cache(maxsize=16384)(months.add_months)
one_year_before: Final = lru_cache(maxsize=16384)(months.one_year_before)
add_working_days: Final = lru_cache(maxsize=16384)(working_days.add_working_days)

# `reason_new_episode` codes: `S` the child started to be looked after; `S`, `P`, `T` and `B`
# each begin a placement (the API's definition of a placement: a run of episodes beginning
# with one of them).
STARTED_CARE: Final = "S"
PLACEMENT_STARTS: Final = frozenset({"S", "P", "T", "B"})

# The statutory timescales (England) for a child looked after; CIN and CP visit intervals are
# each authority's own, so `derive` takes them, with these defaults.
CLA_FIRST_REVIEW_WORKING_DAYS: Final = 20
CLA_SECOND_REVIEW_MONTHS: Final = 3
CLA_NEXT_REVIEW_MONTHS: Final = 6
CLA_FIRST_VISIT: Final = timedelta(days=7)
CLA_NEXT_VISIT: Final = timedelta(weeks=6)
CIN_VISIT_WORKING_DAYS: Final = 20
CP_VISIT_WORKING_DAYS: Final = 10

Derived = dict[str, object]


class HistoryRecord(NamedTuple):
    """One of a child's records as stored: its facts are typed as in `kinds.FACTS` (a tuple:
    a batch makes one for each record of each child it derives again)."""

    id: str
    kind: Kind
    key_date: date
    facts: Mapping[str, object]


def derive(
    records: Sequence[HistoryRecord],
    *,
    cin_visit_working_days: int = CIN_VISIT_WORKING_DAYS,
    cp_visit_working_days: int = CP_VISIT_WORKING_DAYS,
) -> dict[str, Derived]:
    """Each record's derived facts, from one child's current records (withdrawn ones left
    out); every record gets an entry, `{}` for kinds with none:

    - a referral's `re_referral_12m`: the child has an earlier referral dated on or after the
      same day one year before;
    - a CP plan's `second_or_subsequent`: the child has an earlier plan record, or the plan's
      `previous_plans` is more than 0;
    - a care episode's `route`: what the child had open on the day it came into care for this
      episode (`CP_PLAN` a CP plan, else `CIN` a referral, else `NONE`). That day is the
      episode's own start when it is an `S` episode or begins a period of care; an episode
      that continues another carries the route of the one it continues, so every episode of
      one stay in care says how that stay began;
    - a care review's and a seen visit's `due_date` and `on_time` (held on or before it, so
      one held the weekend after a due Friday is late): see `_review_timeliness` and
      `_visit_timeliness`. Both are None for a visit at which the child was not seen, and
      for a review or visit with no start to measure from: a review outside any period of
      care, or the first of a period that began before the child's history does; a CIN
      visit with no referral open on its day, a CP visit with no plan open, a CLA visit with
      no episode open, or the first visit of a placement that began before the history.

    A record "open" on a day started on or before it and has no end or ended after it.
    `cin_visit_working_days` and `cp_visit_working_days` are the tenant's visit intervals."""
    ordered = sorted(records, key=_DATE_ORDER)
    of_kind: dict[Kind, list[HistoryRecord]] = {kind: [] for kind in _KINDS}
    for record in ordered:
        of_kind[record.kind].append(record)
    care = _Care(of_kind[Kind.CARE_EPISODE])
    referrals = [_span(record, "closure_date") for record in of_kind[Kind.REFERRAL]]
    plans = [_span(record, "end_date") for record in of_kind[Kind.CP_PLAN]]

    derived: dict[str, Derived] = {record.id: {} for record in ordered}
    # A child has a few kinds of a handful of records each: a rule with nothing to derive
    # is not called (this runs for every child a batch or a return touches).
    if of_kind[Kind.REFERRAL]:
        derived.update(_re_referrals(of_kind[Kind.REFERRAL]))
    if of_kind[Kind.CP_PLAN]:
        derived.update(_second_plans(of_kind[Kind.CP_PLAN]))
    if care.episodes:
        derived.update(_routes(care, plans, referrals))
    if of_kind[Kind.CARE_REVIEW]:
        derived.update(_review_timeliness(of_kind[Kind.CARE_REVIEW], care))
    if of_kind[Kind.VISIT]:
        derived.update(
            _visit_timeliness(
                of_kind[Kind.VISIT],
                care,
                plans,
                referrals,
                cin_working_days=cin_visit_working_days,
                cp_working_days=cp_visit_working_days,
            )
        )
    return derived


# A child's records in date order (ties by id), by a key made in C.
_DATE_ORDER: Final = operator.attrgetter("key_date", "id")
_KINDS: Final = tuple(Kind)


@dataclass(frozen=True)
class _Span:
    """A referral, plan, episode or period of care: open from `start`, until `end` if any."""

    start: date
    end: date | None


def _date(record: HistoryRecord, fact: str) -> date | None:
    value = record.facts.get(fact)
    return value if isinstance(value, date) else None


def _span(record: HistoryRecord, end_fact: str) -> _Span:
    return _Span(record.key_date, _date(record, end_fact))


def _latest_open(spans: Sequence[_Span], days: Iterable[date]) -> list[int | None]:
    """For each of `days` (in date order), the index of the latest-starting of `spans` (in
    order of start) open on it, or None. One sweep with a heap of the spans started so far:
    a span found ended on one day stays ended on every later day, so it is dropped for good."""
    found: list[int | None] = []
    started: list[int] = []  # negated indexes: the latest start on top
    following = 0
    for day in days:
        while following < len(spans) and spans[following].start <= day:
            heapq.heappush(started, -following)
            following += 1
        while started and (end := spans[-started[0]].end) is not None and end <= day:
            heapq.heappop(started)
        found.append(-started[0] if started else None)
    return found


class _Care:
    """A child's care episodes in order of start, with the periods of care and placements
    they make. A period of care is a run of episodes with no gap: a new one begins at an
    episode whose start is not the previous episode's end. A placement is a run beginning
    with an episode whose `reason_new_episode` is `S`, `P`, `T` or `B`."""

    def __init__(self, episodes: Sequence[HistoryRecord]) -> None:
        self.episodes = list(episodes)
        self.spans = [_span(episode, "end_date") for episode in self.episodes]
        reasons = [episode.facts.get("reason_new_episode") for episode in self.episodes]
        # Per episode: the first episode of its period of care, of its placement (the
        # history's first episode when the history begins inside a placement), and the one
        # whose start is the day the child came into care for it.
        self.period_of: list[int] = []
        self.placement_of: list[int] = []
        self.entry_of: list[int] = []
        for i, span in enumerate(self.spans):
            new_period = i == 0 or self.spans[i - 1].end != span.start
            self.period_of.append(i if new_period else self.period_of[i - 1])
            placement = i == 0 or reasons[i] in PLACEMENT_STARTS
            self.placement_of.append(i if placement else self.placement_of[i - 1])
            entry = new_period or reasons[i] == STARTED_CARE
            self.entry_of.append(i if entry else self.entry_of[i - 1])
        self.starts_placement = [reason in PLACEMENT_STARTS for reason in reasons]
        self.starts_care = [reason == STARTED_CARE for reason in reasons]
        # The periods of care, in order of start, as spans to find the one open on a day.
        self.periods = sorted(set(self.period_of))
        last = {first: i for i, first in enumerate(self.period_of)}
        self.period_spans = [
            _Span(self.spans[first].start, self.spans[last[first]].end) for first in self.periods
        ]


def _re_referrals(referrals: Sequence[HistoryRecord]) -> Iterator[tuple[str, Derived]]:
    # In date order, the referral just before is the latest earlier one: if any earlier
    # referral is within the year, that one is.
    for i, referral in enumerate(referrals):
        since = one_year_before(referral.key_date)
        earlier = i > 0 and since <= referrals[i - 1].key_date < referral.key_date
        yield referral.id, {"re_referral_12m": earlier}


def _second_plans(plans: Sequence[HistoryRecord]) -> Iterator[tuple[str, Derived]]:
    first = plans[0].key_date if plans else None
    for plan in plans:
        previous = plan.facts.get("previous_plans")
        counted = isinstance(previous, int) and previous > 0
        yield plan.id, {"second_or_subsequent": counted or plan.key_date != first}


def _routes(
    care: _Care, plans: Sequence[_Span], referrals: Sequence[_Span]
) -> Iterator[tuple[str, Derived]]:
    # Entry days never go backwards in episode order, so one sweep over each kind finds them.
    days = [care.spans[entry].start for entry in care.entry_of]
    plan_open = _latest_open(plans, days)
    referral_open = _latest_open(referrals, days)
    for episode, plan, referral in zip(care.episodes, plan_open, referral_open, strict=True):
        route = "CP_PLAN" if plan is not None else "CIN" if referral is not None else "NONE"
        yield episode.id, {"route": route}


def _timeliness(held: date, due: date | None) -> Derived:
    return {"due_date": due, "on_time": None if due is None else held <= due}


def _review_timeliness(
    reviews: Sequence[HistoryRecord], care: _Care
) -> Iterator[tuple[str, Derived]]:
    """A child looked after review is measured within the period of care open on its date:
    the first is due 20 working days after the period began, the second 3 months after the
    first, each next 6 months after the one before. A period whose first episode is not an
    `S` episode began before the child's history does (the return starts mid-care), so its
    first review has no start to measure from and, its place in the sequence unknown, each
    next one is due 6 months after the one before."""
    periods = _latest_open(care.period_spans, (review.key_date for review in reviews))
    held: dict[int, list[date]] = {}
    for review, period in zip(reviews, periods, strict=True):
        if period is None:
            yield review.id, _timeliness(review.key_date, None)
            continue
        first = care.periods[period]
        known_start = care.starts_care[first]
        before = held.setdefault(period, [])
        if not before:
            due = (
                add_working_days(care.spans[first].start, CLA_FIRST_REVIEW_WORKING_DAYS)
                if known_start
                else None
            )
        elif len(before) == 1 and known_start:
            due = add_months(before[-1], CLA_SECOND_REVIEW_MONTHS)
        else:
            due = add_months(before[-1], CLA_NEXT_REVIEW_MONTHS)
        before.append(review.key_date)
        yield review.id, _timeliness(review.key_date, due)


def _visit_timeliness(
    visits: Sequence[HistoryRecord],
    care: _Care,
    plans: Sequence[_Span],
    referrals: Sequence[_Span],
    *,
    cin_working_days: int,
    cp_working_days: int,
) -> Iterator[tuple[str, Derived]]:
    """Only a visit at which the child was seen is measured, and only seen visits are "the
    visit before". A visit is measured within what is open on its day: a CIN visit within the
    latest referral open, a CP visit within the latest plan open, a CLA visit within the
    placement of the episode open. The first seen visit within it is due `cin_working_days`
    working days after the referral's date, `cp_working_days` after the plan's start, or 7
    days after the placement's start; each next one the same interval (6 weeks for CLA)
    after the seen visit before it. So a new referral, plan or placement starts the count
    again."""
    seen: dict[str, list[HistoryRecord]] = {"CIN": [], "CP": [], "CLA": []}
    for visit in visits:
        plan_type = visit.facts.get("plan_type")
        if visit.facts.get("seen") is True and isinstance(plan_type, str) and plan_type in seen:
            seen[plan_type].append(visit)
        else:
            yield visit.id, _timeliness(visit.key_date, None)

    def after(working_days: int) -> Callable[[date], date]:
        return lambda day: add_working_days(day, working_days)

    def open_on(spans: Sequence[_Span], visits: Sequence[HistoryRecord]) -> list[int | None]:
        return _latest_open(spans, (visit.key_date for visit in visits))

    def from_start(spans: Sequence[_Span], due: Callable[[date], date]) -> Callable[[int], date]:
        return lambda span: due(spans[span].start)

    # A CIN visit is measured within the referral open on its day, a CP visit the plan.
    for kind, spans, due in (
        ("CIN", referrals, after(cin_working_days)),
        ("CP", plans, after(cp_working_days)),
    ):
        if seen[kind]:
            yield from _measured(
                seen[kind], open_on(spans, seen[kind]), from_start(spans, due), due
            )
    if not seen["CLA"]:
        return

    def placement_first_due(first: int) -> date | None:
        known = care.starts_placement[first]
        return care.spans[first].start + CLA_FIRST_VISIT if known else None

    episodes = open_on(care.spans, seen["CLA"])
    yield from _measured(
        seen["CLA"],
        [None if episode is None else care.placement_of[episode] for episode in episodes],
        placement_first_due,
        lambda day: day + CLA_NEXT_VISIT,
    )


def _measured(
    visits: Sequence[HistoryRecord],
    within: Sequence[int | None],
    first_due: Callable[[int], date | None],
    next_due: Callable[[date], date],
) -> Iterator[tuple[str, Derived]]:
    """Seen visits of one plan type in date order, each with the index of what it is measured
    within (None: nothing): the first within each is due `first_due(index)` (None when that
    began before the history), each next `next_due` of the visit before."""
    last: dict[int, date] = {}
    for visit, index in zip(visits, within, strict=True):
        due = None
        if index is not None:
            before = last.get(index)
            due = first_due(index) if before is None else next_due(before)
            last[index] = visit.key_date
        yield visit.id, _timeliness(visit.key_date, due)
