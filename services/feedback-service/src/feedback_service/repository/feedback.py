"""The feedback_items table: items recorded directly and those the provider submits."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

import asyncpg

from qaf_shared.by_key import ByKey
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.http.auth import Principal
from qaf_shared.http.list_query import UnitFilters
from qaf_shared.http.listing import Listing, Where
from qaf_shared.rows import CREATED_BY, RowShape

# An item's row, each column with its SQL type: the one description of it from which the
# reads, a direct item's insert and the provider's batch insert are all made.
_ITEM: dict[str, str] = {
    "id": "uuid",
    "version": "int",
    "source": "text",
    "respondent": "text",
    "partner_type": "text",
    "conference_type": "text",
    "case_ref": "text",
    "area": "text",
    "district": "text",
    "team": "text",
    "service": "text",
    "received_on": "date",
    "answers": "jsonb",
    "comment": "text",
    "provider": "text",
    "external_id": "text",
    "created_at": "timestamptz",
}

# Every column of a direct item, created_at included, comes from the application, which
# answers from the same values (`qaf_shared.http.idempotency.Creation`: no RETURNING).
ITEMS = RowShape(
    "feedback_items",
    columns=tuple(_ITEM),
    written=("tenant", *_ITEM),
    who=CREATED_BY,
)
INSERT_ITEM = ITEMS.insert()


def insert_args(row: Mapping[str, Any], *, principal: Principal, actor: str) -> tuple[Any, ...]:
    """The arguments of `INSERT_ITEM` for a new item's row (as `ITEMS.columns` name it)."""
    return ITEMS.args({**row, "tenant": principal.tenant}, principal.client, actor)


# A batch in one statement: what is the same for every item once, the rest as one array per
# column. Rows that meet an existing (tenant, provider, external_id) are skipped, and a
# concurrent batch inserting the same key waits for ours to commit and then skips it too:
# one record per external id, whatever the interleaving. The table sets version and
# created_at.
_BATCH_CONSTANTS = ("tenant", "provider", "submission_id", "created_by_client", "created_by_actor")
_BATCH_PER_ITEM = tuple(c for c in _ITEM if c not in ("version", "created_at", "provider"))
_INSERT_BATCH = f"""
INSERT INTO feedback_items ({", ".join((*_BATCH_CONSTANTS, *_BATCH_PER_ITEM))})
SELECT {", ".join(f"${i}" for i in range(1, len(_BATCH_CONSTANTS) + 1))}, {
    ", ".join(_BATCH_PER_ITEM)
}
FROM unnest({
    ", ".join(
        f"${len(_BATCH_CONSTANTS) + i}::{_ITEM[c]}[]" for i, c in enumerate(_BATCH_PER_ITEM, 1)
    )
}) AS t({", ".join(_BATCH_PER_ITEM)})
ON CONFLICT ON CONSTRAINT feedback_items_provider_external_id DO NOTHING
RETURNING id, external_id
"""

_EXISTING_PROVIDER_IDS = """
SELECT external_id, id FROM feedback_items
WHERE tenant = $1 AND provider = $2 AND external_id = ANY($3::text[])
"""


@dataclass(frozen=True)
class ProviderRow:
    id: uuid.UUID
    external_id: str
    source: str
    case_ref: str | None
    unit: OrgUnitRef
    received_on: date
    answers: dict[str, int]
    comment: str | None

    def values(self) -> dict[str, Any]:
        """The row's columns (`_BATCH_PER_ITEM`); what only direct items carry is null."""
        return {
            "id": self.id,
            "source": self.source,
            "respondent": None,
            "partner_type": None,
            "conference_type": None,
            "case_ref": self.case_ref,
            "area": self.unit.area,
            "district": self.unit.district,
            "team": self.unit.team,
            "service": self.unit.service,
            "received_on": self.received_on,
            "answers": self.answers,
            "comment": self.comment,
            "external_id": self.external_id,
        }


async def insert_provider_items(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    provider: str,
    actor: str | None,
    submission_id: uuid.UUID,
    rows: Sequence[ProviderRow],
) -> dict[str, uuid.UUID]:
    """Insert what is new; return external id -> id of the rows this call inserted."""
    if not rows:
        return {}
    values = [r.values() for r in rows]
    inserted = await conn.fetch(
        _INSERT_BATCH,
        principal.tenant,
        provider,
        submission_id,
        principal.client,
        actor,
        *([v[column] for v in values] for column in _BATCH_PER_ITEM),
    )
    return {r["external_id"]: r["id"] for r in inserted}


async def existing_provider_ids(
    conn: asyncpg.Connection, tenant: str, provider: str, external_ids: Sequence[str]
) -> dict[str, uuid.UUID]:
    if not external_ids:
        return {}
    rows = await conn.fetch(_EXISTING_PROVIDER_IDS, tenant, provider, list(external_ids))
    return {r["external_id"]: r["id"] for r in rows}


get = ByKey(f"SELECT {ITEMS.select} FROM feedback_items")


@dataclass(frozen=True)
class FeedbackFilters:
    source: Annotated[str | None, Where("source = {}")] = None
    received_from: Annotated[date | None, Where("received_on >= {}")] = None
    received_to: Annotated[date | None, Where("received_on <= {}")] = None
    units: UnitFilters = field(default_factory=UnitFilters)


LIST = Listing(f"SELECT {ITEMS.select} FROM feedback_items", FeedbackFilters)
