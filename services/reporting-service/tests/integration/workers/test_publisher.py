"""Published snapshots against real PostgreSQL: the marks a batch leaves in its own
transaction, and the publisher that turns them into snapshots without losing one."""

from __future__ import annotations

import asyncio
import itertools
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from prometheus_client import REGISTRY

from qaf_shared.clock import BusinessClock
from qaf_shared.database import create_pool
from qaf_shared.enums import (
    EscalationStatus,
    ResolutionOutcome,
)
from qaf_shared.events import escalation as e
from qaf_shared.events.envelope import CloudEvent
from qaf_shared.org_units import OrgUnitDirectory
from qaf_shared.quarters import quarter_of
from qaf_shared.testing.fixtures import DatabaseFactory
from reporting_service import projections
from reporting_service.domain import publication
from reporting_service.repository import counts, generations, publications
from reporting_service.workers.publisher import Publisher

from ..feed import audit_submitted, event
from ..feed import escalation_raised as raised

TENANT = "886"
# The day the projections mark states up to: the business clock `projections.apply` keeps by
# default (London's day, which is not the machine's between midnight and 1 a.m. in summer).
TODAY = BusinessClock().today


def lifecycle(opened: date, resolved: date | None) -> list[CloudEvent]:
    """An escalation raised on `opened`, and resolved on `resolved` unless None."""
    first = raised(opened)
    if resolved is None:
        return [first]
    data = e.EscalationResolved(
        **{**first.data, "status": EscalationStatus.RESOLVED},
        outcome=ResolutionOutcome.ACTION_AGREED,
        resolved_on=resolved,
    )
    return [first, event(data, uuid.UUID(first.data["escalation_id"]))]


def quarters_from(first: date, last: date) -> set[str]:
    """Every quarter from `first`'s to `last`'s, by walking the calendar a month at a time."""
    out, day = set(), first.replace(day=1)
    while day <= last:
        out.add(quarter_of(day))
        day = (day + timedelta(days=32)).replace(day=1)
    return out


@pytest_asyncio.fixture
async def db(make_database: DatabaseFactory) -> AsyncIterator[tuple[asyncpg.Pool, str]]:
    pool = await create_pool(await make_database("reporting_service"), size=4)
    async with pool.acquire() as conn:
        schema = await generations.active_schema(conn)
    try:
        yield pool, schema
    finally:
        await pool.close()


