"""The audit_actions table (read with the org unit of the audit each belongs to)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

import asyncpg

from qaf_shared.http.auth import Principal
from qaf_shared.http.list_query import ListQuery, UnitFilters
from qaf_shared.rows import WRITTEN_BY, RowShape

_ACTION = """x.id, x.version, x.tenant, x.audit_id, x.description, x.owner, x.raised_on,
x.due_date, x.status, x.status_changed_on, x.completed_on, x.created_at, x.updated_at,
a.area, a.district, a.team, a.service"""

_SELECT = f"SELECT {_ACTION} FROM audit_actions x JOIN audits a ON a.id = x.audit_id"

_SET_STATUS = """
UPDATE audit_actions SET status = $3, status_changed_on = $4,
    completed_on = COALESCE($5, completed_on), version = version + 1, updated_at = now(),
    updated_by_client = $6, updated_by_actor = $7
WHERE tenant = $1 AND id = $2
"""


@dataclass(slots=True, kw_only=True)
class NewAction:
    """A new action: the columns the application sets, in the order of their parameters."""

    id: uuid.UUID = field(default_factory=uuid.uuid4)
    tenant: str
    audit_id: uuid.UUID
    description: str
    owner: str
    raised_on: date
    due_date: date


_NEW = RowShape(
    "audit_actions",
    NewAction,
    constants={"status": "OPEN", "version": 1},
    copies={"status_changed_on": "raised_on"},
    who=WRITTEN_BY,
)
_INSERT = _NEW.insert()


async def insert(
    conn: asyncpg.Connection, *, principal: Principal, actor: str, action: NewAction
) -> asyncpg.Record:
    """Insert the action; the row as reads give it (with its audit's org unit)."""
    await conn.execute(_INSERT, *_NEW.args(action, principal.client, actor))
    row = await get(conn, principal.tenant, action.id)
    assert row is not None
    return row


async def get(
    conn: asyncpg.Connection, tenant: str, action_id: uuid.UUID, *, for_update: bool = False
) -> asyncpg.Record | None:
    lock = " FOR UPDATE OF x" if for_update else ""
    row: asyncpg.Record | None = await conn.fetchrow(
        f"{_SELECT} WHERE x.tenant = $1 AND x.id = $2{lock}", tenant, action_id
    )
    return row


async def set_status(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    action_id: uuid.UUID,
    status: str,
    changed_on: date,
    completed_on: date | None,
) -> asyncpg.Record:
    await conn.execute(
        _SET_STATUS,
        principal.tenant,
        action_id,
        status,
        changed_on,
        completed_on,
        principal.client,
        actor,
    )
    row = await get(conn, principal.tenant, action_id)
    assert row is not None
    return row


@dataclass(frozen=True)
class ActionFilters:
    statuses: list[str] | None = None
    audit_id: uuid.UUID | None = None
    owner: str | None = None
    units: UnitFilters = field(default_factory=UnitFilters)
    overdue: bool | None = None
    due_from: date | None = None
    due_to: date | None = None


async def list_page(
    conn: asyncpg.Connection,
    tenant: str,
    filters: ActionFilters,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    today: date,
) -> list[asyncpg.Record]:
    q = ListQuery(tenant, prefix="x.")
    if filters.statuses:
        q.where(f"x.status = ANY({q.param(filters.statuses)}::text[])")
    q.add("x.audit_id = {}", filters.audit_id)
    q.add("x.owner = {}", filters.owner)
    q.units(filters.units, prefix="a.")
    if filters.overdue is not None:
        # The rule of domain.actions.action_is_overdue.
        overdue = f"(x.status IN ('OPEN', 'IN_PROGRESS') AND x.due_date < {q.param(today)})"
        q.where(overdue if filters.overdue else f"NOT {overdue}")
    q.add("x.due_date >= {}", filters.due_from)
    q.add("x.due_date <= {}", filters.due_to)
    return await q.page(conn, _SELECT, after=after, limit=limit)
