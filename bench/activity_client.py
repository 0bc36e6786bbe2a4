"""The load of `activity_write`, in a process of its own so that the client's CPU is not the
service's: `python -m bench.activity_client SPEC_JSON` posts 1,000-record batches from a
few concurrent clients (httpx, one connection each) and prints one line
`BENCH_JSON {...}` with the figures.

SPEC_JSON: `url`, `path`, `token`, `batches` (a file of JSON bodies, one a line, whose
records' child refs start with `GENERATED_PREFIX`), `tag` (this run's child-ref prefix: the
same tag sends the same children again), `seconds`, `limit` (at most this many batches),
`clients`, `expect` (the status every record should be answered with).

Batch `i` is body `i mod len(bodies)` with its child refs renamed to `<tag>L<lap>-...`, so the
file is reused for as long as a run lasts and every lap brings children nobody has sent."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson

GENERATED_PREFIX = "BX"
_REF = b'"child_ref":"' + GENERATED_PREFIX.encode()


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _load(spec: dict[str, Any], bodies: list[bytes]) -> dict[str, Any]:
    tag: str = spec["tag"]
    expect = f'"status":"{spec["expect"]}"'.encode()
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {spec['token']}",
        "X-Actor": "bench-actor",
    }
    url = spec["url"] + spec["path"]
    nonce = uuid.uuid4().hex[:12]
    latencies: list[float] = []
    counts = {"batches": 0, "records": 0, "errors": 0, "record_errors": 0}
    next_batch = 0
    start = time.monotonic()
    deadline = start + float(spec["seconds"])

    def body(i: int) -> bytes:
        lap, j = divmod(i, len(bodies))
        return bodies[j].replace(_REF, f'"child_ref":"{tag}L{lap}-'.encode())

    async def client(number: int) -> None:
        nonlocal next_batch
        async with httpx.AsyncClient(timeout=120) as http:
            while time.monotonic() < deadline and next_batch < spec["limit"]:
                i, next_batch = next_batch, next_batch + 1
                content = body(i)
                sent = content.count(b'"child_ref"')
                began = time.monotonic()
                try:
                    answer = await http.post(
                        url,
                        content=content,
                        headers={**headers, "Idempotency-Key": f"{nonce}-{number}-{i}"},
                    )
                except httpx.HTTPError:
                    counts["errors"] += 1
                    continue
                latencies.append((time.monotonic() - began) * 1000)
                if answer.status_code != 200:
                    counts["errors"] += 1
                    continue
                counts["batches"] += 1
                counts["records"] += sent
                counts["record_errors"] += sent - answer.content.count(expect)

    await asyncio.gather(*(client(n) for n in range(int(spec["clients"]))))
    seconds = time.monotonic() - start
    return {
        **counts,
        "seconds": seconds,
        "records_per_s": counts["records"] / seconds if seconds else 0.0,
        "p50_ms": statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": _quantile(latencies, 0.99),
    }


def main(argv: list[str]) -> None:
    spec = json.loads(argv[0])
    bodies = [b for b in Path(spec["batches"]).read_bytes().split(b"\n") if b]
    print("BENCH_JSON " + orjson.dumps(asyncio.run(_load(spec, bodies))).decode(), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