async def apply(pool: asyncpg.Pool, schema: str, events: list[CloudEvent]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await projections.apply(conn, schema, events)


async def marks(pool: asyncpg.Pool, schema: str) -> dict[tuple[str, str], int]:
    rows = await pool.fetch(f"SELECT tenant, quarter, changes FROM {schema}.changed_quarters")
    return {(r["tenant"], r["quarter"]): r["changes"] for r in rows}


async def test_a_batch_marks_the_quarters_whose_counts_it_changes_and_bumps_their_tenants(
    db: tuple[asyncpg.Pool, str],
) -> None:
    pool, schema = db
    await apply(
        pool,
        schema,
        [audit_submitted(TENANT, on=date(2025, 5, 1)), audit_submitted("887", on=date(2024, 8, 1))],
    )
    assert set(await marks(pool, schema)) == {(TENANT, "FY2025Q1"), ("887", "FY2024Q2")}
    await apply(pool, schema, [audit_submitted(TENANT, on=date(2025, 11, 3))])
    found = await marks(pool, schema)
    assert set(found) == {(TENANT, "FY2025Q1"), (TENANT, "FY2025Q3"), ("887", "FY2024Q2")}
    # Each mark carries the tenant's version at its latest change.
    async with pool.acquire() as conn:
        versions = await publications.tenant_versions(conn, schema)
    assert versions[TENANT][0] == 2 and versions["887"][0] == 1
    assert found[(TENANT, "FY2025Q3")] == 2 and found[(TENANT, "FY2025Q1")] == 1


async def test_a_stock_changed_in_a_quarter_marks_every_quarter_after_it_too(
    db: tuple[asyncpg.Pool, str],
) -> None:
    pool, schema = db
    opened = date(2024, 8, 20)
    await apply(pool, schema, [raised(opened)])
    assert set(await marks(pool, schema)) == {(TENANT, q) for q in quarters_from(opened, TODAY())}


async def test_a_batch_that_rolls_back_leaves_no_mark(db: tuple[asyncpg.Pool, str]) -> None:
    pool, schema = db
    with pytest.raises(RuntimeError):
        async with pool.acquire() as conn, conn.transaction():
            await projections.apply(conn, schema, [raised(date(2025, 5, 1))])
            assert await conn.fetchval(f"SELECT count(*) FROM {schema}.changed_quarters") > 0
            raise RuntimeError("the batch fails after its cells")
    assert await marks(pool, schema) == {}
    async with pool.acquire() as conn:
        assert await publications.tenant_versions(conn, schema) == {}


class Gate(Executor):
    """Runs each call in a thread once `open` is set; `entered` is set when one waits."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.open = threading.Event()
        self._threads = ThreadPoolExecutor(1)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        def gated() -> Any:
            self.entered.set()
            self.open.wait(30)
            return fn(*args, **kwargs)

        return self._threads.submit(gated)


def publisher(pool: asyncpg.Pool, executor: Executor) -> Publisher:
    return Publisher(pool, OrgUnitDirectory(), 5, poll=0.05, executor=executor)


async def snapshot(pool: asyncpg.Pool, schema: str, quarter: str) -> Any:
    return await pool.fetchrow(
        f"SELECT changes, threshold FROM {schema}.snapshots WHERE tenant = $1 AND quarter = $2",
        TENANT,
        quarter,
    )


async def test_the_publisher_stores_the_quarters_decision_and_removes_its_mark(
    db: tuple[asyncpg.Pool, str],
) -> None:
    pool, schema = db
    await apply(pool, schema, [audit_submitted(TENANT, on=date(2025, 5, d)) for d in (1, 2, 3)])
    with ThreadPoolExecutor(1) as threads:
        assert await publisher(pool, threads).publish_next()
    assert await marks(pool, schema) == {}
    async with pool.acquire() as conn:
        stored = (await publications.snapshots(conn, schema, TENANT, ["FY2025Q1"]))["FY2025Q1"]
        raw = (await counts.read_quarters(conn, schema, TENANT, ["FY2025Q1"]))["FY2025Q1"]
    units = OrgUnitDirectory().tenant(TENANT)
    assert units is not None
    direct = publication.decide(raw, "FY2025Q1", TENANT, units, 5)
    assert stored[0].changes == 1 and stored[0].threshold == 5
    assert stored[1].raw == direct.raw and stored[1].hidden == direct.hidden
    assert direct.hidden  # three audits: small counts hidden
    with ThreadPoolExecutor(1) as threads:
        assert not await publisher(pool, threads).publish_next()


async def test_while_the_consumer_is_behind_a_quarter_is_published_at_most_once_a_pause(
    db: tuple[asyncpg.Pool, str],
) -> None:
    pool, schema = db
    await apply(pool, schema, [audit_submitted(TENANT, on=date(2025, m, 1)) for m in (4, 7, 10)])
    behind = True
    with ThreadPoolExecutor(1) as threads:
        held = Publisher(
            pool,
            OrgUnitDirectory(),
            5,
            poll=0.05,
            executor=threads,
            backlog_waiting=lambda: behind,
            pause_while_behind=0.5,
        )
        assert not await held.publish_next()  # none within the first pause either
        await asyncio.sleep(0.6)
        assert await held.publish_next()
        assert not await held.publish_next()
        assert len(await marks(pool, schema)) == 2
        behind = False  # caught up: back to back
        assert await held.publish_next()
        assert await held.publish_next()
    assert await marks(pool, schema) == {}


async def test_a_quarter_changed_while_it_is_decided_stays_marked(
    db: tuple[asyncpg.Pool, str],
) -> None:
    pool, schema = db
    await apply(pool, schema, [audit_submitted(TENANT, on=date(2025, 5, 1))])
    gate = Gate()
    task = asyncio.create_task(publisher(pool, gate).publish_next())
    await asyncio.to_thread(gate.entered.wait, 30)
    await apply(pool, schema, [audit_submitted(TENANT, on=date(2025, 5, 2))])
    gate.open.set()
    assert await task
    # The snapshot is of the figures it read; the newer change keeps its mark.
    assert (await snapshot(pool, schema, "FY2025Q1"))["changes"] == 1
    assert await marks(pool, schema) == {(TENANT, "FY2025Q1"): 2}
    with ThreadPoolExecutor(1) as threads:
        assert await publisher(pool, threads).publish_next()
    assert (await snapshot(pool, schema, "FY2025Q1"))["changes"] == 2
    assert await marks(pool, schema) == {}


async def test_a_publisher_killed_between_reading_and_storing_loses_no_mark(
    db: tuple[asyncpg.Pool, str],
) -> None:
    pool, schema = db
    await apply(pool, schema, [audit_submitted(TENANT, on=date(2025, 5, 1))])
    gate = Gate()
    task = asyncio.create_task(publisher(pool, gate).publish_next())
    await asyncio.to_thread(gate.entered.wait, 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    gate.open.set()
    assert await marks(pool, schema) == {(TENANT, "FY2025Q1"): 1}
    assert await snapshot(pool, schema, "FY2025Q1") is None
    # Its claim went with it: the next run takes the quarter and publishes it.
    with ThreadPoolExecutor(1) as threads:
        assert await publisher(pool, threads).publish_next()
    assert (await snapshot(pool, schema, "FY2025Q1"))["changes"] == 1
    assert await marks(pool, schema) == {}


async def test_replicas_never_publish_the_same_quarter_at_once(
    db: tuple[asyncpg.Pool, str],
) -> None:
    pool, schema = db
    await apply(pool, schema, [audit_submitted(TENANT, on=date(2025, 5, 1))])
    gate = Gate()
    holding = asyncio.create_task(publisher(pool, gate).publish_next())
    await asyncio.to_thread(gate.entered.wait, 30)
    with ThreadPoolExecutor(1) as threads:
        assert not await publisher(pool, threads).publish_next()
    gate.open.set()
    assert await holding
    assert await marks(pool, schema) == {}


async def publish_all(pool: asyncpg.Pool) -> int:
    published = 0
    with ThreadPoolExecutor(1) as threads:
        while await publisher(pool, threads).publish_next():
            published += 1
    return published


def carried() -> float:
    return REGISTRY.get_sample_value("qa_publisher_carried_total") or 0.0


async def test_states_carried_on_from_the_quarter_before_are_the_history_summed(
    db: tuple[asyncpg.Pool, str],
) -> None:
    """A quarter's states read from its own changes and the quarter before's figures equal
    the sum over the whole history, quarter after quarter, and the publisher, carrying them
    on once the quarter before is published, stores the same figures."""
    pool, schema = db
    today = TODAY()
    spans = [
        (date(2024, 4, 3), date(2024, 11, 20)),
        (date(2024, 6, 30), None),
        (date(2024, 9, 1), date(2025, 1, 15)),
        (date(2025, 2, 14), today - timedelta(days=1)),
        (date(2025, 3, 31), date(2025, 4, 1)),
    ]
    await apply(pool, schema, [ev for span in spans for ev in lifecycle(*span)])
    quarters = sorted(quarters_from(date(2024, 1, 1), today))
    async with pool.acquire() as conn:
        whole = await counts.read_quarters(conn, schema, TENANT, quarters)
        for previous, quarter in itertools.pairwise(quarters):
            after = await counts.read_quarter_after(
                conn, schema, TENANT, quarter, previous, whole[previous]
            )
            assert after == whole[quarter], quarter

    assert await publish_all(pool) == len(quarters_from(date(2024, 4, 3), today))
    # A change in today's quarter only: carried on from the published quarter before.
    before = carried()
    await apply(pool, schema, lifecycle(today, None))
    assert await publish_all(pool) == 1
    assert carried() == before + 1
    units = OrgUnitDirectory().tenant(TENANT)
    assert units is not None
    current = quarter_of(today)
    async with pool.acquire() as conn:
        stored = await publications.snapshots(conn, schema, TENANT, [current])
        raw = (await counts.read_quarters(conn, schema, TENANT, [current]))[current]
    assert stored[current][1].raw == publication.decide(raw, current, TENANT, units, None).raw
