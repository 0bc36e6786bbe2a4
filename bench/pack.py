"""The Deep Dive pack of a whole tenant (issue 16): Kent's (886) pack as HTML (target: a
median <= 300 ms) and as PDF (<= 2 s), with the p99 beside each.

Kent's projections for the nine quarters the pack reads (eight of trend, and the quarter
before the first for its `previous`), from the reads benchmark's template year (Kent at
20,000 events a year, folded through the projections' own code; bench/reads.py), put
straight into a throwaway database. The app is called in this process through ASGI (the
pack's cost is its building, not HTTP), with its consumer off.

Each pack is built anew, never answered from the read cache, in three cases:

- `drawn` (the targets): the quarters' disclosure decisions are known, and every chart is
  drawn and the page laid out (or the PDF made) anew: the pack's own cost, as after events
  that changed Kent's figures in every chart but none of its quarters' decisions.
- `after_events`: the consumer applied events of Kent's since the last pack (Kent's version
  moved; another tenant's events leave the pack cached), its quarters' snapshots not yet
  published again, as a reader meets it during the day: the decisions and the charts are
  kept, the page is made anew.
- `cold`: nothing kept in the process: the nine quarters' published snapshots (stored by
  `bench.reads.publish` before measuring, as the service's publisher would have) read and
  loaded, as for the first pack after a process starts. No decision is solved on a read
  once its quarter is published (services/reporting-service/README.md, "Published
  snapshots").

And `render`: the last pack the app assembled (domain/pack.py's Pack, recorded as the app
made it), drawn and laid out again in this process, its charts anew each time: the CPU of
render/ alone, without the reading of the quarters' figures and decisions that every case
above also pays.

    python -m bench.pack          (BENCH_QUICK=1: fewer packs)"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import date
from typing import Any

import asyncpg

from bench.env import BenchEnv
from bench.readenv import environment
from bench.reads import fill, publish, template
from bench.results import Figure, table
from qaf_shared.quarters import previous_quarter, quarter_of
from qaf_shared.testing.fixtures import serve
from reporting_service.domain import pack
from reporting_service.main import create_app
from reporting_service.render import charts, page, pdf
from reporting_service.repository import generations
from reporting_service.settings import ReportingSettings

TARGETS_MS = {"html": 300.0, "pdf": 2000.0}


async def _bump(dsn: str, tenant: str = "886") -> None:
    """One more batch of `tenant`'s applied, its quarters' snapshots not yet published
    again: the tenant's version moves (and with it the key of its cached reports)."""
    conn = await asyncpg.connect(dsn)
    try:
        schema = await generations.active_schema(conn)
        await conn.execute(
            f"INSERT INTO {schema}.tenant_versions AS v (tenant, changes) VALUES ($1, 1)"
            " ON CONFLICT (tenant) DO UPDATE SET changes = v.changes + 1",
            tenant,
        )
    finally:
        await conn.close()


def _recording(made: list[pack.Pack]) -> None:
    """Keep each Pack the app assembles (api/pack.py calls `pack.assemble`)."""
    assemble = pack.assemble

    def recorded(*args: Any, **kwargs: Any) -> pack.Pack:
        made.append(assemble(*args, **kwargs))
        return made[-1]

    pack.assemble = recorded


def _render(made: pack.Pack, form: str, times: int) -> list[float]:
    """CPU milliseconds to draw and lay out `made` (the page, or the PDF), charts anew."""
    out = []
    for _ in range(times):
        charts.cache_clear()
        cpu = time.process_time()
        if form == "html":
            page.html(made)
        else:
            pdf.pdf(*page.printed(made))
        out.append((time.process_time() - cpu) * 1000)
    return out


