"""What the consumer's work on one event costs, in process and without Kafka:
`python -m bench.fold [--events 200000] [--batch 5000] [--only activity] [--db] [--profile]`.

The realistic mix (bench/eventmix.py) is generated first (not timed), then applied in batches
of `--batch` as `projections.engine.apply` applies them, each step timed in CPU time:

- parse: `parse_event` of each record's value (what the consumer loop does);
- route: the projection and fact key of each event;
- load: the facts the batch touches, read back from what earlier batches saved (their JSON
  text) and validated;
- fold: the events folded into the facts;
- contributions: each changed fact's cells, before and after, into the batch's deltas;
- encode: the saved facts and the cells as the JSON texts the statements take;
- marks: the quarters whose published snapshots the cells change
  (repository/publications.py), and with `--db` its statement (`sql marks`).

Each batch with the garbage collector paused, as the consumer loop applies it.

With `--db` every batch is also written to a new reporting database (the engine's own
statements: lock, load, save, cells; one transaction per batch, one connection), and the
wall time of the statements is reported as `sql` (PostgreSQL's work plus the round trips;
the machine's other load counts in it). `--only activity` keeps the activity events of the
mix; `--profile` prints cProfile's top functions of the in-memory steps."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.eventmix import stream
from qaf_shared import jsonutil
from qaf_shared.clock import BusinessClock
from qaf_shared.consumer.collector import paused_collector
from qaf_shared.database import connect
from qaf_shared.events.envelope import CloudEvent, parse_event
from reporting_service.projections import PROJECTIONS, engine
from reporting_service.repository import generations, publications

FactKey = engine.FactKey


class Clock:
    """CPU seconds (and wall seconds) per step; with `backend` set, the CPU seconds of that
    PostgreSQL backend during each `sql` step too (`pg`)."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.wall: dict[str, float] = defaultdict(float)
        self.pg: dict[str, float] = defaultdict(float)
        self.backend = 0

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        sql = self.backend and name.startswith("sql")
        pg = _cpu_of(self.backend) if sql else 0.0
        cpu, wall = time.process_time(), time.perf_counter()
        yield
        self.cpu[name] += time.process_time() - cpu
        self.wall[name] += time.perf_counter() - wall
        if sql:
            self.pg[name] += _cpu_of(self.backend) - pg


def _values(count: int, only: str | None) -> list[bytes]:
    if only is None:
        return [value for _, _, value, _ in stream(count)]
    # Generate until `count` events of the wanted domain.
    prefix = f"uk.gov.qa.{only}."
    out: list[bytes] = []
    generated = count
    while len(out) < count:
        out = [v for _, _, v, _ in stream(generated) if prefix.encode() in v[:400]]
        generated *= 2
    return out[:count]


class Store:
    """The facts table: in memory (JSON text per fact, as saved), or a real database."""

    def __init__(self) -> None:
        self.facts: dict[FactKey, str] = {}

    def load(self, keys: list[FactKey]) -> list[tuple[str, str, str, str]]:
        return [(*k, self.facts[k]) for k in keys if k in self.facts]

    def save(self, saves: list[tuple[FactKey, str]], deletes: list[FactKey]) -> None:
        for key, text in saves:
            self.facts[key] = text
        for key in deletes:
            self.facts.pop(key, None)


