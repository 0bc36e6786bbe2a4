"""Safeguarding concerns raised on an audit."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Protocol

import asyncpg

from audit_service.events import audit_event
from audit_service.handlers import audits as audit_handlers
from audit_service.repository import audits as audit_rows
from audit_service.repository import concerns as concern_rows
from audit_service.repository import logs
from qaf_shared.dates import check_date
from qaf_shared.events.audit import SafeguardingConcernRaised
from qaf_shared.http.auth import Principal
from qaf_shared.outbox import add_events

# The validated input raising a concern takes. The API's request model
# (api/schemas/concerns.py) has this shape; the use case names only what it reads, so it
# never imports the API.


class ConcernInput(Protocol):
    @property
    def raised_by(self) -> str: ...
    @property
    def detail(self) -> str: ...
    @property
    def raised_on(self) -> date | None: ...


async def raise_concern(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    audit_id: uuid.UUID,
    body: ConcernInput,
    today: date,
) -> asyncpg.Record:
    """A safeguarding concern, on an audit in any state: the event goes out at once (the
    relay is woken on commit), since it calls for management action on one child."""
    audit = await audit_handlers.locked(conn, principal, audit_id)
    on = today
    raised_on = body.raised_on or on
    check_date("body.raised_on", raised_on, today=on)
    row = await concern_rows.insert(
        conn,
        principal=principal,
        actor=actor,
        concern=concern_rows.NewConcern(
            tenant=principal.tenant,
            audit_id=audit_id,
            raised_by=body.raised_by,
            detail=body.detail,
            raised_on=raised_on,
        ),
    )
    audit = await audit_rows.update(
        conn,
        principal=principal,
        actor=actor,
        audit_id=audit_id,
        changes={"safeguarding_concerns": audit["safeguarding_concerns"] + 1},
    )
    await logs.record_change(
        conn,
        principal,
        actor=actor,
        resource_type="safeguarding_concern",
        resource_id=row["id"],
        change="raised",
    )
    await add_events(
        conn,
        [
            audit_event(
                principal.tenant,
                audit,
                SafeguardingConcernRaised,
                concern_id=row["id"],
                raised_on=raised_on,
            )
        ],
    )
    return row
