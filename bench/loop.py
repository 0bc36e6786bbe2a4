"""The whole consumer loop's work per event, in process, without Kafka:
`python -m bench.loop [--events 100000] [--batch 20000] [--parallel 1] [--rounds 1]`.

The realistic mix (bench/eventmix.py) is generated first (not timed) and cut into fetched
batches as a consumer of the domain topics gets them: `--batch` records at a time, each
record on its topic's partition by the key's hash (6 partitions a topic, as
deploy/topics.yaml), in order. Each batch then goes through `EventConsumer.handle` exactly
as reporting-service's live consumer and rebuild call it (its `projections.apply`, its
`fact_of` groups, `--parallel` concurrent transactions on a pool) into a new reporting
database: parse, `processed_events`, the projections, statistics and offsets, each batch
committed. Kafka's own fetching and decoding is what is left out.

Reported per event: this process's CPU (user + system), the CPU of the pool's PostgreSQL
backends (from /proc), and the wall time, for the whole run; with `--rounds` > 1 the run
is repeated on a new database and each round printed. A million events' rebuild at these
costs is estimated as the larger of the two CPUs (each has a core of its own at best) and
as their sum (one core for both)."""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import tracemalloc
import zlib
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from bench.env import BenchEnv
from bench.eventmix import stream
from qaf_shared.consumer import EventConsumer
from qaf_shared.database import create_pool
from reporting_service.projections import apply, fact_of
from reporting_service.repository import generations

PARTITIONS = 6

Batch = dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]


def batches(count: int, size: int) -> list[Batch]:
    """The mix's first `count` records as fetched batches of `size`."""
    out: list[Batch] = []
    offsets: dict[TopicPartition, int] = {}
    current: Batch = {}
    held = 0
    for topic, key, value, headers in stream(count):
        tp = TopicPartition(topic, zlib.crc32(key) % PARTITIONS)
        offset = offsets.get(tp, 0)
        offsets[tp] = offset + 1
        record = ConsumerRecord(
            topic, tp.partition, offset, 0, 0, key, value, None, len(key), len(value), headers
        )
        current.setdefault(tp, []).append(record)
        held += 1
        if held == size:
            out.append(current)
            current, held = {}, 0
    if current:
        out.append(current)
    return out


def _no_kafka() -> AIOKafkaConsumer:
    raise RuntimeError("batches are handed to `handle`; nothing is fetched")


def _cpu_of(pid: int) -> float:
    """A process's CPU seconds so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _round(
    dsn: str, fetched: list[Batch], parallel: int, memory: bool
) -> tuple[float, float, float]:
    """Process CPU, backends' CPU and wall seconds for applying every batch; with `memory`,
    first the peak of what applying the first batch allocates (then not timed)."""
    pool = await create_pool(dsn, size=parallel + 1)
    try:
        # Every connection opened first, so that the backends measured are all there are.
        held = [await pool.acquire() for _ in range(parallel + 1)]
        schema: str = await generations.active_schema(held[0])
        backends = [await c.fetchval("SELECT pg_backend_pid()") for c in held]
        for conn in held:
            await pool.release(conn)

        async def this_schema(_: asyncpg.Connection) -> str:
            return schema

        loop = EventConsumer(
            pool=pool,
            consumer_factory=_no_kafka,
            apply=apply,
            dlq_topic="dlq",
            schema_for_batch=this_schema,
            send_dead_letters=False,
            parallel=parallel,
            group_by=fact_of,
        )
        if memory:
            record_bytes = sum(
                len(r.value or b"") + len(r.key or b"") for rs in fetched[0].values() for r in rs
            )
            tracemalloc.start()
            await loop.handle(fetched[0], None)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            fetched = fetched[1:]
            print(
                f"  applying a batch allocates up to {peak / 1e6:.0f} MB at its peak "
                f"(its records' keys and values: {record_bytes / 1e6:.0f} MB)"
            )
        before_pg = sum(_cpu_of(p) for p in backends)
        cpu, wall = time.process_time(), time.perf_counter()
        for batch in fetched:
            await loop.handle(batch, None)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        pg = sum(_cpu_of(p) for p in backends) - before_pg
        return cpu, pg, wall
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--memory", action="store_true")
    args = parser.parse_args()
    fetched = batches(args.events, args.batch)
    n = sum(len(rs) for b in fetched[1 if args.memory else 0 :] for rs in b.values())
    print(f"events {n:,} (the mix), batches of {args.batch:,}, {args.parallel} at once")
    with BenchEnv() as env:
        for _ in range(args.rounds):
            dsn = env.database("reporting_service")
            cpu, pg, wall = asyncio.run(_round(dsn, fetched, args.parallel, args.memory))
            load = os.getloadavg()[0]
            print(
                f"  python {cpu / n * 1e6:6.1f} us/event, postgres {pg / n * 1e6:6.1f} us/event, "
                f"wall {wall:5.1f} s = {n / wall:6,.0f} events/s (load average {load:.1f}); "
                f"1M events: {max(cpu, pg) / n * 1e6:.0f}-{(cpu + pg) / n * 1e6:.0f} s of CPU"
            )


if __name__ == "__main__":
    main()
