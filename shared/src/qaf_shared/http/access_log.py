"""The append-only record of who read which case-level record."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

from qaf_shared.http.auth import Principal

_INSERT = """
INSERT INTO access_log (tenant, client, actor, resource_type, resource_id, action)
VALUES ($1, $2, $3, $4, $5, $6)
"""
# A list's records, one row each, in one round trip.
_INSERT_MANY = """
INSERT INTO access_log (tenant, client, actor, resource_type, resource_id, action)
SELECT $1, $2, $3, $4, unnest($5::text[]), $6
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


async def record_accesses(
    conn: asyncpg.Connection,
    principal: Principal,
    *,
    actor: str | None,
    resource_type: str,
    resource_ids: Sequence[uuid.UUID],
    action: str = "read",
) -> None:
    """The records a list answered with: each one shown is a read of it."""
    if resource_ids:
        await conn.execute(
            _INSERT_MANY,
            principal.tenant,
            principal.client,
            actor,
            resource_type,
            [str(i) for i in resource_ids],
            action,
        )
