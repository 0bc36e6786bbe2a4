"""activity-service's `POST /v1/activity` and its raw COPY baseline (`bench.activity_baseline`)
called in one process without HTTP (ASGI calls, uvloop, the relay off) on throwaway databases,
alternating so that both see the same machine: CPU microseconds per record and records/s of
1,000-record batches of new children, then of the same batches again (UNCHANGED; the service
only). `python -m bench.activity_inprocess [--batches 25] [--clients 4] [--profile N]
[--relay]`; with `--relay` the service's relay publishes to Kafka as it goes, and each run
ends when it has published every event, so its CPU is counted as the HTTP benchmark counts it
(the baseline has no relay).

Less noisy than `activity_write` for comparing two versions of the code: run it on each (the
older commit from a `git archive` first on PYTHONPATH, its `.run/dev-keys` copied over),
alternating, and compare CPU per record and its ratio to the baseline. `--profile N` prints
cProfile's N costliest functions (by own time) of the service's accepted batches instead."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import time
from pathlib import Path
from typing import Any

import uvloop

from activity_service.main import create_app
from activity_service.settings import ActivitySettings
from bench import activity_baseline
from bench.activity_client import GENERATED_PREFIX
from bench.activity_write import PACKAGE, PATH, batches_file
from bench.env import BenchEnv
from bench.inprocess import post

_REF = f'"child_ref":"{GENERATED_PREFIX}'.encode()


async def _drained(app: Any) -> None:
    """Wait until the service's relay (when on) has published every outbox row."""
    settings = getattr(app.state, "settings", None)  # the baseline has none, nor a relay
    if settings is None or not settings.relay_enabled:
        return
    while await app.state.pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"):
        await asyncio.sleep(0.02)


async def _run(
    app: Any, bodies: list[bytes], token: str, tag: str, batches: int, clients: int, expect: str
) -> tuple[float, float]:
    """CPU us per record and records/s of `batches` batches from `clients` at once (with the
    relay on, until it has published them)."""
    todo = iter(range(batches))
    wanted = f'"status":"{expect}"'.encode()

    async def client() -> None:
        for i in todo:
            lap, j = divmod(i, len(bodies))
            body = bodies[j].replace(_REF, f'"child_ref":"{tag}L{lap}-'.encode())
            answer = await post(app, PATH, body, token, expect=200)
            if answer.count(wanted) != body.count(b'"child_ref"'):
                raise RuntimeError(f"not every record was {expect}")

    cpu, wall = time.process_time(), time.monotonic()
    await asyncio.gather(*(client() for _ in range(clients)))
    await _drained(app)
    records = batches * 1000
    return (time.process_time() - cpu) / records * 1e6, records / (time.monotonic() - wall)


async def _measure(
    dsn: str,
    baseline_dsn: str,
    token: str,
    bodies: list[bytes],
    args: argparse.Namespace,
    prefix: str | None,
) -> None:
    # With a topic prefix the relay publishes as the batches are written (what HTTP pays).
    settings = ActivitySettings(
        database_url=dsn, relay_enabled=bool(prefix), kafka_topic_prefix=prefix or ""
    )
    app = create_app(settings)
    os.environ["QA_DATABASE_URL"] = baseline_dsn
    base = activity_baseline.create_app()
    batches, clients = args.batches, args.clients
    async with app.router.lifespan_context(app), base.router.lifespan_context(base):
        await _run(base, bodies, token, "BW", 3, clients, "ACCEPTED")
        await _run(app, bodies, token, "W", 3, clients, "ACCEPTED")
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            await _run(app, bodies, token, "P", batches, clients, "ACCEPTED")
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(args.profile)
            return
        ours: list[float] = []
        theirs: list[float] = []
        for attempt in range(args.runs):
            cpu, rate = await _run(base, bodies, token, f"B{attempt}", batches, clients, "ACCEPTED")
            theirs.append(cpu)
            print(f"run {attempt} baseline  {cpu:6.1f} us CPU/record {rate:8.0f} records/s")
            for expect in ("ACCEPTED", "UNCHANGED"):
                cpu, rate = await _run(app, bodies, token, f"R{attempt}", batches, clients, expect)
                if expect == "ACCEPTED":
                    ours.append(cpu)
                print(f"run {attempt} {expect:9s} {cpu:6.1f} us CPU/record {rate:8.0f} records/s")
        s, b = statistics.median(ours), statistics.median(theirs)
        print(f"accepted: {s:.1f} us CPU/record, baseline {b:.1f} us, ratio {s / b:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=25)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument("--relay", action="store_true", help="the service's relay on")
    args = parser.parse_args()
    path = batches_file()
    try:
        bodies = [b for b in Path(path).read_bytes().split(b"\n") if b]
        with BenchEnv() as env:
            dsn, baseline_dsn = env.database(PACKAGE), env.database(PACKAGE)
            prefix = env.topics() if args.relay else None
            token = env.token("activity:write")
            uvloop.run(_measure(dsn, baseline_dsn, token, bodies, args, prefix))
    finally:
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
