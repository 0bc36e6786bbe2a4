"""Reporting routes: the Deep Dive, escalation trends, flat aggregates and the consumer's
status. Every read comes from the maintained projections of the active generation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

import asyncpg
from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from qaf_shared.clock import business_today
from qaf_shared.csv_writer import write_csv
from qaf_shared.events.catalogue import DOMAIN_TOPICS
from qaf_shared.http.auth import Principal, requires
from qaf_shared.http.org_units import UnitCode, tenant_units
from qaf_shared.http.problems import Problem, field_error
from qaf_shared.http.resources import json_response
from qaf_shared.org_units import TenantUnits
from qaf_shared.quarters import parse_quarter, previous_quarter
from reporting_service import generations, measures, publication, trends
from reporting_service.api.schemas import AggregatesOut, DeepDiveOut, StatusOut, TrendsOut
from reporting_service.readcache import ResponseCache

router = APIRouter(prefix="/v1", tags=["reports"])

Reader = Annotated[Principal, requires("reports:read")]
# The pattern is documented (so clients and fuzzers know the form) but checked by `_quarter`,
# which answers 404 for a quarter that names nothing, as for any path id.
QuarterPath = Annotated[
    str,
    Path(
        description="A financial-year quarter, e.g. FY2026Q1 (April to June 2026); `.csv` for CSV",
        json_schema_extra={"pattern": r"^FY20[0-9]{2}Q[1-4](\.csv)?$"},
    ),
]
CSV_COLUMNS = ["quarter", "unit", "unit_kind", "measure", "dimension", "value"]
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}


def _quarter(raw: str) -> tuple[str, bool]:
    """The quarter of a path, and whether it asked for CSV (`FY2026Q1.csv`)."""
    quarter, as_csv = (raw[:-4], True) if raw.endswith(".csv") else (raw, False)
    try:
        parse_quarter(quarter)
    except ValueError:
        raise Problem(404, f"No such quarter {raw!r}: quarter ids look like FY2026Q1.") from None
    return quarter, as_csv


def _wants_csv(request: Request, suffix: bool) -> bool:
    return suffix or "text/csv" in request.headers.get("accept", "")


def _threshold(request: Request, principal: Principal) -> tuple[int, int | None]:
    """The tenant's threshold, and the one to apply (None for reports:read_unsuppressed)."""
    threshold: int = request.app.state.settings.suppression_threshold
    return threshold, (None if "reports:read_unsuppressed" in principal.scopes else threshold)


def _unit(units: TenantUnits, tenant: str, code: str | None) -> tuple[str, str]:
    if code is None:
        return "tenant", tenant
    kind = units.kind_of(code)
    if kind not in ("area", "service"):
        raise field_error("query.unit", f"{code!r} is not an area or service of tenant {tenant}")
    return kind, code


def _cache(request: Request) -> ResponseCache:
    cache: ResponseCache | None = getattr(request.app.state, "report_cache", None)
    if cache is None:
        recheck = request.app.state.settings.report_recheck_ms / 1000
        cache = request.app.state.report_cache = ResponseCache(recheck=recheck)
    return cache


async def _schema(conn: asyncpg.Connection) -> str:
    return await generations.active_schema(conn)


async def _decisions(
    request: Request,
    conn: asyncpg.Connection,
    schema: str,
    tenant: str,
    quarters: Iterable[str],
    applied: int | None,
) -> dict[str, publication.Decision]:
    """Each quarter's one disclosure decision, made once per projections' version and shown
    by every view built at that version."""
    units = tenant_units(request, tenant)
    out: dict[str, publication.Decision] = {}
    for quarter in quarters:

        async def decide(quarter: str = quarter) -> publication.Decision:
            raw = (await publication.read_quarters(conn, schema, tenant, [quarter]))[quarter]
            return publication.decide(raw, quarter, tenant, units, applied)

        key = ("decision", tenant, quarter, applied)
        out[quarter] = await _cache(request).shared(key, decide)
    return out


