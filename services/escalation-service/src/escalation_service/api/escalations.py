"""HTTP routes for escalations: parse, authorise, call a handler, shape the response."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from escalation_service import handlers, repository
from escalation_service.api.schemas import (
    CafcassReferralCreate,
    EscalateRequest,
    EscalationCreate,
    EscalationOut,
    EscalationPage,
    ResolveRequest,
    ResponseCreate,
    WithdrawRequest,
)
from escalation_service.settings import EscalationSettings
from qaf_shared.clock import business_today
from qaf_shared.enums import EscalationCategory, EscalationStage, EscalationStatus
from qaf_shared.http.access_log import record_access, record_accesses
from qaf_shared.http.auth import Actor, OptionalActor, Principal, requires
from qaf_shared.http.idempotency import (
    IdempotencyKey,
    StoredResponse,
    idempotent_create,
    idempotent_write,
)
from qaf_shared.http.org_units import UnitCode, resolve_org_unit
from qaf_shared.http.pagination import Cursor, Limit, decode_cursor, page
from qaf_shared.http.problems import problem_responses
from qaf_shared.http.resources import (
    IfMatch,
    json_response,
    not_found,
    parse_id,
    resource_response,
    to_response,
)

router = APIRouter(prefix="/v1/escalations", tags=["escalations"])

Reader = Annotated[Principal, requires("escalations:read")]
Writer = Annotated[Principal, requires("escalations:write")]

_STEP_ERRORS = problem_responses(409, 412)


def _pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


def _settings(request: Request) -> EscalationSettings:
    settings: EscalationSettings = request.app.state.settings
    return settings


@router.post("", status_code=201, response_model=EscalationOut, responses=_STEP_ERRORS)
async def raise_escalation(
    request: Request,
    body: EscalationCreate,
    principal: Writer,
    actor: Actor,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Raise an escalation about one child's case: `AWAITING_RESPONSE` at `INFORMAL`, or at
    a higher `stage` with a `bypass_reason`."""
    unit = resolve_org_unit(request, principal.tenant, body)
    creation = handlers.raise_escalation(
        who=handlers.Writer(principal, actor, business_today(request)),
        body=body,
        unit=unit,
        timescales=_settings(request).timescales_for(principal.tenant),
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
    filters = repository.ListFilters(
        status=status,
        stage=stage,
        category=category,
        area=area,
        district=district,
        team=team,
        service=service,
        overdue=overdue,
        raised_from=raised_from,
        raised_to=raised_to,
    )
    async with _pool(request).acquire() as conn, conn.transaction():
        rows = await repository.list_escalations(
            conn, tenant=principal.tenant, filters=filters, today=today, after=after, limit=limit
        )
        items, next_cursor = page(rows, limit)
        body = await handlers.resources(conn, principal.tenant, items, today)
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
    async with _pool(request).acquire() as conn, conn.transaction():
        row = await repository.get_escalation(conn, principal.tenant, ident)
        if row is None:
            raise not_found("escalation")
        body = await handlers.resource(conn, row, business_today(request))
        await record_access(
            conn, principal, actor=actor, resource_type="escalation", resource_id=str(ident)
        )
    return to_response(resource_response(body))


Step = Callable[[asyncpg.Connection, handlers.Writer, uuid.UUID], Awaitable[asyncpg.Record]]


async def _step(
    request: Request,
    escalation_id: str,
    principal: Principal,
    actor: str,
    idempotency_key: str | None,
    step: Step,
) -> Response:
    """A lifecycle step on one escalation; answers the whole escalation after it."""
    ident = parse_id(escalation_id, "escalation")
    who = handlers.Writer(principal, actor, business_today(request))

    async def write(conn: asyncpg.Connection) -> StoredResponse:
        row = await step(conn, who, ident)
        return resource_response(await handlers.resource(conn, row, who.today))

    return await idempotent_write(request, principal, idempotency_key, write)


@router.post("/{escalation_id}/responses", response_model=EscalationOut, responses=_STEP_ERRORS)
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

    async def step(conn: asyncpg.Connection, who: handlers.Writer, ident: uuid.UUID) -> Any:
        return await handlers.record_response(
            conn, who=who, escalation_id=ident, body=body, if_match=if_match
        )

    return await _step(request, escalation_id, principal, actor, idempotency_key, step)


@router.post("/{escalation_id}/escalate", response_model=EscalationOut, responses=_STEP_ERRORS)
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
    timescales = _settings(request).timescales_for(principal.tenant)

    async def step(conn: asyncpg.Connection, who: handlers.Writer, ident: uuid.UUID) -> Any:
        return await handlers.escalate(
            conn,
            who=who,
            escalation_id=ident,
            body=body,
            if_match=if_match,
            timescales=timescales,
        )

    return await _step(request, escalation_id, principal, actor, idempotency_key, step)


@router.post("/{escalation_id}/resolve", response_model=EscalationOut, responses=_STEP_ERRORS)
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

    async def step(conn: asyncpg.Connection, who: handlers.Writer, ident: uuid.UUID) -> Any:
        return await handlers.resolve(
            conn, who=who, escalation_id=ident, body=body, if_match=if_match
        )

    return await _step(request, escalation_id, principal, actor, idempotency_key, step)


@router.post("/{escalation_id}/withdraw", response_model=EscalationOut, responses=_STEP_ERRORS)
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

    async def step(conn: asyncpg.Connection, who: handlers.Writer, ident: uuid.UUID) -> Any:
        return await handlers.withdraw(
            conn, who=who, escalation_id=ident, body=body, if_match=if_match
        )

    return await _step(request, escalation_id, principal, actor, idempotency_key, step)


@router.post(
    "/{escalation_id}/cafcass-referral", response_model=EscalationOut, responses=_STEP_ERRORS
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

    async def step(conn: asyncpg.Connection, who: handlers.Writer, ident: uuid.UUID) -> Any:
        return await handlers.refer_to_cafcass(
            conn, who=who, escalation_id=ident, body=body, if_match=if_match
        )

    return await _step(request, escalation_id, principal, actor, idempotency_key, step)
