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
machine. What is left out is uvicorn's HTTP parsing and the socket.

With `--http C`, the service is also run as `make run` runs it (uvicorn, one worker, its
consumer idle) on a spare port, fast path off and on in turn, and `wrk` reads each route
from C connections for `--seconds` (after a 2-second warm-up): p50, p99, requests/s and
the service's CPU a request. On a shared machine, not the quiet machine's figure."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import time
from datetime import date
from typing import Any

import uvloop

from bench.asgi import ASGIApp, request
from bench.env import BenchEnv
from bench.reads import _wrk, fill, publish, template
from qaf_shared.quarters import previous_quarter, quarter_of
from reporting_service.main import create_app
from reporting_service.settings import ReportingSettings

TENANT = "886"
CONCURRENCY = 32


async def get(app: ASGIApp, path: str, query: bytes, token: str) -> tuple[int, bytes]:
    """GET `path?query` from `app` straight through ASGI with a bearer token: the status
    and the body."""
    headers = [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())]
    return await request(app, "GET", path, headers, query=query)


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


def _http(
    env: BenchEnv,
    dsn: str,
    token: str,
    routes: dict[str, tuple[str, bytes]],
    connections: int,
    seconds: float,
) -> None:
    topics = env.topics()
    runs: dict[tuple[str, str], list[dict[str, float]]] = {}
    for _ in range(2):
        for label, fast in (("routes", "false"), ("fast", "true")):
            service = env.start_service(
                "reporting_service",
                database=dsn,
                topic_prefix=topics,
                settings={"QA_REPORT_FAST_PATH": fast},
                name=f"cached-reads-{label}",
            )
            try:
                for name, (path, query) in routes.items():
                    url = f"{path}?{query.decode()}" if query else path
                    _wrk(env, service.url, url, token, 2, connections)  # builds, warms
                    cpu = service.cpu_seconds()
                    figures = _wrk(env, service.url, url, token, seconds, connections)
                    requests = figures["rps"] * seconds
                    figures["cpu_us"] = (service.cpu_seconds() - cpu) / requests * 1e6
                    runs.setdefault((name, label), []).append(figures)
            finally:
                service.stop()
    for (name, label), results in runs.items():
        print(
            f"{name} {label} over HTTP ({connections} connections): "
            + "; ".join(
                f"p50 {f['p50']:.2f} ms, p99 {f['p99']:.2f} ms, {f['rps']:,.0f} req/s,"
                f" {f['cpu_us']:.0f} us CPU"
                for f in results
            ),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--http", type=int, metavar="CONNECTIONS", help="also wrk over HTTP")
    parser.add_argument("--seconds", type=float, default=10.0)
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
        if args.http:
            _http(env, dsn, token, routes, args.http, args.seconds)


if __name__ == "__main__":
    main()
