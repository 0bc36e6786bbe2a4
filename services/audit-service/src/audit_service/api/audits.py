"""HTTP routes for case audits: parse, authorise, call a handler, shape the response."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from functools import partial
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Body, Query
from starlette.responses import Response

from audit_service.api.deps import (
    ModeratorStep,
    ReaderGet,
    ReaderList,
    UnitQuery,
    WriterCreate,
    WriterPatch,
    WriterStep,
    configuration,
)
from audit_service.api.problems import CREATE_ERRORS, PATCH_ERRORS
from audit_service.api.schemas.actions import ActionCreate, ActionOut, action_out
from audit_service.api.schemas.audits import (
    AuditCreate,
    AuditDraft,
    AuditOut,
    AuditPage,
    AuditSubmit,
    CancelIn,
    CloseIn,
    ModerationIn,
    PeerReviewIn,
    audit_out,
)
from audit_service.api.schemas.concerns import (
    ConcernCreate,
    ConcernOut,
    ConcernPage,
    concern_out,
)
from audit_service.handlers import actions as action_handlers
from audit_service.handlers import audits as handlers
from audit_service.handlers import concerns as concern_handlers
from audit_service.repository import audits as audit_rows
from audit_service.repository import concerns as concern_rows
from qaf_shared.authors import Author
from qaf_shared.clock import business_today
from qaf_shared.enums import AuditStatus, Grade
from qaf_shared.http.app import app_pool
from qaf_shared.http.auth import OptionalActor
from qaf_shared.http.creates import CreateCall, CreateRoute, Creates
from qaf_shared.http.idempotency import Creation, idempotent_create
from qaf_shared.http.org_units import resolve_org_unit
from qaf_shared.http.pagination import Cursor, decode_cursor
from qaf_shared.http.problems import field_error
from qaf_shared.http.reads import ListCall, Reads, each_row
from qaf_shared.http.resources import StoredResponse, not_found, parse_id, resource_response
from qaf_shared.http.steps import STEP_PROBLEMS, LifecycleSteps

router = APIRouter(prefix="/v1/audits", tags=["audits"], route_class=CreateRoute)


def _audit_response(row: Mapping[str, Any], on: date, status: int = 200) -> StoredResponse:
    location = f"/v1/audits/{row['id']}" if status == 201 else None
    return resource_response(audit_out(row, on), status=status, location=location)


# Reads answer whole audits, and so do the lifecycle's routes (the PATCH that drafts, submit,
# peer review, moderation, close, cancel), each after its step.
_reads = Reads("audit", each_row(audit_out), resource_type="audit", get=audit_rows.get)
_steps = LifecycleSteps("audit", _reads.answer)
# A concern is read only on its audit: each route gives the read.
_concerns = Reads(
    "safeguarding concern",
    each_row(lambda row, _on: concern_out(row)),
    resource_type="safeguarding_concern",
)
# What is raised on an audit answers as its own reads do, at its own address.
_new_concerns = Creates(
    _concerns.shape,
    lambda row: f"/v1/audits/{row['audit_id']}/safeguarding-concerns/{row['id']}",
)
_new_actions = Creates(each_row(action_out), lambda row: f"/v1/actions/{row['id']}")


@router.post("", status_code=201, response_model=AuditOut, responses=CREATE_ERRORS)
async def schedule_audit(body: AuditCreate, call: WriterCreate) -> Response:
    """Schedule a case audit (status `SCHEDULED`), with the tenant's current template."""
    request, principal = call.request, call.principal
    on = business_today(request)
    scheduled = await handlers.schedule(
        app_pool(request),
        who=Author(principal, call.actor, on),
        unit=resolve_org_unit(request, principal.tenant, body),
        config=configuration(request),
        **vars(body),
    )
    creation = Creation(
        inserts=scheduled.inserts,
        args=scheduled.args,
        events=scheduled.events,
        response=_audit_response(scheduled.row, on, status=201),
    )
    return await idempotent_create(request, principal, call.idempotency_key, creation)


