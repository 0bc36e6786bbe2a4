"""SQL of the activity records: a tenant's write lock, the children's stored histories, the
bulk write of a batch's changes, and the list."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

import asyncpg

from activity_service.domain.kinds import Kind
from activity_service.domain.records import NaturalKey, typed_facts
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.http.list_query import UnitFilters
from qaf_shared.http.listing import Listing, Where


@dataclass(slots=True)
class StoredRecord:
    """A record as stored, or as a write is about to store it. Its id is held as text (what
    the write, the event and the answer all give). `typed` is its facts as `typed_facts`
    gives them, worked out when first needed (`typed_facts()`)."""

    id: str
    kind: Kind
    child_ref: str
    child_key: str
    key_date: date
    plan_type: str
    facts: dict[str, Any]
    derived: dict[str, Any]
    unit: OrgUnitRef | None
    source: str
    load_id: uuid.UUID | None
    withdrawn: bool
    version: int
    typed: dict[str, object] | None = field(default=None, compare=False, repr=False)

    @property
    def key(self) -> NaturalKey:
        return NaturalKey(self.kind, self.child_ref, self.key_date, self.plan_type)

    def typed_facts(self) -> dict[str, object]:
        if self.typed is None:
            self.typed = typed_facts(self.kind, self.facts)
        return self.typed


_HISTORY_COLUMNS = (
    "id, kind, child_ref, child_key, key_date, plan_type, facts, derived, area, district, team, "
    "service, source, load_id, withdrawn, version"
)

# Every write of a tenant's records takes a lock first, for its transaction: a child's
# derived facts and the overlap of its episodes are decided over its whole stored history,
# which a concurrent write of the same child could otherwise change underneath. A return
# load takes the tenant's (exclusive): its replacement is decided over the whole tenant. A
# REST batch takes the tenant's in shared mode, then its children's, so that batches of
# different children are written at once while a load still excludes them all.
_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('activity_records:' || $1, 0))"
_LOCK_SHARED = "SELECT pg_advisory_xact_lock_shared(hashtextextended('activity_records:' || $1, 0))"
# In one order (sorted keys, the aggregate taking them as the subquery yields them), so two
# batches never each hold a child the other waits for.
_LOCK_CHILDREN = """
SELECT count(pg_advisory_xact_lock(k)) FROM (
    SELECT DISTINCT hashtextextended('activity_child:' || $1 || ':' || c, 0) AS k
    FROM unnest($2::text[]) AS c ORDER BY k
) AS ordered
"""

_HISTORY = f"""
SELECT {_HISTORY_COLUMNS} FROM activity_records
WHERE tenant = $1 AND child_ref = ANY($2::text[])
"""

# The written columns and their types. A batch's rows go as one JSON array, which PostgreSQL
# reads into rows itself (jsonb_to_recordset): encoding one parameter costs a fraction of
# encoding sixteen arrays element by element.
_WRITTEN = {
    "id": "uuid",
    "kind": "text",
    "child_ref": "text",
    "child_key": "text",
    "key_date": "date",
    "plan_type": "text",
    "facts": "jsonb",
    "derived": "jsonb",
    "area": "text",
    "district": "text",
    "team": "text",
    "service": "text",
    "source": "text",
    "load_id": "uuid",
    "withdrawn": "bool",
    "version": "int",
}
_UPDATED = [c for c in _WRITTEN if c not in ("id", "kind", "child_ref", "child_key", "key_date")]
_WRITE = f"""
INSERT INTO activity_records (tenant, created_by_client, created_by_actor, updated_by_client,
    updated_by_actor, {", ".join(_WRITTEN)})
SELECT $1, $2, $3, $2, $3, {", ".join(_WRITTEN)}
FROM jsonb_to_recordset($4::jsonb) AS t({", ".join(f"{c} {t}" for c, t in _WRITTEN.items())})
ON CONFLICT (id) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in _UPDATED)},
    updated_at = now(), updated_by_client = EXCLUDED.updated_by_client,
    updated_by_actor = EXCLUDED.updated_by_actor
"""

# A load that supplies a record unchanged still becomes the load that last supplied it.
_MOVE_TO_LOAD = """
UPDATE activity_records SET load_id = $2 WHERE tenant = $1 AND id = ANY($3::uuid[])
"""


async def lock_tenant(conn: asyncpg.Connection, tenant: str) -> None:
    """Hold the tenant's write lock until the transaction ends: no other write of the
    tenant's records goes on meanwhile."""
    await conn.execute(_LOCK, tenant)


