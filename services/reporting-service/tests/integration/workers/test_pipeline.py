"""The pipelined live consumer (qaf_shared/consumer/loop.py `Turn`, engine `_apply_in_turn`)
against real Kafka and PostgreSQL: each batch folded while the one before is written gives
the tables of batches applied one after the other, a batch that fails makes the one folded
over it start again, and a fact changed by another replica between two batches is not
saved over."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg
import pytest

from bench.env import KAFKA_SETTINGS
from bench.eventmix import produce, stream
from qaf_shared.clock import BusinessClock
from qaf_shared.consumer.loop import OVERTAKEN, Overtaken, Turn
from qaf_shared.database import create_pool
from qaf_shared.events.catalogue import AUDIT_TOPIC
from qaf_shared.events.envelope import CloudEvent, kafka_value, parse_event
from qaf_shared.testing.fixtures import DatabaseFactory, eventually
from reporting_service import projections
from reporting_service.projections import PROJECTIONS, engine
from reporting_service.repository import generations
from reporting_service.workers.consumer import build_consumer

from ..feed import Own, rows_of, settings_for

CLOCK = BusinessClock()
Record = tuple[str, bytes, bytes, Any]


def _mix(events: int) -> list[Record]:
    """`events` of the realistic mix: every projection, facts changed across batches, a
    child's records (one fact, several partitions) among them."""
    return list(stream(events, seed=23))


def _broken() -> Record:
    """An audit event whose envelope reads but whose data cannot be folded."""
    good = parse_event(next(v for t, _, v, _ in _mix(50) if t == AUDIT_TOPIC))
    value = good.model_copy(update={"id": uuid.uuid4(), "data": {"audit_id": "not-a-uuid"}})
    return (AUDIT_TOPIC, good.subject.encode(), kafka_value(value.to_json()), [])


async def _consume(
    dsn: str, prefix: str, events: int, *, pipelined: bool, failing_batch: int = 0
) -> int:
    """Run the live consumer over the topics until `events` are recorded (applied or set
    aside); the most batches it had being applied at once. The `failing_batch`th batch
    (none when 0; not counting the one-event transactions a failed batch is retried in)
    fails once, as a batch whose database fails it once would."""
    settings = settings_for(dsn, prefix, "pipeline").model_copy(
        update={"consumer_max_records": 97, "consumer_pipelined": pipelined}
    )
    pool = await create_pool(dsn, size=4)
    applying, most, batches = 0, 0, 0

    async def apply(
        conn: asyncpg.Connection, schema: str, batch: Sequence[CloudEvent], **kw: Any
    ) -> None:
        nonlocal applying, most, batches
        if len(batch) > 1:
            batches += 1
            if batches == failing_batch:
                raise RuntimeError("this batch fails once")
        applying += 1
        most = max(most, applying)
        try:
            await projections.apply(conn, schema, batch, clock=CLOCK, **kw)
        finally:
            applying -= 1

    async with pool.acquire() as conn:
        schema = await generations.active_schema(conn)
    consumer = build_consumer(settings, pool, CLOCK, apply=apply)
    running = asyncio.create_task(consumer.run_forever())
    try:

        async def recorded() -> bool:
            done = await pool.fetchval(
                f"SELECT coalesce(sum(applied + dead_letters), 0) FROM {schema}.consumer_stats"
            )
            return bool(done == events)

        await eventually(recorded, timeout=120)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await pool.close()
    return most


async def _tables(dsn: str) -> dict[str, set[tuple[Any, ...]]]:
    """The active generation's facts (their JSON's keys in one order), counts, running
    cells, marked quarters and statistics (without what depends on how events were
    batched: the version a quarter was marked at, the newest event time's batch)."""
    pool = await create_pool(dsn, size=1)
    try:
        schema = await pool.fetchval("SELECT active_schema FROM projection_state")
        out = {t: {_same_json(r) for r in await rows_of(pool, schema, t)} for t in _CELLS}
        for table, columns in (
            ("changed_quarters", "tenant, quarter"),
            ("consumer_stats", "topic, tenant, applied, dead_letters"),
        ):
            rows = await pool.fetch(f"SELECT {columns} FROM {schema}.{table}")
            out[table] = {tuple(r) for r in rows}
        return out
    finally:
        await pool.close()


_CELLS = ("facts", "counts", "running")


