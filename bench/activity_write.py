"""activity-service's write path: `POST /v1/activity` with 1,000-record batches of realistic
new records (`qaf_shared.testing.activity_returns`), each batch new children so every record
is ACCEPTED, from 4 concurrent clients in a process of their own (bench/activity_client.py),
for 20 s a run; the real service (uvicorn, relay on, its own database and topics) with real
auth, a unique Idempotency-Key per batch, validation, the children's histories, derivation,
the rows and an outbox row per record. Then the UNCHANGED case: the same batches again.

Baseline, alternating with the service in the same invocation: bench/activity_baseline.py, the
same body written as the same rows and outbox rows with one COPY each, nothing else.

Targets: >= 5,000 records/s (issue 14), and >= 0.8x the baseline's records/s (issue 18)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bench.activity_client import GENERATED_PREFIX
from bench.env import BenchEnv, Process
from bench.results import Figure
from bench.write_path import _profile, _wait_for_relay
from qaf_shared.testing.activity_returns import child_refs, generate, rest_batches

PACKAGE = "activity_service"
PATH = "/v1/activity"
BATCH = 1000
CLIENTS = 4
SECONDS = 20.0
WARM_UP_SECONDS = 3.0
RECORDS_TARGET = 5000.0
RATIO_TARGET = 0.8
# About 12 records a child: 12,000 children are 140 batches, which a run goes through in laps
# (renamed children each lap), so generating them is a few seconds whatever the run's length.
CHILDREN = 12_000
NAME = "activity_write/activity-service"


@dataclass(frozen=True)
class Run:
    records_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-200 answers, failed requests, records not answered as expected
    batches: int
    cpu_us_per_record: float


def batches_file(children: int = CHILDREN, size: int = BATCH) -> Path:
    """The generated REST records of `children` children (no faults), in the generator's order,
    cut into bodies of exactly `size` records, one JSON body a line. A child's records can
    straddle two batches, as a feed's would."""
    records: list[dict[str, object]] = []
    kids = list(generate(seed=14, refs=child_refs(children, prefix=GENERATED_PREFIX)))
    for step in rest_batches(kids, size=size):
        records.extend(step.records)
    whole = len(records) - len(records) % size
    with tempfile.NamedTemporaryFile("wb", suffix=".jsonl", delete=False) as f:
        for start in range(0, whole, size):
            f.write(orjson.dumps({"records": records[start : start + size]}) + b"\n")
    return Path(f.name)


