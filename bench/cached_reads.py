"""CPU per cached report read, in process: `python -m bench.cached_reads [--requests 3000]`
(not part of `make bench`; run it under `timeout`).

Kent's (886) projections for the five quarters to today's, from the reads benchmark's
template year (bench/reads.py), published as the service's publisher would, in a throwaway
database. Then reporting-service's app (consumer and publisher off) is called straight
through ASGI, 32 requests at a time on uvloop, as the reads benchmark's `wrk` calls it (a
`reports:read` token, nothing else): `GET /v1/deep-dives/{last complete quarter}`,
`GET /v1/escalation-trends` and `GET /v1/trends?measure=audits.completed`, every answer
from the report cache (the first read of each builds it, untimed). Printed per route: this
process's CPU microseconds a request, median of the rounds, with the report fast path
(`report_fast_path`, api/fast_reads.py) off and on, alternating, so that both see the same
machine. What is left out is uvicorn's HTTP parsing and the socket."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import uvloop

from bench.env import BenchEnv
from bench.reads import fill, publish, template
from qaf_shared.quarters import previous_quarter, quarter_of
from reporting_service.main import create_app
from reporting_service.settings import ReportingSettings

TENANT = "886"
CONCURRENCY = 32
ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


async def get(app: ASGIApp, path: str, query: bytes, token: str) -> tuple[int, bytes]:
    """GET `path?query` from `app` straight through ASGI with a bearer token: the status
    and the body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    status: list[int] = []
    chunks: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status[0], b"".join(chunks)


async def _cpu_per_request(
    app: ASGIApp, path: str, query: bytes, token: str, requests: int
) -> float:
    todo = iter(range(requests))

    async def worker() -> None:
        for _ in todo:
            status, body = await get(app, path, query, token)
            if status != 200:
                raise RuntimeError(f"{path} answered {status}: {body[:300]!r}")

    started = time.process_time()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return (time.process_time() - started) / requests * 1e6


async def _measure(dsn: str, token: str, routes: dict[str, tuple[str, bytes]], n: int) -> None:
    apps = {}
    for fast in (False, True):
        settings = ReportingSettings(database_url=dsn, report_recheck_ms=100)
        if "report_fast_path" in ReportingSettings.model_fields:
            settings = settings.model_copy(update={"report_fast_path": fast})
        elif fast:
            continue  # code from before the fast path: the ordinary routes only
        apps["fast" if fast else "routes"] = create_app(settings, consume=False)
    runs: dict[tuple[str, str], list[float]] = {}
    async with contextlib.AsyncExitStack() as running:
        for app in apps.values():
            await running.enter_async_context(app.router.lifespan_context(app))
        _report(await _rounds(apps, token, routes, n, runs), runs)


async def _rounds(
    apps: dict[str, Any],
    token: str,
    routes: dict[str, tuple[str, bytes]],
    n: int,
    runs: dict[tuple[str, str], list[float]],
) -> list[str]:
    for name, (path, query) in routes.items():
        for app in apps.values():
            await _cpu_per_request(app, path, query, token, max(100, n // 10))  # builds, warms
        for _ in range(3):
            for label, app in apps.items():
                runs.setdefault((name, label), []).append(
                    await _cpu_per_request(app, path, query, token, n)
                )
    return list(apps)


def _report(labels: list[str], runs: dict[tuple[str, str], list[float]]) -> None:
    for name in dict.fromkeys(route for route, _ in runs):
        line = ", ".join(
            f"{label} {statistics.median(runs[(name, label)]):.0f} us"
            f" ({'/'.join(f'{v:.0f}' for v in runs[(name, label)])})"
            for label in labels
        )
        print(f"{name}: CPU per cached read: {line}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    current = quarter_of(date.today())
    quarters = [current]
    while len(quarters) < 5:
        quarters.insert(0, previous_quarter(quarters[0]))
    routes = {
        "deep_dive": (f"/v1/deep-dives/{quarters[-2]}", b""),
        "escalation_trends": ("/v1/escalation-trends", b""),
        "trends": ("/v1/trends", b"measure=audits.completed"),
    }
    with BenchEnv() as env:
        dsn = env.database("reporting_service")
        started = time.monotonic()
        rows = asyncio.run(
            fill(dsn, {"kent": template(TENANT, 20_000)}, {TENANT: "kent"}, quarters[0], current)
        )
        published = asyncio.run(publish(dsn, TENANT, quarters))
        print(
            f"{rows:,} projection rows, {published} quarters published,"
            f" in {time.monotonic() - started:.0f} s",
            flush=True,
        )
        token = env.token("reports:read", tenant=TENANT)
        uvloop.run(_measure(dsn, token, routes, args.requests))


if __name__ == "__main__":
    main()
