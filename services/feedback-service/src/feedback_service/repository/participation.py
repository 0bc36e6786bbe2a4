"""The participation_records table: one record per child in care review."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from qaf_shared.http.auth import Principal
from qaf_shared.http.list_query import ListQuery, UnitFilters
from qaf_shared.rows import CREATED_BY, RowShape

RECORDS = RowShape(
    "participation_records",
    columns=(
        "id",
        "version",
        "case_ref",
        "area",
        "district",
        "team",
        "service",
        "review_due",
        "review_held",
        "pn_code",
        "in_timescale",
        "created_at",
    ),
    written=(
        "id",
        "tenant",
        "case_ref",
        "area",
        "district",
        "team",
        "service",
        "review_due",
        "review_held",
        "pn_code",
        "in_timescale",
    ),
    who=CREATED_BY,
)

_INSERT = RECORDS.insert(
    f"ON CONFLICT ON CONSTRAINT participation_one_per_review DO NOTHING\nRETURNING {RECORDS.select}"
)


async def insert(
    conn: asyncpg.Connection, *, principal: Principal, actor: str, record: dict[str, Any]
) -> asyncpg.Record | None:
    """The new row (`record` names its written columns but who wrote it), or None when the
    review already has its record."""
    row: asyncpg.Record | None = await conn.fetchrow(
        _INSERT,
        *RECORDS.args({**record, "tenant": principal.tenant}, principal.client, actor),
    )
    return row


async def find(
    conn: asyncpg.Connection, tenant: str, case_ref: str, review_held: date
) -> uuid.UUID | None:
    found: uuid.UUID | None = await conn.fetchval(
        "SELECT id FROM participation_records WHERE tenant = $1 AND case_ref = $2 AND review_held = $3",
        tenant,
        case_ref,
        review_held,
    )
    return found


async def get(
    conn: asyncpg.Connection, tenant: str, participation_id: uuid.UUID
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        f"SELECT {RECORDS.select} FROM participation_records WHERE tenant = $1 AND id = $2",
        tenant,
        participation_id,
    )
    return row


@dataclass(frozen=True)
class ParticipationFilters:
    pn_code: str | None = None
    held_from: date | None = None
    held_to: date | None = None


async def list_records(
    conn: asyncpg.Connection,
    tenant: str,
    units: UnitFilters,
    only: ParticipationFilters,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    q = ListQuery(tenant)
    q.units(units)
    q.add("pn_code = {}", only.pn_code)
    q.add("review_held >= {}", only.held_from)
    q.add("review_held <= {}", only.held_to)
    select = f"SELECT {RECORDS.select} FROM participation_records"
    return await q.page(conn, select, after=after, limit=limit)
