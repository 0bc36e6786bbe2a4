"""Rebuild: the projections rebuilt from 1,000,000 events (issue 7, item 4).

The topic set of the consumer benchmark is topped up to 1,000,000 events of the realistic
mix. Each run takes a new reporting database and times `reporting_service.workers.rebuild.rebuild`
(what `POST /v1/admin/rebuild` runs): a new generation filled from offset 0 of every
partition and switched to. The baseline is the raw insert-only consumer of
bench/consumer.py reading the same events: what any replay of them costs at the least.

    python -m bench.rebuild         (BENCH_QUICK=1: 100,000 events)"""

from __future__ import annotations

import asyncio
import os
import sys
import time

from bench.consumer import baseline_run
from bench.env import BenchEnv
from bench.readenv import KAFKA, environment, event_topics, topic_events
from bench.results import Figure, table
from qaf_shared.clock import BusinessClock
from qaf_shared.database import create_pool
from reporting_service.repository import generations
from reporting_service.repository.rebuild_lock import RebuildLock
from reporting_service.settings import ReportingSettings
from reporting_service.workers.rebuild import rebuild

TARGET = 120.0  # seconds for 1,000,000 events (issue 15)


def _events(env: BenchEnv) -> int:
    default = "100000" if env.quick else "1000000"
    return int(os.environ.get("BENCH_REBUILD_EVENTS", default))


def _repeats(env: BenchEnv) -> int:
    """Each run replays a million events (three or four minutes), so one unless asked: a full
    run of every benchmark stays near ten minutes. BENCH_REBUILD_REPEATS=3 for a median."""
    return max(1, int(os.environ.get("BENCH_REBUILD_REPEATS", "1")))


async def _rebuild(dsn: str, prefix: str, expected: int) -> float:
    settings = ReportingSettings(
        database_url=dsn,
        kafka_bootstrap_servers=KAFKA,
        kafka_topic_prefix=prefix,
    )
    pool = await create_pool(dsn)
    try:
        async with pool.acquire() as conn:
            await generations.active_schema(conn)  # gen_0, as a running service has it
        lock = await RebuildLock.try_acquire(dsn)  # as the route takes it
        if lock is None:
            raise RuntimeError("a rebuild is already running on this database")
        try:
            started = time.monotonic()
            schema = await rebuild(settings, pool, lock, clock=BusinessClock())
            seconds = time.monotonic() - started
        finally:
            await lock.release()
        async with pool.acquire() as conn:
            applied = await conn.fetchval(f"SELECT count(*) FROM {schema}.processed_events")
        if applied != expected:
            raise RuntimeError(f"the rebuild applied {applied} events, expected {expected}")
        return seconds
    finally:
        await pool.close()


def run(env: BenchEnv | None = None) -> list[Figure]:
    with environment(env) as env:
        prefix = event_topics(env, _events(env))
        held = topic_events(env)
        baseline = [held / baseline_run(env, prefix, held)]
        runs = [
            asyncio.run(_rebuild(env.database("reporting_service"), prefix, held))
            for _ in range(_repeats(env))
        ]
        target = TARGET * held / 1_000_000
        figure = Figure(
            benchmark="rebuild/reporting-service",
            metric="seconds",
            runs=runs,
            target=f"<= {target:.0f} s",
            baseline_runs=baseline,
            note=f"{held:,} events of the mix ({held / min(runs):,.0f} events/s at best); "
            "baseline: raw asyncpg insert-only replay of the same events",
        )
        figure.met = figure.median <= target
        return [figure]


if __name__ == "__main__":
    figures = run()
    print(table(figures))
    for figure in figures:
        print(f"{figure.benchmark}: runs {[round(r, 1) for r in figure.runs]}; {figure.note}")
    sys.exit(0)
