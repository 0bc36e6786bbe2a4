"""Where a write service's CPU goes under the write-path load: `python -m bench.profile
feedback-service [--seconds 20] [--baseline]` starts the service (or its baseline) on a
throwaway database, loads it with wrk as the write-path benchmark does, samples it with py-spy
meanwhile, and prints CPU microseconds per request split by what the time was spent in.
The raw samples (collapsed stacks) stay in bench/results/profiles/ for a flame graph.

`python -m bench.profile --summarise FILE US_PER_REQUEST` prints the split of a file already
recorded (e.g. by `BENCH_PROFILE=1 make bench`)."""

from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys
from pathlib import Path

from bench.env import BenchEnv
from bench.load import wrk_post
from bench.results import RESULTS
from bench.write_path import CONNECTIONS
from bench.writes import WRITES

# Each sample goes to the category of the innermost frame that matches one (first match in
# this order for that frame).
CATEGORIES = [
    ("relay and Kafka producer", r"OutboxRelay|aiokafka"),
    ("PostgreSQL statements (asyncpg)", r"asyncpg/"),
    ("sending the response (uvicorn)", r"RequestResponseCycle\.send"),
    (
        "events (envelope, payload)",
        r"new_event|CloudEvent|qaf_shared/events/|_service/events\.py|_event \(",
    ),
    ("response shaping", r"_out \(|to_response|json_response|resource_response"),
    ("auth", r"http/auth\.py|HTTPBearer"),
    ("FastAPI parameters and body", r"solve_dependencies|request_body_to_args|_params_to_args"),
    ("Prometheus", r"prometheus_client"),
    ("structlog", r"structlog"),
    ("qaf middleware", r"qaf_shared/http/middleware"),
    ("Idempotency-Key", r"http/idempotency\.py"),
    ("service code", r"_service/|bench/baseline"),
    ("HTTP parsing (uvicorn)", r"httptools_impl"),
    ("Starlette/FastAPI routing and middleware", r"starlette/|fastapi/"),
    ("event loop", r"asyncio|uvloop|Runner\.run"),
]


def summarise(path: Path, us_per_request: float) -> str:
    """The split of the main thread's samples, in microseconds per request."""
    counts: collections.Counter[str] = collections.Counter()
    total = 0
    compiled = [(name, re.compile(pattern)) for name, pattern in CATEGORIES]
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if "Thread._bootstrap" in stack:  # worker threads: idle in this workload
            continue
        total += int(count)
        category = "other"
        for frame in reversed(stack.split(";")):
            hit = next((name for name, pattern in compiled if pattern.search(frame)), None)
            if hit:
                category = hit
                break
        counts[category] += int(count)
    lines = [f"{path.name}: {us_per_request:.0f} us CPU per request, {total} samples"]
    for name, n in counts.most_common():
        lines.append(f"  {name:42s} {n / total * 100:5.1f}%  {n / total * us_per_request:6.0f} us")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("service", nargs="?", choices=[w.service for w in WRITES])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--baseline", action="store_true", help="profile the baseline app")
    parser.add_argument("--summarise", nargs=2, metavar=("FILE", "US_PER_REQUEST"))
    args = parser.parse_args()
    if args.summarise:
        print(summarise(Path(args.summarise[0]), float(args.summarise[1])))
        return
    if not args.service:
        parser.error("name a service (or --summarise FILE US)")
    write = next(w for w in WRITES if w.service == args.service)
    with BenchEnv() as env:
        db = env.database(write.package)
        if args.baseline:
            name = f"baseline-{write.baseline_kind}"
            target = env.start_app(
                "bench.baseline:create_app",
                name=name,
                settings={"QA_DATABASE_URL": db, "BENCH_BASELINE_KIND": write.baseline_kind},
            )
        else:
            name = write.service
            target = env.start_service(write.package, database=db, topic_prefix=env.topics())
        token = env.token(write.scope)

        def load(seconds: float) -> int:
            result = wrk_post(
                env,
                target.url,
                write.path,
                write.body(),
                token,
                connections=CONNECTIONS,
                seconds=seconds,
            )
            print(
                f"{name}: {result.rps:.0f} req/s, p50 {result.p50_ms:.1f} ms, "
                f"p99 {result.p99_ms:.1f} ms, errors {result.errors}",
                file=sys.stderr,
            )
            return result.requests

        load(2)
        out = RESULTS / "profiles" / f"{name}.collapsed.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        spy = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--pid",
                str(target.pid),
                "--duration",
                str(round(args.seconds)),
                "--rate",
                "250",
                "--nonblocking",
                "--format",
                "raw",
                "--output",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        cpu = target.cpu_seconds()
        requests = load(args.seconds)
        us = (target.cpu_seconds() - cpu) / max(1, requests) * 1e6
        spy.wait(timeout=60)
    print(summarise(out, us))


if __name__ == "__main__":
    main()
