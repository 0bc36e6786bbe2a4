"""activity-service's `POST /v1/activity` called in one process without HTTP (ASGI calls, uvloop,
the relay off) on a throwaway database: CPU microseconds per record and records/s of
1,000-record batches of new children, then of the same batches again (UNCHANGED).
`python -m bench.activity_inprocess [--batches 25] [--clients 4]`.

Less noisy than `activity_write` for comparing two versions of the code: run it on each (the
older commit from a `git archive` first on PYTHONPATH, its `.run/dev-keys` copied over),
alternating, and compare CPU per record."""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

import uvloop

from activity_service.main import create_app
from activity_service.settings import ActivitySettings
from bench.activity_client import GENERATED_PREFIX
from bench.activity_write import PACKAGE, PATH, batches_file
from bench.env import BenchEnv
from bench.inprocess import post

_REF = f'"child_ref":"{GENERATED_PREFIX}'.encode()


async def _run(
    app: Any, bodies: list[bytes], token: str, tag: str, batches: int, clients: int, expect: str
) -> tuple[float, float]:
    """CPU us per record and records/s of `batches` batches from `clients` at once."""
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
    records = batches * 1000
    return (time.process_time() - cpu) / records * 1e6, records / (time.monotonic() - wall)


async def _measure(dsn: str, token: str, bodies: list[bytes], batches: int, clients: int) -> None:
    app = create_app(ActivitySettings(database_url=dsn, relay_enabled=False))
    async with app.router.lifespan_context(app):
        await _run(app, bodies, token, "W", 3, clients, "ACCEPTED")
        for attempt in range(2):
            tag = f"R{attempt}"
            for expect in ("ACCEPTED", "UNCHANGED"):
                cpu, rate = await _run(app, bodies, token, tag, batches, clients, expect)
                print(f"run {attempt} {expect:9s} {cpu:6.1f} us CPU/record {rate:8.0f} records/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=25)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    path = batches_file()
    try:
        bodies = [b for b in Path(path).read_bytes().split(b"\n") if b]
        with BenchEnv() as env:
            dsn = env.database(PACKAGE)
            uvloop.run(
                _measure(dsn, env.token("activity:write"), bodies, args.batches, args.clients)
            )
    finally:
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
