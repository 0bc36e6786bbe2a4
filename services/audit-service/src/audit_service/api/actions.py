"""HTTP routes for audit actions: list, read and move through their lifecycle."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Query
from starlette.responses import Response

from audit_service.api.deps import ReaderGet, ReaderList, UnitQuery, WriterPatch
from audit_service.api.problems import PATCH_ERRORS
from audit_service.api.schemas.actions import ActionOut, ActionPage, ActionUpdate, action_out
from audit_service.api.schemas.common import StaffId
from audit_service.handlers import actions as handlers
from audit_service.repository import actions as action_rows
from qaf_shared.enums import ActionStatus
from qaf_shared.http.auth import OptionalActor
from qaf_shared.http.pagination import Cursor, decode_cursor
from qaf_shared.http.problems import field_error
from qaf_shared.http.reads import Reads, each_row
from qaf_shared.http.steps import LifecycleSteps

router = APIRouter(prefix="/v1/actions", tags=["actions"])
# Reads answer whole actions, and so does a status change (a step of an action's lifecycle).
_reads = Reads("action", each_row(action_out), resource_type="action", get=action_rows.get)
_steps = LifecycleSteps("action", _reads.answer)


@router.get("", response_model=ActionPage)
async def list_actions(
    call: ReaderList,
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
    cursor: Cursor = None,
) -> Response:
    """The tenant's actions, oldest first, filtered by status, audit, owner, the audit's
    org unit, overdue and due date; each one listed is access-logged."""
    units = call.units(area=area, district=district, team=team, service=service)
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

    async def rows(conn: asyncpg.Connection, on: date) -> list[asyncpg.Record]:
        return await action_rows.LIST.page(
            conn, call.principal.tenant, filters, after=after, limit=call.limit, today=on
        )

    return await _reads.page(call, actor, rows)


@router.get("/{action_id}", response_model=ActionOut)
async def get_action(action_id: str, call: ReaderGet) -> Response:
    """One action of the caller's tenant (access-logged)."""
    return await _reads.one(call, action_id)


@router.patch("/{action_id}", response_model=ActionOut, responses=PATCH_ERRORS)
async def update_action(action_id: str, body: ActionUpdate, call: WriterPatch) -> Response:
    """Move an action on: `OPEN` → `IN_PROGRESS` → `COMPLETED` (records `completed_on`,
    default today) → `VERIFIED`; `OPEN` or `IN_PROGRESS` → `CANCELLED`. `If-Match` is
    required."""
    return await _steps.step(
        call,
        action_id,
        lambda conn, ident, on: handlers.change_status(
            conn,
            principal=call.principal,
            actor=call.actor,
            action_id=ident,
            body=body,
            if_match=call.if_match,
            today=on,
        ),
    )
