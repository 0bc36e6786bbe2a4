"""HTTP routes for complaints under the statutory children's procedure."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from feedback_service.api.deps import StaffCreate, StaffGet, StaffList, StaffStep
from feedback_service.api.filters import AreaFilter, DistrictFilter, ServiceFilter, TeamFilter
from feedback_service.api.schemas.complaints import (
    ComplaintClose,
    ComplaintCreate,
    ComplaintExtension,
    ComplaintOut,
    ComplaintOutcomeIn,
    ComplaintPage,
    ComplaintPanel,
    ComplaintPanelReport,
    ComplaintStageRequest,
    complaint_out,
)
from feedback_service.handlers import complaints as handlers
from feedback_service.handlers.complaints import Step
from feedback_service.repository import complaints as complaint_rows
from qaf_shared.enums import ComplaintStage, ComplaintStatus
from qaf_shared.http.auth import OptionalActor
from qaf_shared.http.creates import CreateRoute, Creates
from qaf_shared.http.org_units import resolve_org_unit
from qaf_shared.http.pagination import Cursor, decode_cursor
from qaf_shared.http.problems import problem_responses
from qaf_shared.http.reads import Reads, each_row
from qaf_shared.http.steps import STEP_PROBLEMS, LifecycleSteps, StepCall

router = APIRouter(prefix="/v1/complaints", tags=["complaints"], route_class=CreateRoute)
# Reads answer whole complaints (a list's records logged as listed), and so does each
# lifecycle step: described by its handler (its date checked before the complaint is read),
# applied to the locked complaint by `handlers.change`.
_reads = Reads(
    "complaint",
    each_row(complaint_out),
    resource_type="complaint",
    get=complaint_rows.get,
    list_action="list",
)
_steps = LifecycleSteps("complaint", _reads.answer)
_new = Creates(_reads.shape, lambda row: f"/v1/complaints/{row['id']}")


@router.post("", status_code=201, response_model=ComplaintOut, responses=problem_responses(409))
async def open_complaint(body: ComplaintCreate, call: StaffCreate) -> Response:
    """Open a complaint at `STAGE1` (response due in 10 working days of `received_on`)."""
    unit = resolve_org_unit(call.request, call.principal.tenant, body)
    return await _new.create(
        call,
        lambda conn, on: handlers.open_complaint(
            conn,
            principal=call.principal,
            actor=call.actor,
            case_ref=body.case_ref,
            received_on=body.received_on,
            complainant_role=body.complainant_role,
            categories=list(body.categories),
            unit=unit,
            today=on,
        ),
    )


@router.get("", response_model=ComplaintPage)
async def list_complaints(
    call: StaffList,
    actor: OptionalActor = None,
    status: ComplaintStatus | None = None,
    stage: Annotated[ComplaintStage | None, Query(description="The highest stage reached")] = None,
    overdue: Annotated[bool | None, Query(description="Past the current step's due date")] = None,
    area: AreaFilter = None,
    district: DistrictFilter = None,
    team: TeamFilter = None,
    service: ServiceFilter = None,
    received_from: Annotated[date | None, Query(description="On or after")] = None,
    received_to: Annotated[date | None, Query(description="On or before")] = None,
    cursor: Cursor = None,
) -> Response:
    """Complaints of the caller's tenant, oldest first."""
    units = call.units(area=area, district=district, team=team, service=service)
    only = complaint_rows.ComplaintFilters(
        status=status.value if status else None,
        stage=stage.value if stage else None,
        overdue=overdue,
        received_from=received_from,
        received_to=received_to,
        units=units,
    )
    return await _reads.listed(call, actor, complaint_rows.LIST, only, decode_cursor(cursor))


@router.get("/{complaint_id}", response_model=ComplaintOut)
async def get_complaint(complaint_id: str, call: StaffGet) -> Response:
    """One complaint of the caller's tenant with its stages; the read is access-logged."""
    return await _reads.one(call, complaint_id)


def _change(call: StepCall, complaint_id: str, step: Callable[..., Step]) -> Awaitable[Response]:
    """Apply a step to the complaint as its caller: `step` is the handler's description of
    it, the route's own arguments bound, to be given the business date (`today`)."""
    return _steps.step(
        call,
        complaint_id,
        lambda conn, ident, on: handlers.change(
            conn,
            principal=call.principal,
            actor=call.actor,
            complaint_id=ident,
            if_match=call.if_match,
            step=step(today=on),
        ),
    )


@router.post("/{complaint_id}/stage", response_model=ComplaintOut, responses=STEP_PROBLEMS)
async def request_stage(
    complaint_id: str, body: ComplaintStageRequest, call: StaffStep
) -> Response:
    """Move to the next stage at the complainant's request: `STAGE2` (investigation, 25
    working days) or `STAGE3` (review panel within 30), one stage at a time, within 20
    working days of the previous stage's response (or once that stage is past its due date
    without one). A complaint closed after a stage's response reopens."""
    step = partial(handlers.request_stage, ComplaintStage(body.stage), body.requested_on)
    return await _change(call, complaint_id, step)


@router.post("/{complaint_id}/extension", response_model=ComplaintOut, responses=STEP_PROBLEMS)
async def extend_stage(complaint_id: str, body: ComplaintExtension, call: StaffStep) -> Response:
    """Extend the current stage once, agreed by its due date: `STAGE1` to 20 working days,
    `STAGE2` to 65, counted from the stage's start."""
    step = partial(handlers.extend_stage, ComplaintStage(body.stage), body.extended_on)
    return await _change(call, complaint_id, step)


@router.post("/{complaint_id}/panel", response_model=ComplaintOut, responses=STEP_PROBLEMS)
async def record_panel(complaint_id: str, body: ComplaintPanel, call: StaffStep) -> Response:
    """Stage 3: the review panel was held (due within 30 working days of the request); its
    report is then due within 5 working days."""
    return await _change(call, complaint_id, partial(handlers.record_panel, body.held_on))


@router.post("/{complaint_id}/panel-report", response_model=ComplaintOut, responses=STEP_PROBLEMS)
async def record_panel_report(
    complaint_id: str, body: ComplaintPanelReport, call: StaffStep
) -> Response:
    """Stage 3: the panel's report was issued; the authority's response (the stage's
    outcome) is then due within 15 working days."""
    return await _change(call, complaint_id, partial(handlers.record_panel_report, body.issued_on))


@router.post("/{complaint_id}/outcome", response_model=ComplaintOut, responses=STEP_PROBLEMS)
async def record_outcome(complaint_id: str, body: ComplaintOutcomeIn, call: StaffStep) -> Response:
    """The current stage's outcome (for `STAGE3`, the authority's response to the panel's
    report; `WITHDRAWN` may come at any point of a stage)."""
    step = partial(handlers.record_outcome, body.stage, body.outcome, body.decided_on)
    return await _change(call, complaint_id, step)


@router.post("/{complaint_id}/close", response_model=ComplaintOut, responses=STEP_PROBLEMS)
async def close_complaint(complaint_id: str, body: ComplaintClose, call: StaffStep) -> Response:
    """Close a complaint whose current stage has its outcome, recording whether it was
    referred to the Local Government and Social Care Ombudsman."""
    step = partial(handlers.close, body.closed_on, body.ombudsman_referred)
    return await _change(call, complaint_id, step)
