"""Case activity for the realistic event mix (eventmix.py): one referred child's records, as
activity-service publishes them when a case-management system writes them over REST.

A child is referred; most are assessed; some have a Section 47 enquiry, and of those some a
conference and a child protection plan, reviewed every six months until it ends; some come
into care, with placement moves, reviews and visits; the open plans are visited. Each record
is published when it happens and again, with a higher `version`, when it changes (an
assessment authorised, a conference held, a plan reviewed or ended, a referral closed); now
and then a referral entered in error is withdrawn. The facts activity-service derives
(re-referral, second plan, route into care, timeliness) are drawn at plausible rates rather
than derived: reporting reads them as they come."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from qaf_shared.events import activity as act
from qaf_shared.events.payloads import OrgUnitRef, Payload
from qaf_shared.months import add_months

# Measured over the generator (`python -m bench.activitymix`): a child's events on average.
EVENTS_PER_CHILD = 11.3

# Visit intervals in days: CIN about monthly, CP fortnightly, CLA six-weekly.
VISIT_EVERY = {"CIN": 28, "CP": 14, "CLA": 42}


class Child:
    """One child's events as (day, payload), in the order activity-service publishes them."""

    def __init__(
        self, rng: random.Random, unit: OrgUnitRef, new_id: Callable[[], uuid.UUID]
    ) -> None:
        self.rng = rng
        self.unit = unit
        self.new_id = new_id
        self.child_key = f"{rng.getrandbits(256):064x}"
        self.events: list[tuple[date, Payload]] = []

    def history(self, referred: date) -> list[tuple[date, Payload]]:
        rng = self.rng
        closed = referred + timedelta(rng.randrange(20, 200))
        referral = self._record(
            "referral",
            referred,
            referral_date=referred,
            referral_source=rng.choice(("1A", "1B", "2A", "3A", "5A", "6", "8")),
            primary_need=rng.choice(("N1", "N2", "N3", "N4", "N5", "N8")),
            nfa=rng.random() < 0.1,
            re_referral_12m=rng.random() < 0.2,
        )
        if referral.facts["nfa"]:
            return self.events
        if rng.random() < 0.9:
            began = referred + timedelta(rng.randrange(0, 10))
            assessment = self._record("assessment", began, start_date=began, referral_date=referred)
            authorised = began + timedelta(rng.randrange(10, 70))
            assessment.change(authorised, authorised_date=authorised, factors=["3A", "21"])
        plan_ended = self._protection(referred) if rng.random() < 0.22 else None
        if plan_ended is None:
            self._visits("CIN", referred, closed)
            referral.change(closed, closure_date=closed, closure_reason="RC8")
        if rng.random() < 0.08:
            self._care((plan_ended or closed) - timedelta(rng.randrange(0, 30)))
        if rng.random() < 0.02:
            referral.withdraw(referred + timedelta(rng.randrange(10, 60)))
        return self.events

    def _protection(self, referred: date) -> date | None:
        """A Section 47 enquiry; perhaps its conference and a plan. The plan's end, if any."""
        rng = self.rng
        began = referred + timedelta(rng.randrange(0, 20))
        s47 = self._record(
            "s47_enquiry",
            began,
            start_date=began,
            referral_date=referred,
            icpc_target_date=began + timedelta(21),
        )
        if rng.random() >= 0.45:
            return None
        icpc = began + timedelta(rng.randrange(5, 30))
        s47.change(icpc, icpc_date=icpc)
        if rng.random() >= 0.85:
            return None
        ends = icpc + timedelta(rng.randrange(90, 900))
        plan = self._record(
            "cp_plan",
            icpc,
            start_date=icpc,
            initial_category=rng.choice(("NEG", "PHY", "SAB", "EMO", "MUL")),
            previous_plans=rng.choice((0, 0, 0, 1)),
            second_or_subsequent=rng.random() < 0.2,
        )
        reviews: list[date] = []
        review = add_months(icpc, 3)
        while review < ends:
            reviews.append(review)
            plan.change(review, review_dates=list(reviews))
            review = add_months(review, 6)
        plan.change(ends, end_date=ends)
        self._visits("CP", icpc, ends)
        return ends

    def _care(self, began: date) -> None:
        """A period of care: episodes (a placement move now and then), reviews, visits."""
        rng = self.rng
        ends = began + timedelta(rng.randrange(60, 1100))
        route = rng.choice(("CP_PLAN", "CIN", "NONE"))
        start, reason = began, "S"
        while start < ends:
            moves = start + timedelta(rng.randrange(60, 500))
            finish = min(moves, ends)
            episode = self._record(
                "care_episode",
                start,
                start_date=start,
                reason_new_episode=reason,
                legal_status=rng.choice(("C2", "V2", "E1", "J2")),
                cin_category=rng.choice(("N1", "N2", "N4")),
                placement=rng.choice(("U1", "U3", "U4", "R1", "K2")),
                route=route,
            )
            episode.change(finish, end_date=finish, reason_ceased="X1" if moves < ends else "E4A")
            self._visits("CLA", start, finish)
            start, reason = finish, rng.choice(("P", "P", "T", "B"))
        review = began + timedelta(28)
        while review < ends:
            on_time = rng.random() < 0.9
            self._record(
                "care_review",
                review,
                review_date=review,
                pn_code=rng.choice(("PN1", "PN2", "PN3", "PN4", "PN0")),
                due_date=review if on_time else review - timedelta(rng.randrange(1, 20)),
                on_time=on_time,
            )
            review = add_months(review, 6 if review > began + timedelta(120) else 3)

    def _visits(self, plan_type: str, first: date, last: date) -> None:
        rng = self.rng
        every = VISIT_EVERY[plan_type]
        day = first + timedelta(rng.randrange(3, every))
        while day < last:
            seen = rng.random() < 0.93
            self._record(
                "visit",
                day,
                plan_type=plan_type,
                visit_date=day,
                seen=seen,
                seen_alone=seen and rng.random() < 0.5,
                due_date=day + timedelta(rng.randrange(-3, 4)) if seen else None,
                on_time=(rng.random() < 0.85) if seen else None,
            )
            day += timedelta(rng.randrange(every - 4, every + 8))

    def _record(self, kind: str, day: date, **facts: Any) -> _Record:
        record = _Record(self, kind, facts)
        record.publish(day)
        return record