@router.get("", response_model=AuditPage)
async def list_audits(
    call: ReaderList,
    actor: OptionalActor = None,
    status: Annotated[list[AuditStatus] | None, Query(description="One or more.")] = None,
    area: UnitQuery = None,
    district: UnitQuery = None,
    team: UnitQuery = None,
    service: UnitQuery = None,
    programme_id: uuid.UUID | None = None,
    overdue: bool | None = None,
    grade: Annotated[Grade | None, Query(description="The final grade.")] = None,
    submitted_from: date | None = None,
    submitted_to: date | None = None,
    cursor: Cursor = None,
) -> Response:
    """The tenant's audits, oldest first, filtered; each one listed is access-logged."""
    units = call.units(area=area, district=district, team=team, service=service)
    if submitted_from and submitted_to and submitted_from > submitted_to:
        raise field_error("query.submitted_to", "must not be before submitted_from")
    filters = audit_rows.AuditFilters(
        statuses=[s.value for s in status] if status else None,
        units=units,
        programme_id=programme_id,
        overdue=overdue,
        grade=grade.value if grade else None,
        submitted_from=submitted_from,
        submitted_to=submitted_to,
    )
    return await audit_page(call, actor, filters, cursor)


async def audit_page(
    call: ListCall, actor: str | None, filters: audit_rows.AuditFilters, cursor: str | None
) -> Response:
    """One page of audits, access-logged (shared with a programme's audit list)."""
    return await _reads.listed(call, actor, audit_rows.LIST, filters, decode_cursor(cursor))


@router.get("/{audit_id}", response_model=AuditOut)
async def get_audit(audit_id: str, call: ReaderGet) -> Response:
    """One audit of the caller's tenant. Every read is recorded in the access log."""
    return await _reads.one(call, audit_id)


@router.patch("/{audit_id}", response_model=AuditOut, responses=PATCH_ERRORS)
async def draft_audit(audit_id: str, body: AuditDraft, call: WriterPatch) -> Response:
    """Draft answers while `SCHEDULED` or `IN_PROGRESS` (a `SCHEDULED` audit becomes
    `IN_PROGRESS`). `If-Match` is required. Answers are checked against the audit's
    template version (question ids and answer kinds)."""
    config = configuration(call.request)
    given = body.model_fields_set
    act = partial(handlers.draft, config=config, given=given, **vars(body))
    return await _steps.step_by(call, audit_id, act)


@router.post("/{audit_id}/submit", response_model=AuditOut, responses=STEP_PROBLEMS)
async def submit_audit(audit_id: str, body: AuditSubmit, call: WriterStep) -> Response:
    """Submit the auditor's grades and findings (from `SCHEDULED` or `IN_PROGRESS`),
    validated against the audit's template version. A returned audit is resubmitted the
    same way; its `submission_number` goes up and the latest `submitted_on` counts."""
    config = configuration(call.request)
    return await _steps.step_by(
        call, audit_id, partial(handlers.submit, config=config, **vars(body))
    )


@router.post("/{audit_id}/peer-review", response_model=AuditOut, responses=STEP_PROBLEMS)
async def peer_review_audit(audit_id: str, body: PeerReviewIn, call: WriterStep) -> Response:
    """Peer review a `SUBMITTED` audit: `AGREED`, `REGRADED` (with the reviewer's `grade`)
    or `RETURNED` to the auditor (back to `IN_PROGRESS`). A completed review chooses at
    random, at the tenant's rate, whether the audit goes to `MODERATION`; the choice, its
    seed and draw are recorded in `moderation_selection`."""
    config = configuration(call.request)
    act = partial(handlers.peer_review, config=config, **vars(body))
    return await _steps.step_by(call, audit_id, act)


@router.post("/{audit_id}/moderation", response_model=AuditOut, responses=STEP_PROBLEMS)
async def moderate_audit(audit_id: str, body: ModerationIn, call: ModeratorStep) -> Response:
    """Record the moderator's grade (only for an audit chosen for moderation, in
    `MODERATION`); the grade before moderation is kept beside it."""
    return await _steps.step_by(call, audit_id, partial(handlers.moderate, **vars(body)))


