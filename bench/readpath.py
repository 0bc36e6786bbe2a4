"""What a Deep Dive read costs for Kent with 10 years of history, in process:
`python -m bench.readpath [--repeat 10]` (not part of `make bench`).

Kent's (886) projections for the 10 financial years to the last complete quarter, from the
reads benchmark's template year (20,000 quality-assurance events a year and their case
activity, folded through the projections' own code; bench/reads.py), in a throwaway
database. Then, for the last complete quarter and the one before (what a Deep Dive reads):

- `counts.read_quarters`, and each of its two queries alone (the quarter's and its months'
  counts; the running totals, summed over all the history up to each period): what the
  publisher reads for a quarter, and a read for a quarter not yet published;
- the two quarters published (workers/publisher.py: figures read, decision solved, snapshot
  stored), wall and CPU milliseconds a quarter; then the last one again, its states carried
  on from the quarter before's published figures instead of summed over the history;
- the tenant's Deep Dive through the app in this process (ASGI, consumer and publisher
  off), wall and CPU milliseconds: `other_tenants_events` (another tenant's batch applied:
  the response stays cached), `own_events` (a batch of Kent's applied, not yet published:
  the response built again from the kept snapshots), `restart` (nothing kept in the
  process: the snapshots read and loaded) and `unpublished` (no snapshot: both quarters
  decided on the read, as after a rebuild or the first start)."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import date

import asyncpg

from bench.env import BenchEnv
from bench.pack import _bump
from bench.reads import fill, publish, template
from qaf_shared.quarters import previous_quarter, quarter_of
from qaf_shared.testing.fixtures import serve
from reporting_service.domain.trends import months_or_none
from reporting_service.main import create_app
from reporting_service.repository import counts, generations
from reporting_service.settings import ReportingSettings

TENANT = "886"


async def _queries(dsn: str, quarters: list[str], repeat: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        schema = await generations.active_schema(conn)
        months = [m for q in quarters for m in months_or_none(q)]
        periods = [*quarters, *months]
        grains = ["q"] * len(quarters) + ["m"] * len(months)
        runs: dict[str, list[float]] = {}
        sizes: dict[str, int] = {}
        for _ in range(repeat):
            started = time.perf_counter()
            rows = await conn.fetch(
                counts._COUNTS_SQL.format(schema=schema), TENANT, quarters, months
            )
            runs.setdefault("counts query", []).append((time.perf_counter() - started) * 1000)
            sizes["counts query"] = len(rows)
            started = time.perf_counter()
            rows = await conn.fetch(
                counts._RUNNING_TOTALS_SQL.format(schema=schema), TENANT, periods, grains
            )
            runs.setdefault("running totals query", []).append(
                (time.perf_counter() - started) * 1000
            )
            sizes["running totals query"] = len(rows)
            started, cpu = time.perf_counter(), time.process_time()
            raws = await counts.read_quarters(conn, schema, TENANT, quarters)
            runs.setdefault("read_quarters", []).append((time.perf_counter() - started) * 1000)
            runs.setdefault("read_quarters CPU", []).append((time.process_time() - cpu) * 1000)
            sizes["read_quarters"] = sum(len(c) for raw in raws.values() for c in raw.values())
        for name, values in runs.items():
            rows_note = f", {sizes[name]:,} rows" if name in sizes else ""
            print(f"{name}: median {statistics.median(values):.1f} ms{rows_note}")
    finally:
        await conn.close()


async def _publish(dsn: str, quarters: list[str], label: str) -> None:
    """What the publisher pays per quarter: its figures read and its decision solved."""
    started, cpu = time.perf_counter(), time.process_time()
    published = await publish(dsn, TENANT, quarters)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"published {published} quarters ({label}): {wall * 1000 / published:.0f} ms wall,"
        f" {cpu * 1000 / published:.0f} ms CPU a quarter"
    )


async def _drop_snapshots(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        schema = await generations.active_schema(conn)
        await conn.execute(f"DELETE FROM {schema}.snapshots")
    finally:
        await conn.close()


# Each case: the tenant whose batch is applied first (None: none) and whether the process
# forgets what it kept (a restart).
CASES = {
    "other_tenants_events": ("887", False),
    "own_events": (TENANT, False),
    "restart": (None, True),
    "unpublished": (None, True),
}


async def _deep_dives(dsn: str, quarter: str, token: str, repeat: int) -> None:
    app = create_app(ReportingSettings(database_url=dsn, report_recheck_ms=0), consume=False)
    headers = {"Authorization": f"Bearer {token}"}
    times: dict[str, list[tuple[float, float]]] = {}
    async with serve(app) as client:
        for case, (tenant, restart) in CASES.items():
            if case == "unpublished":
                await _drop_snapshots(dsn)
            for _ in range(max(2, repeat // 3) if case == "unpublished" else repeat):
                if tenant is not None:
                    await _bump(dsn, tenant)
                # This read starts reading the versions again; the measured one has them.
                await client.get(f"/v1/deep-dives/{quarter}?unit=EAST", headers=headers)
                await asyncio.sleep(0.2)
                if restart:
                    app.state.report_cache = None
                started, cpu = time.perf_counter(), time.process_time()
                response = await client.get(f"/v1/deep-dives/{quarter}", headers=headers)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code} {response.text[:300]}")
                times.setdefault(case, []).append((elapsed, (time.process_time() - cpu) * 1000))
    for case, runs in times.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"Deep Dive {case}: median {wall:.1f} ms wall, {cpu:.1f} ms CPU ({len(runs)} reads)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    quarter = previous_quarter(quarter_of(date.today()))
    first = quarter
    for _ in range(39):
        first = previous_quarter(first)
    with BenchEnv() as env:
        dsn = env.database("reporting_service")
        started = time.monotonic()
        rows = asyncio.run(
            fill(dsn, {"kent": template(TENANT, 20_000)}, {TENANT: "kent"}, first, quarter)
        )
        print(
            f"{rows:,} projection rows, {first} to {quarter}, in {time.monotonic() - started:.0f} s"
        )
        asyncio.run(_queries(dsn, [quarter, previous_quarter(quarter)], args.repeat))
        asyncio.run(_publish(dsn, [previous_quarter(quarter), quarter], "history summed"))
        # The quarter again, the one before it published and unchanged: its states carried on.
        asyncio.run(_publish(dsn, [quarter], "states carried on"))
        token = env.token("reports:read", tenant=TENANT)
        asyncio.run(_deep_dives(dsn, quarter, token, args.repeat))
    sys.exit(0)


if __name__ == "__main__":
    main()
