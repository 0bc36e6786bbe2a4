"""The publisher: each changed tenant-quarter's one disclosure decision, made in the background
and stored as the quarter's snapshot, which every read then shows (docs/architecture.md,
"Published snapshots").

Newest quarters first. Each replica runs one; a quarter is taken with a session advisory
lock (repository/publications.py `claim`), so replicas share the work and one that dies
leaves its quarter to the others, its mark still in place. The decision is solved in a
process of its own: it is seconds of CPU for a large authority's quarter, and on the event
loop (or a thread, which takes the interpreter's lock from it) it would hold up every read
this replica answers meanwhile."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import asyncpg
from fastapi import FastAPI
from prometheus_client import Counter, Gauge

from qaf_shared.consumer import EventConsumer
from qaf_shared.logging import get_logger
from qaf_shared.org_units import OrgUnitDirectory, TenantUnits
from qaf_shared.quarters import previous_quarter
from qaf_shared.restarts import run_forever
from reporting_service.domain import publication
from reporting_service.domain.measures import Raw
from reporting_service.repository import counts, generations, publications
from reporting_service.settings import ReportingSettings

log = get_logger(__name__)

PUBLISHED = Counter("qa_publisher_snapshots_total", "Tenant-quarter snapshots published")
CARRIED = Counter(
    "qa_publisher_carried_total",
    "Quarters whose states were carried on from the quarter before, not summed over history",
)
BACKLOG = Gauge("qa_publisher_backlog", "Changed tenant-quarters not yet published")
OLDEST = Gauge(
    "qa_publisher_oldest_change_seconds",
    "Age of the oldest change not yet published (0 when none waits)",
)
# Candidates looked at per round: enough that replicas working at once find one free.
_CANDIDATES = 16


def solve(
    raw: dict[tuple[str, str, str], Raw],
    quarter: str,
    tenant: str,
    units: TenantUnits,
    threshold: int,
) -> publication.Decision:
    """`publication.decide` in the solver's process (sent there by this name)."""
    return publication.decide(raw, quarter, tenant, units, threshold)


def _solver_process() -> Executor:
    """One process for the decisions, started and ready. Forked from a server process that
    has imported the solver once (a process started afresh would import it again)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([publication.__name__])
    executor = ProcessPoolExecutor(1, mp_context=context)
    executor.submit(int).result()
    return executor


class Publisher:
    def __init__(
        self,
        pool: asyncpg.Pool,
        org_units: OrgUnitDirectory,
        threshold: int,
        *,
        poll: float,
        executor: Executor | None = None,
        backlog_waiting: Callable[[], bool] = lambda: False,
        pause_while_behind: float = 0.0,
    ) -> None:
        """`executor` solves the decisions (default: one process of its own, started when
        first needed). While `backlog_waiting()` (the consumer is more than a batch behind)
        a quarter is published at most every `pause_while_behind` seconds: the next batches
        would mark it again, and each decision's seconds of CPU would come out of the
        consumer's catching up (on 2 cores it took the live consumer from about 5,000 events/s
        to 1,500; bench/README.md, "Consumer and rebuild")."""
        self._pool = pool
        self._org_units = org_units
        self._threshold = threshold
        self._poll = poll
        self._executor = executor
        self._backlog_waiting = backlog_waiting
        self._pause_while_behind = pause_while_behind
        self._last_published = time.monotonic()

    async def _solver(self) -> Executor:
        if self._executor is None:
            # Started in a thread: starting the process waits for it (and for the fork
            # server's import of the solver, seconds on a busy machine), which on the event
            # loop would hold up every request meanwhile.
            self._executor = await asyncio.to_thread(_solver_process)
        return self._executor

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    async def run_forever(self) -> None:
        async def step() -> None:
            if not await self.publish_next():
                await asyncio.sleep(self._poll)

        await run_forever(step, "publisher_failed")

    async def publish_next(self) -> bool:
        """Publish the newest changed quarter no other publisher holds; False when there was
        none to take."""
        async with self._pool.acquire() as conn:
            schema = await generations.active_schema(conn)
            candidates, backlog = await publications.changed(conn, schema, _CANDIDATES)
            BACKLOG.set(backlog.quarters)
            OLDEST.set(backlog.age())
            since = time.monotonic() - self._last_published
            if since < self._pause_while_behind and self._backlog_waiting():
                return False
            for item in candidates:
                if await publications.claim(conn, schema, item):
                    try:
                        await self._publish(conn, schema, item)
                    finally:
                        await publications.release(conn, schema, item)
                    self._last_published = time.monotonic()
                    return True
        return False

    async def _publish(
        self, conn: asyncpg.Connection, schema: str, item: publications.Changed
    ) -> None:
        units = self._org_units.tenant(item.tenant)
        if units is None:
            await publications.forget(conn, schema, item)
            return
        # The figures and the tenant's `changes` from one snapshot of the database: the
        # marks up to `changes` are what these figures include.
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            changes = await publications.tenant_changes(conn, schema, item.tenant)
            raw = await _figures(conn, schema, item)
        solver = await self._solver()
        try:
            decision = await asyncio.get_running_loop().run_in_executor(
                solver, solve, raw, item.quarter, item.tenant, units, self._threshold
            )
        except BrokenProcessPool:
            # The solver's process died (out of memory, killed): a new one next time; the
            # quarter keeps its mark.
            self.close()
            self._executor = None
            raise
        await publications.store(
            conn, schema, item, changes, decision, publications.units_digest(units)
        )
        PUBLISHED.inc()


async def _figures(
    conn: asyncpg.Connection, schema: str, item: publications.Changed
) -> dict[tuple[str, str, str], Raw]:
    """The quarter's figures: its states carried on from the quarter before when that one's
    published figures are current (no history summed), else read whole."""
    previous = previous_quarter(item.quarter)
    before = await publications.current_figures(conn, schema, item.tenant, previous)
    if before is not None:
        raw = await counts.read_quarter_after(
            conn, schema, item.tenant, item.quarter, previous, before
        )
        if raw is not None:
            CARRIED.inc()
            return raw
    return (await counts.read_quarters(conn, schema, item.tenant, [item.quarter]))[item.quarter]


def build_publisher(
    settings: ReportingSettings,
    pool: asyncpg.Pool,
    org_units: OrgUnitDirectory,
    consumer: Callable[[], EventConsumer | None],
) -> Publisher:
    """The service's publisher; `consumer` gives the live consumer whose backlog it waits
    for (None before it has started)."""

    def backlog_waiting() -> bool:
        live = consumer()
        return live is not None and live.behind() > settings.consumer_max_records

    return Publisher(
        pool,
        org_units,
        settings.suppression_threshold,
        poll=settings.publisher_poll_ms / 1000,
        backlog_waiting=backlog_waiting,
        pause_while_behind=settings.publisher_pause_while_behind_s,
    )


async def publisher_worker(app: FastAPI) -> None:
    publisher = build_publisher(
        app.state.settings,
        app.state.pool,
        app.state.org_units,
        lambda: getattr(app.state, "consumer", None),
    )
    app.state.publisher = publisher
    try:
        await publisher.run_forever()
    finally:
        publisher.close()
