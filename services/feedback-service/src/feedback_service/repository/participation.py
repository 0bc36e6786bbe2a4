"""The participation_records table: one record per child in care review."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

import asyncpg

from qaf_shared.by_key import ByKey
from qaf_shared.http.auth import Principal
from qaf_shared.http.list_query import UnitFilters
from qaf_shared.http.listing import Listing, Where
from qaf_shared.rows import CREATED_BY, RowShape

# What a record says of its review, written and read alike.
_FACTS = (
    "case_ref",
    "area",
    "district",
    "team",
    "service",
    "review_due",
    "review_held",
    "pn_code",
    "in_timescale",
)

RECORDS = RowShape(
    "participation_records",
    columns=("id", "version", *_FACTS, "created_at"),
    written=("id", "tenant", *_FACTS),
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


# `find(conn, tenant, case_ref, review_held)`: the id of that review's record, or None.
find = ByKey("SELECT id FROM participation_records", "tenant", "case_ref", "review_held").value


get = ByKey(f"SELECT {RECORDS.select} FROM participation_records")


@dataclass(frozen=True)
class ParticipationFilters:
    pn_code: Annotated[str | None, Where("pn_code = {}")] = None
    held_from: Annotated[date | None, Where("review_held >= {}")] = None
    held_to: Annotated[date | None, Where("review_held <= {}")] = None
    units: UnitFilters = field(default_factory=UnitFilters)


LIST = Listing(f"SELECT {RECORDS.select} FROM participation_records", ParticipationFilters)
