"""1. Write path: each write service's main POST (real auth, validation, Idempotency-Key unique
per request, the rows and the outbox row; the relay publishing as it does in production) at
32 connections for 20 s, against bench/baseline.py doing only the same row and outbox insert
on a database of the same schema. Runs alternate baseline / service so that drift in the
machine's load hits both alike.

Targets: req/s >= 0.8x the baseline's, p99 <= 50 ms, no errors.

BENCH_SERVICES=feedback-service,... limits the services measured. BENCH_PROFILE=1 records a
py-spy profile (collapsed stacks) of each service during its first measured run into
bench/results/profiles/."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import asyncpg

from bench.env import BenchEnv, Process
from bench.load import LoadResult, wrk_post
from bench.results import RESULTS, Figure
from bench.writes import WRITES, Write

CONNECTIONS = 32
SECONDS = 20.0
WARM_UP_SECONDS = 2.0
RATIO_TARGET = 0.8
P99_TARGET_MS = 50.0


def run(env: BenchEnv) -> list[Figure]:
    wanted = os.environ.get("BENCH_SERVICES")
    writes = [w for w in WRITES if not wanted or w.service in wanted.split(",")]
    prefix = env.topics()
    figures: list[Figure] = []
    for write in writes:
        figures += _measure(env, write, prefix)
    return figures


def _measure(env: BenchEnv, write: Write, prefix: str) -> list[Figure]:
    service_db = env.database(write.package)
    baseline_db = env.database(write.package)
    service = env.start_service(write.package, database=service_db, topic_prefix=prefix)
    baseline = env.start_app(
        "bench.baseline:create_app",
        name=f"baseline-{write.baseline_kind}",
        settings={"QA_DATABASE_URL": baseline_db, "BENCH_BASELINE_KIND": write.baseline_kind},
    )
    token = env.token(write.scope)
    body = write.body()
    seconds = env.seconds(SECONDS)

    def load(target: Process, duration: float) -> tuple[LoadResult, float]:
        """The load's figures, and the target's CPU time per request in microseconds. The
        service's includes its relay publishing what the run wrote, so the next run starts
        with an empty outbox and does not pay for this one."""
        cpu = target.cpu_seconds()
        result = wrk_post(
            env, target.url, write.path, body, token, connections=CONNECTIONS, seconds=duration
        )
        if target is service:
            _wait_for_relay(service_db)
        return result, (target.cpu_seconds() - cpu) / max(1, result.requests) * 1e6

    try:
        for target in (baseline, service):
            load(target, min(WARM_UP_SECONDS, seconds))
        ours: list[tuple[LoadResult, float]] = []
        theirs: list[tuple[LoadResult, float]] = []
        for attempt in range(env.repeats):
            profiler = _profile(baseline, f"baseline-{write.baseline_kind}", attempt)
            theirs.append(load(baseline, seconds))
            if profiler is not None:
                profiler.wait(timeout=60)
            profiler = _profile(service, write.service, attempt)
            ours.append(load(service, seconds))
            if profiler is not None:
                profiler.wait(timeout=60)
    finally:
        service.stop()
        baseline.stop()

    cpu = Figure(
        f"write_path/{write.service}",
        "CPU us/req",
        [c for _, c in ours],
        baseline_runs=[c for _, c in theirs],
        note="the Python process's CPU (relay included), not PostgreSQL's",
    )
    ours_ = [r for r, _ in ours]
    theirs_ = [r for r, _ in theirs]
    name = f"write_path/{write.service}"
    rps = Figure(
        name,
        "req/s",
        [r.rps for r in ours_],
        target=f">= {RATIO_TARGET}x baseline",
        baseline_runs=[r.rps for r in theirs_],
    )
    rps.met = rps.ratio is not None and rps.ratio >= RATIO_TARGET
    p50 = Figure(
        name, "p50 ms", [r.p50_ms for r in ours_], baseline_runs=[r.p50_ms for r in theirs_]
    )
    p99 = Figure(
        name,
        "p99 ms",
        [r.p99_ms for r in ours_],
        target=f"<= {P99_TARGET_MS:.0f} ms",
        baseline_runs=[r.p99_ms for r in theirs_],
    )
    p99.met = p99.median <= P99_TARGET_MS
    errors = Figure(
        name,
        "errors",
        [float(r.errors) for r in ours_],
        target="0",
        baseline_runs=[float(r.errors) for r in theirs_],
        note=f"{CONNECTIONS} connections, {seconds:.0f} s per run",
    )
    errors.met = max(errors.runs) == 0
    return [rps, p50, p99, errors, cpu]


def _wait_for_relay(dsn: str, timeout: float = 120.0) -> None:
    """Let the relay publish what the last run wrote, so that a run does not pay for the
    one before it."""

    async def backlog() -> int:
        conn = await asyncpg.connect(dsn)
        try:
            deadline = time.monotonic() + timeout
            while True:
                count: int = await conn.fetchval(
                    "SELECT count(*) FROM outbox WHERE published_at IS NULL"
                )
                if count == 0 or time.monotonic() > deadline:
                    return count
                await asyncio.sleep(0.2)
        finally:
            await conn.close()

    left = asyncio.run(backlog())
    if left:
        raise RuntimeError(f"the relay left {left} outbox rows unpublished after {timeout:.0f}s")


def _profile(target: Process, name: str, attempt: int) -> subprocess.Popen[bytes] | None:
    """py-spy on the first measured run (BENCH_PROFILE=1), sampling without pausing it."""
    if attempt or os.environ.get("BENCH_PROFILE", "") in ("", "0"):
        return None
    out = RESULTS / "profiles" / f"{name}.collapsed.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "--pid",
            str(target.pid),
            "--duration",
            "10",
            "--rate",
            "100",
            "--nonblocking",
            "--format",
            "raw",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
