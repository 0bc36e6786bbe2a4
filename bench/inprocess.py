"""CPU per request of a write service's app and of the baseline, driven in one process without
HTTP (ASGI calls, 32 at a time, uvloop) against real databases, alternating, so that both see
the same machine: `python -m bench.inprocess [feedback-service ...] [--requests 3000]`.

Less noisy than the HTTP benchmark for comparing two versions of the code: run it on each
(e.g. a `git archive` of the older commit first on PYTHONPATH) and compare the ratios."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import statistics
import time
import uuid

import orjson
import uvloop

from bench import baseline
from bench.asgi import ASGIApp, request
from bench.env import BenchEnv
from bench.writes import WRITES, Write

CONCURRENCY = 32


async def post(app: ASGIApp, path: str, body: bytes, token: str, *, expect: int) -> bytes:
    """POST `body` to `path` of `app` as a write service's caller does (bearer token,
    X-Actor, a fresh Idempotency-Key), straight through ASGI; the answer's body, or an error
    when the status is not `expect`."""
    headers = [
        (b"host", b"bench"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"authorization", f"Bearer {token}".encode()),
        (b"x-actor", b"bench-actor"),
        (b"idempotency-key", uuid.uuid4().hex.encode()),
    ]
    status, answer = await request(app, "POST", path, headers, body=body)
    if status != expect:
        raise RuntimeError(f"{path} answered {status}: {answer[:300]!r}")
    return answer


async def _cpu_per_request(app: ASGIApp, write: Write, token: str, requests: int) -> float:
    body = orjson.dumps(write.body())
    todo = iter(range(requests))

    async def worker() -> None:
        for _ in todo:
            await post(app, write.path, body, token, expect=201)

    started = time.process_time()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return (time.process_time() - started) / requests * 1e6


async def _compare(
    write: Write, service_db: str, baseline_db: str, prefix: str, token: str, n: int
) -> None:
    settings_module = importlib.import_module(f"{write.package}.settings")
    settings_class = next(
        v
        for k, v in vars(settings_module).items()
        if k.endswith("Settings") and k != "ServiceSettings"
    )
    main = importlib.import_module(f"{write.package}.main")
    service = main.create_app(settings_class(database_url=service_db, kafka_topic_prefix=prefix))
    os.environ["QA_DATABASE_URL"] = baseline_db
    os.environ["BENCH_BASELINE_KIND"] = write.baseline_kind
    base = baseline.create_app()
    ours: list[float] = []
    theirs: list[float] = []
    async with service.router.lifespan_context(service), base.router.lifespan_context(base):
        for app in (base, service):
            await _cpu_per_request(app, write, token, n // 10)
        for _ in range(3):
            theirs.append(await _cpu_per_request(base, write, token, n))
            ours.append(await _cpu_per_request(service, write, token, n))
    s, b = statistics.median(ours), statistics.median(theirs)
    print(
        f"{write.service}: {s:.0f} us CPU per request, baseline {b:.0f} us, ratio {s / b:.2f}x "
        f"(runs {', '.join(f'{v:.0f}' for v in ours)} / {', '.join(f'{v:.0f}' for v in theirs)})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("services", nargs="*", help="default: all three")
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    known = {w.service for w in WRITES}
    if set(args.services) - known:
        parser.error(f"services are {sorted(known)}")
    writes = [w for w in WRITES if not args.services or w.service in args.services]
    with BenchEnv() as env:
        prefix = env.topics()
        for write in writes:
            service_db, baseline_db = env.database(write.package), env.database(write.package)
            uvloop.run(
                _compare(
                    write, service_db, baseline_db, prefix, env.token(write.scope), args.requests
                )
            )


if __name__ == "__main__":
    main()
