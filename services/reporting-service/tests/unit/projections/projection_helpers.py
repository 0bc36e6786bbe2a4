"""Folding events through the projections in memory, as the engine does, for unit tests."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date
from typing import Any

from qaf_shared.events.envelope import CloudEvent, new_event
from qaf_shared.events.payloads import OrgUnitRef, Payload
from reporting_service.domain.trends import months_of
from reporting_service.projections import PROJECTIONS
from reporting_service.projections.engine import (
    COUNTS_TABLE,
    MONTH,
    QUARTER,
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
    grain: str = QUARTER,
) -> int:
    """A quarter's (or with `grain` MONTH, a month's) value of a measure, as the Deep Dive
    reads it (running: summed to date)."""
    key = (COUNTS_TABLE, TENANT, grain, quarter, unit[0], unit[1], measure, dimension)
    count = cells.get(key, 0)
    running = sum(
        v
        for (table, _, g, period, kind, code, m, d), v in cells.items()
        if table == RUNNING_TABLE
        and g == grain
        and period <= quarter
        and (kind, code) == unit
        and (m, d) == (measure, dimension)
    )
    return count + running


def d(text: str) -> date:
    return date.fromisoformat(text)


def quarter_raw(cells: Contributions, quarter: str) -> dict[tuple[str, str, str], dict[Any, int]]:
    """A quarter's figures as the Deep Dive reads them (counts.read_quarters): (period, unit
    kind, unit code) -> (measure, dimension) -> value, at the quarter and at each of its
    months; a state summed to date."""
    periods = {quarter: QUARTER, **dict.fromkeys(months_of(quarter), MONTH)}
    out: dict[tuple[str, str, str], dict[Any, int]] = {}
    for (table, _, grain, period, kind, code, measure, dim), v in cells.items():
        for wanted, wanted_grain in periods.items():
            if grain == wanted_grain and (
                period == wanted or (table == RUNNING_TABLE and period <= wanted)
            ):
                raw = out.setdefault((wanted, kind, code), {})
                raw[(measure, dim)] = raw.get((measure, dim), 0) + v
    return out


def nonzero(cells: Contributions) -> Contributions:
    """The cells whose value is not 0 (what the tables would hold)."""
    return Counter({k: v for k, v in cells.items() if v})
