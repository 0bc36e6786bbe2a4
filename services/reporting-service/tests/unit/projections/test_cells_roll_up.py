"""A batch's emissions spread up the unit tree (`Emissions.cells`: each org unit's sums to
its own units' cells, then added into its parent's) give exactly the cells of spreading
every emission to every unit it counts in, by quarter and by month, as the engine did
before (kept here as the reference): on random emissions over org units with levels
missing, a team code shared by two districts and services, and on what the projections
emit for the realistic mix."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.eventmix import stream
from qaf_shared.events.envelope import parse_event
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.quarters import quarter_of
from reporting_service.projections import PROJECTIONS
from reporting_service.projections.engine import (
    COUNTS_TABLE,
    MONTH,
    MONTH_UNIT_KINDS,
    QUARTER,
    RUNNING_TABLE,
    Contributions,
    Emissions,
    Emitter,
    by_event_type,
    fold_all,
    route,
    units_of,
)

TENANTS = ["886", "887"]
UNITS = [
    OrgUnitRef(),
    OrgUnitRef(area="NORTH"),
    OrgUnitRef(area="NORTH", district="CANTERBURY"),
    OrgUnitRef(area="NORTH", district="CANTERBURY", team="CP1"),
    OrgUnitRef(area="NORTH", district="DOVER", team="CP1"),  # the same team code elsewhere
    OrgUnitRef(area="SOUTH", district="DOVER", team="CP2", service="CIN"),
    OrgUnitRef(area="SOUTH", service="CIN"),
    OrgUnitRef(district="THANET", team="CP3"),
    OrgUnitRef(team="CP4"),
    OrgUnitRef(service="LAC"),
]
MEASURES = ["m.a", "m.b"]
DIMENSIONS = ["", "x", "y"]


def _period(grain: str, day: date) -> str:
    return quarter_of(day) if grain == QUARTER else f"{day.year:04d}-{day.month:02d}"


def _grains(tenant: str, unit: OrgUnitRef) -> list[tuple[str, list[tuple[str, str]]]]:
    every = list(units_of(tenant, unit))
    return [(QUARTER, every), (MONTH, [u for u in every if u[0] in MONTH_UNIT_KINDS])]


def reference_cells(emitted: list[tuple[Any, ...]]) -> Contributions:
    """The engine's cells before the roll-up: every emission to every unit it counts in.
    `emitted`: ("count", tenant, unit, day, measure, dimension, value) and ("state",
    tenant, unit, start, end, measure, dimension, value)."""
    out: Contributions = Counter()
    for item in emitted:
        if item[0] == "count":
            _, tenant, unit, day, measure, dimension, value = item
            for grain, units in _grains(tenant, unit):
                for kind, code in units:
                    key = (COUNTS_TABLE, tenant, grain, _period(grain, day), kind, code)
                    out[(*key, measure, dimension)] += value
        else:
            _, tenant, unit, start, end, measure, dimension, value = item
            for grain, units in _grains(tenant, unit):
                first = _period(grain, start)
                last = None if end is None else _period(grain, end)
                if last is not None and last <= first:
                    continue
                for kind, code in units:
                    out[(RUNNING_TABLE, tenant, grain, first, kind, code, measure, dimension)] += (
                        value
                    )
                    if last is not None:
                        key = (RUNNING_TABLE, tenant, grain, last, kind, code, measure, dimension)
                        out[key] -= value
    return out


def _nonzero(cells: Contributions) -> dict[Any, int]:
    return {k: v for k, v in cells.items() if v}


days = st.dates(date(2023, 1, 1), date(2025, 12, 31))
counts = st.tuples(
    st.just("count"),
    st.sampled_from(TENANTS),
    st.sampled_from(UNITS),
    days,
    st.sampled_from(MEASURES),
    st.sampled_from(DIMENSIONS),
    st.integers(-3, 3),
)
states = st.tuples(
    st.just("state"),
    st.sampled_from(TENANTS),
    st.sampled_from(UNITS),
    days,
    st.none() | days,
    st.sampled_from(["escalations.open_at_end"]),
    st.sampled_from(DIMENSIONS),
    st.sampled_from([-1, 1]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(counts | states, max_size=60))
def test_the_unit_trees_cells_are_every_emission_spread_to_every_unit(
    drawn: list[tuple[Any, ...]],
) -> None:
    # A state's end is never before its start.
    emitted = [
        (*item[:3], item[4], item[3], *item[5:])
        if item[0] == "state" and item[4] is not None and item[4] < item[3]
        else item
        for item in drawn
    ]
    into = Emissions()
    for item in emitted:
        if item[0] == "count":
            _, tenant, unit, day, measure, dimension, value = item
            Emitter(tenant, unit, into).count(day, measure, dimension, value=value)
        else:
            _, tenant, unit, start, end, measure, dimension, sign = item
            Emitter(tenant, unit, into, sign).open_between(start, end, measure, dimension)
    assert _nonzero(into.cells()) == _nonzero(reference_cells(emitted))


def test_the_mixs_batches_give_the_cells_of_every_emission_spread_to_every_unit() -> None:
    by_type = by_event_type(PROJECTIONS)
    kinds = {p.kind: p for p in PROJECTIONS}
    events = [parse_event(value) for _, _, value, _ in stream(6_000)]
    facts: dict[Any, Any] = {}
    for start in range(0, len(events), 2_000):
        routed = route(by_type, events[start : start + 2_000])
        keys = sorted({key for _, key, _ in routed})
        loaded = {k: facts[k] for k in keys if k in facts}
        current = fold_all(routed, loaded)
        into = Emissions()
        expected: Contributions = Counter()
        for key in keys:
            for fact, sign in ((current.get(key), 1), (loaded.get(key), -1)):
                if fact is None or loaded.get(key) == current.get(key):
                    continue
                kinds[key[1]].emit(key[0], fact, into, sign)
                # The same fact alone, spread the old way.
                alone = Emissions()
                kinds[key[1]].emit(key[0], fact, alone, sign)
                expected.update(_spread(alone))
            if current.get(key) is not None:
                facts[key] = current[key]
        assert _nonzero(into.cells()) == _nonzero(expected)


def _spread(emissions: Emissions) -> Contributions:
    """An Emissions' content spread the old way (its keys name each org unit's _Unit)."""
    emitted: list[tuple[Any, ...]] = []
    for (unit, day, measure, dimension), value in emissions.counts.items():
        emitted.append(("count", unit.tenant, unit.ref, day, measure, dimension, value))
    for (unit, start, end, measure, dimension), value in emissions.states.items():
        emitted.append(("state", unit.tenant, unit.ref, start, end, measure, dimension, value))
    return reference_cells(emitted)
