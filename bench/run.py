"""`make bench` (`python -m bench.run [NAME...]`): run each benchmark of the registry in one
environment, print the table and write bench/results/latest.json.

A benchmark is a module `bench.<name>` with `run(env: BenchEnv) -> list[Figure]`. One that is
not there (yet) is reported as such; one that fails is reported with its error and the others
still run; the exit status is 1 when any failed (a target missed is a figure, not a failure).

    BENCH_ONLY=write_path,end_to_end   or   python -m bench.run write_path end_to_end
    BENCH_QUICK=1                      short runs: a smoke test of the benchmarks themselves
    BENCH_REPEATS=5                    runs per figure (default 3)
    BENCH_STARTUP=1                    also measure `make run` cold and warm (see startup.py)
"""

from __future__ import annotations

import importlib
import os
import sys
import time
import traceback

from bench.env import BenchEnv
from bench.results import RESULTS, Figure, table, write_latest

# In the order they run: start-up first, since it needs the fixed ports free before anything
# else starts PostgreSQL or Kafka.
REGISTRY = [
    "startup",
    "write_path",
    "activity_write",
    "end_to_end",
    "consumer",
    "rebuild",
    "reads",
    "pack",
    "activity_load",
]


def _selected(argv: list[str]) -> list[str]:
    names = argv or [n for n in os.environ.get("BENCH_ONLY", "").split(",") if n]
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        sys.exit(f"unknown benchmark(s) {unknown}; the registry has {REGISTRY}")
    return names or REGISTRY


def _missing(name: str, why: str) -> Figure:
    return Figure(f"{name}", "-", [], note=why)


def main(argv: list[str]) -> int:
    figures: list[Figure] = []
    failed = False
    with BenchEnv() as env:
        for name in _selected(argv):
            try:
                module = importlib.import_module(f"bench.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"bench.{name}":
                    raise
                figures.append(_missing(name, f"not present: no module bench/{name}.py"))
                continue
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            started = time.monotonic()
            try:
                found = module.run(env)
            except Exception as exc:
                failed = True
                traceback.print_exc()
                figures.append(_missing(name, f"failed: {type(exc).__name__}: {exc}"[:200]))
                continue
            figures += found
            print(
                f"bench: {name} done in {time.monotonic() - started:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    print(table(figures))
    write_latest(figures)
    print(f"\nwritten: {(RESULTS / 'latest.json').relative_to(RESULTS.parent.parent)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
