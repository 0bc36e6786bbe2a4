"""HTTP routes for case audits: parse, authorise, call a handler, shape the response."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Request
from starlette.responses import Response

from audit_service import handlers, repository
from audit_service.api.schemas import AuditCreate, AuditOut, AuditSubmit
from qaf_shared.http.access_log import record_access
from qaf_shared.http.auth import Actor, OptionalActor, Principal, requires
from qaf_shared.http.idempotency import IdempotencyKey, fingerprint, run_once
from qaf_shared.http.org_units import resolve_org_unit
from qaf_shared.http.problems import problem_responses
from qaf_shared.http.resources import (
    IfMatch,
    not_found,
    parse_id,
    resource_response,
    to_response,
)

router = APIRouter(prefix="/v1/audits", tags=["audits"])

Reader = Annotated[Principal, requires("audits:read")]
Writer = Annotated[Principal, requires("audits:write")]

_ERRORS = problem_responses(409, 412)


def _pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


@router.post("", status_code=201, response_model=AuditOut, responses=_ERRORS)
async def schedule_audit(
    request: Request,
    body: AuditCreate,
    principal: Writer,
    actor: Actor,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Schedule a case audit (status `SCHEDULED`)."""
    unit = resolve_org_unit(request, principal.tenant, body)
    settings = request.app.state.settings

    async def create() -> Any:
        row = await handlers.schedule_audit(
            conn, principal=principal, actor=actor, body=body, unit=unit
        )
        return resource_response(
            handlers.audit_out(row), status=201, location=f"/v1/audits/{row['id']}"
        )

    async with _pool(request).acquire() as conn, conn.transaction():
        stored = await run_once(
            conn,
            principal=principal,
            key=idempotency_key,
            request_fingerprint=fingerprint("POST", request.url.path, await request.body()),
            ttl_hours=settings.idempotency_ttl_hours,
            handler=create,
        )
    return to_response(stored)


@router.get("/{audit_id}", response_model=AuditOut, responses=_ERRORS)
async def get_audit(
    request: Request, audit_id: str, principal: Reader, actor: OptionalActor = None
) -> Response:
    """One audit of the caller's tenant. Every read is recorded in the access log."""
    ident = parse_id(audit_id, "audit")
    async with _pool(request).acquire() as conn, conn.transaction():
        row = await repository.get_audit(conn, principal.tenant, ident)
        if row is None:
            raise not_found("audit")
        await record_access(
            conn, principal, actor=actor, resource_type="audit", resource_id=str(ident)
        )
    body = handlers.audit_out(row)
    return to_response(resource_response(body))


@router.post("/{audit_id}/submit", response_model=AuditOut, responses=_ERRORS)
async def submit_audit(
    request: Request,
    audit_id: str,
    body: AuditSubmit,
    principal: Writer,
    actor: Actor,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Submit the auditor's grades and findings (from `SCHEDULED` or `IN_PROGRESS`)."""
    ident = parse_id(audit_id, "audit")
    settings = request.app.state.settings

    async def submit() -> Any:
        row = await handlers.submit_audit(
            conn, principal=principal, actor=actor, audit_id=ident, body=body, if_match=if_match
        )
        return resource_response(handlers.audit_out(row))

    async with _pool(request).acquire() as conn, conn.transaction():
        stored = await run_once(
            conn,
            principal=principal,
            key=idempotency_key,
            request_fingerprint=fingerprint("POST", request.url.path, await request.body()),
            ttl_hours=settings.idempotency_ttl_hours,
            handler=submit,
        )
    return to_response(stored)
