"""HTTP routes for escalations: parse, authorise, call a handler, shape the response."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from escalation_service.api.deps import Reader, Writer, pool, settings
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
from qaf_shared.clock import business_today
from qaf_shared.enums import EscalationCategory, EscalationStage, EscalationStatus
from qaf_shared.http.access_log import record_access, record_accesses
from qaf_shared.http.auth import Actor, OptionalActor
from qaf_shared.http.idempotency import (
    Creation,
    IdempotencyKey,
    idempotent_create,
)
from qaf_shared.http.list_query import unit_filters
from qaf_shared.http.org_units import UnitCode, resolve_org_unit
from qaf_shared.http.pagination import Cursor, Limit, decode_cursor, page
from qaf_shared.http.resources import (
    IfMatch,
    StoredResponse,
    json_response,
    not_found,
    parse_id,
    resource_response,
    to_response,
)
from qaf_shared.http.steps import STEP_PROBLEMS, LifecycleSteps

router = APIRouter(prefix="/v1/escalations", tags=["escalations"])


async def _shaped(
    conn: asyncpg.Connection, tenant: str, rows: Sequence[asyncpg.Record], today: date
) -> list[dict[str, Any]]:
    """Escalation rows as callers see them, with their stage histories (one query for all)."""
    stages = await stage_rows.of_escalations(conn, tenant, [r["id"] for r in rows])
    return [escalation_out(r, stages.get(r["id"], []), today) for r in rows]


@router.post("", status_code=201, response_model=EscalationOut, responses=STEP_PROBLEMS)
async def raise_escalation(
    request: Request,
    body: EscalationCreate,
    principal: Writer,
    actor: Actor,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Raise an escalation about one child's case: `AWAITING_RESPONSE` at `INFORMAL`, or at
    a higher `stage` with a `bypass_reason`."""
    who = handlers.Author(principal, actor, business_today(request))
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
        inserts=raised.rows.statements,
        args=raised.rows.args,
        events=raised.events,
        response=answer,
    )
    return await idempotent_create(request, principal, idempotency_key, creation)


