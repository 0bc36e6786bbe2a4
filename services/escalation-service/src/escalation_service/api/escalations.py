"""HTTP routes for escalations: parse, authorise, call a handler, shape the response."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from escalation_service.api.deps import (
    ReaderGet,
    ReaderList,
    WriterCreate,
    WriterStep,
    settings,
)
from escalation_service.api.schemas.escalations import (
    CafcassReferralCreate,
    EscalateRequest,
    EscalationCreate,
    EscalationOut,
    EscalationPage,
    ResolveRequest,
    ResponseCreate,
    WithdrawRequest,
    escalation_out,
)
from escalation_service.handlers import escalations as handlers
from escalation_service.repository import escalations as escalation_rows
from escalation_service.repository import stages as stage_rows
from qaf_shared.authors import Author
from qaf_shared.clock import business_today
from qaf_shared.enums import EscalationCategory, EscalationStage, EscalationStatus
from qaf_shared.http.auth import OptionalActor
from qaf_shared.http.creates import CreateRoute
from qaf_shared.http.idempotency import Creation, idempotent_create
from qaf_shared.http.org_units import UnitCode, resolve_org_unit
from qaf_shared.http.pagination import Cursor, decode_cursor
from qaf_shared.http.reads import Reads, each_row_with
from qaf_shared.http.resources import resource_response
from qaf_shared.http.steps import STEP_PROBLEMS, LifecycleSteps

router = APIRouter(prefix="/v1/escalations", tags=["escalations"], route_class=CreateRoute)


# Escalations as callers see them, with their stage histories (one query a page; a defaultdict,
# so an escalation without stages shows none).
_shaped = each_row_with(
    lambda conn, tenant, ids, _on: stage_rows.of_escalations(conn, tenant, ids), escalation_out
)
# Each read answers whole escalations, and so does each lifecycle step.
_reads = Reads("escalation", _shaped, resource_type="escalation", get=escalation_rows.get)
_steps = LifecycleSteps("escalation", _reads.answer)


@router.post("", status_code=201, response_model=EscalationOut, responses=STEP_PROBLEMS)
async def raise_escalation(body: EscalationCreate, call: WriterCreate) -> Response:
    """Raise an escalation about one child's case: `AWAITING_RESPONSE` at `INFORMAL`, or at
    a higher `stage` with a `bypass_reason`."""
    request, principal = call.request, call.principal
    who = Author(principal, call.actor, business_today(request))
    command = handlers.RaiseEscalation(
        case_ref=body.case_ref,
        unit=resolve_org_unit(request, principal.tenant, body),
        plan_type=body.plan_type,
        raised_by=body.raised_by,
        raised_by_role=body.raised_by_role,
        categories=body.categories,
        summary=body.summary,
        desired_outcome=body.desired_outcome,
        stage=body.stage,
        bypass_reason=body.bypass_reason,
        chair_due_date=body.due_date,
        raised_on=body.raised_on,
    )
    raised = handlers.raise_escalation(
        who=who, command=command, timescales=settings(request).timescales_for(principal.tenant)
    )
    answer = resource_response(
        escalation_out(raised.rows.row, raised.rows.stages, who.today),
        status=201,
        location=f"/v1/escalations/{raised.rows.row['id']}",
    )
    creation = Creation(
        inserts=escalation_rows.INSERTS,
        args=raised.rows.args,
        events=raised.events,
        response=answer,
    )
    return await idempotent_create(request, principal, call.idempotency_key, creation)


@router.get("", response_model=EscalationPage)
async def list_escalations(
    call: ReaderList,
    actor: OptionalActor = None,
    status: EscalationStatus | None = None,
    stage: EscalationStage | None = None,
    category: EscalationCategory | None = None,
    area: Annotated[UnitCode | None, Query()] = None,
    district: Annotated[UnitCode | None, Query()] = None,
    team: Annotated[UnitCode | None, Query()] = None,
    service: Annotated[UnitCode | None, Query()] = None,
    overdue: Annotated[
        bool | None, Query(description="Awaiting a response past the stage's due date.")
    ] = None,
    raised_from: Annotated[date | None, Query(description="Raised on or after.")] = None,
    raised_to: Annotated[date | None, Query(description="Raised on or before.")] = None,
    cursor: Cursor = None,
) -> Response:
    """The tenant's escalations with their stage histories, oldest first. Every escalation
    listed is recorded in the access log."""
    after = decode_cursor(cursor)
    units = call.units(area=area, district=district, team=team, service=service)
    filters = escalation_rows.ListFilters(
        status=status,
        stage=stage,
        category=category,
        units=units,
        overdue=overdue,
        raised_from=raised_from,
        raised_to=raised_to,
    )
    return await _reads.listed(call, actor, escalation_rows.LIST, filters, after)


@router.get("/{escalation_id}", response_model=EscalationOut)
async def get_escalation(escalation_id: str, call: ReaderGet) -> Response:
    """One escalation of the caller's tenant, with its stage history. Every read is recorded
    in the access log."""
    return await _reads.one(call, escalation_id)


@router.post("/{escalation_id}/responses", response_model=EscalationOut, responses=STEP_PROBLEMS)
async def record_response(escalation_id: str, body: ResponseCreate, call: WriterStep) -> Response:
    """Record the addressee's response to the current stage (from `AWAITING_RESPONSE`, one
    per stage); the status becomes `RESPONSE_RECEIVED`. Answers the whole escalation."""
    act = partial(
        handlers.record_response,
        responder=body.responder,
        response=body.response,
        responded_on=body.responded_on,
    )
    return await _steps.step_by(call, escalation_id, act)


@router.post("/{escalation_id}/escalate", response_model=EscalationOut, responses=STEP_PROBLEMS)
async def escalate(escalation_id: str, body: EscalateRequest, call: WriterStep) -> Response:
    """Move to the next stage only: `NOT_SATISFIED` with a response (`RESPONSE_RECEIVED`), or
    `NO_RESPONSE` after the stage's due date (`AWAITING_RESPONSE`). 409 at `DIRECTOR`."""
    timescales = settings(call.request).timescales_for(call.principal.tenant)
    act = partial(
        handlers.escalate,
        reason=body.reason,
        note=body.note,
        escalated_on=body.escalated_on,
        timescales=timescales,
    )
    return await _steps.step_by(call, escalation_id, act)


