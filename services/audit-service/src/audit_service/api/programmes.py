"""HTTP routes for audit programmes."""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from audit_service.api.audits import audit_page
from audit_service.api.deps import Reader, ReaderList, WriterCreate
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
from qaf_shared.http.app import app_pool
from qaf_shared.http.auth import OptionalActor, Principal
from qaf_shared.http.creates import Creates
from qaf_shared.http.org_units import tenant_units
from qaf_shared.http.pagination import Cursor, decode_cursor, page
from qaf_shared.http.reads import each_row_with
from qaf_shared.http.resources import (
    json_response,
    not_found,
    parse_id,
    resource_response,
    to_response,
)

router = APIRouter(prefix="/v1/programmes", tags=["programmes"])


# Programmes as callers see them, each with the progress of its audits (one query a page).
_shaped = each_row_with(handlers.progress, programme_out)
_new_programmes = Creates(_shaped, lambda row: f"/v1/programmes/{row['id']}")


@router.post("", status_code=201, response_model=ProgrammeOut, responses=CREATE_ERRORS)
async def create_programme(body: ProgrammeCreate, call: WriterCreate) -> Response:
    """Commission a programme of audits: `MONTHLY`, `THEMED` (with `theme` and
    `hypothesis`), `AREA` (with its `area`), `MULTI_AGENCY` or `CLOSURE`, for a month or a
    quarter, scoped to an area, a district or a service (or the whole tenant)."""
    units = tenant_units(call.request, call.principal.tenant)
    return await _new_programmes.create(
        call,
        lambda conn, _on: handlers.create(
            conn, principal=call.principal, actor=call.actor, body=body, units=units
        ),
    )


@router.get("", response_model=ProgrammePage)
async def list_programmes(
    call: ReaderList,
    kind: ProgrammeKind | None = None,
    period: Annotated[Period | None, Query()] = None,
    cursor: Cursor = None,
) -> Response:
    """The tenant's programmes, oldest first, each with its audits counted by status."""
    on = business_today(call.request)
    after = decode_cursor(cursor)
    async with app_pool(call.request).acquire() as conn:
        rows = await programme_rows.list_page(
            conn,
            call.principal.tenant,
            kind=kind.value if kind else None,
            period=period,
            after=after,
            limit=call.limit,
        )
        items, next_cursor = page(rows, call.limit)
        out = await _shaped(conn, items, on)
    return json_response({"items": out, "next_cursor": next_cursor})


async def _programme(request: Request, principal: Principal, programme_id: str) -> asyncpg.Record:
    ident = parse_id(programme_id, "programme")
    async with app_pool(request).acquire() as conn:
        row = await programme_rows.get(conn, principal.tenant, ident)
    if row is None:
        raise not_found("programme")
    return row


@router.get("/{programme_id}", response_model=ProgrammeOut)
async def get_programme(request: Request, programme_id: str, principal: Reader) -> Response:
    """One programme with the progress of its audits (counts by status, overdue)."""
    on = business_today(request)
    row = await _programme(request, principal, programme_id)
    async with app_pool(request).acquire() as conn:
        [body] = await _shaped(conn, [row], on)
    return to_response(resource_response(body))


@router.get("/{programme_id}/audits", response_model=AuditPage)
async def list_programme_audits(
    programme_id: str, call: ReaderList, actor: OptionalActor = None, cursor: Cursor = None
) -> Response:
    """The programme's audits, as `GET /v1/audits?programme_id=` lists them."""
    row = await _programme(call.request, call.principal, programme_id)
    filters = audit_rows.AuditFilters(programme_id=row["id"])
    return await audit_page(call, actor, filters, cursor)
