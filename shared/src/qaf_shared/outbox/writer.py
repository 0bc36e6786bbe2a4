"""Write events to the outbox inside the caller's transaction."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from typing import Any

import asyncpg

from qaf_shared.events.catalogue import spec_for
from qaf_shared.events.envelope import CloudEvent


def insert_rows_sql(first: int = 1) -> str:
    """The outbox rows from six parallel arrays, parameters $first..$first+5, in the events'
    order; also the body of a data-modifying CTE when they go with another row's statement."""
    p = [f"${first + i}" for i in range(6)]
    return f"""
INSERT INTO outbox (id, aggregatetype, aggregateid, type, tenant, payload)
SELECT * FROM unnest({p[0]}::uuid[], {p[1]}::text[], {p[2]}::text[], {p[3]}::text[],
    {p[4]}::text[], {p[5]}::jsonb[])
"""


_INSERT = insert_rows_sql()

_collected: ContextVar[tuple[asyncpg.Connection, list[CloudEvent]] | None] = ContextVar(
    "outbox_collected", default=None
)


async def add_events(conn: asyncpg.Connection, events: Sequence[CloudEvent]) -> None:
    """Append events to the outbox in one statement. Must run inside the transaction that
    writes the domain rows: both commit or neither does. A statement trigger NOTIFYs the
    relay, and PostgreSQL delivers that only on commit.

    Inside `collecting()` the events are kept instead, for the caller to write with its own
    last statement of the same transaction (still after the domain rows were written and
    locked, so the order per aggregate holds)."""
    if not conn.is_in_transaction():
        raise RuntimeError("outbox writes belong inside the domain transaction")
    collected = _collected.get()
    if collected is not None and collected[0] is conn:
        collected[1].extend(events)
        return
    await conn.execute(_INSERT, *row_arrays(events))


@contextlib.contextmanager
def collecting(conn: asyncpg.Connection) -> Iterator[list[CloudEvent]]:
    """Within this block (this task and tasks it starts), `add_events` on `conn` collects the
    events in the list given instead of writing them: the write's last statement writes them
    together with its Idempotency-Key row, one round trip fewer per write. Not for a block
    that rolls back to a savepoint after adding events (no write does)."""
    events: list[CloudEvent] = []
    token = _collected.set((conn, events))
    try:
        yield events
    finally:
        _collected.reset(token)


def row_arrays(events: Sequence[CloudEvent]) -> tuple[list[Any], ...]:
    """The six arrays `insert_rows_sql` takes."""
    specs = [spec_for(e.type) for e in events]
    return (
        [e.id for e in events],
        [s.aggregate_type for s in specs],
        [e.subject for e in events],
        [e.type for e in events],
        [e.tenant for e in events],
        [e.to_json() for e in events],
    )
