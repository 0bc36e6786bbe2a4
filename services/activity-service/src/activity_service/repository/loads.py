"""SQL of the return loads: the jobs, their files in chunks, their errors, the queue a
worker claims from, and the records a load replaces."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from activity_service.domain.kinds import Kind
from activity_service.domain.loads import UNFINISHED, Counts, Status
from activity_service.domain.records import NaturalKey
from qaf_shared.http.list_query import ListQuery

# Woken on upload; the worker polls as well, in case a notification is missed.
NOTIFY_CHANNEL = "return_loads"

_UNFINISHED = [s.value for s in UNFINISHED]

_INSERT_CHUNK = "INSERT INTO return_files (load_id, part, seq, data) VALUES ($1, $2, $3, $4)"
_INSERT_LOAD = """
INSERT INTO return_loads (id, tenant, kind, year, parts, bytes_total, created_by_client,
    created_by_actor)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING *
"""
_NOTIFY = f"SELECT pg_notify('{NOTIFY_CHANNEL}', '')"
_GET = "SELECT * FROM return_loads WHERE tenant = $1 AND id = $2"
_CHUNK = "SELECT data FROM return_files WHERE load_id = $1 AND part = $2 AND seq = $3"

# Unfinished loads, oldest first, each only once every earlier load of the same return has
# finished: the loads of one return apply in the order they were uploaded.
_CANDIDATES = """
SELECT l.id FROM return_loads l
WHERE l.status = ANY($1::text[])
  AND NOT EXISTS (
    SELECT 1 FROM return_loads e
    WHERE e.tenant = l.tenant AND e.kind = l.kind AND e.year = l.year
      AND e.status = ANY($1::text[]) AND (e.created_at, e.id) < (l.created_at, l.id))
ORDER BY l.created_at, l.id LIMIT $2
"""
_TRY_LOCK = "SELECT pg_try_advisory_lock(hashtextextended('return_load:' || $1::text, 0))"
_UNLOCK = "SELECT pg_advisory_unlock(hashtextextended('return_load:' || $1::text, 0))"

# A run starts from the beginning, whatever an earlier run of a dead process had reached
# (its transaction rolled back with it).
_START = """
UPDATE return_loads SET status = 'VALIDATING', attempts = attempts + 1, bytes_read = 0,
    records_read = 0, records_total = NULL, accepted = 0, unchanged = 0, withdrawn = 0,
    rejected = 0, warnings = 0, started_at = now(), updated_at = now()
WHERE id = $1 AND status = ANY($2::text[])
RETURNING *
"""
_PROGRESS = """
UPDATE return_loads SET bytes_read = $2, records_read = $3, updated_at = now() WHERE id = $1
"""
_APPLYING = """
UPDATE return_loads SET status = 'APPLYING', records_total = $2, records_read = 0,
    bytes_read = $3, updated_at = now()
WHERE id = $1
"""
_FINISH = """
UPDATE return_loads SET status = $2, accepted = $3, unchanged = $4, withdrawn = $5,
    rejected = $6, warnings = $7, records_read = coalesce(records_total, records_read),
    finished_at = now(), updated_at = now()
WHERE id = $1
"""
_DROP_FILES = "DELETE FROM return_files WHERE load_id = $1"
_ERROR_COLUMNS = ("load_id", "seq", "severity", "location", "field", "rule", "message")
_ERRORS = """
SELECT seq, severity, location, field, rule, message FROM return_errors
WHERE load_id = $1 AND seq > $2 ORDER BY seq LIMIT $3
"""

# What the earlier loads of the same return supplied and no load or write has taken since:
# a REST write clears `load_id`, a later load of any return sets it to its own.
_REPLACED = """
SELECT kind, child_ref, key_date, plan_type FROM activity_records
WHERE tenant = $1 AND NOT withdrawn AND load_id IN (
    SELECT id FROM return_loads WHERE tenant = $1 AND kind = $2 AND year = $3 AND id <> $4)
ORDER BY child_ref, kind, key_date, plan_type
"""
# Records this load names but refuses keep their stored state and become this load's, so the
# load does not withdraw what it supplies (and the next load of the return can).
_KEEP = """
UPDATE activity_records r SET load_id = $2
FROM jsonb_to_recordset($4::jsonb) AS k(kind text, child_ref text, key_date date,
    plan_type text)
WHERE r.tenant = $1 AND r.kind = k.kind AND r.child_ref = k.child_ref
  AND r.key_date = k.key_date AND r.plan_type = k.plan_type AND NOT r.withdrawn
  AND r.load_id IN (
    SELECT id FROM return_loads WHERE tenant = $1 AND kind = $3 AND year = $5 AND id <> $2)
