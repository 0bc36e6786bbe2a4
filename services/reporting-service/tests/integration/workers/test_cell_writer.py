"""A rebuild's counts written beside its replay (workers/cell_writer.py), against real
PostgreSQL: the same figures as batches that write their own counts; nothing handed over by
a batch whose transaction failed; a failed write fails the replay instead of setting events
aside."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from bench.eventmix import stream
from qaf_shared.clock import BusinessClock
from qaf_shared.consumer import Applier, EventConsumer
from qaf_shared.database import create_pool
from reporting_service import projections
from reporting_service.repository import generations
from reporting_service.workers.cell_writer import CellWriter

from ..feed import Own, rows_of

CLOCK = BusinessClock()
Batch = dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]


def _batches(events: int, size: int) -> list[Batch]:
    """`events` of the realistic mix (every projection, facts changed across batches) as
    the replay fetches them, `size` records a batch."""
    offsets: dict[str, int] = {}
    records = []
    for topic, key, value, headers in stream(events, seed=11):
        offset = offsets[topic] = offsets.get(topic, -1) + 1
        records.append(ConsumerRecord(topic, 0, offset, 0, 0, key, value, None, 0, 0, headers))
    batches: list[Batch] = []
    for start in range(0, len(records), size):
        batch: Batch = {}
        for record in records[start : start + size]:
            batch.setdefault(TopicPartition(record.topic, 0), []).append(record)
        batches.append(batch)
    return batches


def _loop(pool: asyncpg.Pool, schema: str, apply: Applier) -> EventConsumer:
    async def this_schema(_: asyncpg.Connection) -> str:
        return schema

    return EventConsumer(
        pool=pool,
        consumer_factory=AIOKafkaConsumer,
        apply=apply,
        dlq_topic="dlq",
        schema_for_batch=this_schema,
        send_dead_letters=False,
    )


async def _replay(
    loop: EventConsumer,
    batches: list[Batch],
    after: tuple[int, Callable[[], Awaitable[Any]]] | None = None,
) -> None:
    """Replay `batches`; `after` (n, f): f() awaited once n batches have been fetched."""
    left = list(batches)

    async def fetch() -> Batch | None:
        if after is not None and len(batches) - len(left) == after[0]:
            await after[1]()
        return left.pop(0) if left else None

    await loop.replay(fetch)


async def _generation_without(pool: asyncpg.Pool, table: str) -> str:
    """A new generation with its `table` dropped: what uses it fails from then on."""
    async with pool.acquire() as conn:
        schema = await generations.create_generation(conn)
        await conn.execute(f"DROP TABLE {schema}.{table}")
    return schema


async def _dead_letters(pool: asyncpg.Pool, schema: str) -> int:
    return int(
        await pool.fetchval(f"SELECT coalesce(sum(dead_letters), 0) FROM {schema}.consumer_stats")
    )


async def test_a_replay_in_small_batches_writing_counts_beside_it_gives_the_same_tables(
    own: Own,
) -> None:
    # One generation as the live consumer builds it (each batch writes its own counts),
    # another as a rebuild does, in batches of 97. The first write waits for a lock on the
    # counts until 15 batches have been fetched, so their changes are written together.
    dsn, _ = own
    pool = await create_pool(dsn, size=4)
    try:
        async with pool.acquire() as conn:
            consumed = await generations.create_generation(conn)
            rebuilt = await generations.create_generation(conn)
        live = _loop(pool, consumed, partial(projections.apply, clock=CLOCK))
        await _replay(live, _batches(3_000, 1_000))
        cells = CellWriter(pool, rebuilt, CLOCK)
        locker = await pool.acquire()
        held = locker.transaction()
        await held.start()
        await locker.execute(f"LOCK TABLE {rebuilt}.counts IN SHARE MODE")
        try:
            await _replay(_loop(pool, rebuilt, cells.apply), _batches(3_000, 97), (15, held.commit))
        finally:
            await pool.release(locker)  # (rolled back if the replay failed with it held)
        await cells.flush()
        for table in ("facts", "counts", "running"):
            built = await rows_of(pool, rebuilt, table)
            assert built == await rows_of(pool, consumed, table), table
            assert built, table  # the mix has rows in each
        marked = "SELECT tenant, quarter FROM {}.changed_quarters"
        assert {tuple(r) for r in await pool.fetch(marked.format(rebuilt))} == {
            tuple(r) for r in await pool.fetch(marked.format(consumed))
        }
        assert await _dead_letters(pool, consumed) == await _dead_letters(pool, rebuilt) == 0
    finally:
        await pool.close()


async def test_a_batch_whose_transaction_fails_after_its_fold_hands_over_no_counts(
    own: Own,
) -> None:
    # The loop's statistics table gone: every batch folds, then fails before its commit.
    dsn, _ = own
    pool = await create_pool(dsn, size=4)
    try:
        schema = await _generation_without(pool, "consumer_stats")
        cells = CellWriter(pool, schema, CLOCK)
        [batch] = _batches(200, 200)
        with pytest.raises(asyncpg.UndefinedTableError):
            await _loop(pool, schema, cells.apply).handle(batch, None)
        await cells.flush()
        assert await rows_of(pool, schema, "counts") == set()
        assert await rows_of(pool, schema, "running") == set()
        assert await rows_of(pool, schema, "facts") == set()  # (rolled back with the batch)
    finally:
        await pool.close()


async def test_a_failed_write_is_raised_to_the_replay_and_sets_no_event_aside(
    own: Own,
) -> None:
    dsn, _ = own
    pool = await create_pool(dsn, size=4)
    try:
        schema = await _generation_without(pool, "running")  # every write fails
        cells = CellWriter(pool, schema, CLOCK)
        loop = _loop(pool, schema, cells.apply)
        first, second = _batches(400, 200)
        await loop.handle(first, None)
        with pytest.raises(asyncpg.UndefinedTableError):
            await cells.flush()
        with pytest.raises(asyncpg.UndefinedTableError):
            cells.check()
        await loop.handle(second, None)  # a batch after the failure is applied, not set aside
        assert await _dead_letters(pool, schema) == 0
        applied = await pool.fetchval(f"SELECT count(*) FROM {schema}.processed_events")
        assert applied == 400
    finally:
        await pool.close()
