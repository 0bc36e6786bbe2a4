"""Write events to the outbox inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from qaf_shared.events.catalogue import spec_for
from qaf_shared.events.envelope import CloudEvent

_INSERT = """
INSERT INTO outbox (id, aggregatetype, aggregateid, type, tenant, payload)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
"""


async def add_events(conn: asyncpg.Connection, events: Sequence[CloudEvent]) -> None:
    """Append events to the outbox in one statement. Must run inside the transaction that
    writes the domain rows: both commit or neither does. A statement trigger NOTIFYs the
    relay, and PostgreSQL delivers that only on commit."""
    if not conn.is_in_transaction():
        raise RuntimeError("outbox writes belong inside the domain transaction")
    specs = [spec_for(e.type) for e in events]
    await conn.execute(
        _INSERT,
        [e.id for e in events],
        [s.aggregate_type for s in specs],
        [e.subject for e in events],
        [e.type for e in events],
        [e.tenant for e in events],
        [e.to_json() for e in events],
    )
