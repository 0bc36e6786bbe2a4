"""The programmes table."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

import asyncpg

from audit_service.repository import logs
from qaf_shared.by_key import ByKey
from qaf_shared.http.list_query import ListQuery
from qaf_shared.rows import WRITTEN_BY, RowShape

COLUMNS = """id, version, tenant, kind, name, period, area, district, service, theme,
hypothesis, due_date, created_at, updated_at"""


@dataclass(slots=True, kw_only=True)
class NewProgramme:
    """A new programme: the columns the application sets, in the order of their parameters."""

    id: uuid.UUID = field(default_factory=uuid.uuid4)
    tenant: str
    kind: str
    name: str
    period: str
    area: str | None
    district: str | None
    service: str | None
    theme: str | None
    hypothesis: str | None
    due_date: date


_NEW = RowShape(
    "programmes",
    NewProgramme,
    constants={"version": 1},
    who=WRITTEN_BY,
)
insert = logs.LoggedInsert(_NEW, COLUMNS, resource_type="programme", change="created")


get = ByKey(f"SELECT {COLUMNS} FROM programmes")


async def list_page(
    conn: asyncpg.Connection,
    tenant: str,
    *,
    kind: str | None,
    period: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    q = ListQuery(tenant)
    q.add("kind = {}", kind)
    q.add("period = {}", period)
    return await q.page(conn, f"SELECT {COLUMNS} FROM programmes", after=after, limit=limit)