@router.get("", response_model=EscalationPage)
async def list_escalations(
    request: Request,
    principal: Reader,
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
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """The tenant's escalations with their stage histories, oldest first. Every escalation
    listed is recorded in the access log."""
    after = decode_cursor(cursor)
    today = business_today(request)
    units = unit_filters(
        request, principal.tenant, area=area, district=district, team=team, service=service
    )
    filters = escalation_rows.ListFilters(
        status=status,
        stage=stage,
        category=category,
        units=units,
        overdue=overdue,
        raised_from=raised_from,
        raised_to=raised_to,
    )
    async with pool(request).acquire() as conn, conn.transaction():
        rows = await escalation_rows.list_page(
            conn, tenant=principal.tenant, filters=filters, today=today, after=after, limit=limit
        )
        items, next_cursor = page(rows, limit)
        body = await _shaped(conn, principal.tenant, items, today)
        await record_accesses(
            conn,
            principal,
            actor=actor,
            resource_type="escalation",
            resource_ids=[r["id"] for r in items],
        )
    return json_response({"items": body, "next_cursor": next_cursor})


@router.get("/{escalation_id}", response_model=EscalationOut)
async def get_escalation(
    request: Request, escalation_id: str, principal: Reader, actor: OptionalActor = None
) -> Response:
    """One escalation of the caller's tenant, with its stage history. Every read is recorded
    in the access log."""
    ident = parse_id(escalation_id, "escalation")
    async with pool(request).acquire() as conn, conn.transaction():
        row = await escalation_rows.get(conn, principal.tenant, ident)
        if row is None:
            raise not_found("escalation")
        [body] = await _shaped(conn, principal.tenant, [row], business_today(request))
        await record_access(
            conn, principal, actor=actor, resource_type="escalation", resource_id=str(ident)
        )
    return to_response(resource_response(body))


async def _escalation_after_step(
    conn: asyncpg.Connection, row: asyncpg.Record, today: date
) -> StoredResponse:
    [body] = await _shaped(conn, row["tenant"], [row], today)
    return resource_response(body)


# Each lifecycle step answers the whole escalation after it.
_steps = LifecycleSteps("escalation", _escalation_after_step)


@router.post("/{escalation_id}/responses", response_model=EscalationOut, responses=STEP_PROBLEMS)
async def record_response(
    request: Request,
    escalation_id: str,
    body: ResponseCreate,
    principal: Writer,
    actor: Actor,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Record the addressee's response to the current stage (from `AWAITING_RESPONSE`, one
    per stage); the status becomes `RESPONSE_RECEIVED`. Answers the whole escalation."""

    return await _steps.run(
        request,
        principal,
        idempotency_key,
        escalation_id,
        lambda conn, ident, today: handlers.record_response(
            conn,
            who=handlers.Author(principal, actor, today),
            escalation_id=ident,
            responder=body.responder,
            response=body.response,
            responded_on=body.responded_on,
            if_match=if_match,
        ),
    )


@router.post("/{escalation_id}/escalate", response_model=EscalationOut, responses=STEP_PROBLEMS)
async def escalate(
    request: Request,
    escalation_id: str,
    body: EscalateRequest,
    principal: Writer,
    actor: Actor,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Move to the next stage only: `NOT_SATISFIED` with a response (`RESPONSE_RECEIVED`), or
    `NO_RESPONSE` after the stage's due date (`AWAITING_RESPONSE`). 409 at `DIRECTOR`."""
    timescales = settings(request).timescales_for(principal.tenant)
    return await _steps.run(
        request,
        principal,
        idempotency_key,
        escalation_id,
        lambda conn, ident, today: handlers.escalate(
            conn,
            who=handlers.Author(principal, actor, today),
            escalation_id=ident,
            reason=body.reason,
            note=body.note,
            escalated_on=body.escalated_on,
            if_match=if_match,
            timescales=timescales,
        ),
    )


@router.post("/{escalation_id}/resolve", response_model=EscalationOut, responses=STEP_PROBLEMS)
async def resolve(
    request: Request,
    escalation_id: str,
    body: ResolveRequest,
    principal: Writer,
    actor: Actor,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """The chair resolves the escalation with an outcome, once a response was received."""

    return await _steps.run(
        request,
        principal,
        idempotency_key,
        escalation_id,
        lambda conn, ident, today: handlers.resolve(
            conn,
            who=handlers.Author(principal, actor, today),
            escalation_id=ident,
            outcome=body.outcome,
            note=body.note,
            resolved_on=body.resolved_on,
            if_match=if_match,
        ),
    )


@router.post("/{escalation_id}/withdraw", response_model=EscalationOut, responses=STEP_PROBLEMS)
async def withdraw(
    request: Request,
    escalation_id: str,
    body: WithdrawRequest,
    principal: Writer,
    actor: Actor,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Withdraw the escalation from any open status."""

    return await _steps.run(
        request,
        principal,
        idempotency_key,
        escalation_id,
        lambda conn, ident, today: handlers.withdraw(
            conn,
            who=handlers.Author(principal, actor, today),
            escalation_id=ident,
            reason=body.reason,
            withdrawn_on=body.withdrawn_on,
            if_match=if_match,
        ),
    )


@router.post(
    "/{escalation_id}/cafcass-referral", response_model=EscalationOut, responses=STEP_PROBLEMS
)
async def refer_to_cafcass(
    request: Request,
    escalation_id: str,
    body: CafcassReferralCreate,
    principal: Writer,
    actor: Actor,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Record a referral to Cafcass, at any time alongside the local process, in any status.
    It applies only to a `CIC` case escalated by an `IRO`, once: otherwise 409."""

    return await _steps.run(
        request,
        principal,
        idempotency_key,
        escalation_id,
        lambda conn, ident, today: handlers.refer_to_cafcass(
            conn,
            who=handlers.Author(principal, actor, today),
            escalation_id=ident,
            referred_on=body.referred_on,
            if_match=if_match,
        ),
    )
