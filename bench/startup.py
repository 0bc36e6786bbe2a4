"""6. Start-up: `make run` from a fresh clone on a machine that has never run it (cold), and
again once it has (warm). Opt-in (BENCH_STARTUP=1), because `make run` takes the fixed ports
(8001-8005, Kafka 9092/9093, PostgreSQL 5432): it is measured only when none of them answers,
so stop the development system first (`make stop` in the checkout that runs it).

Cold: `git clone` of this checkout's HEAD into a temporary directory, with uv's cache and
Maven's local repository pointed at empty temporary directories (UV_CACHE_DIR,
MAVEN_OPTS=-Dmaven.repo.local=...), so every Python wheel and Kafka jar is downloaded again;
the Debian packages (PostgreSQL, Java, Maven) and uv itself stay installed. Then `make stop`,
and warm: `make run` again in the same clone, `make stop` after each. Everything is stopped
at the end; `make run` in your checkout brings the development system back.

Targets: cold <= 5 min, warm <= 30 s."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from bench.env import BenchEnv, answers_tcp
from bench.results import Figure
from qaf_shared.settings import REPO_ROOT

FIXED_PORTS = (8001, 8002, 8003, 8004, 8005, 9092, 9093, 5432)
COLD_TARGET_S = 300.0
WARM_TARGET_S = 30.0
TIMEOUT_S = 900.0


def run(env: BenchEnv) -> list[Figure]:
    cold = Figure("startup", "make run cold s", [], target="<= 300 s")
    warm = Figure("startup", "make run warm s", [], target="<= 30 s")
    if os.environ.get("BENCH_STARTUP", "") in ("", "0"):
        cold.note = warm.note = "skipped: opt-in (BENCH_STARTUP=1, with ports free)"
        return [cold, warm]
    busy = [p for p in FIXED_PORTS if answers_tcp("127.0.0.1", p)]
    if busy:
        cold.note = warm.note = f"skipped: ports in use ({', '.join(map(str, busy))})"
        return [cold, warm]

    with tempfile.TemporaryDirectory(prefix="qa-startup-") as tmp:
        clone = Path(tmp) / "qa"
        subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True)
        fresh = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("QA_", "VIRTUAL_ENV"))},
            "UV_CACHE_DIR": str(Path(tmp) / "uv-cache"),
            "MAVEN_OPTS": f"-Dmaven.repo.local={Path(tmp) / 'm2'}",
        }
        try:
            cold.runs.append(_timed_make_run(clone, fresh))
            _make(clone, "stop", fresh)
            for _ in range(env.repeats):
                warm.runs.append(_timed_make_run(clone, fresh))
                _make(clone, "stop", fresh)
        finally:
            _make(clone, "stop", fresh, check=False)
    cold.met = cold.median <= COLD_TARGET_S
    warm.met = warm.median <= WARM_TARGET_S
    cold.note = "fresh clone, empty uv cache and Maven repository; demo data loaded"
    warm.note = "the same clone again after make stop"
    return [cold, warm]


def _timed_make_run(clone: Path, env: dict[str, str]) -> float:
    started = time.monotonic()
    _make(clone, "run", env)
    return time.monotonic() - started


def _make(clone: Path, target: str, env: dict[str, str], *, check: bool = True) -> None:
    result = subprocess.run(
        ["make", target],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    if check and result.returncode != 0:
        raise RuntimeError(
            f"make {target} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
