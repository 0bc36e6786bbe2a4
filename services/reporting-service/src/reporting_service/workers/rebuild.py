"""Rebuild every projection from offset 0 of the domain topics into a new generation while
the service keeps answering from the active one, then switch.

1. Capture the end offsets, create gen_N+1 and replay everything up to them into it, with
   the same loop and projections as the live consumer (dead letters are counted, not
   re-sent), the counts written beside the replay (workers/cell_writer.py).
2. Take projection_state FOR UPDATE: live batches (which read it FOR SHARE) finish and the
   next ones wait. Replay the rest up to what the active generation has applied (its
   partition_offsets), wait for every count to be written, switch `active_schema`,
   commit. Live consumers carry on into the new generation; anything they fetched that the
   replay already applied is deduped by id.
3. Drop the old generation (tried again while reads still in it finish).

The caller holds the rebuild lock (repository/rebuild_lock.py) throughout, so only one
rebuild runs across replicas; the switch checks it is still held, and a new rebuild first
drops any generation a killed one left behind. Rebuilds start from `POST /v1/admin/rebuild`
or by themselves when the projections' version changed (workers/auto_rebuild.py), both
through `run_rebuild`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import Gauge

from qaf_shared.clock import BusinessClock
from qaf_shared.consumer import EventConsumer
from qaf_shared.events.catalogue import DLQ_TOPIC, DOMAIN_TOPICS
from qaf_shared.kafka import admin_client, client_options
from qaf_shared.logging import get_logger
from reporting_service import projections
from reporting_service.repository import consumer_state, generations
from reporting_service.repository.generations import RebuildReason
from reporting_service.repository.rebuild_lock import RebuildLock
from reporting_service.settings import ReportingSettings
from reporting_service.workers.cell_writer import CellWriter

log = get_logger(__name__)

# This replica's rebuild, by why it runs (the other replicas' show 0: one rebuilds at a time).
RUNNING = Gauge(
    "qa_reporting_rebuild_running", "1 while this replica rebuilds the projections", ["reason"]
)


async def run_rebuild(
    settings: ReportingSettings,
    pool: asyncpg.Pool,
    lock: RebuildLock,
    reason: RebuildReason,
    clock: BusinessClock,
) -> str | None:
    """`rebuild`, then release `lock` whatever happened; returns the new schema, or None when
    the rebuild failed (recorded in projection_state, the active projections untouched)."""
    running = RUNNING.labels(reason=reason)
    running.set(1)
    try:
        return await rebuild(settings, pool, lock, reason, clock=clock)
    except Exception as exc:
        log.error("rebuild_failed", error=type(exc).__name__, reason=reason)
        return None
    finally:
        running.set(0)
        await lock.release()


async def rebuild(
    settings: ReportingSettings,
    pool: asyncpg.Pool,
    lock: RebuildLock,
    reason: RebuildReason = "requested",
    *,
    clock: BusinessClock,
) -> str:
    """Rebuild into a new generation and make it active; returns its schema. `lock` is the
    held rebuild lock; `clock` the app's business clock, which the replay applies by as the
    live consumer does."""
    async with pool.acquire() as conn:
        old = await generations.active_schema(conn)
        await generations.record_rebuild_start(conn, reason)
    new: str | None = None
    try:
        async with pool.acquire() as conn:
            # Only the lock's holder makes generations: any but the active one is a leftover.
            for leftover in await generations.inactive_generations(conn):
                await generations.drop_generation(conn, leftover)
            new = await generations.create_generation(conn)
        log.info("rebuild_started", schema=new, reason=reason)
        cells = CellWriter(pool, new, clock)
        replayer = _Replayer(settings, pool, new, cells)
        try:
            await replayer.start()
            await replayer.replay_to(await replayer.end_offsets())
            async with pool.acquire() as conn, conn.transaction():
                active = await generations.lock_active_schema(conn)
                await replayer.replay_to(await consumer_state.next_offsets(conn, active))
                await cells.flush()
                # Had the lock's connection dropped, another replica could be rebuilding too:
                # switch only while it is still ours.
                await lock.confirm()
                await generations.switch_to(conn, new)
        finally:
            await replayer.stop()
            await cells.close()
    except BaseException as exc:
        async with pool.acquire() as conn:
            await generations.record_rebuild_error(conn, type(exc).__name__)
            if new is not None:
                await generations.drop_generation(conn, new)
        raise
    log.info("rebuild_switched", schema=new, previous=old)
    await _drop_old(pool, old)
    return new


# A read or a batch still in the old generation when the switch commits can deadlock with
# DROP SCHEMA, which takes its tables' locks one by one (PostgreSQL then aborts the drop).
_DROP_ATTEMPTS = 5


async def _drop_old(pool: asyncpg.Pool, schema: str) -> None:
    """Drop the generation switched from, trying again while what still reads it finishes;
    the rebuild has succeeded whatever happens here, so a drop that keeps failing is left
    for the next rebuild, which drops every inactive generation first."""
    for attempt in range(1, _DROP_ATTEMPTS + 1):
        try:
            async with pool.acquire() as conn:
                await generations.drop_generation(conn, schema)
            return
        except (asyncpg.DeadlockDetectedError, asyncpg.LockNotAvailableError):
            if attempt == _DROP_ATTEMPTS:
                log.warning("old_generation_left", schema=schema)
                return
            await asyncio.sleep(0.2 * attempt)


class _Replayer:
    """Reads the topics from offset 0 with no consumer group and applies through the shared
    loop into one schema."""

    def __init__(
        self, settings: ReportingSettings, pool: asyncpg.Pool, schema: str, cells: CellWriter
    ) -> None:
        self._settings = settings
        self._cells = cells
        self._prefix = settings.kafka_topic_prefix
        self._consumer = AIOKafkaConsumer(
            **client_options(settings),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=50,
            max_partition_fetch_bytes=8 * 1024 * 1024,
        )

        async def this_schema(_: asyncpg.Connection) -> str:
            return schema

        self._loop = EventConsumer(
            pool=pool,
            consumer_factory=lambda: self._consumer,
            apply=cells.apply,
            dlq_topic=settings.topic(DLQ_TOPIC),
            logical_topic=lambda t: t.removeprefix(self._prefix),
            schema_for_batch=this_schema,
            send_dead_letters=False,
            parallel=settings.consumer_parallelism,
            group_by=projections.fact_of,
        )
        self._partitions: list[TopicPartition] = []

    async def start(self) -> None:
        admin = admin_client(self._settings)
        await admin.start()
        try:
            described = await admin.describe_topics(
                [self._settings.topic(t) for t in DOMAIN_TOPICS]
            )
        finally:
            await admin.close()
        for topic in described:
            for partition in sorted(p["partition"] for p in topic["partitions"]):
                self._partitions.append(TopicPartition(topic["topic"], partition))
        await self._consumer.start()
        self._consumer.assign(self._partitions)
        await self._consumer.seek_to_beginning(*self._partitions)

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await self._consumer.stop()

    async def end_offsets(self) -> dict[tuple[str, int], int]:
        ends = await self._consumer.end_offsets(self._partitions)
        return {
            (tp.topic.removeprefix(self._prefix), tp.partition): offset
            for tp, offset in ends.items()
        }

    async def replay_to(self, targets: Mapping[tuple[str, int], int]) -> None:
        """Apply records until every partition's position reaches its target (a target
        already passed needs nothing)."""
        wanted = {
            tp: targets.get((tp.topic.removeprefix(self._prefix), tp.partition), 0)
            for tp in self._partitions
        }

        async def fetch() -> dict[TopicPartition, list[Any]] | None:
            self._cells.check()
            behind = [
                tp for tp in self._partitions if await self._consumer.position(tp) < wanted[tp]
            ]
            if not behind:
                return None
            batches: dict[TopicPartition, list[Any]] = await self._consumer.getmany(
                *behind, timeout_ms=500, max_records=self._settings.consumer_max_records
            )
            # Records past the target are left for the next call, not applied now.
            for tp, records in list(batches.items()):
                kept = [r for r in records if r.offset < wanted[tp]]
                if len(kept) < len(records):
                    self._consumer.seek(tp, records[len(kept)].offset)
                batches[tp] = kept
            await asyncio.sleep(0)
            return {tp: rs for tp, rs in batches.items() if rs}

        await self._loop.replay(fetch)
