"""The complaints table: a complaint's facts, and its lifecycle's state (the stages as JSON,
with the columns lists filter on)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

import asyncpg

from feedback_service.domain.complaints import Complaint
from qaf_shared.by_key import ByKey
from qaf_shared.http.auth import Principal
from qaf_shared.http.list_query import UnitFilters
from qaf_shared.http.listing import AsOf, Listing, Where
from qaf_shared.rows import WRITTEN_BY, RowShape


@dataclass(frozen=True)
class ComplaintState:
    """What a lifecycle step changes: the columns an insert sets and an update rewrites."""

    status: str
    stage: str
    awaiting_due: date | None
    stages: list[dict[str, Any]]
    closed_on: date | None
    ombudsman_referred: bool


_STATE = tuple(f.name for f in dataclasses.fields(ComplaintState))
_FACTS = (
    "id",
    "case_ref",
    "area",
    "district",
    "team",
    "service",
    "received_on",
    "complainant_role",
    "categories",
)

COMPLAINTS = RowShape(
    "complaints",
    columns=(_FACTS[0], "version", *_FACTS[1:], *_STATE, "created_at"),
    written=("tenant", *_FACTS, *_STATE),
    constants={"version": 1},
    who=WRITTEN_BY,
)

_INSERT = COMPLAINTS.insert(f"RETURNING {COMPLAINTS.select}")

_UPDATE = f"""
UPDATE complaints SET {", ".join(f"{c} = ${i}" for i, c in enumerate(_STATE, 3))},
    version = version + 1, updated_at = now(),
    updated_by_client = ${len(_STATE) + 3}, updated_by_actor = ${len(_STATE) + 4}
WHERE tenant = $1 AND id = $2
RETURNING {COMPLAINTS.select}
"""


def complaint_of(row: Mapping[str, Any]) -> Complaint:
    """The complaint a stored row holds."""
    return Complaint.from_stored(
        received_on=row["received_on"],
        stages=row["stages"],
        closed_on=row["closed_on"],
        ombudsman_referred=row["ombudsman_referred"],
    )


async def insert(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    facts: dict[str, Any],
    state: ComplaintState,
) -> asyncpg.Record:
    """A new complaint: `facts` names the columns of `_FACTS`."""
    row: asyncpg.Record = await conn.fetchrow(
        _INSERT,
        *COMPLAINTS.args(
            {**facts, **dataclasses.asdict(state), "tenant": principal.tenant},
            principal.client,
            actor,
        ),
    )
    return row


get = ByKey(f"SELECT {COMPLAINTS.select} FROM complaints")


async def update(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    complaint_id: uuid.UUID,
    state: ComplaintState,
) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        _UPDATE,
        principal.tenant,
        complaint_id,
        *(getattr(state, column) for column in _STATE),
        principal.client,
        actor,
    )
    return row


@dataclass(frozen=True)
class ComplaintFilters:
    status: Annotated[str | None, Where("status = {}")] = None
    stage: Annotated[str | None, Where("stage = {}")] = None
    # The rule of domain.complaints.Complaint.is_overdue, over the stored awaiting_due.
    overdue: Annotated[
        bool | None,
        AsOf("awaiting_due < {}", otherwise="(awaiting_due IS NULL OR awaiting_due >= {})"),
    ] = None
    received_from: Annotated[date | None, Where("received_on >= {}")] = None
    received_to: Annotated[date | None, Where("received_on <= {}")] = None
    units: UnitFilters = field(default_factory=UnitFilters)


LIST = Listing(f"SELECT {COMPLAINTS.select} FROM complaints", ComplaintFilters)
