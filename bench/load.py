"""Load from wrk (C, one thread, a Lua script for the body, token and Idempotency-Keys): cheap
enough that the service, not the load generator, is what runs out of CPU."""

from __future__ import annotations

import json
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.env import BenchEnv

POST_SCRIPT = Path(__file__).parent / "wrk" / "post.lua"


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    errors: int  # non-2xx/3xx answers, socket errors and timeouts
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_post(
    env: BenchEnv,
    url: str,
    path: str,
    body: dict[str, Any],
    token: str,
    *,
    connections: int = 32,
    seconds: float = 20.0,
) -> LoadResult:
    """POST `body` to `url + path` from `connections` connections for `seconds`."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(body, f)
        body_file = f.name
    try:
        out = subprocess.run(
            [
                env.wrk,
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "-s",
                str(POST_SCRIPT),
                url,
                "--",
                path,
                body_file,
                token,
                uuid.uuid4().hex[:12],
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        Path(body_file).unlink(missing_ok=True)
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no figures:\n{out}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    errors = sum(
        data[k]
        for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
    )
    return LoadResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=errors,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
    )