@router.post("/{audit_id}/close", response_model=AuditOut, responses=STEP_PROBLEMS)
async def close_audit(
    audit_id: str, call: WriterStep, body: Annotated[CloseIn | None, Body()] = None
) -> Response:
    """Close a `PEER_REVIEWED` (not chosen for moderation) or `MODERATED` audit."""
    return await _steps.step_by(call, audit_id, partial(handlers.close, **vars(body or CloseIn())))


@router.post("/{audit_id}/cancel", response_model=AuditOut, responses=STEP_PROBLEMS)
async def cancel_audit(
    audit_id: str, call: WriterStep, body: Annotated[CancelIn | None, Body()] = None
) -> Response:
    """Cancel an audit that was never submitted (`SCHEDULED` or `IN_PROGRESS`): once
    submitted, an audit is a record and stays one."""
    act = partial(handlers.cancel, **vars(body or CancelIn()))
    return await _steps.step_by(call, audit_id, act)


@router.post(
    "/{audit_id}/safeguarding-concerns",
    status_code=201,
    response_model=ConcernOut,
    responses=CREATE_ERRORS,
)
async def raise_safeguarding_concern(
    audit_id: str, body: ConcernCreate, call: WriterCreate
) -> Response:
    """Raise a safeguarding concern on an audit in any state. It is urgent: the event
    `audit.safeguarding_concern_raised` goes out at once (never with the detail)."""
    act = partial(concern_handlers.raise_concern, **vars(body))
    return await _raised_on(call, audit_id, _new_concerns, act)


@router.get("/{audit_id}/safeguarding-concerns", response_model=ConcernPage)
async def list_safeguarding_concerns(
    audit_id: str, call: ReaderList, actor: OptionalActor = None, cursor: Cursor = None
) -> Response:
    """The concerns raised on one audit, oldest first; each read is access-logged."""
    ident = parse_id(audit_id, "audit")
    after = decode_cursor(cursor)
    tenant = call.principal.tenant

    async def concerns(conn: asyncpg.Connection, _on: date) -> list[asyncpg.Record]:
        if await audit_rows.get(conn, tenant, ident) is None:
            raise not_found("audit")
        return await concern_rows.list_page(conn, tenant, ident, after=after, limit=call.limit)

    return await _concerns.page(call, actor, concerns)


@router.get("/{audit_id}/safeguarding-concerns/{concern_id}", response_model=ConcernOut)
async def get_safeguarding_concern(audit_id: str, concern_id: str, call: ReaderGet) -> Response:
    """One concern raised on an audit of the caller's tenant (the `Location` its POST
    answers). The detail is free text about a child: it goes only to this answer, never
    to a log line or an event. Every read is recorded in the access log."""
    audit_ident = parse_id(audit_id, "safeguarding concern")
    return await _concerns.one(
        call,
        concern_id,
        get=lambda conn, tenant, ident: concern_rows.get(conn, tenant, audit_ident, ident),
    )


@router.post(
    "/{audit_id}/actions", status_code=201, response_model=ActionOut, responses=CREATE_ERRORS
)
async def raise_action(audit_id: str, body: ActionCreate, call: WriterCreate) -> Response:
    """Raise an action from an audit (not `SCHEDULED` nor `CANCELLED`): an owner and a due
    date, by default the tenant's working days (20) after `raised_on`, England and Wales
    bank holidays excluded."""
    config = configuration(call.request)
    act = partial(action_handlers.raise_action, config=config, **vars(body))
    return await _raised_on(call, audit_id, _new_actions, act)


def _raised_on(
    call: CreateCall,
    audit_id: str,
    creates: Creates,
    act: Callable[..., Awaitable[asyncpg.Record]],
) -> Awaitable[Response]:
    """Raise something on an audit (a concern, an action) through its handler (`act`, with the
    route's own arguments bound) as each is raised: by the caller, on the business date, on
    the audit the path names (a malformed id is 404, as an unknown one is)."""
    ident = parse_id(audit_id, "audit")
    return creates.create(
        call,
        lambda conn, on: act(conn, ident, who=Author(call.principal, call.actor, on)),
    )
