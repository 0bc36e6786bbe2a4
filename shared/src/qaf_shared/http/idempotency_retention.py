"""Deleting Idempotency-Key rows once their retention is past.

A key's row holds the whole first response, free text included (a feedback comment, a
concern's detail), so it is kept no longer than the contract needs: `idempotency_ttl_hours`
(default 48, at least 24, the contract's "a key lives 24 hours at least"). An expired row
already answers nothing (`_FETCH` reads only live rows, and the next write with that key
replaces it), so deleting it changes no answer: a retry with its key is a new request
whether or not the row is still there.

Every write service runs `idempotency_retention_worker`. With several replicas each runs
it; a batch claims its rows with `FOR UPDATE SKIP LOCKED`, so replicas take different rows
and never wait on each other or on a write that is replacing an expired key in the same
moment. Each batch is one short statement (bounded by `idempotency_purge_batch_size`), so
a large backlog never holds locks or a transaction for long. Logs carry counts only."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import asyncpg
from fastapi import FastAPI

from qaf_shared.logging import get_logger
from qaf_shared.settings import ServiceSettings

log = get_logger(__name__)

# Oldest first, by the index on created_at; rows another transaction holds (a replica's
# batch, a write replacing the expired key) are left for the next pass.
_PURGE = """
DELETE FROM idempotency_keys AS k
USING (
    SELECT tenant, client, key FROM idempotency_keys
    WHERE created_at < now() - make_interval(hours => $1)
    ORDER BY created_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
) AS expired
WHERE (k.tenant, k.client, k.key) = (expired.tenant, expired.client, expired.key)
"""


async def purge_expired_keys(pool: asyncpg.Pool, *, ttl_hours: int, batch_size: int) -> int:
    """Delete every key row older than `ttl_hours`, `batch_size` rows per statement (each
    its own transaction); returns how many were deleted."""
    if ttl_hours < 24:
        raise ValueError("Idempotency keys live 24 hours at least")
    deleted = 0
    while True:
        status = await pool.execute(_PURGE, ttl_hours, batch_size)
        count = int(status.split()[-1])  # "DELETE n"
        deleted += count
        if count < batch_size:
            return deleted


async def run_idempotency_retention(
    pool: asyncpg.Pool, *, ttl_hours: int, interval_s: float, batch_size: int
) -> None:
    """Purge expired keys now and then every `interval_s` seconds, for ever."""
    while True:
        try:
            count = await purge_expired_keys(pool, ttl_hours=ttl_hours, batch_size=batch_size)
            if count:
                log.info("idempotency_keys_expired", count=count)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # The type only (a message could quote a row); the next pass tries again.
            log.error("idempotency_purge_failed", error=type(exc).__name__)
        await asyncio.sleep(interval_s)


def idempotency_retention_worker(app: FastAPI) -> Coroutine[Any, Any, None]:
    """The purge as one of a write service's background workers (pool and settings from
    the app)."""
    settings: ServiceSettings = app.state.settings
    return run_idempotency_retention(
        app.state.pool,
        ttl_hours=settings.idempotency_ttl_hours,
        interval_s=settings.idempotency_purge_interval_s,
        batch_size=settings.idempotency_purge_batch_size,
    )
