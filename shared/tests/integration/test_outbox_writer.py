"""The outbox writer against real PostgreSQL: what its rows hold, whichever way they go in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from qaf_shared.database import connect
from qaf_shared.events.envelope import CloudEvent
from qaf_shared.outbox import add_events, collecting, insert_rows_sql, rows_param
from qaf_shared.testing.fixtures import DatabaseFactory

# The statement the writer used before its rows went as one JSON text: six arrays, one element
# per event. The rows must be the same, byte for byte, whatever carries them.
_SIX_ARRAYS = """
INSERT INTO outbox (id, aggregatetype, aggregateid, type, tenant, payload)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
"""
_ROWS = """
SELECT id, aggregatetype, aggregateid, type, tenant, payload::text AS payload FROM outbox
ORDER BY seq
"""

_AWKWARD: list[dict[str, Any]] = [
    {"audit_id": str(uuid.UUID(int=1)), "team": "THA-CP1", "n": 0, "flag": True},
    {"text": 'quotes " and \\ backslashes,\nnewlines\tand tabs', "empty": "", "list": []},
    {"unicode": "é ñ ü 😀 \u2028 \u0001", "nested": {"a": [1, 2.5, {"b": None}], "c": {}}},
    {"floats": [0.1, 1e-7, 1.5e300, -0.0, 123456789.123456789], "big": 2**62, "neg": -(2**53)},
]


def _events(tenant: str = "886") -> list[CloudEvent]:
    return [
        CloudEvent(
            id=uuid.uuid4(),
            source="/test",
            type="uk.gov.qa.audit.submitted.v1",
            time=datetime(2026, 5, 1, 12, 0, 0, n, tzinfo=UTC),
            subject=str(uuid.uuid4()),
            tenant=tenant,
            data=data,
        )
        for n, data in enumerate(_AWKWARD * 3)
    ]


async def _rows(dsn: str, events: list[CloudEvent], *, old: bool) -> list[tuple[Any, ...]]:
    conn = await connect(dsn)
    try:
        async with conn.transaction():
            if old:
                await conn.execute(
                    _SIX_ARRAYS,
                    [e.id for e in events],
                    ["audit" for _ in events],
                    [e.subject for e in events],
                    [e.type for e in events],
                    [e.tenant for e in events],
                    [e.to_json() for e in events],
                )
            else:
                await add_events(conn, events)
        return [tuple(r) for r in await conn.fetch(_ROWS)]
    finally:
        await conn.close()


async def test_outbox_rows_are_byte_identical_to_the_six_array_insert_and_in_event_order(
    make_database: DatabaseFactory,
) -> None:
    events = _events()
    new = await _rows(await make_database("audit_service"), events, old=False)
    old = await _rows(await make_database("audit_service"), events, old=True)
    assert new == old
    assert [r[0] for r in new] == [e.id for e in events]


async def test_events_collected_for_the_write_s_last_statement_land_as_add_events_writes_them(
    make_database: DatabaseFactory,
) -> None:
    events = _events()
    direct = await _rows(await make_database("audit_service"), events, old=False)
    conn = await connect(await make_database("audit_service"))
    try:
        async with conn.transaction():
            with collecting(conn) as collected:
                await add_events(conn, events)
            assert await conn.fetchval("SELECT count(*) FROM outbox") == 0
            await conn.execute(insert_rows_sql(1), rows_param(collected))
        assert [tuple(r) for r in await conn.fetch(_ROWS)] == direct
    finally:
        await conn.close()
