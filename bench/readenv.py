"""What the read-side benchmarks (consumer, rebuild, reads) share on top of `bench.env`: the
environment when a module runs alone (`python -m bench.consumer`), and one topic set of the
realistic event mix per environment, filled once and topped up."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Iterator

import asyncpg

from bench.env import KAFKA, KAFKA_SETTINGS, BenchEnv

__all__ = [
    "KAFKA",
    "KAFKA_SETTINGS",
    "active_schema",
    "environment",
    "event_topics",
    "topic_events",
]


@contextlib.contextmanager
def environment(env: BenchEnv | None) -> Iterator[BenchEnv]:
    """The caller's environment (`make bench`), or a new one closed at the end."""
    if env is not None:
        yield env
        return
    with BenchEnv() as made:
        yield made


# One topic set per environment, filled once and topped up: the consumer benchmark needs
# 200,000 events on it, the rebuild 1,000,000, and producing them is the slow part.
# (The environment itself is kept with its entry, so that its id is not reused.)
_EVENT_TOPICS: dict[int, tuple[BenchEnv, str, int]] = {}


def event_topics(env: BenchEnv, at_least: int) -> str:
    """A topic prefix holding at least `at_least` events of the realistic mix."""
    from bench import eventmix

    _, prefix, held = _EVENT_TOPICS.get(id(env), (env, "", 0))
    if not prefix:
        prefix = env.topics()
    if held < at_least:
        # A top-up is new aggregates (another seed), after the ones already there.
        records = eventmix.stream(at_least - held, seed=1000 + held)
        started = time.monotonic()
        sent = asyncio.run(eventmix.produce(KAFKA_SETTINGS, prefix, records))
        print(
            f"bench: produced {sent:,} events in {time.monotonic() - started:.0f} s",
            file=sys.stderr,
        )
        held += sent
    _EVENT_TOPICS[id(env)] = (env, prefix, held)
    return prefix


def active_schema(dsn: str) -> str:
    async def read() -> str:
        conn = await asyncpg.connect(dsn)
        try:
            return str(await conn.fetchval("SELECT active_schema FROM projection_state"))
        finally:
            await conn.close()

    return asyncio.run(read())


def topic_events(env: BenchEnv) -> int:
    """How many events `event_topics` has put on this environment's topic set."""
    entry = _EVENT_TOPICS.get(id(env))
    return entry[2] if entry else 0
