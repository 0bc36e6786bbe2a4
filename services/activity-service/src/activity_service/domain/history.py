"""The facts a record's measures need from its child's whole history in the tenant, derived
here, where that history is (docs/activity.md, "Derived facts"). Pure: a child's current
(not withdrawn) records in, each record's derived facts out. The handler derives them again
for every child a write touches and publishes the records whose derived facts changed, so a
late record corrects the facts of the records it changes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from activity_service.domain.kinds import Kind


@dataclass(frozen=True)
class HistoryRecord:
    """One of a child's records as stored: its facts are typed as in `kinds.FACTS`."""

    id: uuid.UUID
    kind: Kind
    key_date: date
    facts: Mapping[str, object]


def one_year_before(day: date) -> date:
    """The same day a year before; 29 February gives 28 February."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _is_open_on(start: date, end: object, day: date) -> bool:
    """Started on or before `day` and not ended by it (an end on `day` itself has ended)."""
    return start <= day and (not isinstance(end, date) or end > day)


def derive(records: Sequence[HistoryRecord]) -> dict[uuid.UUID, dict[str, object]]:
    """Each record's derived facts (every record of the child gets an entry, `{}` for kinds
    with none): a referral's `re_referral_12m`, a CP plan's `second_or_subsequent`, a care
    episode's `route`."""
    referrals = sorted(r.key_date for r in records if r.kind is Kind.REFERRAL)
    plans = [r for r in records if r.kind is Kind.CP_PLAN]
    derived: dict[uuid.UUID, dict[str, object]] = {}
    for record in records:
        facts: dict[str, object] = {}
        if record.kind is Kind.REFERRAL:
            since = one_year_before(record.key_date)
            facts["re_referral_12m"] = any(since <= d < record.key_date for d in referrals)
        elif record.kind is Kind.CP_PLAN:
            previous = record.facts.get("previous_plans")
            facts["second_or_subsequent"] = (isinstance(previous, int) and previous > 0) or any(
                p.key_date < record.key_date for p in plans
            )
        elif record.kind is Kind.CARE_EPISODE:
            facts["route"] = _route(records, record.key_date)
        derived[record.id] = facts
    return derived


def _route(records: Sequence[HistoryRecord], day: date) -> str:
    """What the child had open on `day`: a CP plan, else an open referral episode, else
    nothing."""
    if any(
        r.kind is Kind.CP_PLAN and _is_open_on(r.key_date, r.facts.get("end_date"), day)
        for r in records
    ):
        return "CP_PLAN"
    if any(
        r.kind is Kind.REFERRAL and _is_open_on(r.key_date, r.facts.get("closure_date"), day)
        for r in records
    ):
        return "CIN"
    return "NONE"
