"""The safeguarding_concerns table."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

import asyncpg

from audit_service.repository import logs
from qaf_shared.by_key import ByKey
from qaf_shared.http.list_query import ListQuery
from qaf_shared.rows import CREATED_BY, RowShape

COLUMNS = "id, version, tenant, audit_id, raised_by, detail, raised_on, created_at"


@dataclass(slots=True, kw_only=True)
class NewConcern:
    """A new concern: the columns the application sets, in the order of their parameters."""

    id: uuid.UUID = field(default_factory=uuid.uuid4)
    tenant: str
    audit_id: uuid.UUID
    raised_by: str
    detail: str
    raised_on: date


# A concern is never changed: only who raised it is recorded.
_NEW = RowShape(
    "safeguarding_concerns",
    NewConcern,
    constants={"version": 1},
    who=CREATED_BY,
)
insert = logs.LoggedInsert(_NEW, COLUMNS, resource_type="safeguarding_concern", change="raised")


async def list_page(
    conn: asyncpg.Connection,
    tenant: str,
    audit_id: uuid.UUID,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    q = ListQuery(tenant)
    q.where(f"audit_id = {q.param(audit_id)}")
    select = f"SELECT {COLUMNS} FROM safeguarding_concerns"
    return await q.page(conn, select, after=after, limit=limit)


# One concern of the tenant's, raised on that audit (None for any other).
get = ByKey(f"SELECT {COLUMNS} FROM safeguarding_concerns", "tenant", "audit_id", "id")
