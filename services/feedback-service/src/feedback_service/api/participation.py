"""HTTP routes for child in care review participation."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from feedback_service.api.deps import StaffCreate, StaffGet, StaffList
from feedback_service.api.filters import AreaFilter, DistrictFilter, ServiceFilter, TeamFilter
from feedback_service.api.schemas.participation import (
    ParticipationCreate,
    ParticipationOut,
    ParticipationPage,
    participation_out,
)
from feedback_service.handlers import participation as handlers
from feedback_service.repository import participation as participation_rows
from qaf_shared.enums import PnCode
from qaf_shared.http.auth import OptionalActor
from qaf_shared.http.creates import CreateRoute, Creates
from qaf_shared.http.org_units import resolve_org_unit
from qaf_shared.http.pagination import Cursor, decode_cursor
from qaf_shared.http.problems import problem_responses
from qaf_shared.http.reads import Reads, each_row

router = APIRouter(prefix="/v1/participation", tags=["participation"], route_class=CreateRoute)
# Each record a list shows is logged as listed.
_reads = Reads(
    "participation record",
    each_row(lambda row, _on: participation_out(row)),
    resource_type="participation",
    get=participation_rows.get,
    list_action="list",
)
_new = Creates(_reads.shape, lambda row: f"/v1/participation/{row['id']}")


@router.post("", status_code=201, response_model=ParticipationOut, responses=problem_responses(409))
async def record_participation(body: ParticipationCreate, call: StaffCreate) -> Response:
    """Record one child in care review's participation code (PN0-PN7) with its due and held
    dates. One record per review: a second for the same case and day is 409."""
    unit = resolve_org_unit(call.request, call.principal.tenant, body)
    return await _new.create(
        call,
        lambda conn, on: handlers.record(
            conn,
            principal=call.principal,
            actor=call.actor,
            case_ref=body.case_ref,
            review_due=body.review_due,
            review_held=body.review_held,
            pn_code=body.pn_code,
            unit=unit,
            today=on,
        ),
    )


@router.get("", response_model=ParticipationPage)
async def list_participation(
    call: StaffList,
    actor: OptionalActor = None,
    pn_code: PnCode | None = None,
    area: AreaFilter = None,
    district: DistrictFilter = None,
    team: TeamFilter = None,
    service: ServiceFilter = None,
    held_from: Annotated[date | None, Query(description="Held on or after")] = None,
    held_to: Annotated[date | None, Query(description="Held on or before")] = None,
    cursor: Cursor = None,
) -> Response:
    """Review participation records of the caller's tenant, oldest first."""
    units = call.units(area=area, district=district, team=team, service=service)
    only = participation_rows.ParticipationFilters(
        pn_code=pn_code.value if pn_code else None,
        held_from=held_from,
        held_to=held_to,
        units=units,
    )
    after = decode_cursor(cursor)
    return await _reads.listed(call, actor, participation_rows.LIST, only, after)


@router.get("/{participation_id}", response_model=ParticipationOut)
async def get_participation(participation_id: str, call: StaffGet) -> Response:
    """One participation record of the caller's tenant; the read is access-logged."""
    return await _reads.one(call, participation_id)
