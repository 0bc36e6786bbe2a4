"""How a page of a list is shaped and access-logged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg

from qaf_shared.http.access_log import record_accesses
from qaf_shared.http.auth import Principal
from qaf_shared.http.pagination import page

DEFAULT_LIMIT = 50


async def logged_page(
    conn: asyncpg.Connection,
    principal: Principal,
    actor: str | None,
    *,
    resource_type: str,
    rows: list[asyncpg.Record],
    limit: int,
    shape: Callable[[asyncpg.Record], dict[str, Any]],
) -> dict[str, Any]:
    """One page of a list, each record on it written to the access log."""
    items, next_cursor = page(rows, limit)
    await record_accesses(
        conn,
        principal,
        actor=actor,
        resource_type=resource_type,
        resource_ids=[r["id"] for r in items],
        action="list",
    )
    return {"items": [shape(r) for r in items], "next_cursor": next_cursor}
