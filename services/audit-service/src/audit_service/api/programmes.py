"""HTTP routes for audit programmes."""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from audit_service.api.audits import audit_page
from audit_service.api.deps import Reader, Writer, pool
from audit_service.api.problems import CREATE_ERRORS
from audit_service.api.schemas.audits import AuditPage
from audit_service.api.schemas.programmes import (
    Period,
    ProgrammeCreate,
    ProgrammeOut,
    ProgrammePage,
    programme_out,
)
from audit_service.handlers import programmes as handlers
from audit_service.repository import audits as audit_rows
from audit_service.repository import programmes as programme_rows
from qaf_shared.clock import business_today
from qaf_shared.enums import ProgrammeKind
from qaf_shared.http.auth import Actor, OptionalActor, Principal
from qaf_shared.http.idempotency import IdempotencyKey, idempotent_write
from qaf_shared.http.org_units import tenant_units
from qaf_shared.http.pagination import Cursor, Limit, decode_cursor, page
from qaf_shared.http.resources import (
    StoredResponse,
    json_response,
    not_found,
    parse_id,
    resource_response,
    to_response,
)

router = APIRouter(prefix="/v1/programmes", tags=["programmes"])


@router.post("", status_code=201, response_model=ProgrammeOut, responses=CREATE_ERRORS)
async def create_programme(
    request: Request,
    body: ProgrammeCreate,
    principal: Writer,
    actor: Actor,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Commission a programme of audits: `MONTHLY`, `THEMED` (with `theme` and
    `hypothesis`), `AREA` (with its `area`), `MULTI_AGENCY` or `CLOSURE`, for a month or a
    quarter, scoped to an area, a district or a service (or the whole tenant)."""
    on = business_today(request)
    units = tenant_units(request, principal.tenant)

    async def run(conn: asyncpg.Connection) -> StoredResponse:
        row = await handlers.create(conn, principal=principal, actor=actor, body=body, units=units)
        progress = await handlers.progress(conn, principal.tenant, [row["id"]], on)
        return resource_response(
            programme_out(row, progress[row["id"]], on),
            status=201,
            location=f"/v1/programmes/{row['id']}",
        )

    return await idempotent_write(request, principal, idempotency_key, run)


@router.get("", response_model=ProgrammePage)
async def list_programmes(
    request: Request,
    principal: Reader,
    kind: ProgrammeKind | None = None,
    period: Annotated[Period | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """The tenant's programmes, oldest first, each with its audits counted by status."""
    on = business_today(request)
    after = decode_cursor(cursor)
    async with pool(request).acquire() as conn:
        rows = await programme_rows.list_page(
            conn,
            principal.tenant,
            kind=kind.value if kind else None,
            period=period,
            after=after,
            limit=limit,
        )
        items, next_cursor = page(rows, limit)
        progress = await handlers.progress(conn, principal.tenant, [r["id"] for r in items], on)
    out = [programme_out(r, progress[r["id"]], on) for r in items]
    return json_response({"items": out, "next_cursor": next_cursor})


async def _programme(request: Request, principal: Principal, programme_id: str) -> asyncpg.Record:
    ident = parse_id(programme_id, "programme")
    async with pool(request).acquire() as conn:
        row = await programme_rows.get(conn, principal.tenant, ident)
    if row is None:
        raise not_found("programme")
    return row


@router.get("/{programme_id}", response_model=ProgrammeOut)
async def get_programme(request: Request, programme_id: str, principal: Reader) -> Response:
    """One programme with the progress of its audits (counts by status, overdue)."""
    on = business_today(request)
    row = await _programme(request, principal, programme_id)
    async with pool(request).acquire() as conn:
        progress = await handlers.progress(conn, principal.tenant, [row["id"]], on)
    return to_response(resource_response(programme_out(row, progress[row["id"]], on)))


@router.get("/{programme_id}/audits", response_model=AuditPage)
async def list_programme_audits(
    request: Request,
    programme_id: str,
    principal: Reader,
    actor: OptionalActor = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """The programme's audits, as `GET /v1/audits?programme_id=` lists them."""
    row = await _programme(request, principal, programme_id)
    filters = audit_rows.AuditFilters(programme_id=row["id"])
    return await audit_page(request, principal, actor, filters, limit, cursor)