@router.post("/{escalation_id}/resolve", response_model=EscalationOut, responses=STEP_PROBLEMS)
async def resolve(escalation_id: str, body: ResolveRequest, call: WriterStep) -> Response:
    """The chair resolves the escalation with an outcome, once a response was received."""
    act = partial(
        handlers.resolve, outcome=body.outcome, note=body.note, resolved_on=body.resolved_on
    )
    return await _steps.step_by(call, escalation_id, act)


@router.post("/{escalation_id}/withdraw", response_model=EscalationOut, responses=STEP_PROBLEMS)
async def withdraw(escalation_id: str, body: WithdrawRequest, call: WriterStep) -> Response:
    """Withdraw the escalation from any open status."""
    act = partial(handlers.withdraw, reason=body.reason, withdrawn_on=body.withdrawn_on)
    return await _steps.step_by(call, escalation_id, act)


@router.post(
    "/{escalation_id}/cafcass-referral", response_model=EscalationOut, responses=STEP_PROBLEMS
)
async def refer_to_cafcass(
    escalation_id: str, body: CafcassReferralCreate, call: WriterStep
) -> Response:
    """Record a referral to Cafcass, at any time alongside the local process, in any status.
    It applies only to a `CIC` case escalated by an `IRO`, once: otherwise 409."""
    return await _steps.step_by(
        call, escalation_id, partial(handlers.refer_to_cafcass, referred_on=body.referred_on)
    )
