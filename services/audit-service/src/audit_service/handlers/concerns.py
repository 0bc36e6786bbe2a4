"""Safeguarding concerns raised on an audit."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg

from audit_service.handlers import audits as audit_handlers
from audit_service.repository import audits as audit_rows
from audit_service.repository import concerns as concern_rows
from qaf_shared.authors import Author
from qaf_shared.events.audit import SafeguardingConcernRaised


async def raise_concern(
    conn: asyncpg.Connection,
    audit_id: uuid.UUID,
    *,
    who: Author,
    raised_by: str,
    detail: str,
    raised_on: date | None,
) -> asyncpg.Record:
    """A safeguarding concern, on an audit in any state: the event goes out at once (the
    relay is woken on commit), since it calls for management action on one child."""
    audit = await audit_handlers.locked(conn, who.principal, audit_id)
    raised_on = who.date_of("raised_on", raised_on)
    row = await concern_rows.insert(
        conn,
        who,
        concern_rows.NewConcern(
            tenant=who.principal.tenant,
            audit_id=audit_id,
            raised_by=raised_by,
            detail=detail,
            raised_on=raised_on,
        ),
    )
    counted = {"safeguarding_concerns": audit["safeguarding_concerns"] + 1}
    audit = await audit_rows.update(conn, who, audit_id, counted)
    await audit_handlers.emit(
        conn, who, audit, SafeguardingConcernRaised, concern_id=row["id"], raised_on=raised_on
    )
    return row
