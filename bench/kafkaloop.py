"""The reporting consumer through the real broker, in process, at a small scale:
`python -m bench.kafkaloop [--events 100000] [--rounds 1] [--rebuild] [--publisher]
[--set NAME=VALUE]`.

`--events` of the realistic mix (bench/eventmix.py) are put on a throwaway topic set once.
Each round then takes a new reporting database and runs reporting-service's own live
consumer (`workers.consumer.build_consumer`, a new consumer group, the service's settings)
in this process until its statistics count every event, or with `--rebuild` the rebuild
(`workers.rebuild.rebuild`, what `POST /v1/admin/rebuild` runs) into a new generation. What
bench.loop leaves out is in: aiokafka's fetching and decoding, the offsets' commits, the
waits for the broker. The service's HTTP side is not, nor its publisher unless
`--publisher` (then its CPU, in the solver's process, is printed too);
`--set consumer_max_records=10000` and the like change a setting; `--against NAME=VALUE`
runs each round a second time with that setting too, for a comparison in one sitting.

Reported per event: this process's CPU (user + system), the CPU of the pool's PostgreSQL
backends and of the broker (the machine's one broker: other work on it counts too), and
events/s: from the first applied event to the last for the consumer, the whole call for the
rebuild. Quote the load average printed beside them; the machine need not be quiet, but
compare figures of one sitting."""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg

from bench.env import KAFKA, KAFKA_SETTINGS, BenchEnv
from bench.eventmix import produce, stream
from bench.loop import _cpu_of
from qaf_shared.clock import BusinessClock
from qaf_shared.collector import settle_after_start_up
from qaf_shared.database import create_pool
from qaf_shared.org_units import OrgUnitDirectory
from reporting_service.repository import generations
from reporting_service.repository.rebuild_lock import RebuildLock
from reporting_service.settings import ReportingSettings
from reporting_service.workers.consumer import build_consumer
from reporting_service.workers.publisher import PUBLISHED, build_publisher
from reporting_service.workers.rebuild import rebuild


def _descendants() -> list[int]:
    """This process's children and theirs (the publisher's solver process)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [os.getpid()]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found.extend(frontier)
    return found


def _broker_pid() -> int | None:
    """The local broker's process (read for its CPU only)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"kafka.Kafka" in cmdline:
                return int(entry.name)
    return None


class _Meter:
    """CPU seconds of this process, some PostgreSQL backends and the broker, from `start`."""

    def __init__(self, backends: list[int]) -> None:
        self._backends = backends
        self._broker = _broker_pid()
        self._at = self._now()

    def _now(self) -> tuple[float, float, float]:
        broker = _cpu_of(self._broker) if self._broker else 0.0
        return (time.process_time(), sum(_cpu_of(p) for p in self._backends), broker)

    def spent(self) -> tuple[float, float, float]:
        now = self._now()
        return (now[0] - self._at[0], now[1] - self._at[1], now[2] - self._at[2])


async def _backends(pool: asyncpg.Pool, size: int) -> list[int]:
    """Every connection of the pool opened, and their backends' pids."""
    held = [await pool.acquire() for _ in range(size)]
    pids = [int(await c.fetchval("SELECT pg_backend_pid()")) for c in held]
    for conn in held:
        await pool.release(conn)
    return pids


def _settings(dsn: str, prefix: str, overrides: dict[str, str]) -> ReportingSettings:
    values: dict[str, Any] = {
        "database_url": dsn,
        "kafka_bootstrap_servers": KAFKA,
        "kafka_topic_prefix": prefix,
        "consumer_group": f"bench-kafkaloop-{uuid.uuid4().hex[:8]}",
        **overrides,
    }
    return ReportingSettings(**values)