def _rows(quarter: str, kind: str, code: str, sections: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for section, fields in sections.items():
        for field, value in fields.items():
            if isinstance(value, dict):
                for dim, v in value.items():
                    yield {
                        "quarter": quarter,
                        "unit": code,
                        "unit_kind": kind,
                        "measure": f"{section}.{field}",
                        "dimension": dim,
                        "value": v,
                    }
            else:
                yield {
                    "quarter": quarter,
                    "unit": code,
                    "unit_kind": kind,
                    "measure": f"{section}.{field}",
                    "dimension": "",
                    "value": value,
                }


def _csv(rows: Iterable[dict[str, Any]], filename: str) -> Response:
    # The one writer: it neutralises cells a spreadsheet would run as formulas.
    return Response(
        write_csv(CSV_COLUMNS, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/deep-dives/{quarter}", response_model=DeepDiveOut, responses=CSV_RESPONSE)
async def get_deep_dive(
    request: Request,
    quarter: QuarterPath,
    principal: Reader,
    unit: Annotated[
        UnitCode | None, Query(description="An area or service code; default the whole tenant")
    ] = None,
) -> Response:
    """The quarter's Deep Dive for the tenant or one area or service, with the previous
    quarter and the breakdown (districts and teams of an area; areas and services of the
    tenant). Small counts are suppressed unless the token holds `reports:read_unsuppressed`.
    `Accept: text/csv` or a `.csv` suffix gives the same figures as flat CSV rows."""
    quarter, suffix = _quarter(quarter)
    units = tenant_units(request, principal.tenant)
    kind, code = _unit(units, principal.tenant, unit)
    threshold, applied = _threshold(request, principal)
    previous = previous_quarter(quarter)
    below = measures.children(units, kind, code)
    if kind == "area":
        below = below + [t for d in below for t in measures.children(units, *d)]
    as_csv = _wants_csv(request, suffix)

    async def build(conn: asyncpg.Connection, schema: str) -> Response:
        decided = await _decisions(
            request, conn, schema, principal.tenant, [quarter, previous], applied
        )

        def sections(period: str, k: str, c: str) -> dict[str, Any]:
            return measures.sections(decided[period], period, k, c)

        if as_csv:
            rows = [
                *_rows(quarter, kind, code, sections(quarter, kind, code)),
                *_rows(previous, kind, code, sections(previous, kind, code)),
            ]
            for k, c in below:
                rows.extend(_rows(quarter, k, c, sections(quarter, k, c)))
            return _csv(rows, f"deep-dive-{principal.tenant}-{code}-{quarter}.csv")
        return json_response(
            {
                "tenant": principal.tenant,
                "quarter": quarter,
                "unit": {"code": code, "kind": kind},
                "suppression": {"applied": applied is not None, "threshold": threshold},
                **sections(quarter, kind, code),
                "previous": {"quarter": previous, **sections(previous, kind, code)},
                "breakdown": [
                    {"unit": {"code": c, "kind": k}, **sections(quarter, k, c)} for k, c in below
                ],
            }
        )

    key = ("deep-dive", principal.tenant, quarter, kind, code, threshold, applied, as_csv)
    return await _cache(request).respond(request.app.state.pool, key, build)


@router.get("/aggregates/{quarter}", response_model=AggregatesOut, responses=CSV_RESPONSE)
async def get_aggregates(request: Request, quarter: QuarterPath, principal: Reader) -> Response:
    """Every measure for every unit of the tenant as flat rows
    `{quarter, unit, unit_kind, measure, dimension, value}`; JSON, or CSV with
    `Accept: text/csv` or a `.csv` suffix."""
    quarter, suffix = _quarter(quarter)
    units = tenant_units(request, principal.tenant)
    _, applied = _threshold(request, principal)
    everything = publication.every_unit(principal.tenant, units)
    as_csv = _wants_csv(request, suffix)

    async def build(conn: asyncpg.Connection, schema: str) -> Response:
        decision = (await _decisions(request, conn, schema, principal.tenant, [quarter], applied))[
            quarter
        ]
        rows = [
            row
            for k, c in everything
            for row in _rows(quarter, k, c, measures.sections(decision, quarter, k, c))
        ]
        if as_csv:
            return _csv(rows, f"aggregates-{principal.tenant}-{quarter}.csv")
        return json_response(
            {
                "tenant": principal.tenant,
                "quarter": quarter,
                "suppression": {"applied": applied is not None},
                "rows": rows,
            }
        )

    key = ("aggregates", principal.tenant, quarter, applied, as_csv)
    return await _cache(request).respond(request.app.state.pool, key, build)


@router.get("/escalation-trends", response_model=TrendsOut)
async def get_escalation_trends(
    request: Request,
    principal: Reader,
    from_: Annotated[str | None, Query(alias="from", pattern=r"^FY\d{4}Q[1-4]$")] = None,
    to: Annotated[str | None, Query(pattern=r"^FY\d{4}Q[1-4]$")] = None,
    by: Literal["category", "stage", "area", "service"] = "category",
    granularity: Literal["quarter", "month"] = "quarter",
    unit: Annotated[
        UnitCode | None, Query(description="An area or service; default the whole tenant")
    ] = None,
) -> Response:
    """Escalations raised, resolved and open at the end of each period of a range (default the
    last five quarters), by category, stage (raised: the stage it opened at; resolved: the
    stage it was resolved at; open: its stage at the period's end), area or service."""
    units = tenant_units(request, principal.tenant)
    first, last = trends.default_range(business_today(request))
    first, last = from_ or first, to or last
    try:
        trends.validate_range(first, last)
    except ValueError as exc:
        raise field_error("query.from", str(exc)) from None
    scope = _unit(units, principal.tenant, unit)
    if by in ("area", "service") and scope[0] != "tenant" and scope[0] != by:
        raise field_error("query.by", f"a {scope[0]} has no {by} breakdown")
    _, applied = _threshold(request, principal)

    async def build(conn: asyncpg.Connection, schema: str) -> Response:
        quarters = trends.quarters_between(first, last)
        decided = await _decisions(request, conn, schema, principal.tenant, quarters, applied)
        body = trends.trend_body(
            decided,
            units=units,
            first=first,
            last=last,
            by=by,
            granularity=granularity,
            unit=scope,
            applied=applied is not None,
        )
        return json_response(body)

    key = ("trends", principal.tenant, first, last, by, granularity, scope, applied)
    return await _cache(request).respond(request.app.state.pool, key, build)


@router.get("/status", response_model=StatusOut)
async def get_status(request: Request, principal: Reader) -> dict[str, Any]:
    """The consumer's figures for the token's tenant: events applied per topic, the newest
    event time and dead letters, all of its own events only. A token that also holds
    `admin` sees the totals over every tenant (dead letters whose tenant could not be read
    included) and the consumer lag. Lag is a broker-level figure (records of every tenant
    not yet applied), so a tenant is not shown it: it would tell one authority how busy the
    others are; its own newest event time says how current its figures are."""
    admin = "admin" in principal.scopes
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn:
        schema = await _schema(conn)
        rows = await conn.fetch(
            "SELECT topic, sum(applied)::bigint AS applied, sum(dead_letters)::bigint AS dead,"
            f" max(newest_event_time) AS newest FROM {schema}.consumer_stats"
            " WHERE $1::text IS NULL OR tenant = $1 GROUP BY topic",
            None if admin else principal.tenant,
        )
    lag: dict[str, int] = {}
    consumer = getattr(request.app.state, "consumer", None)
    if admin and consumer is not None:
        lag = await consumer.lag()
    topics: dict[str, dict[str, int | None]] = {
        t: {"applied": 0, "lag": lag.get(t, 0) if admin else None} for t in DOMAIN_TOPICS
    }
    newest = None
    dead = 0
    for row in rows:
        dead += row["dead"]
        if row["topic"] in topics:
            topics[row["topic"]]["applied"] = row["applied"]
        if row["newest"] and (newest is None or row["newest"] > newest):
            newest = row["newest"]
    return {
        "tenant": None if admin else principal.tenant,
        "topics": topics,
        "consumer_lag_total": sum(lag.get(t, 0) for t in DOMAIN_TOPICS) if admin else None,
        "newest_event_time": newest.isoformat() if newest else None,
        "dead_letters": dead,
        "projection": schema,
    }
