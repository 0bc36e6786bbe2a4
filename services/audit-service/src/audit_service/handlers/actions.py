"""Actions raised from an audit, and their lifecycle."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg

from audit_service.configuration import AuditConfiguration
from audit_service.domain.actions import check_action_transition, default_due_date
from audit_service.handlers import audits as audit_handlers
from audit_service.repository import actions as action_rows
from audit_service.repository import logs
from qaf_shared.authors import Author
from qaf_shared.enums import ActionStatus, AuditStatus
from qaf_shared.events.audit import ActionRaised, ActionStatusChanged
from qaf_shared.http.locking import locked_for_change
from qaf_shared.http.resources import not_found
from qaf_shared.rules import RuleBroken, StepNotAllowed

# A cancelled audit asks nothing of anyone; a scheduled one has no findings yet.
_NO_ACTIONS = frozenset({AuditStatus.SCHEDULED, AuditStatus.CANCELLED})


async def raise_action(
    conn: asyncpg.Connection,
    audit_id: uuid.UUID,
    *,
    who: Author,
    description: str,
    owner: str,
    due_date: date | None,
    raised_on: date | None,
    config: AuditConfiguration,
) -> asyncpg.Record:
    audit = await audit_handlers.locked(conn, who.principal, audit_id)
    status = AuditStatus(audit["status"])
    if status in _NO_ACTIONS:
        raise StepNotAllowed(f"An audit in status {status.value} cannot raise actions.")
    raised_on = who.date_of("raised_on", raised_on)
    due_date = due_date or default_due_date(
        raised_on, config.tenant(who.principal.tenant).action_due_working_days
    )
    if due_date < raised_on:
        raise RuleBroken("body.due_date", "cannot be before the day it is raised")
    row = await action_rows.insert(
        conn,
        who,
        action_rows.NewAction(
            tenant=who.principal.tenant,
            audit_id=audit_id,
            description=description,
            owner=owner,
            raised_on=raised_on,
            due_date=due_date,
        ),
    )
    await audit_handlers.emit(
        conn,
        who,
        audit,
        ActionRaised,
        action_id=row["id"],
        status=ActionStatus.OPEN,
        raised_on=raised_on,
        due_date=due_date,
    )
    return row


async def change_status(
    conn: asyncpg.Connection,
    action_id: uuid.UUID,
    *,
    who: Author,
    status: ActionStatus,
    completed_on: date | None,
    if_match: str | None,
) -> asyncpg.Record:
    found = await action_rows.get(conn, who.principal.tenant, action_id)
    if found is None:
        raise not_found("action")
    # The audit first, then the action: the same lock order as raising one.
    audit = await audit_handlers.locked(conn, who.principal, found["audit_id"])
    fetch = action_rows.get(conn, who.principal.tenant, action_id, for_update=True)
    current = await locked_for_change(fetch, "action", if_match=if_match, required=True)
    previous = ActionStatus(current["status"])
    check_action_transition(previous, status)
    if status is ActionStatus.COMPLETED:
        completed_on = who.date_of("completed_on", completed_on, not_before=current["raised_on"])
    elif completed_on is not None:
        raise RuleBroken("body.completed_on", "given only when the status becomes COMPLETED")
    changed_on = completed_on or who.today
    row = await action_rows.set_status(
        conn,
        who,
        action_id,
        status=status.value,
        changed_on=changed_on,
        completed_on=completed_on,
    )
    await logs.record_step(conn, who, "action", current, row, "status_changed")
    await audit_handlers.emit(
        conn,
        who,
        audit,
        ActionStatusChanged,
        action_id=action_id,
        status=status,
        raised_on=row["raised_on"],
        due_date=row["due_date"],
        previous_status=previous,
        changed_on=changed_on,
        completed_on=row["completed_on"],
    )
    return row