async def _live(
    settings: ReportingSettings, wanted: int, with_publisher: bool
) -> tuple[float, tuple[float, ...]]:
    """Events/s from the first applied batch to the `wanted`th event (as bench.consumer
    times the service), and the CPU spent over the whole run."""
    dsn = settings.database_url.get_secret_value()
    size = settings.consumer_parallelism + (3 if with_publisher else 2)  # 2: pipelined
    pool = await create_pool(dsn, size=size)
    watcher = await asyncpg.connect(dsn)
    try:
        backends = await _backends(pool, size)
        schema = await generations.active_schema(watcher)
        progress = f"SELECT coalesce(sum(applied), 0)::bigint FROM {schema}.consumer_stats"
        consumer = build_consumer(settings, pool, BusinessClock())
        meter = _Meter(backends)
        task = asyncio.create_task(consumer.run_forever())
        publisher = None
        if with_publisher:
            publisher = build_publisher(settings, pool, OrgUnitDirectory(), lambda: consumer)
            publishing = asyncio.create_task(publisher.run_forever())
        first: tuple[float, int] | None = None
        try:
            while True:
                done: int = await watcher.fetchval(progress)
                now = time.perf_counter()
                if first is None and done:
                    first = (now, done)
                if done >= wanted:
                    break
                if task.done():
                    raise RuntimeError(f"the consumer stopped at {done} of {wanted} events")
                await asyncio.sleep(0.01)
            spent = meter.spent()
            if publisher is not None:
                solver = sum(_cpu_of(p) for p in _descendants())
                print(
                    f"  the publisher: {PUBLISHED._value.get():.0f} quarters published, its "
                    f"solver's process {solver / wanted * 1e6:.1f} us/event"
                )
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            if publisher is not None:
                publishing.cancel()
                await asyncio.gather(publishing, return_exceptions=True)
                publisher.close()
        assert first is not None
        return (done - first[1]) / max(now - first[0], 1e-6), spent
    finally:
        await watcher.close()
        await pool.close()


async def _rebuild(
    settings: ReportingSettings, wanted: int, with_publisher: bool
) -> tuple[float, tuple[float, ...]]:
    """Events/s of the whole rebuild, and the CPU spent."""
    dsn = settings.database_url.get_secret_value()
    size = settings.consumer_parallelism + 2
    pool = await create_pool(dsn, size=size)
    try:
        backends = await _backends(pool, size)
        async with pool.acquire() as conn:
            await generations.active_schema(conn)
        lock = await RebuildLock.try_acquire(dsn)
        if lock is None:
            raise RuntimeError("a rebuild is already running on this database")
        try:
            meter = _Meter(backends)
            started = time.perf_counter()
            schema = await rebuild(settings, pool, lock, clock=BusinessClock())
            rate, spent = wanted / (time.perf_counter() - started), meter.spent()
        finally:
            await lock.release()
        async with pool.acquire() as conn:
            applied = await conn.fetchval(f"SELECT count(*) FROM {schema}.processed_events")
        if applied != wanted:
            raise RuntimeError(f"the rebuild applied {applied} events, expected {wanted}")
        return rate, spent
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--publisher", action="store_true")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--against", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    overrides = dict(item.split("=", 1) for item in args.set)
    # Each round run twice, with `--set` alone and with `--against` on top: the two
    # compared on the same machine minutes apart (its speed moves by a fifth over an hour).
    variants = [("", overrides)]
    if args.against:
        variants.append(
            (" ".join(args.against), {**overrides, **dict(a.split("=", 1) for a in args.against)})
        )
    n = args.events
    with BenchEnv() as env:
        prefix = env.topics()
        started = time.monotonic()
        asyncio.run(produce(KAFKA_SETTINGS, prefix, stream(n)))
        print(
            f"events {n:,} (the mix) on {prefix}* in {time.monotonic() - started:.0f} s; "
            f"{'rebuild' if args.rebuild else 'live consumer'} {overrides or ''}"
        )
        # As the service does once started (qaf_shared/collector.py): what the
        # process has built so far out of the collector's sight, young collections rarer.
        settle_after_start_up()
        for _ in range(args.rounds):
            for label, values in variants:
                settings = _settings(env.database("reporting_service"), prefix, values)
                run = _rebuild if args.rebuild else _live
                rate, (cpu, pg, broker) = asyncio.run(run(settings, n, args.publisher))
                load = os.getloadavg()[0]
                print(
                    f"  python {cpu / n * 1e6:6.1f} us/event, postgres {pg / n * 1e6:6.1f}, "
                    f"broker {broker / n * 1e6:5.1f}; {rate:6,.0f} events/s "
                    f"(load average {load:.1f}) {label}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