async def lock_children(conn: asyncpg.Connection, tenant: str, child_refs: Collection[str]) -> None:
    """Hold these children's write locks until the transaction ends, under the tenant's lock
    in shared mode (taken first: a write waiting for a child never holds up a load's tenant
    lock while holding a child another write waits for). One lock per child: for a batch,
    not for a whole return (a transaction's locks are few hundred at most)."""
    await conn.execute(_LOCK_SHARED, tenant)
    await conn.execute(_LOCK_CHILDREN, tenant, list(child_refs))


async def child_histories(
    conn: asyncpg.Connection, tenant: str, child_refs: Collection[str]
) -> list[StoredRecord]:
    """Every stored record of these children, withdrawn ones too (in one statement)."""
    rows = await conn.fetch(_HISTORY, tenant, list(child_refs))
    # A tenant's records name a few hundred units: each is made once per read.
    units: dict[tuple[str | None, ...], OrgUnitRef | None] = {(None, None, None, None): None}
    kinds = {kind.value: kind for kind in Kind}
    records = []
    for r in rows:
        columns = (r["area"], r["district"], r["team"], r["service"])
        if columns in units:
            unit = units[columns]
        else:
            unit = units[columns] = OrgUnitRef.from_row(r)
        records.append(
            StoredRecord(
                id=str(r["id"]),
                kind=kinds[r["kind"]],
                child_ref=r["child_ref"],
                child_key=r["child_key"],
                key_date=r["key_date"],
                plan_type=r["plan_type"],
                facts=r["facts"],
                derived=r["derived"],
                unit=unit,
                source=r["source"],
                load_id=r["load_id"],
                withdrawn=r["withdrawn"],
                version=r["version"],
            )
        )
    return records


def _row(record: StoredRecord) -> dict[str, Any]:
    unit = record.unit
    return {
        "id": record.id,
        "kind": record.kind.value,
        "child_ref": record.child_ref,
        "child_key": record.child_key,
        "key_date": record.key_date,
        "plan_type": record.plan_type,
        "facts": record.facts,
        "derived": record.derived,
        "area": unit.area if unit else None,
        "district": unit.district if unit else None,
        "team": unit.team if unit else None,
        "service": unit.service if unit else None,
        "source": record.source,
        "load_id": None if record.load_id is None else str(record.load_id),
        "withdrawn": record.withdrawn,
        "version": record.version,
    }


# A batch's new records go by binary COPY: PostgreSQL's side of it costs about a fifth
# less than reading the rows out of one JSON parameter with ON CONFLICT (bench/README.md,
# section 7, third pass). created_at and updated_at take their defaults (now()).
_COPIED = [
    "id", "tenant", "kind", "child_ref", "child_key", "key_date", "plan_type", "facts",
    "derived", "area", "district", "team", "service", "source", "load_id", "withdrawn",
    "version", "created_by_client", "created_by_actor", "updated_by_client", "updated_by_actor",
]  # fmt: skip


def _copied(
    record: StoredRecord, tenant: str, client: str, actor: str | None
) -> tuple[object, ...]:
    unit = record.unit
    return (
        record.id, tenant, record.kind.value, record.child_ref, record.child_key,
        record.key_date, record.plan_type, record.facts, record.derived,
        unit.area if unit else None, unit.district if unit else None,
        unit.team if unit else None, unit.service if unit else None,
        record.source, record.load_id, record.withdrawn, record.version,
        client, actor, client, actor,
    )  # fmt: skip


async def write(
    conn: asyncpg.Connection,
    tenant: str,
    new: Sequence[StoredRecord],
    changed: Sequence[StoredRecord],
    *,
    client: str,
    actor: str | None,
) -> None:
    """Insert the `new` records (none stored under their ids: one binary COPY) and update
    the `changed` ones (one statement)."""
    if new:
        await conn.copy_records_to_table(
            "activity_records",
            records=[_copied(r, tenant, client, actor) for r in new],
            columns=_COPIED,
        )
    if changed:
        await conn.execute(_WRITE, tenant, client, actor, [_row(r) for r in changed])


async def move_to_load(
    conn: asyncpg.Connection, tenant: str, load_id: uuid.UUID, ids: Sequence[str]
) -> None:
    if ids:
        await conn.execute(_MOVE_TO_LOAD, tenant, load_id, list(ids))


@dataclass(frozen=True)
class RecordFilters:
    kind: Annotated[str | None, Where("kind = {}")] = None
    child_ref: Annotated[str | None, Where("child_ref = {}")] = None
    key_from: Annotated[date | None, Where("key_date >= {}")] = None
    key_to: Annotated[date | None, Where("key_date <= {}")] = None
    units: UnitFilters = field(default_factory=UnitFilters)


# Withdrawn records are in no figure, so in no list either.
LIST = Listing(
    f"SELECT {_HISTORY_COLUMNS}, created_at, updated_at FROM activity_records",
    RecordFilters,
    always=("NOT withdrawn",),
)