async def _measure(
    dsn: str, quarter: str, token: str, packs: dict[str, dict[str, int]]
) -> dict[tuple[str, str, str], list[float]]:
    """(format, case, "wall" or "cpu") -> milliseconds per pack: its time, and this
    process's CPU time in it (the drawing and the PDF's layout run in a thread of this
    process; PostgreSQL's own is not counted). CPU time holds up better than wall time
    when other work on the machine slows the clock down."""
    settings = ReportingSettings(database_url=dsn, report_recheck_ms=0)
    app = create_app(settings, consume=False)
    times: dict[tuple[str, str, str], list[float]] = {}
    made: list[pack.Pack] = []
    _recording(made)
    headers = {"Authorization": f"Bearer {token}"}
    async with serve(app) as client:
        last = b""

        async def one(form: str) -> tuple[float, float]:
            nonlocal last
            path = f"/v1/deep-dives/{quarter}/pack" + (".pdf" if form == "pdf" else "")
            started, cpu = time.perf_counter(), time.process_time()
            response = await client.get(path, headers=headers, timeout=300)
            elapsed = (time.perf_counter() - started) * 1000
            cpu = (time.process_time() - cpu) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")
            # Each pack says when it was made (to the microsecond in the page's metadata, the
            # second in the PDF's, and PDFs take longer): the same bytes are a cached answer.
            if response.content == last:
                raise RuntimeError(f"{path}: answered from the read cache, not built")
            last = response.content
            return elapsed, cpu

        async def events() -> None:
            """Another tenant's event applied, and the read cache told (its version check
            runs behind a request, which this one starts)."""
            await _bump(dsn)
            await client.get(f"/v1/deep-dives/{quarter}", headers=headers)
            await asyncio.sleep(0.2)

        for form in ("html", "pdf"):
            for case in ("cold", "drawn", "after_events"):
                for _ in range(packs[form][case]):
                    await events()
                    if case == "cold":
                        app.state.report_cache = None  # responses and decisions
                    if case != "after_events":
                        charts.cache_clear()
                    wall, cpu = await one(form)
                    times.setdefault((form, case, "wall"), []).append(wall)
                    times.setdefault((form, case, "cpu"), []).append(cpu)
            times[(form, "render", "cpu")] = _render(made[-1], form, packs[form]["drawn"])
    return times


def _p99(runs: list[float]) -> float:
    ordered = sorted(runs)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def run(env: BenchEnv | None = None) -> list[Figure]:
    with environment(env) as env:
        packs = {
            "html": {"cold": 1 if env.quick else 3, "drawn": 5 if env.quick else 30},
            "pdf": {"cold": 1 if env.quick else 2, "drawn": 3 if env.quick else 10},
        }
        for counts in packs.values():
            counts["after_events"] = counts["drawn"]
        quarter = previous_quarter(quarter_of(date.today()))  # the last complete quarter
        first = quarter
        for _ in range(8):
            first = previous_quarter(first)
        dsn = env.database("reporting_service")
        started = time.monotonic()
        rows = asyncio.run(
            fill(dsn, {"kent": template("886", 20_000)}, {"886": "kent"}, first, quarter)
        )
        read = [quarter]
        while read[0] != first:
            read.insert(0, previous_quarter(read[0]))
        asyncio.run(publish(dsn, "886", read))  # as the service's publisher would have
        print(
            f"bench: pack: {rows:,} projection rows in {time.monotonic() - started:.0f} s",
            file=sys.stderr,
        )
        times = asyncio.run(_measure(dsn, quarter, env.token("reports:read", tenant="886"), packs))
        figures = []
        for form in ("html", "pdf"):
            for case in ("drawn", "after_events", "cold", "render"):
                for clock in ("wall", "cpu") if case != "render" else ("cpu",):
                    runs = times[(form, case, clock)]
                    figure = Figure(
                        benchmark=f"pack/{form}/{case}",
                        metric=f"{clock} ms per pack",
                        runs=runs,
                        note=f"Kent {quarter}, {len(runs)} packs; p99 {_p99(runs):.0f} ms",
                    )
                    if case == "drawn" and clock == "wall":
                        figure.target = f"median <= {TARGETS_MS[form]:.0f} ms"
                        figure.met = figure.median <= TARGETS_MS[form]
                    figures.append(figure)
        return figures


if __name__ == "__main__":
    figures = run()
    print(table(figures))
    sys.exit(0)