def _post(
    target: Process,
    token: str,
    batches: Path,
    *,
    tag: str,
    seconds: float,
    limit: int,
    expect: str,
) -> dict[str, Any]:
    spec = {
        "url": target.url,
        "path": PATH,
        "token": token,
        "batches": str(batches),
        "tag": tag,
        "seconds": seconds,
        "limit": limit,
        "clients": CLIENTS,
        "expect": expect,
    }
    out = subprocess.run(
        [sys.executable, "-m", "bench.activity_client", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"the activity client printed no figures:\n{out}")
    result: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
    return result


def run(env: BenchEnv) -> list[Figure]:
    batches = batches_file()
    try:
        return _measure(env, batches)
    finally:
        batches.unlink(missing_ok=True)


def _measure(env: BenchEnv, batches: Path) -> list[Figure]:
    prefix = env.topics()
    service_db = env.database(PACKAGE)
    baseline_db = env.database(PACKAGE)
    service = env.start_service(
        PACKAGE, database=service_db, topic_prefix=prefix, settings={"QA_RELAY_ENABLED": "true"}
    )
    baseline = env.start_app(
        "bench.activity_baseline:create_app",
        name="baseline-activity",
        settings={"QA_DATABASE_URL": baseline_db},
    )
    token = env.token("activity:write")
    seconds = env.seconds(SECONDS)
    many = 10**9

    def load(target: Process, tag: str, duration: float, limit: int, expect: str) -> Run:
        """A run's figures; the service's CPU includes its relay publishing the run's events,
        so the next run starts with an empty outbox and does not pay for this one."""
        cpu = target.cpu_seconds()
        got = _post(target, token, batches, tag=tag, seconds=duration, limit=limit, expect=expect)
        if target is service:
            _wait_for_relay(service_db)
        return Run(
            records_per_s=got["records_per_s"],
            p50_ms=got["p50_ms"],
            p99_ms=got["p99_ms"],
            errors=got["errors"] + got["record_errors"],
            batches=got["batches"],
            cpu_us_per_record=(target.cpu_seconds() - cpu) / max(1, got["records"]) * 1e6,
        )

    ours: list[Run] = []
    theirs: list[Run] = []
    same: list[Run] = []
    try:
        warm = min(WARM_UP_SECONDS, seconds)
        load(baseline, "W", warm, many, "ACCEPTED")
        load(service, "W", warm, many, "ACCEPTED")
        for attempt in range(env.repeats):
            tag = f"R{attempt}"
            theirs.append(load(baseline, tag, seconds, many, "ACCEPTED"))
            profiler = _profile(service, "activity-service", attempt)
            ours.append(load(service, tag, seconds, many, "ACCEPTED"))
            if profiler is not None:
                profiler.wait(timeout=60)
            # The same batches again, as many as were accepted: every record UNCHANGED.
            same.append(load(service, tag, seconds, ours[-1].batches, "UNCHANGED"))
    finally:
        service.stop()
        baseline.stop()
    return _figures(ours, theirs, same, seconds)


def _figures(ours: list[Run], theirs: list[Run], same: list[Run], seconds: float) -> list[Figure]:
    rps = Figure(
        NAME,
        "records/s",
        [r.records_per_s for r in ours],
        target=f">= {RECORDS_TARGET:,.0f}",
        baseline_runs=[r.records_per_s for r in theirs],
        note=f"{BATCH:,}-record batches of new children, {CLIENTS} clients, {seconds:.0f} s",
    )
    rps.met = rps.median >= RECORDS_TARGET
    ratio = Figure(
        NAME,
        "records/s vs baseline",
        rps.runs,
        target=f">= {RATIO_TARGET}x baseline",
        baseline_runs=rps.baseline_runs,
        note="the raw COPY baseline, runs alternating in this invocation",
    )
    ratio.met = (ratio.ratio or 0.0) >= RATIO_TARGET
    errors = Figure(
        NAME,
        "errors",
        [float(r.errors) for r in ours + same],
        target="0",
        baseline_runs=[float(r.errors) for r in theirs],
        note="failed batches and records not ACCEPTED (UNCHANGED when sent again)",
    )
    errors.met = max(errors.runs) == 0
    unchanged = Figure(
        f"{NAME} unchanged",
        "records/s",
        [r.records_per_s for r in same],
        baseline_runs=[r.records_per_s for r in theirs],
        note="the same batches again: all UNCHANGED, nothing written or published",
    )
    return [
        rps,
        ratio,
        Figure(
            NAME,
            "batch p50 ms",
            [r.p50_ms for r in ours],
            baseline_runs=[r.p50_ms for r in theirs],
        ),
        Figure(
            NAME,
            "batch p99 ms",
            [r.p99_ms for r in ours],
            baseline_runs=[r.p99_ms for r in theirs],
        ),
        Figure(
            NAME,
            "CPU us/record",
            [r.cpu_us_per_record for r in ours],
            baseline_runs=[r.cpu_us_per_record for r in theirs],
            note="the Python process's CPU (relay included), not PostgreSQL's",
        ),
        errors,
        unchanged,
        Figure(
            f"{NAME} unchanged",
            "batch p99 ms",
            [r.p99_ms for r in same],
        ),
        Figure(
            f"{NAME} unchanged",
            "CPU us/record",
            [r.cpu_us_per_record for r in same],
        ),
    ]
