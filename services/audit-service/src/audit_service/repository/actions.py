"""The audit_actions table (read with the org unit of the audit each belongs to)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated

import asyncpg

from qaf_shared.by_key import ByKey
from qaf_shared.http.auth import Principal
from qaf_shared.http.list_query import UnitFilters
from qaf_shared.http.listing import AsOf, Listing, Where
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


get = ByKey(_SELECT, "x.tenant", "x.id", lock="FOR UPDATE OF x")


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
    statuses: Annotated[list[str] | None, Where("x.status = ANY({}::text[])")] = None
    audit_id: Annotated[uuid.UUID | None, Where("x.audit_id = {}")] = None
    owner: Annotated[str | None, Where("x.owner = {}")] = None
    units: UnitFilters = field(default_factory=UnitFilters)
    # The rule of domain.actions.action_is_overdue.
    overdue: Annotated[
        bool | None, AsOf("(x.status IN ('OPEN', 'IN_PROGRESS') AND x.due_date < {})")
    ] = None
    due_from: Annotated[date | None, Where("x.due_date >= {}")] = None
    due_to: Annotated[date | None, Where("x.due_date <= {}")] = None


# Actions list by their audit's unit.
LIST = Listing(_SELECT, ActionFilters, prefix="x.", unit_prefix="a.")
