"""`Idempotency-Key` on POSTs: the same key and body answers the first response again; the
same key with another body is 422. The key row is written in the same transaction as the
write it guards, so a concurrent retry waits on the unique index and then sees the stored
answer; a failed write leaves no key behind."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import asyncpg
from fastapi import Header, Request
from starlette.responses import Response

from qaf_shared.http.auth import Principal
from qaf_shared.http.problems import Problem

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Retrying a POST with the same key and body returns the first response.",
    ),
]


@dataclass
class StoredResponse:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


_CLAIM = """
INSERT INTO idempotency_keys (tenant, client, key, fingerprint) VALUES ($1, $2, $3, $4)
ON CONFLICT (tenant, client, key) DO NOTHING RETURNING 1
"""
_FETCH = """
SELECT fingerprint, status, body, headers, created_at < now() - make_interval(hours => $4) AS expired
FROM idempotency_keys WHERE tenant = $1 AND client = $2 AND key = $3
"""
_STORE = """
UPDATE idempotency_keys SET status = $4, body = $5, headers = $6
WHERE tenant = $1 AND client = $2 AND key = $3
"""
_DROP = "DELETE FROM idempotency_keys WHERE tenant = $1 AND client = $2 AND key = $3"


async def run_once(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    key: str | None,
    request_fingerprint: str,
    ttl_hours: int,
    handler: Callable[[], Awaitable[StoredResponse]],
) -> StoredResponse:
    """Run `handler` at most once per key. Call inside the write's transaction."""
    if key is None:
        return await handler()
    ident = (principal.tenant, principal.client, key)
    for _ in range(2):
        if await conn.fetchval(_CLAIM, *ident, request_fingerprint):
            response = await handler()
            await conn.execute(_STORE, *ident, response.status, response.body, response.headers)
            return response
        row = await conn.fetchrow(_FETCH, *ident, ttl_hours)
        if row is None:
            continue  # the other request rolled back between our two statements; claim again
        if row["expired"]:
            await conn.execute(_DROP, *ident)
            continue
        if row["fingerprint"] != request_fingerprint:
            raise Problem(
                422,
                "This Idempotency-Key was used with a different request body.",
                slug="idempotency-key-reused",
            )
        return StoredResponse(row["status"], row["body"], dict(row["headers"]))
    raise Problem(409, "The request with this Idempotency-Key is still in progress; retry.")


async def write_once(
    request: Request,
    principal: Principal,
    idempotency_key: str | None,
    action: Callable[[asyncpg.Connection], Awaitable[StoredResponse]],
) -> Response:
    """The one way a write runs: `action` in one transaction with the rows, the outbox events
    and the Idempotency-Key, at most once per key; answered with what it stored."""
    from qaf_shared.http.resources import to_response

    request_fingerprint = fingerprint(request.method, request.url.path, await request.body())
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn, conn.transaction():
        stored = await run_once(
            conn,
            principal=principal,
            key=idempotency_key,
            request_fingerprint=request_fingerprint,
            ttl_hours=request.app.state.settings.idempotency_ttl_hours,
            handler=lambda: action(conn),
        )
    return to_response(stored)
