"""The append-only logs: who changed what (change_log) and who read what (access_log, for
pages of records at once; single reads use qaf_shared.http.access_log)."""

from __future__ import annotations

import uuid

import asyncpg

from qaf_shared.http.auth import Principal

_CHANGE = """
INSERT INTO change_log (tenant, client, actor, resource_type, resource_id, change,
    from_status, to_status)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""

_ACCESSES = """
INSERT INTO access_log (tenant, client, actor, resource_type, resource_id, action)
SELECT $1, $2, $3, $4, unnest($5::text[]), 'read'
"""


async def record_change(
    conn: asyncpg.Connection,
    principal: Principal,
    *,
    actor: str,
    resource_type: str,
    resource_id: uuid.UUID,
    change: str,
    from_status: str | None = None,
    to_status: str | None = None,
) -> None:
    await conn.execute(
        _CHANGE,
        principal.tenant,
        principal.client,
        actor,
        resource_type,
        resource_id,
        change,
        from_status,
        to_status,
    )


async def record_reads(
    conn: asyncpg.Connection,
    principal: Principal,
    *,
    actor: str | None,
    resource_type: str,
    resource_ids: list[uuid.UUID],
) -> None:
    """One access-log row per record a list answered with."""
    if resource_ids:
        await conn.execute(
            _ACCESSES,
            principal.tenant,
            principal.client,
            actor,
            resource_type,
            [str(i) for i in resource_ids],
        )
