"""What every route shares: the pool and configuration from app state, and the one way a
write runs (a transaction holding the rows, the outbox events and the Idempotency-Key)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import asyncpg
from fastapi import Query, Request
from starlette.responses import Response

from audit_service.configuration import AuditConfiguration
from qaf_shared.http.auth import Principal, requires
from qaf_shared.http.idempotency import StoredResponse, fingerprint, write_once
from qaf_shared.http.org_units import tenant_units
from qaf_shared.http.problems import field_error, problem_responses
from qaf_shared.http.resources import to_response

Reader = Annotated[Principal, requires("audits:read")]
Writer = Annotated[Principal, requires("audits:write")]
Moderator = Annotated[Principal, requires("audits:moderate")]

UnitQuery = Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Z0-9_\-]+$")]

# Lifecycle POSTs: 409 (step not applicable, or the same Idempotency-Key still running),
# 412 (stale If-Match). PATCH also answers 428 without If-Match.
POST_ERRORS = problem_responses(409, 412)
PATCH_ERRORS = problem_responses(409, 412, 428)
CREATE_ERRORS = problem_responses(409)


def pool(request: Request) -> asyncpg.Pool:
    value: asyncpg.Pool = request.app.state.pool
    return value


def configuration(request: Request) -> AuditConfiguration:
    value: AuditConfiguration = request.app.state.audit_configuration
    return value


async def write(
    request: Request,
    principal: Principal,
    idempotency_key: str | None,
    handler: Callable[[asyncpg.Connection], Awaitable[StoredResponse]],
) -> Response:
    """Run `handler` in one transaction, at most once per Idempotency-Key."""
    body = await request.body()
    settings = request.app.state.settings
    stored = await write_once(
        pool(request),
        principal=principal,
        key=idempotency_key,
        request_fingerprint=fingerprint(request.method, request.url.path, body),
        ttl_hours=settings.idempotency_ttl_hours,
        handler=handler,
    )
    return to_response(stored)


def check_unit_filters(request: Request, tenant: str, **codes: str | None) -> None:
    """A unit filter names a unit of that kind in the tenant's tree (a typo is a 422, not an
    empty page)."""
    units = tenant_units(request, tenant)
    for kind, code in codes.items():
        if code is not None and units.kind_of(code) != kind:
            raise field_error(f"query.{kind}", f"unknown {kind} {code!r} for tenant {tenant}")
