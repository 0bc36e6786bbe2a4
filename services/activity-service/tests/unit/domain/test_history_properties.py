"""Properties of the derived facts over random histories of one child: each fact agrees with
a brute-force oracle that reads the rules literally, day by day and record by record (no
sorting, no sweeps, no clamped month arithmetic), and derivation neither depends on the order
records come in nor lets one kind's records move facts that do not read them."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from activity_service.domain.history import HistoryRecord, derive
from activity_service.domain.kinds import KEY_DATE, Kind
from qaf_shared.working_days import is_working_day

FIRST_DAY, LAST_DAY = date(2023, 1, 1), date(2027, 12, 31)
days = st.dates(FIRST_DAY, LAST_DAY)
maybe_end = st.none() | st.integers(0, 400)
# No deadline: the first example of a run pays for the bank-holiday tables.
thorough = settings(max_examples=300, deadline=None)
quick = settings(deadline=None)


def _record(kind: Kind, day: date, **facts: object) -> HistoryRecord:
    return HistoryRecord(str(uuid.uuid4()), kind, day, {KEY_DATE[kind]: day, **facts})


def _end(start: date, length: int | None) -> date | None:
    return None if length is None else start + timedelta(days=length)


# Days around 29 February, and steps of about a year, so the year's edges come up often.
leap_edges = st.sampled_from([date(2023, 2, 28), date(2024, 2, 28), date(2024, 2, 29)])
about_a_year = st.sampled_from([364, 365, 366]) | st.integers(1, 500)


@st.composite
def referrals(draw: st.DrawFn) -> list[HistoryRecord]:
    starts: set[date] = set()
    for _ in range(draw(st.integers(0, 2))):
        day = draw(leap_edges | days)
        for _ in range(draw(st.integers(1, 3))):
            starts.add(day)
            day += timedelta(days=draw(about_a_year))
    return [_record(Kind.REFERRAL, d, closure_date=_end(d, draw(maybe_end))) for d in starts]


@st.composite
def plans(draw: st.DrawFn) -> list[HistoryRecord]:
    starts = draw(st.lists(days, unique=True, max_size=4))
    return [
        _record(
            Kind.CP_PLAN,
            d,
            end_date=_end(d, draw(maybe_end)),
            previous_plans=draw(st.none() | st.integers(0, 3)),
        )
        for d in starts
    ]


@st.composite
def episodes(draw: st.DrawFn) -> list[HistoryRecord]:
    """Episodes that do not overlap: each starts on the last one's end (continuing it) or
    after a gap; only the last may be open."""
    count = draw(st.integers(0, 6))
    day, out = draw(days), []
    for i in range(count):
        reason = draw(st.sampled_from(["S", "L", "P", "T", "B", "U"]))
        last = i == count - 1
        length = draw(st.integers(1, 300) | st.none()) if last else draw(st.integers(1, 300))
        end = _end(day, length)
        out.append(_record(Kind.CARE_EPISODE, day, reason_new_episode=reason, end_date=end))
        if end is not None:
            day = end + timedelta(days=draw(st.sampled_from([0, 0, 1, 30, 200])))
    return out


def _runs(draw: st.DrawFn, starts: list[date], longest_step: int) -> list[date]:
    """Runs of dates a step apart (steps around the timescales), each from one of `starts`
    or any day: reviews and visits measured against what they follow, on time or not."""
    out: set[date] = set()
    for _ in range(draw(st.integers(0, 2))):
        near = st.sampled_from(starts) if starts else days
        day = draw(near | days) + timedelta(days=draw(st.integers(0, 12)))
        for _ in range(draw(st.integers(1, 5))):
            out.add(day)
            day += timedelta(days=draw(st.integers(1, longest_step)))
    return sorted(out)


@st.composite
def reviews(draw: st.DrawFn, starts: list[date]) -> list[HistoryRecord]:
    return [_record(Kind.CARE_REVIEW, d) for d in _runs(draw, starts, 200)]


@st.composite
def visits(draw: st.DrawFn, starts: list[date]) -> list[HistoryRecord]:
    return [
        _record(Kind.VISIT, d, plan_type=t, seen=draw(st.sampled_from([True, True, False, None])))
        for t in ("CIN", "CP", "CLA")
        for d in _runs(draw, starts, 50)
    ]


@st.composite
def others(draw: st.DrawFn) -> list[HistoryRecord]:
    out = []
    for kind in (Kind.ASSESSMENT, Kind.S47_ENQUIRY):
        for d in draw(st.lists(days, unique=True, max_size=2)):
            out.append(_record(kind, d, referral_date=d))
    return out


@st.composite
def histories(draw: st.DrawFn) -> list[HistoryRecord]:
    opened = [*draw(referrals()), *draw(plans()), *draw(episodes())]
    starts = sorted({r.key_date for r in opened})
    return [*opened, *draw(reviews(starts)), *draw(visits(starts)), *draw(others())]


def _of(history: list[HistoryRecord], kind: Kind) -> list[HistoryRecord]:
    return [r for r in history if r.kind is kind]


def _open(start: date, end: object, day: date) -> bool:
    return start <= day and (end is None or (isinstance(end, date) and end > day))


def _ends(record: HistoryRecord) -> object:
    return record.facts.get("closure_date" if record.kind is Kind.REFERRAL else "end_date")


def _latest_open(records: list[HistoryRecord], day: date) -> HistoryRecord | None:
    found = [r for r in records if _open(r.key_date, _ends(r), day)]
    return max(found, key=lambda r: r.key_date) if found else None


def _in_working_days(start: date, held: date, limit: int) -> bool:
    """Held by the `limit`-th working day after `start`: fewer than `limit` working days had
    passed, day by day, before the day it was held (so the weekend after is late)."""
    passed, day = 0, start + timedelta(days=1)
    while day < held and passed < limit:
        passed += is_working_day(day)
        day += timedelta(days=1)
    return passed < limit


def _within_months(first: date, months: int, day: date) -> bool:
    target = first.year * 12 + first.month + months
    current = day.year * 12 + day.month
    return current < target or (current == target and day.day <= first.day)


# The oracles


def _year_before(day: date) -> date:
    if day.month == 2 and day.day == 29:
        return date(day.year - 1, 2, 28)
    return date(day.year - 1, day.month, day.day)


def _re_referral(history: list[HistoryRecord], referral: HistoryRecord) -> bool:
    since = _year_before(referral.key_date)
    return any(since <= r.key_date < referral.key_date for r in _of(history, Kind.REFERRAL))


def _previous_episode(history: list[HistoryRecord], episode: HistoryRecord) -> HistoryRecord | None:
    before = [e for e in _of(history, Kind.CARE_EPISODE) if e.key_date < episode.key_date]
    return max(before, key=lambda e: e.key_date) if before else None


def _begins_period(history: list[HistoryRecord], episode: HistoryRecord) -> bool:
    previous = _previous_episode(history, episode)
    return previous is None or previous.facts.get("end_date") != episode.key_date


def _route(history: list[HistoryRecord], episode: HistoryRecord) -> str:
    entry = episode
    while entry.facts.get("reason_new_episode") != "S" and not _begins_period(history, entry):
        previous = _previous_episode(history, entry)
        assert previous is not None
        entry = previous
    day = entry.key_date
    if any(_open(p.key_date, _ends(p), day) for p in _of(history, Kind.CP_PLAN)):
        return "CP_PLAN"
    if any(_open(r.key_date, _ends(r), day) for r in _of(history, Kind.REFERRAL)):
        return "CIN"
    return "NONE"


def _period_first(history: list[HistoryRecord], episode: HistoryRecord) -> HistoryRecord:
    while not _begins_period(history, episode):
        previous = _previous_episode(history, episode)
        assert previous is not None
        episode = previous
    return episode


def _review_on_time(history: list[HistoryRecord], review: HistoryRecord) -> bool | None:
    held = review.key_date
    episode = _latest_open(_of(history, Kind.CARE_EPISODE), held)
    if episode is None:
        return None
    first = _period_first(history, episode)
    in_period = [
        r.key_date
        for r in _of(history, Kind.CARE_REVIEW)
        if first.key_date <= r.key_date < held
        and (e := _latest_open(_of(history, Kind.CARE_EPISODE), r.key_date)) is not None
        and _period_first(history, e) is first
    ]
    known = first.facts.get("reason_new_episode") == "S"
    if not in_period:
        return _in_working_days(first.key_date, held, 20) if known else None
    months = 3 if len(in_period) == 1 and known else 6
    return _within_months(max(in_period), months, held)


def _placement_first(history: list[HistoryRecord], episode: HistoryRecord) -> HistoryRecord:
    while episode.facts.get("reason_new_episode") not in {"S", "P", "T", "B"}:
        previous = _previous_episode(history, episode)
        if previous is None:
            return episode
        episode = previous
    return episode


def _visit_within(history: list[HistoryRecord], visit: HistoryRecord) -> HistoryRecord | None:
    plan_type, day = visit.facts["plan_type"], visit.key_date
    if plan_type == "CIN":
        return _latest_open(_of(history, Kind.REFERRAL), day)
    if plan_type == "CP":
        return _latest_open(_of(history, Kind.CP_PLAN), day)
    episode = _latest_open(_of(history, Kind.CARE_EPISODE), day)
    return None if episode is None else _placement_first(history, episode)


def _visit_on_time(
    history: list[HistoryRecord], visit: HistoryRecord, cin: int, cp: int
) -> bool | None:
    if visit.facts.get("seen") is not True:
        return None
    within = _visit_within(history, visit)
    if within is None:
        return None
    plan_type, day = visit.facts["plan_type"], visit.key_date
    before = [
        v.key_date
        for v in _of(history, Kind.VISIT)
        if v.facts["plan_type"] == plan_type
        and v.facts.get("seen") is True
        and v.key_date < day
        and _visit_within(history, v) is within
    ]
    if plan_type == "CLA":
        if before:
            return (day - max(before)).days <= 42
        known = within.facts.get("reason_new_episode") in {"S", "P", "T", "B"}
        return (day - within.key_date).days <= 7 if known else None
    start = max(before) if before else within.key_date
    return _in_working_days(start, day, cin if plan_type == "CIN" else cp)


# The properties


@thorough
@given(history=histories())
def test_re_referrals_and_second_plans_match_a_literal_reading(
    history: list[HistoryRecord],
) -> None:
    derived = derive(history)
    for referral in _of(history, Kind.REFERRAL):
        assert derived[referral.id]["re_referral_12m"] is _re_referral(history, referral)
    for plan in _of(history, Kind.CP_PLAN):
        previous = plan.facts.get("previous_plans")
        earlier = any(p.key_date < plan.key_date for p in _of(history, Kind.CP_PLAN))
        expected = earlier or (isinstance(previous, int) and previous > 0)
        assert derived[plan.id]["second_or_subsequent"] is expected


@thorough
@given(history=histories())
def test_routes_into_care_match_a_literal_reading(history: list[HistoryRecord]) -> None:
    derived = derive(history)
    for episode in _of(history, Kind.CARE_EPISODE):
        assert derived[episode.id]["route"] == _route(history, episode)


@thorough
@given(history=histories())
def test_reviews_on_time_agree_with_counting_day_by_day(history: list[HistoryRecord]) -> None:
    derived = derive(history)
    for review in _of(history, Kind.CARE_REVIEW):
        facts = derived[review.id]
        assert facts["on_time"] is _review_on_time(history, review)
        assert (facts["due_date"] is None) is (facts["on_time"] is None)
        if isinstance(facts["due_date"], date):
            assert facts["on_time"] is (review.key_date <= facts["due_date"])


@thorough
@given(history=histories(), cin=st.integers(1, 30), cp=st.integers(1, 30))
def test_visits_on_time_agree_with_counting_day_by_day(
    history: list[HistoryRecord], cin: int, cp: int
) -> None:
    derived = derive(history, cin_visit_working_days=cin, cp_visit_working_days=cp)
    for visit in _of(history, Kind.VISIT):
        facts = derived[visit.id]
        assert facts["on_time"] is _visit_on_time(history, visit, cin, cp)
        assert (facts["due_date"] is None) is (facts["on_time"] is None)
        if isinstance(facts["due_date"], date):
            assert facts["on_time"] is (visit.key_date <= facts["due_date"])


@quick
@given(history=histories(), order=st.randoms(use_true_random=False))
def test_derivation_does_not_depend_on_the_order_records_come_in(
    history: list[HistoryRecord], order: object
) -> None:
    shuffled = list(history)
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    assert derive(shuffled) == derive(history)
    assert set(derive(history)) == {r.id for r in history}


# Which kinds each kind's derived facts read, written from the rules, not from the code.
READS: dict[Kind, set[Kind]] = {
    Kind.REFERRAL: {Kind.REFERRAL},
    Kind.ASSESSMENT: set(),
    Kind.S47_ENQUIRY: set(),
    Kind.CP_PLAN: {Kind.CP_PLAN},
    Kind.CARE_EPISODE: {Kind.CARE_EPISODE, Kind.CP_PLAN, Kind.REFERRAL},
    Kind.CARE_REVIEW: {Kind.CARE_REVIEW, Kind.CARE_EPISODE},
    Kind.VISIT: {Kind.VISIT, Kind.REFERRAL, Kind.CP_PLAN, Kind.CARE_EPISODE},
}


@quick
@given(history=histories(), extra=histories())
def test_adding_records_never_moves_the_facts_of_kinds_that_do_not_read_them(
    history: list[HistoryRecord], extra: list[HistoryRecord]
) -> None:
    before = derive(history)
    taken = {(r.kind, r.key_date, r.facts.get("plan_type")) for r in history}
    for kind in Kind:
        added = [
            r
            for r in extra
            if r.kind is kind and (r.kind, r.key_date, r.facts.get("plan_type")) not in taken
        ]
        if kind is Kind.CARE_EPISODE:
            added = []  # a second run of episodes would overlap the first: not a valid history
        after = derive([*history, *added])
        for r in history:
            if kind not in READS[r.kind]:
                assert after[r.id] == before[r.id], (kind, r.kind)
