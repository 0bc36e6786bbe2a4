"""Properties of the activity projections over generated histories: the engine's way (each
batch moves the counts by the new facts' contributions minus the old ones') gives the same
cells whatever the order and batching of the same events, and withdrawing every record
leaves none."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qaf_shared.events.envelope import CloudEvent
from qaf_shared.events.payloads import OrgUnitRef
from reporting_service.projections import PROJECTIONS
from reporting_service.projections.engine import Contributions, by_event_type

from .activity_events import recorded, withdrawn
from .projection_helpers import TENANT, UNIT, fold_all, nonzero

BASE = date(2024, 1, 1)
UNITS = [UNIT, OrgUnitRef(area="NORTH", district="CANTERBURY", team="CAN-CP1"), OrgUnitRef()]
KINDS = ["referral", "assessment", "s47_enquiry", "cp_plan", "care_episode", "care_review", "visit"]


def _day(n: int) -> date:
    return BASE + timedelta(days=n)


@st.composite
def facts(draw: st.DrawFn, kind: str, first: date) -> dict[str, Any]:
    """A record's facts as its kind's `recorded` event carries them."""
    later = st.integers(0, 800).map(lambda n: first + timedelta(days=n))
    maybe_later = st.none() | later
    if kind == "referral":
        return {
            "referral_date": first,
            "nfa": draw(st.booleans()),
            "re_referral_12m": draw(st.booleans()),
        }
    if kind in ("assessment", "s47_enquiry"):
        referral = first - timedelta(days=draw(st.integers(0, 40)))
        out: dict[str, Any] = {"start_date": first, "referral_date": referral}
        if kind == "assessment":
            out["authorised_date"] = draw(maybe_later)
        else:
            # An ICPC may be dated before its S47 (kept, and counted in no ICPC measure).
            icpc = st.integers(-5, 40).map(lambda n: first + timedelta(days=n))
            out["icpc_date"] = draw(st.none() | icpc)
        return out
    if kind == "cp_plan":
        return {
            "start_date": first,
            "end_date": draw(
                st.none() | st.integers(1, 900).map(lambda n: first + timedelta(days=n))
            ),
            "second_or_subsequent": draw(st.booleans()),
            "review_dates": draw(st.lists(later, max_size=4)),
        }
    if kind == "care_episode":
        return {
            "start_date": first,
            "reason_new_episode": draw(st.sampled_from(["S", "P", "L", "T", "B", "U"])),
            "route": draw(st.sampled_from(["CP_PLAN", "CIN", "NONE"])),
            "end_date": draw(
                st.none() | st.integers(1, 500).map(lambda n: first + timedelta(days=n))
            ),
        }
    if kind == "care_review":
        return {"review_date": first, "on_time": draw(st.none() | st.booleans())}
    return {
        "visit_date": first,
        "on_time": draw(st.none() | st.booleans()),
    }


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[CloudEvent], list[CloudEvent]]:
    """Two children's records, each a run of versions (replacements in other units and with
    other facts, withdrawals, records coming back); and a withdrawal of every record at a
    version above its last."""
    events, ends = [], []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(KINDS))
        child = draw(st.sampled_from(["child-1", "child-2"]))
        first = _day(draw(st.integers(0, 900)))
        record = uuid.uuid4()
        # A visit's plan type is part of its natural key, so on its withdrawal too.
        plan_type = (
            {"plan_type": draw(st.sampled_from(["CIN", "CP", "CLA"]))} if kind == "visit" else {}
        )
        version = 0
        for _ in range(draw(st.integers(1, 3))):
            version += 1
            unit = draw(st.sampled_from(UNITS))
            if draw(st.integers(0, 4)) == 0:
                events.append(
                    withdrawn(
                        kind, record, first, version=version, child=child, unit=unit, **plan_type
                    )
                )
                continue
            body = draw(facts(kind, first)) | plan_type
            events.append(
                recorded(kind, record=record, version=version, child=child, unit=unit, **body)
            )
        ends.append(withdrawn(kind, record, first, version=version + 1, child=child, **plan_type))
    return events, ends


def apply_in_batches(batches: list[list[CloudEvent]]) -> Contributions:
    """The engine's way: per batch, the touched facts folded, the counts moved by what the new
    facts contribute minus what the old ones did."""
    by_type = by_event_type(PROJECTIONS)
    facts: dict[tuple[str, str], Any] = {}
    total: Contributions = Counter()
    for batch in batches:
        before = dict(facts)
        touched = set()
        for event in batch:
            projection = by_type[event.type]
            key = (projection.kind, projection.key(event))
            facts[key] = projection.fold(facts.get(key), event)
            touched.add((projection, key))
        for projection, key in touched:
            if before.get(key) is not None:
                total.subtract(projection.contributions(TENANT, before[key]))
            total.update(projection.contributions(TENANT, facts[key]))
    return total


CHECKS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@CHECKS
@given(history=histories(), data=st.data())
def test_any_order_and_batching_of_the_same_events_gives_the_same_cells(
    history: tuple[list[CloudEvent], list[CloudEvent]], data: st.DataObject
) -> None:
    events, _ = history
    shuffled = data.draw(st.permutations(events))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(events)), max_size=4)))
    bounds = [0, *cuts, len(events)]
    batches = [shuffled[a:b] for a, b in pairwise(bounds)]
    assert nonzero(apply_in_batches(batches)) == nonzero(fold_all(events))


@CHECKS
@given(history=histories(), data=st.data())
def test_withdrawing_every_record_leaves_no_cell(
    history: tuple[list[CloudEvent], list[CloudEvent]], data: st.DataObject
) -> None:
    events, ends = history
    everything = data.draw(st.permutations(events + ends))
    half = len(everything) // 2
    assert nonzero(apply_in_batches([everything[:half], everything[half:]])) == Counter()
    assert nonzero(fold_all(everything)) == Counter()
