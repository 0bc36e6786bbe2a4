"""The consumer's status: events applied per topic, the newest event time, dead letters and,
for an admin, the consumer lag."""

from __future__ import annotations

from typing import Any

import asyncpg
from fastapi import APIRouter, Request

from reporting_service.api.deps import Reader
from reporting_service.api.schemas.status import StatusOut, status_body
from reporting_service.repository import consumer_state, generations, publications

router = APIRouter(prefix="/v1", tags=["reports"])


@router.get("/status", response_model=StatusOut)
async def get_status(request: Request, principal: Reader) -> dict[str, Any]:
    """The consumer's figures for the token's tenant: events applied per topic, the newest
    event time and dead letters, all of its own events only. A token that also holds
    `admin` sees the totals over every tenant (dead letters whose tenant could not be read
    included) and the consumer lag. Lag is a broker-level figure (records of every tenant
    not yet applied), so a tenant is not shown it: it would tell one authority how busy the
    others are; its own newest event time says how current its figures are, and its
    publication backlog (its changed quarters not yet published, and since when) how far
    the published figures are behind them."""
    admin = "admin" in principal.scopes
    tenant = None if admin else principal.tenant
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn:
        schema = await generations.active_schema(conn)
        stats = await consumer_state.topic_stats(conn, schema, tenant)
        backlog = await publications.backlog(conn, schema, tenant)
    lag: dict[str, int] | None = None
    if admin:
        consumer = getattr(request.app.state, "consumer", None)
        lag = await consumer.lag() if consumer is not None else {}
    return status_body(stats, tenant=tenant, lag=lag, projection=schema, backlog=backlog)
