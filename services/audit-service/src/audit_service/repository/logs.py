"""The append-only change log: who changed what (reads go to the access log through
qaf_shared.http.access_log)."""

from __future__ import annotations

import uuid

import asyncpg

from qaf_shared.http.auth import Principal

_CHANGE = """
INSERT INTO change_log (tenant, client, actor, resource_type, resource_id, change,
    from_status, to_status)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
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
