"""Reporting routes: the Deep Dive and the consumer's status."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query, Request

from qaf_shared.events.catalogue import DOMAIN_TOPICS
from qaf_shared.http.auth import Principal, requires
from qaf_shared.http.org_units import UnitCode, tenant_units
from qaf_shared.http.problems import Problem, field_error
from qaf_shared.quarters import parse_quarter
from reporting_service.deep_dive import read_deep_dive

router = APIRouter(prefix="/v1", tags=["reports"])

Reader = Annotated[Principal, requires("reports:read")]


@router.get("/deep-dives/{quarter}")
async def get_deep_dive(
    request: Request,
    quarter: str,
    principal: Reader,
    unit: Annotated[
        UnitCode | None, Query(description="An area or service code; default the whole tenant")
    ] = None,
) -> dict[str, Any]:
    """The quarter's Deep Dive for the tenant or one area or service, with the previous
    quarter and the breakdown. Small counts are suppressed unless the token holds
    `reports:read_unsuppressed`."""
    try:
        parse_quarter(quarter)
    except ValueError:
        raise Problem(
            404, f"No Deep Dive for {quarter!r}: quarter ids look like FY2026Q1."
        ) from None
    units = tenant_units(request, principal.tenant)
    kind, code = "tenant", principal.tenant
    if unit is not None:
        found = units.kind_of(unit)
        if found not in ("area", "service"):
            raise field_error(
                "query.unit", f"{unit!r} is not an area or service of tenant {principal.tenant}"
            )
        kind, code = found, unit
    settings = request.app.state.settings
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn:
        return await read_deep_dive(
            conn,
            tenant=principal.tenant,
            quarter=quarter,
            units=units,
            kind=kind,
            code=code,
            threshold=settings.suppression_threshold,
            suppress="reports:read_unsuppressed" not in principal.scopes,
        )


@router.get("/status")
async def get_status(request: Request, principal: Reader) -> dict[str, Any]:
    """Events applied per topic, consumer lag, newest event time, dead letters."""
    pool: asyncpg.Pool = request.app.state.pool
    rows = await pool.fetch(
        "SELECT topic, applied, dead_letters, newest_event_time FROM consumer_stats"
    )
    consumer = getattr(request.app.state, "consumer", None)
    lag = await consumer.lag() if consumer is not None else {}
    topics = {t: {"applied": 0, "lag": lag.get(t, 0)} for t in DOMAIN_TOPICS}
    newest = None
    dead = 0
    for row in rows:
        dead += row["dead_letters"]
        if row["topic"] in topics:
            topics[row["topic"]]["applied"] = row["applied"]
        if row["newest_event_time"] and (newest is None or row["newest_event_time"] > newest):
            newest = row["newest_event_time"]
    return {
        "topics": topics,
        "consumer_lag_total": sum(t["lag"] for t in topics.values()),
        "newest_event_time": newest.isoformat() if newest else None,
        "dead_letters": dead,
    }
