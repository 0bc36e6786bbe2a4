"""What one quarter's disclosure decision costs for Kent, in process (no broker, no database):
`python -m bench.decision [--events 80000] [--repeat 5]`.

A year of Kent's realistic event mix (bench/eventmix.py: 20,000 quality-assurance events and
three times as many of case activity) is folded through the projections in memory, as the
consumer folds it; the counts are read back the way the Deep Dive reads them
(`counts.read_quarters`: a quarter's cells and its months', stocks summed to date); then
`publication.decide` runs for one quarter with the default threshold. It prints the cells
each event contributes (what the consumer writes), the published cells and equations of the
decision, how long deciding takes, how long the quarter's cells alone would take (the first
stage of a two-stage decision, bench/README.md section 9), and the longest an event loop
waits while a decision is made on it and in a thread (`asyncio.to_thread`; the service
solves on the loop, section 9 says why)."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections import Counter
from datetime import date
from typing import Any
from unittest.mock import patch

from bench.eventmix import stream
from qaf_shared.events.envelope import parse_event
from qaf_shared.org_units import OrgUnitDirectory
from reporting_service.domain import publication
from reporting_service.domain.measures import Raw
from reporting_service.domain.trends import months_of
from reporting_service.projections import PROJECTIONS
from reporting_service.projections.engine import RUNNING_TABLE, Contributions, by_event_type

TENANT = "886"
QUARTER = "FY2023Q3"  # the middle of the year the mix starts on 1 April 2023


def _fold(count: int) -> tuple[Contributions, int, int]:
    """The counts of `count` events, the number of facts and of contribution cells."""
    by_type = by_event_type(PROJECTIONS)
    facts: dict[tuple[str, str], Any] = {}
    for _, _, value, _ in stream(count, tenant_codes=[TENANT], first_day=date(2023, 4, 1)):
        event = parse_event(value)
        projection = by_type.get(event.type)
        if projection is None:
            continue
        key = (projection.kind, projection.key(event))
        facts[key] = projection.fold(facts.get(key), event)
    total: Contributions = Counter()
    cells = 0
    kinds = {p.kind: p for p in PROJECTIONS}
    for (kind, _), fact in facts.items():
        out = kinds[kind].contributions(TENANT, fact)
        cells += len(out)
        total.update(out)
    return total, len(facts), cells


def _raw(total: Contributions, quarter: str) -> dict[tuple[str, str, str], Raw]:
    """The quarter's figures as counts.read_quarters returns them."""
    periods = {quarter: "q", **dict.fromkeys(months_of(quarter), "m")}
    raw: dict[tuple[str, str, str], Raw] = {}
    for (table, _, grain, period, kind, code, measure, dim), value in total.items():
        for wanted, wanted_grain in periods.items():
            if grain != wanted_grain:
                continue
            if period == wanted or (table == RUNNING_TABLE and period <= wanted):
                cells = raw.setdefault((wanted, kind, code), {})
                cells[(measure, dim)] = cells.get((measure, dim), 0) + value
    return raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=80_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    units = OrgUnitDirectory().tenant(TENANT)
    assert units is not None
    total, facts, cells = _fold(args.events)
    print(f"events {args.events}, facts {facts}, contribution cells per fact {cells / facts:.1f}")
    print(f"contribution cells per event {cells / args.events:.1f}")
    raw = _raw(total, QUARTER)
    values, equations, unpublished = publication._published(
        publication.decide(raw, QUARTER, TENANT, units, None).raw, QUARTER, TENANT, units
    )
    print(f"cells {len(values)} (unpublished {len(unpublished)}), equations {len(equations)}")
    wall, cpu = [], []
    for _ in range(args.repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        decision = publication.decide(raw, QUARTER, TENANT, units, 5)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    print(f"hidden {len(decision.hidden)}")
    # CPU time as well: on a shared machine the wall clock measures the neighbours too (and
    # the load average, since a busy machine slows even this process's CPU time).
    print(f"decide ms: median {statistics.median(wall):.0f} wall, {statistics.median(cpu):.0f} CPU")
    print("load average (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    _quarter_alone(raw, units, args.repeat)
    for how in ("inline", "thread"):
        stalls = [asyncio.run(_longest_stall(raw, units, how)) for _ in range(args.repeat)]
        print(f"event loop's longest wait while deciding {how}: {statistics.median(stalls):.0f} ms")


def _quarter_alone(raw: dict[tuple[str, str, str], Raw], units: Any, repeat: int) -> None:
    """The quarter's cells decided without its months' cells and equations: what the first
    stage of a two-stage decision would cost (section 9 says why the service does not)."""
    quarter = {k: v for k, v in raw.items() if k[0] == QUARTER}
    with patch.object(publication, "months_or_none", lambda _: []):
        values, equations, _ = publication._published(
            publication.decide(quarter, QUARTER, TENANT, units, None).raw, QUARTER, TENANT, units
        )
        cpu = []
        for _ in range(repeat):
            started = time.process_time()
            decision = publication.decide(quarter, QUARTER, TENANT, units, 5)
            cpu.append((time.process_time() - started) * 1000)
    print(
        f"the quarter alone: cells {len(values)}, equations {len(equations)}, "
        f"hidden {len(decision.hidden)}, decide ms: median {statistics.median(cpu):.0f} CPU"
    )


async def _longest_stall(raw: dict[tuple[str, str, str], Raw], units: Any, how: str) -> float:
    """The longest a 1 ms ticker on the event loop waits beyond its tick while the decision
    is made on the loop itself or in a thread: what a cached read waits meanwhile."""
    longest = 0.0
    done = False

    async def ticker() -> None:
        nonlocal longest
        while not done:
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            longest = max(longest, (time.perf_counter() - before) * 1000 - 1)

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    if how == "inline":
        publication.decide(raw, QUARTER, TENANT, units, 5)
    else:
        await asyncio.to_thread(publication.decide, raw, QUARTER, TENANT, units, 5)
    done = True
    await ticking
    return longest


if __name__ == "__main__":
    main()
