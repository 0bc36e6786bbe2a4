"""Write events to the outbox inside the caller's transaction."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from typing import Any, Protocol

import asyncpg

from qaf_shared.events.catalogue import spec_for
from qaf_shared.tracing import trace_context


class OutboxEvent(Protocol):
    """What the outbox takes of an event: a `CloudEvent`, or a `PreparedEvent` already in its
    JSON form (whose id is its text)."""

    @property
    def id(self) -> uuid.UUID | str: ...
    @property
    def type(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def tenant(self) -> str: ...
    def to_json(self) -> dict[str, Any]: ...


def insert_rows_sql(first: int = 1) -> str:
    """The outbox rows from one JSON array, parameter $first (`rows_param`), in the events'
    order; also the body of a data-modifying CTE when they go with another row's statement.
    One JSON text costs asyncpg one encode where six parallel arrays cost two type checks and
    an encode per element (a thousand events' arrays were a fifth of activity-service's
    batch); PostgreSQL reads the rows from it itself, in order of their place in it."""
    return f"""
INSERT INTO outbox (id, aggregatetype, aggregateid, type, tenant, payload)
SELECT (e->1->>'id')::uuid, e->>0, e->1->>'subject', e->1->>'type', e->1->>'tenant', e->1
FROM jsonb_array_elements(${first}::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY n
"""


_INSERT = insert_rows_sql()

_collected: ContextVar[tuple[asyncpg.Connection, list[OutboxEvent]] | None] = ContextVar(
    "outbox_collected", default=None
)


async def add_events(conn: asyncpg.Connection, events: Sequence[OutboxEvent]) -> None:
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
    await conn.execute(_INSERT, rows_param(events))


@contextlib.contextmanager
def collecting(conn: asyncpg.Connection) -> Iterator[list[OutboxEvent]]:
    """Within this block (this task and tasks it starts), `add_events` on `conn` collects the
    events in the list given instead of writing them: the write's last statement writes them
    together with its Idempotency-Key row, one round trip fewer per write. Not for a block
    that rolls back to a savepoint after adding events (no write does)."""
    events: list[OutboxEvent] = []
    token = _collected.set((conn, events))
    try:
        yield events
    finally:
        _collected.reset(token)


def rows_param(events: Sequence[OutboxEvent]) -> list[tuple[str, dict[str, Any]]]:
    """The parameter `insert_rows_sql` takes: a row per event, its aggregate type and the
    event's JSON form (the pool's jsonb codec sends them as one JSON text). The row's id,
    aggregate id (the subject), type and tenant are read from the event's JSON, where they
    are already: a thousand events' rows once carried each twice. Written inside a traced
    request, each event carries its span's context as the CloudEvents `traceparent` (and
    `tracestate`) attributes, which the relay and the consumer continue (qaf_shared.tracing)."""
    traced = trace_context()
    return [
        (
            spec_for(e.type).aggregate_type,
            {**e.to_json(), **traced} if traced else e.to_json(),
        )
        for e in events
    ]
