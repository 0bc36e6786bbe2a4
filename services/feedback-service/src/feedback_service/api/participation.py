"""HTTP routes for child in care review participation."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from feedback_service.api.deps import StaffReader, StaffWriter
from feedback_service.api.filters import AreaFilter, DistrictFilter, ServiceFilter, TeamFilter
from feedback_service.api.schemas.participation import (
    ParticipationCreate,
    ParticipationOut,
    ParticipationPage,
    participation_out,
)
from feedback_service.handlers import participation as handlers
from feedback_service.repository import participation as participation_rows
from qaf_shared.clock import business_today
from qaf_shared.enums import PnCode
from qaf_shared.http.auth import Actor, OptionalActor
from qaf_shared.http.idempotency import IdempotencyKey, idempotent_write
from qaf_shared.http.list_query import unit_filters
from qaf_shared.http.org_units import resolve_org_unit
from qaf_shared.http.pagination import DEFAULT_LIMIT, Cursor, Limit, decode_cursor
from qaf_shared.http.problems import problem_responses
from qaf_shared.http.reads import Reads, each_row
from qaf_shared.http.resources import resource_response

router = APIRouter(prefix="/v1/participation", tags=["participation"])
# Each record a list shows is logged as listed.
_reads = Reads(
    "participation record",
    each_row(lambda row, _on: participation_out(row)),
    resource_type="participation",
    get=participation_rows.get,
    list_action="list",
)


@router.post("", status_code=201, response_model=ParticipationOut, responses=problem_responses(409))
async def record_participation(
    request: Request,
    body: ParticipationCreate,
    principal: StaffWriter,
    actor: Actor,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Record one child in care review's participation code (PN0-PN7) with its due and held
    dates. One record per review: a second for the same case and day is 409."""
    on = business_today(request)
    unit = resolve_org_unit(request, principal.tenant, body)

    async def create(conn: asyncpg.Connection) -> Any:
        row = await handlers.record(
            conn,
            principal=principal,
            actor=actor,
            case_ref=body.case_ref,
            review_due=body.review_due,
            review_held=body.review_held,
            pn_code=body.pn_code,
            unit=unit,
            today=on,
        )
        return resource_response(
            participation_out(row),
            status=201,
            location=f"/v1/participation/{row['id']}",
        )

    return await idempotent_write(request, principal, idempotency_key, create)


@router.get("", response_model=ParticipationPage)
async def list_participation(
    request: Request,
    principal: StaffReader,
    actor: OptionalActor = None,
    pn_code: PnCode | None = None,
    area: AreaFilter = None,
    district: DistrictFilter = None,
    team: TeamFilter = None,
    service: ServiceFilter = None,
    held_from: Annotated[date | None, Query(description="Held on or after")] = None,
    held_to: Annotated[date | None, Query(description="Held on or before")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """Review participation records of the caller's tenant, oldest first."""
    units = unit_filters(
        request, principal.tenant, area=area, district=district, team=team, service=service
    )
    only = participation_rows.ParticipationFilters(
        pn_code=pn_code.value if pn_code else None,
        held_from=held_from,
        held_to=held_to,
        units=units,
    )
    after = decode_cursor(cursor)

    async def rows(conn: asyncpg.Connection, _on: date) -> list[asyncpg.Record]:
        return await participation_rows.LIST.page(
            conn, principal.tenant, only, after=after, limit=limit
        )

    return await _reads.page(request, principal, actor, limit, rows)


@router.get("/{participation_id}", response_model=ParticipationOut)
async def get_participation(
    request: Request, participation_id: str, principal: StaffReader, actor: OptionalActor = None
) -> Response:
    """One participation record of the caller's tenant; the read is access-logged."""
    return await _reads.one(request, principal, actor, participation_id)
