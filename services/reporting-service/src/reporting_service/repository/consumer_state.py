"""What the consumer has applied to a generation, from its own tables there
(qaf_shared.consumer): events and dead letters per tenant and topic, and the offsets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True)
class TopicStats:
    topic: str
    applied: int
    dead_letters: int
    newest_event_time: datetime | None


async def topic_stats(
    conn: asyncpg.Connection, schema: str, tenant: str | None
) -> list[TopicStats]:
    """Per topic: events applied, dead letters and the newest event time, of one tenant or
    (None) of every tenant, dead letters whose tenant could not be read included."""
    rows = await conn.fetch(
        "SELECT topic, sum(applied)::bigint AS applied, sum(dead_letters)::bigint AS dead,"
        f" max(newest_event_time) AS newest FROM {schema}.consumer_stats"
        " WHERE $1::text IS NULL OR tenant = $1 GROUP BY topic",
        tenant,
    )
    return [TopicStats(r["topic"], r["applied"], r["dead"], r["newest"]) for r in rows]


async def next_offsets(conn: asyncpg.Connection, schema: str) -> dict[tuple[str, int], int]:
    """(topic, partition) -> the next offset the generation would apply."""
    rows = await conn.fetch(f"SELECT topic, partition, next_offset FROM {schema}.partition_offsets")
    return {(r["topic"], r["partition"]): r["next_offset"] for r in rows}
