"""Consumer throughput: how fast one reporting-service process applies events already on the
topics (issue 7, item 3).

200,000 events of the realistic mix (bench/eventmix.py) are put on a topic set first. Each
run starts the real service (uvicorn, its own database, a new consumer group) and times
from the first event applied until `processed_events` of the active generation holds
200,000. The baseline is the least any consumer of these topics must do: a raw asyncpg loop
that parses each record's JSON and inserts its id into a table, one transaction per fetched
batch, then commits the offsets.

    python -m bench.consumer        (BENCH_QUICK=1: 20,000 events)"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer

from bench.env import BenchEnv
from bench.readenv import KAFKA_SETTINGS, environment, event_topics
from bench.results import Figure, table
from qaf_shared.events.catalogue import DOMAIN_TOPICS
from qaf_shared.kafka import client_options

TARGET = 10_000.0  # events/s on one consumer, the realistic mix with activity (issue 15)
TIMEOUT = 600.0


def _events(env: BenchEnv) -> int:
    default = "20000" if env.quick else "200000"
    return int(os.environ.get("BENCH_CONSUMER_EVENTS", default))


async def _watch(dsn: str, schema: str, wanted: int, alive: Any) -> float:
    """Events/s from the first applied event to the `wanted`th (polling the loop's own
    per-topic statistics, then checking processed_events itself)."""
    conn = await asyncpg.connect(dsn)
    try:
        progress = f"SELECT coalesce(sum(applied), 0)::bigint FROM {schema}.consumer_stats"
        deadline = time.monotonic() + TIMEOUT
        first: tuple[float, int] | None = None
        while True:
            done: int = await conn.fetchval(progress)
            now = time.monotonic()
            if first is None and done:
                first = (now, done)
            if done >= wanted:
                break
            if now > deadline or not alive():
                raise RuntimeError(f"the consumer stopped at {done} of {wanted} events")
            await asyncio.sleep(0.02)
        count = await conn.fetchval(f"SELECT count(*) FROM {schema}.processed_events")
        if count < wanted:
            raise RuntimeError(f"processed_events holds {count}, expected {wanted}")
        assert first is not None
        return (done - first[1]) / max(now - first[0], 1e-6)
    finally:
        await conn.close()


def service_run(env: BenchEnv, prefix: str, wanted: int) -> float:
    """One run of the real service; events/s."""
    dsn = env.database("reporting_service")
    service = env.start_service(
        "reporting_service",
        database=dsn,
        topic_prefix=prefix,
        settings={"QA_CONSUMER_GROUP": f"bench-consumer-{uuid.uuid4().hex[:8]}"},
        name="reporting-consumer",
    )
    try:
        from bench.readenv import active_schema

        return asyncio.run(_watch(dsn, active_schema(dsn), wanted, service.alive))
    finally:
        service.stop()


_BASELINE_TABLE = """
CREATE TABLE IF NOT EXISTS bench_seen (
    event_id uuid PRIMARY KEY, topic text NOT NULL, partition int NOT NULL, "offset" bigint NOT NULL
)
"""
_BASELINE_INSERT = """
INSERT INTO bench_seen (event_id, topic, partition, "offset")
SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::bigint[])
ON CONFLICT (event_id) DO NOTHING
"""


async def _raw_consume(dsn: str, prefix: str, wanted: int) -> float:
    conn = await asyncpg.connect(dsn)
    await conn.execute(_BASELINE_TABLE)
    consumer = AIOKafkaConsumer(
        *(prefix + t for t in DOMAIN_TOPICS),
        **client_options(KAFKA_SETTINGS),
        group_id=f"bench-raw-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=10,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    try:
        done, started = 0, 0.0
        deadline = time.monotonic() + TIMEOUT
        while done < wanted and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=1000, max_records=1000)
            if not batches:
                continue
            if not started:
                started = time.monotonic()
            ids, topics, partitions, offsets = [], [], [], []
            for tp, records in batches.items():
                for r in records:
                    ids.append(orjson.loads(r.value)["id"])
                    topics.append(tp.topic)
                    partitions.append(tp.partition)
                    offsets.append(r.offset)
            async with conn.transaction():
                await conn.execute(_BASELINE_INSERT, ids, topics, partitions, offsets)
            await consumer.commit({tp: rs[-1].offset + 1 for tp, rs in batches.items()})
            done += len(ids)
        return done / (time.monotonic() - started)
    finally:
        await consumer.stop()
        await conn.close()


def baseline_run(env: BenchEnv, prefix: str, wanted: int) -> float:
    return asyncio.run(_raw_consume(env.database("reporting_service"), prefix, wanted))


def run(env: BenchEnv | None = None) -> list[Figure]:
    with environment(env) as env:
        wanted = _events(env)
        prefix = event_topics(env, wanted)
        baseline = [baseline_run(env, prefix, wanted) for _ in range(env.repeats)]
        runs = [service_run(env, prefix, wanted) for _ in range(env.repeats)]
        figure = Figure(
            benchmark="consumer/reporting-service",
            metric="events/s",
            runs=runs,
            target=f">= {TARGET:,.0f} events/s",
            baseline_runs=baseline,
            note=f"{wanted:,} events of the mix, one consumer; baseline: raw asyncpg "
            "insert-only consumer of the same events",
        )
        figure.met = figure.median >= TARGET
        return [figure]


if __name__ == "__main__":
    figures = run()
    print(table(figures))
    for figure in figures:
        print(f"{figure.benchmark}: runs {[round(r, 1) for r in figure.runs]}; {figure.note}")
    sys.exit(0)