class _Record:
    """One record's current facts and version; each change publishes it whole again."""

    def __init__(self, child: Child, kind: str, facts: dict[str, Any]) -> None:
        self.child = child
        self.kind = kind
        self.id = child.new_id()
        self.facts = facts
        self.version = 0
        # The stream is ordered by day: a change is never dated before the one it follows,
        # so the versions reach the topic in order, as a relay publishes them.
        self.last = date.min

    def _common(self) -> dict[str, Any]:
        child = self.child
        return {
            "record_id": self.id,
            "child_key": child.child_key,
            "org_unit": child.unit,
            "version": self.version,
            "source": "REST",
        }

    def publish(self, day: date) -> None:
        self._append(day, act.RECORDED[self.kind], self.facts)

    def change(self, day: date, **facts: Any) -> None:
        self.facts = {**self.facts, **facts}
        self.publish(day)

    def withdraw(self, day: date) -> None:
        key_date = next(v for v in self.facts.values() if isinstance(v, date))
        extra = {"plan_type": self.facts["plan_type"]} if self.kind == "visit" else {}
        self._append(day, act.WITHDRAWN[self.kind], {"key_date": key_date, **extra})

    def _append(self, day: date, payload: type[act.ActivityRecord], facts: dict[str, Any]) -> None:
        self.version += 1
        self.last = max(day, self.last)
        self.child.events.append((self.last, payload(**self._common(), **facts)))


def _measure(children: int = 20_000) -> None:
    """Prints the events a child brings on average (EVENTS_PER_CHILD) and the mix by type."""
    from collections import Counter

    rng = random.Random(7)
    by_type: Counter[str] = Counter()
    for _ in range(children):
        child = Child(rng, OrgUnitRef(team="T"), lambda: uuid.UUID(int=rng.getrandbits(128)))
        by_type.update(p.event_type for _, p in child.history(date(2024, 4, 1)))
    total = sum(by_type.values())
    print(f"{total / children:.2f} events a child")
    for type_, n in by_type.most_common():
        print(f"{n / total:6.1%} {type_}")


if __name__ == "__main__":
    _measure()
