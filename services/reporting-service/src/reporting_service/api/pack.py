"""The Deep Dive pack: the Deep Dive of a quarter as a page for the meeting (HTML), or as a
PDF with `Accept: application/pdf` or the `pack.pdf` path. It is made of the JSON Deep
Dive's own body (reports.deep_dive_body) and the unit's sections in the eight quarters
ending with it, each from its quarter's one disclosure decision, so it hides exactly what
the JSON hides."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from qaf_shared.http.auth import Principal
from qaf_shared.http.org_units import UnitCode, tenant_units
from qaf_shared.http.problems import Problem
from qaf_shared.quarters import parse_quarter, previous_quarter
from reporting_service.api.deps import PackQuarterPath, Reader
from reporting_service.api.readcache import report_cache
from reporting_service.api.reports import (
    breakdown_units,
    comparisons,
    deep_dive_body,
    quarter_decisions,
    reading,
    report_unit,
    thresholds,
)
from reporting_service.domain import measures, pack
from reporting_service.domain.trends import METRICS, months_or_none
from reporting_service.render import page, pdf
from reporting_service.repository import consumer_state

router = APIRouter(prefix="/v1", tags=["reports"])

TREND_QUARTERS = 8
PDF = "application/pdf"
HTML = "text/html; charset=utf-8"
# 503 (a host without WeasyPrint's libraries asked for a PDF) is one of every route's problems.
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The pack: an HTML page (inline SVG charts, no script, nothing "
        "fetched), or with `Accept: application/pdf` an A4 PDF",
        "content": {
            "text/html": {"schema": {"type": "string"}},
            PDF: {"schema": {"type": "string", "format": "binary"}},
        },
    },
}
PDF_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The pack as an A4 PDF",
        "content": {PDF: {"schema": {"type": "string", "format": "binary"}}},
    },
}
UnitQuery = Annotated[
    UnitCode | None, Query(description="An area or service code; default the whole tenant")
]


@router.get("/deep-dives/{quarter}/pack", response_class=Response, responses=RESPONSES)
async def get_pack(
    request: Request, quarter: PackQuarterPath, principal: Reader, unit: UnitQuery = None
) -> Response:
    """The quarter's Deep Dive for the tenant or one area or service as a page for the
    meeting: headline measures with their change and eight quarters of trend, a section per
    Deep Dive section with charts and the tables of their figures, the benchmarks and the
    breakdown. Suppressed exactly as the JSON. `Accept: application/pdf` gives an A4 PDF."""
    as_pdf = PDF in request.headers.get("accept", "")
    return await _pack(request, quarter, principal, unit, as_pdf=as_pdf)


@router.get("/deep-dives/{quarter}/pack.pdf", response_class=Response, responses=PDF_RESPONSES)
async def get_pack_pdf(
    request: Request, quarter: PackQuarterPath, principal: Reader, unit: UnitQuery = None
) -> Response:
    """The pack as an A4 PDF."""
    return await _pack(request, quarter, principal, unit, as_pdf=True)


async def _pack(
    request: Request, quarter: str, principal: Principal, code: str | None, *, as_pdf: bool
) -> Response:
    try:
        parse_quarter(quarter)
    except ValueError:
        raise Problem(
            404, f"No such quarter {quarter!r}: quarter ids look like FY2026Q1."
        ) from None
    units = tenant_units(request, principal.tenant)
    kind, code = report_unit(units, principal.tenant, code)
    threshold, applied = thresholds(request, principal)
    admin = "admin" in principal.scopes
    quarters = [quarter]
    while len(quarters) < TREND_QUARTERS:
        quarters.insert(0, previous_quarter(quarters[0]))

    async def build(conn: asyncpg.Connection, schema: str) -> Response:
        decided = await quarter_decisions(
            request, conn, schema, principal.tenant, quarters, applied
        )
        compared = await comparisons(
            request, conn, schema, principal.tenant, quarter, kind, decided
        )
        body = deep_dive_body(
            decided,
            principal.tenant,
            quarter,
            (kind, code),
            breakdown_units(units, kind, code),
            threshold,
            applied,
            compared,
        )
        trend = [(q, measures.sections(decided[q], q, kind, code)) for q in quarters]
        months = [
            (m, {name: decided[q].cell(m, kind, code, metric) for name, metric in METRICS.items()})
            for q in quarters
            for m in months_or_none(q)
        ]
        stats = await consumer_state.topic_stats(conn, schema, principal.tenant)
        newest = max((s.newest_event_time for s in stats if s.newest_event_time), default=None)
        lag = None
        consumer = getattr(request.app.state, "consumer", None)
        if admin:
            lag = sum((await consumer.lag()).values()) if consumer is not None else 0
        made = pack.assemble(
            body,
            trend,
            months=months,
            made_at=datetime.now(UTC),
            newest_event_time=newest,
            consumer_lag=lag,
        )
        # Drawing and laying out are CPU work: off the event loop, which goes on serving.
        if not as_pdf:
            html = await asyncio.to_thread(page.html, made)
            return Response(html, media_type=HTML, headers=_headers(html=True))
        try:
            document = await asyncio.to_thread(_pdf, made)
        except pdf.PdfUnavailable:
            raise Problem(
                503, "This host cannot make PDFs: WeasyPrint's libraries are missing."
            ) from None
        name = f"deep-dive-{principal.tenant}-{code}-{quarter}.pdf"
        return Response(document, media_type=PDF, headers=_headers(html=False, name=name))

    key = ("pack", principal.tenant, quarter, kind, code, threshold, applied, admin, as_pdf)
    tenants = reading(request, principal.tenant, kind)
    return await report_cache(request).respond(request.app.state.pool, key, build, tenants)


def _pdf(made: pack.Pack) -> bytes:
    return pdf.pdf(*page.printed(made))


def _headers(*, html: bool, name: str = "") -> dict[str, str]:
    if html:
        return {"Content-Security-Policy": page.CONTENT_SECURITY_POLICY}
    return {"Content-Disposition": f'inline; filename="{name}"'}