"""


async def add_chunk(
    conn: asyncpg.Connection, load_id: uuid.UUID, part: str, seq: int, data: bytes
) -> None:
    await conn.execute(_INSERT_CHUNK, load_id, part, seq, data)


async def create(
    conn: asyncpg.Connection,
    *,
    load_id: uuid.UUID,
    tenant: str,
    kind: str,
    year: int,
    parts: Mapping[str, Mapping[str, Any]],
    client: str,
    actor: str | None,
) -> asyncpg.Record:
    """The queued load (its chunks already written in the same transaction), and the
    notification that wakes a worker once it commits."""
    total = sum(int(p["bytes"]) for p in parts.values())
    row: asyncpg.Record = await conn.fetchrow(
        _INSERT_LOAD, load_id, tenant, kind, year, dict(parts), total, client, actor
    )
    await conn.execute(_NOTIFY)
    return row


async def get(conn: asyncpg.Connection, tenant: str, load_id: uuid.UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(_GET, tenant, load_id)
    return row


async def list_loads(
    conn: asyncpg.Connection, tenant: str, *, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[asyncpg.Record]:
    """One page of the tenant's loads, oldest first (`limit + 1` rows)."""
    return await ListQuery(tenant).page(
        conn, "SELECT * FROM return_loads", after=after, limit=limit
    )


async def errors(
    conn: asyncpg.Connection, load_id: uuid.UUID, *, after: int, limit: int
) -> list[asyncpg.Record]:
    """One page of a load's errors and warnings in file order (`limit + 1` rows)."""
    rows: list[asyncpg.Record] = await conn.fetch(_ERRORS, load_id, after, limit + 1)
    return rows


async def add_errors(
    conn: asyncpg.Connection, load_id: uuid.UUID, first_seq: int, rows: Sequence[Sequence[Any]]
) -> None:
    """Errors as (severity, location, field, rule, message), numbered from `first_seq`."""
    if rows:
        await conn.copy_records_to_table(
            "return_errors",
            records=[(load_id, first_seq + i, *row) for i, row in enumerate(rows)],
            columns=_ERROR_COLUMNS,
        )


async def delete_errors(conn: asyncpg.Connection, load_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM return_errors WHERE load_id = $1", load_id)


async def chunk(conn: asyncpg.Connection, load_id: uuid.UUID, part: str, seq: int) -> bytes | None:
    data: bytes | None = await conn.fetchval(_CHUNK, load_id, part, seq)
    return data


async def candidates(conn: asyncpg.Connection, limit: int = 20) -> list[uuid.UUID]:
    return [r["id"] for r in await conn.fetch(_CANDIDATES, _UNFINISHED, limit)]


async def try_lock(conn: asyncpg.Connection, load_id: uuid.UUID) -> bool:
    """Take the load's claim (a session lock: it goes when the connection or process dies)."""
    locked: bool = await conn.fetchval(_TRY_LOCK, str(load_id))
    return locked


async def unlock(conn: asyncpg.Connection, load_id: uuid.UUID) -> None:
    await conn.fetchval(_UNLOCK, str(load_id))


async def start(conn: asyncpg.Connection, load_id: uuid.UUID) -> asyncpg.Record | None:
    """Begin a run of a claimed load; None if the load finished meanwhile."""
    row: asyncpg.Record | None = await conn.fetchrow(_START, load_id, _UNFINISHED)
    return row


async def progress(
    conn: asyncpg.Connection, load_id: uuid.UUID, *, bytes_read: int, records_read: int
) -> None:
    await conn.execute(_PROGRESS, load_id, bytes_read, records_read)


async def applying(
    conn: asyncpg.Connection, load_id: uuid.UUID, *, records_total: int, bytes_read: int
) -> None:
    """The whole file is read: the load applies its records next."""
    await conn.execute(_APPLYING, load_id, records_total, bytes_read)


async def finish(
    conn: asyncpg.Connection, load_id: uuid.UUID, status: Status, counts: Counts
) -> None:
    """The load's end, and its files dropped (they hold personal data no one needs now)."""
    await conn.execute(
        _FINISH,
        load_id,
        status.value,
        counts.accepted,
        counts.unchanged,
        counts.withdrawn,
        counts.rejected,
        counts.warnings,
    )
    await conn.execute(_DROP_FILES, load_id)


async def replaced(
    conn: asyncpg.Connection, tenant: str, kind: str, year: int, load_id: uuid.UUID
) -> list[NaturalKey]:
    """The keys of the current records the earlier loads of this return supplied and that
    are still theirs."""
    rows = await conn.fetch(_REPLACED, tenant, kind, year, load_id)
    return [
        NaturalKey(Kind(r["kind"]), r["child_ref"], r["key_date"], r["plan_type"]) for r in rows
    ]


async def keep(
    conn: asyncpg.Connection,
    tenant: str,
    kind: str,
    year: int,
    load_id: uuid.UUID,
    keys: Sequence[NaturalKey],
) -> None:
    """Make the earlier loads' records with these keys this load's."""
    if keys:
        rows = [
            {
                "kind": k.kind.value,
                "child_ref": k.child_ref,
                "key_date": k.key_date.isoformat(),
                "plan_type": k.plan_type,
            }
            for k in keys
        ]
        await conn.execute(_KEEP, tenant, load_id, kind, rows, year)