def _same_json(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A fact's row with its JSON's keys in one order: a child's records are kept in the
    order they were folded, which follows how the partitions were fetched together."""
    if len(row) == 4 and isinstance(row[3], str):
        return (*row[:3], json.dumps(json.loads(row[3]), sort_keys=True))
    return row


async def _put(prefix: str, records: list[Record]) -> None:
    await produce(KAFKA_SETTINGS, prefix, iter(records))


async def test_batches_folded_while_the_one_before_is_written_give_the_same_tables(
    own: Own, make_database: DatabaseFactory
) -> None:
    dsn, prefix = own
    records = _mix(2_000)
    await _put(prefix, records)
    serial = await make_database("reporting_service")
    assert await _consume(serial, prefix, len(records), pipelined=False) == 1
    assert await _consume(dsn, prefix, len(records), pipelined=True) == 2  # they overlapped
    want, got = await _tables(serial), await _tables(dsn)
    for table, rows in want.items():
        assert rows, table  # the mix has rows in each
        assert got[table] == rows, table


async def test_a_batch_that_fails_makes_the_one_folded_over_it_start_again(
    own: Own, make_database: DatabaseFactory
) -> None:
    # The third batch fails once, after the fourth has begun over it: the fourth is applied
    # again once the third's events have been applied one by one. A broken event, wherever
    # its batch comes, is set aside once.
    dsn, prefix = own
    records = _mix(1_500)
    records.insert(500, _broken())
    await _put(prefix, records)
    serial = await make_database("reporting_service")
    await _consume(serial, prefix, len(records), pipelined=False)
    overtaken = OVERTAKEN._value.get()
    await _consume(dsn, prefix, len(records), pipelined=True, failing_batch=3)
    assert OVERTAKEN._value.get() > overtaken
    want, got = await _tables(serial), await _tables(dsn)
    assert sum(r[3] for r in got["consumer_stats"]) == 1  # the broken one, set aside once
    for table, rows in want.items():
        assert got[table] == rows, table


async def _serially(pool: asyncpg.Pool, batches: Sequence[Sequence[CloudEvent]]) -> str:
    """A new generation with `batches` applied one after the other, without turns."""
    async with pool.acquire() as conn:
        schema = await generations.create_generation(conn)
        for batch in batches:
            async with conn.transaction():
                await engine.apply(conn, schema, PROJECTIONS, batch, today=CLOCK.today())
    return schema


# What happens between the first batch's writes and the second's: the first commits; the
# first commits and another replica changes a fact both hold; the first fails.
@pytest.mark.parametrize("between", ["committed", "changed by another", "failed"])
async def test_a_batch_folded_over_the_one_before_writes_only_what_still_holds(
    own: Own, between: str
) -> None:
    dsn, _ = own
    events = [parse_event(v) for _, _, v, _ in _mix(3_000)]
    first, second = events[:1_500], events[1_500:]
    by_type = engine.by_event_type(PROJECTIONS)

    def held(batch: Sequence[CloudEvent]) -> set[engine.FactKey]:
        return {key for p, key, _ in engine.route(by_type, batch) if p.spans_partitions}

    both = sorted(held(first) & held(second))
    assert both  # a child's records in both batches
    pool = await create_pool(dsn, size=4)
    try:
        async with pool.acquire() as conn:
            schema = await generations.create_generation(conn)
        async with pool.acquire() as a, pool.acquire() as b:
            await _two_batches(a, b, schema, first, second, both, between)
        if between == "committed":
            serial = await _serially(pool, [first, second])
            for table in _CELLS:
                assert await rows_of(pool, schema, table) == await rows_of(pool, serial, table)
    finally:
        await pool.close()


async def _two_batches(
    a: asyncpg.Connection,
    b: asyncpg.Connection,
    schema: str,
    first: Sequence[CloudEvent],
    second: Sequence[CloudEvent],
    both: Sequence[engine.FactKey],
    between: str,
) -> None:
    """`first` applied on `a` in its turn, `second` on `b` begun in the next while the
    first is still open; then what `between` says."""
    before = Turn(None)
    a_tx, b_tx = a.transaction(), b.transaction()
    await a_tx.start()
    await engine.apply(a, schema, PROJECTIONS, first, today=CLOCK.today(), turn=before)
    after = Turn(before)
    await b_tx.start()
    folding = asyncio.create_task(
        engine.apply(b, schema, PROJECTIONS, second, today=CLOCK.today(), turn=after)
    )
    await asyncio.sleep(0.3)
    assert not folding.done()  # folded, waiting for the first batch's commit
    if between == "failed":
        await a_tx.rollback()
        before._failed()
    else:
        await a_tx.commit()
        if between == "changed by another":
            tenant, kind, key = both[0]
            await a.execute(
                f"UPDATE {schema}.facts SET data = (SELECT data FROM {schema}.facts"
                "  WHERE kind = $2 AND id <> $3 LIMIT 1)"
                " WHERE tenant = $1 AND kind = $2 AND id = $3",
                tenant,
                kind,
                key,
            )
        before._committed()
    if between == "committed":
        await folding
        await b_tx.commit()
    else:
        with pytest.raises(Overtaken):
            await folding
        await b_tx.rollback()
