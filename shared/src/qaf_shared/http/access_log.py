"""The append-only record of who read which case-level record."""

from __future__ import annotations

import asyncpg

from qaf_shared.http.auth import Principal

_INSERT = """
INSERT INTO access_log (tenant, client, actor, resource_type, resource_id, action)
VALUES ($1, $2, $3, $4, $5, $6)
"""


async def record_access(
    conn: asyncpg.Connection,
    principal: Principal,
    *,
    actor: str | None,
    resource_type: str,
    resource_id: str,
    action: str = "read",
) -> None:
    await conn.execute(
        _INSERT, principal.tenant, principal.client, actor, resource_type, resource_id, action
    )
