"""HTTP routes for audit actions: list, read and move through their lifecycle."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from audit_service.api.deps import Reader, UnitQuery, Writer, pool
from audit_service.api.problems import PATCH_ERRORS
from audit_service.api.schemas.actions import ActionOut, ActionPage, ActionUpdate, action_out
from audit_service.api.schemas.common import StaffId
from audit_service.handlers import actions as handlers
from audit_service.repository import actions as action_rows
from qaf_shared.clock import business_today
from qaf_shared.enums import ActionStatus
from qaf_shared.http.access_log import record_access, record_accesses
from qaf_shared.http.auth import Actor, OptionalActor
from qaf_shared.http.list_query import unit_filters
from qaf_shared.http.pagination import Cursor, Limit, decode_cursor, page
from qaf_shared.http.problems import field_error
from qaf_shared.http.resources import (
    IfMatch,
    StoredResponse,
    json_response,
    not_found,
    parse_id,
    resource_response,
    to_response,
)
from qaf_shared.http.steps import LifecycleSteps

router = APIRouter(prefix="/v1/actions", tags=["actions"])


@router.get("", response_model=ActionPage)
async def list_actions(
    request: Request,
    principal: Reader,
    actor: OptionalActor = None,
    status: Annotated[list[ActionStatus] | None, Query(description="One or more.")] = None,
    audit_id: uuid.UUID | None = None,
    owner: Annotated[StaffId | None, Query()] = None,
    area: UnitQuery = None,
    district: UnitQuery = None,
    team: UnitQuery = None,
    service: UnitQuery = None,
    overdue: Annotated[
        bool | None, Query(description="Open or in progress after the due date.")
    ] = None,
    due_from: date | None = None,
    due_to: date | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """The tenant's actions, oldest first, filtered by status, audit, owner, the audit's
    org unit, overdue and due date; each one listed is access-logged."""
    units = unit_filters(
        request, principal.tenant, area=area, district=district, team=team, service=service
    )
    if due_from and due_to and due_from > due_to:
        raise field_error("query.due_to", "must not be before due_from")
    filters = action_rows.ActionFilters(
        statuses=[s.value for s in status] if status else None,
        audit_id=audit_id,
        owner=owner,
        units=units,
        overdue=overdue,
        due_from=due_from,
        due_to=due_to,
    )
    after = decode_cursor(cursor)
    on = business_today(request)
    async with pool(request).acquire() as conn, conn.transaction():
        rows = await action_rows.list_page(
            conn, principal.tenant, filters, after=after, limit=limit, today=on
        )
        items, next_cursor = page(rows, limit)
        await record_accesses(
            conn,
            principal,
            actor=actor,
            resource_type="action",
            resource_ids=[r["id"] for r in items],
        )
    return json_response({"items": [action_out(r, on) for r in items], "next_cursor": next_cursor})


@router.get("/{action_id}", response_model=ActionOut)
async def get_action(
    request: Request, action_id: str, principal: Reader, actor: OptionalActor = None
) -> Response:
    """One action of the caller's tenant (access-logged)."""
    on = business_today(request)
    ident = parse_id(action_id, "action")
    async with pool(request).acquire() as conn, conn.transaction():
        row = await action_rows.get(conn, principal.tenant, ident)
        if row is None:
            raise not_found("action")
        await record_access(
            conn, principal, actor=actor, resource_type="action", resource_id=str(ident)
        )
    return to_response(resource_response(action_out(row, on)))


async def _action_after_step(
    conn: asyncpg.Connection, row: asyncpg.Record, on: date
) -> StoredResponse:
    return resource_response(action_out(row, on))


# An action's status change is a step of its lifecycle, answered with the whole action.
_steps = LifecycleSteps("action", _action_after_step)


@router.patch("/{action_id}", response_model=ActionOut, responses=PATCH_ERRORS)
async def update_action(
    request: Request,
    action_id: str,
    body: ActionUpdate,
    principal: Writer,
    actor: Actor,
    if_match: IfMatch = None,
) -> Response:
    """Move an action on: `OPEN` → `IN_PROGRESS` → `COMPLETED` (records `completed_on`,
    default today) → `VERIFIED`; `OPEN` or `IN_PROGRESS` → `CANCELLED`. `If-Match` is
    required."""
    return await _steps.run(
        request,
        principal,
        None,
        action_id,
        lambda conn, ident, on: handlers.change_status(
            conn,
            principal=principal,
            actor=actor,
            action_id=ident,
            body=body,
            if_match=if_match,
            today=on,
        ),
    )