def _cpu_of(pid: int) -> float:
    """A process's CPU seconds so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _run(values: list[bytes], batch: int, dsn: str | None, clock: Clock) -> int:
    by_type = engine.by_event_type(PROJECTIONS)
    store = Store()
    conn = await connect(dsn) if dsn else None
    schema = await generations.active_schema(conn) if conn else ""
    backend = await conn.fetchval("SELECT pg_backend_pid()") if conn else 0
    backend_cpu = _cpu_of(backend) if conn else 0.0
    clock.backend = backend
    cells = 0
    try:
        for start in range(0, len(values), batch):
            # As the consumer loop applies a batch (qaf_shared/consumer/collector.py).
            with paused_collector:
                with clock.step("parse"):
                    events: list[CloudEvent] = [
                        parse_event(v) for v in values[start : start + batch]
                    ]
                with clock.step("route"):
                    routed = engine.route(by_type, events)
                    keys = sorted({key for _, key, _ in routed})
                    kinds = {p.kind: p for p, _, _ in routed}
                tx = conn.transaction() if conn else None
                if conn and tx:
                    await tx.start()
                    shared = sorted({key for p, key, _ in routed if p.spans_partitions})
                    if shared:
                        with clock.step("sql lock"):
                            await conn.execute(
                                engine._LOCK, ["\x1f".join(k) for k in shared], f"{schema}\x1f"
                            )
                    with clock.step("sql load"):
                        rows = await conn.fetch(
                            engine._LOAD.format(schema=schema), jsonutil.dumps(keys)
                        )
                else:
                    rows = store.load(keys)
                with clock.step("load"):
                    loaded = engine.facts_of(kinds, rows)
                with clock.step("fold"):
                    current = engine.fold_all(routed, loaded)
                with clock.step("contributions"):
                    saves, deletes, deltas = engine.changes(kinds, keys, loaded, current)
                with clock.step("encode"):
                    texts = [(k, f.model_dump_json()) for k, f in saves]
                    facts = [[k[i] for k, _ in texts] for i in range(3)] + [[t for _, t in texts]]
                    tables = {
                        table: jsonutil.dumps(
                            sorted((*k[1:], v) for k, v in deltas.items() if v and k[0] == table)
                        )
                        for table in (engine.COUNTS_TABLE, engine.RUNNING_TABLE)
                    }
                with clock.step("marks"):
                    marks = publications.marks_of(deltas)
                cells += sum(1 for v in deltas.values() if v)
                if conn and tx:
                    if saves:
                        with clock.step("sql save"):
                            await conn.execute(engine._SAVE.format(schema=schema), *facts)
                    if deletes:
                        with clock.step("sql save"):
                            await conn.execute(
                                engine._DELETE.format(schema=schema),
                                *([k[i] for k in deletes] for i in range(3)),
                            )
                    for table, text in tables.items():
                        if text != "[]":
                            with clock.step(f"sql {table}"):
                                await conn.execute(
                                    engine._ADD.format(schema=schema, table=table), text
                                )
                    if marks.tenants:
                        with clock.step("sql marks"):
                            await conn.execute(
                                publications.MARK.format(schema=schema),
                                *publications.mark_arguments(marks, BusinessClock().today()),
                            )
                    with clock.step("sql commit"):
                        await tx.commit()
                else:
                    store.save(texts, deletes)
        if conn:
            clock.cpu["postgres"] = _cpu_of(backend) - backend_cpu
    finally:
        if conn:
            await conn.close()
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--only", choices=("activity", "audit", "escalation", "feedback"))
    parser.add_argument("--db", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    values = _values(args.events, args.only)
    n = len(values)
    clock = Clock()
    profiler = cProfile.Profile() if args.profile else None
    dsn = None
    env = None
    if args.db:
        from bench.env import BenchEnv

        env = BenchEnv()
        env.__enter__()
        dsn = env.database("reporting_service")
    try:
        if profiler:
            profiler.enable()
        wall = time.perf_counter()
        cells = asyncio.run(_run(values, args.batch, dsn, clock))
        wall = time.perf_counter() - wall
        if profiler:
            profiler.disable()
    finally:
        if env is not None:
            env.__exit__(None, None, None)
    cpu = sum(v for k, v in clock.cpu.items() if not k.startswith("sql") and k != "postgres")
    print(f"events {n:,} ({args.only or 'the mix'}), batches of {args.batch:,}")
    print(f"cell rows written per event {cells / n:.2f}")
    for name in ("parse", "route", "load", "fold", "contributions", "encode", "marks"):
        print(f"  {name:14} {clock.cpu[name] / n * 1e6:7.1f} us CPU/event")
    print(f"  {'python total':14} {cpu / n * 1e6:7.1f} us CPU/event -> {n / cpu:,.0f} events/s")
    if args.db:
        for name in ("lock", "load", "save", "counts", "running", "marks", "commit"):
            wall_us = clock.wall[f"sql {name}"] / n * 1e6
            pg_us = clock.pg[f"sql {name}"] / n * 1e6
            print(f"  sql {name:10} {wall_us:7.1f} us wall/event, postgres {pg_us:5.1f} us CPU")
        sql = sum(v for k, v in clock.wall.items() if k.startswith("sql"))
        print(f"  {'sql total':14} {sql / n * 1e6:7.1f} us wall/event")
        print(
            f"  {'postgres CPU':14} {clock.cpu['postgres'] / n * 1e6:7.1f} us CPU/event (its backend)"
        )
        print(f"  wall {wall:.1f} s -> {n / wall:,.0f} events/s (one connection, no overlap)")
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
