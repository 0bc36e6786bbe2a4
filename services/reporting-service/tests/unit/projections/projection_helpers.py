"""Folding events through the projections in memory, as the engine does, for unit tests."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date
from typing import Any

from qaf_shared.events.envelope import CloudEvent, new_event
from qaf_shared.events.payloads import OrgUnitRef, Payload
from reporting_service.projections import PROJECTIONS
from reporting_service.projections.engine import (
    COUNTS_TABLE,
    RUNNING_TABLE,
    Contributions,
    by_event_type,
)

TENANT = "886"
UNIT = OrgUnitRef(area="SOUTH", district="ASHFORD", team="ASH-CP1")


def event(type_: str, subject: uuid.UUID, data: Payload) -> CloudEvent:
    return new_event(
        type=f"uk.gov.qa.{type_}.v1", source="/test", tenant=TENANT, subject=str(subject), data=data
    )


def fold_all(events: list[CloudEvent]) -> Contributions:
    """The counts after applying `events` in order."""
    by_type = by_event_type(PROJECTIONS)
    facts: dict[tuple[str, str], Any] = {}
    for e in events:
        projection = by_type[e.type]
        key = (projection.kind, projection.key(e))
        facts[key] = projection.fold(facts.get(key), e)
    total: Contributions = Counter()
    for (kind, _), fact in facts.items():
        projection = next(p for p in PROJECTIONS if p.kind == kind)
        total.update(projection.contributions(TENANT, fact))
    return total


def value(
    cells: Contributions,
    quarter: str,
    measure: str,
    dimension: str = "",
    unit: tuple[str, str] = ("tenant", TENANT),
) -> int:
    """A quarter's value of a measure, as the Deep Dive reads it (running: summed to date)."""
    count = cells.get((COUNTS_TABLE, TENANT, "q", quarter, unit[0], unit[1], measure, dimension), 0)
    running = sum(
        v
        for (table, _, grain, period, kind, code, m, d), v in cells.items()
        if table == RUNNING_TABLE
        and grain == "q"
        and period <= quarter
        and (kind, code) == unit
        and (m, d) == (measure, dimension)
    )
    return count + running


def d(text: str) -> date:
    return date.fromisoformat(text)


def nonzero(cells: Contributions) -> Contributions:
    """The cells whose value is not 0 (what the tables would hold)."""
    return Counter({k: v for k, v in cells.items() if v})
