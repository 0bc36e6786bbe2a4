"""The one way a projection is kept: per aggregate, a fact folded from its events; the
fact's contributions to the counts; on every change, the counts move by what the new fact
contributes minus what the old one did. A later event that changes an earlier fact (a
regrade, a resolution months later) so corrects every period it touches, and a replay in
any batching gives the same figures."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date
from functools import lru_cache
from typing import Any, Protocol, TypeVar

import asyncpg
from pydantic import BaseModel, ConfigDict

from qaf_shared import jsonutil
from qaf_shared.events.envelope import CloudEvent
from qaf_shared.events.payloads import OrgUnitRef, Payload
from qaf_shared.quarters import quarter_of

# (table, tenant, grain, period, unit_kind, unit_code, measure, dimension)
CellKey = tuple[str, str, str, str, str, str, str, str]
Contributions = Counter[CellKey]

# The two tables a cell is kept in: a count of its own period, or a change of a state measure
# (running: its value at a period is the sum of the changes up to it).
COUNTS_TABLE, RUNNING_TABLE = "counts", "running"
QUARTER, MONTH = "q", "m"
TREND_UNIT_KINDS = ("tenant", "area", "service")


class Fact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


F = TypeVar("F", bound=Fact)


class Projection(Protocol[F]):
    """`handles` names the payload classes whose events it folds (never their type strings:
    the class names its type)."""

    kind: str
    handles: frozenset[type[Payload]]
    fact: type[F]

    def key(self, event: CloudEvent) -> str: ...

    def fold(self, fact: F | None, event: CloudEvent) -> F | None: ...

    def contributions(self, tenant: str, fact: F) -> Contributions: ...


def units_of(tenant: str, unit: OrgUnitRef) -> Iterator[tuple[str, str]]:
    """Every unit a fact counts in: the whole tenant and each level of its org unit."""
    yield "tenant", tenant
    for kind in ("area", "district", "team", "service"):
        code = getattr(unit, kind)
        if code:
            yield kind, code


@lru_cache(maxsize=4096)
def _units(
    tenant: str, area: str | None, district: str | None, team: str | None, service: str | None
) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """The units a fact counts in by quarter, and those of its trends by month. A handful of
    org units recur in every batch, so they are worked out once."""
    every = tuple(
        units_of(tenant, OrgUnitRef(area=area, district=district, team=team, service=service))
    )
    return every, tuple(u for u in every if u[0] in TREND_UNIT_KINDS)


@lru_cache(maxsize=8192)
def _period(grain: str, day: date) -> str:
    return quarter_of(day) if grain == QUARTER else f"{day.year:04d}-{day.month:02d}"


class Emitter:
    """Builds one fact's contributions."""

    __slots__ = ("_by_grain", "out", "tenant", "unit")

    def __init__(self, tenant: str, unit: OrgUnitRef, out: Contributions) -> None:
        self.tenant = tenant
        self.unit = unit
        self.out = out
        every, trend = _units(tenant, unit.area, unit.district, unit.team, unit.service)
        self._by_grain = {QUARTER: every, MONTH: trend}

    def count(
        self, day: date, measure: str, dimension: str = "", *, value: int = 1, trend: bool = False
    ) -> None:
        """`value` in the quarter of `day`, in every unit; trend measures also by month, in
        the tenant, area and service."""
        out, tenant = self.out, self.tenant
        for grain in (QUARTER, MONTH) if trend else (QUARTER,):
            when = _period(grain, day)
            for kind, code in self._by_grain[grain]:
                out[(COUNTS_TABLE, tenant, grain, when, kind, code, measure, dimension)] += value

    def open_between(
        self,
        start: date,
        end: date | None,
        measure: str,
        dimension: str = "",
        *,
        trend: bool = False,
    ) -> None:
        """A state that holds at the end of every period from `start`'s up to, not including,
        `end`'s (for ever when `end` is None)."""
        out, tenant = self.out, self.tenant
        for grain in (QUARTER, MONTH) if trend else (QUARTER,):
            first = _period(grain, start)
            last = _period(grain, end) if end is not None else None
            if last is not None and last <= first:
                continue
            for kind, code in self._by_grain[grain]:
                out[(RUNNING_TABLE, tenant, grain, first, kind, code, measure, dimension)] += 1
                if last is not None:
                    out[(RUNNING_TABLE, tenant, grain, last, kind, code, measure, dimension)] -= 1


def emitter(tenant: str, unit: OrgUnitRef) -> Emitter:
    return Emitter(tenant, unit, Counter())


# A fact may gather events from several partitions (a child's records: activity events are
# keyed by record), and concurrent groups of one batch, or two replicas, apply partitions at
# once: each fact is locked for the transaction before it is read, in one global order (so
# two transactions never wait on each other), and none folds a fact another is changing.
_LOCK = """
SELECT pg_advisory_xact_lock(h)
FROM (SELECT DISTINCT hashtextextended($2 || k, 0) AS h FROM unnest($1::text[]) k ORDER BY h) l
"""
# Keys and facts go as one JSON array each (see _ADD).
_LOAD = """
SELECT tenant, kind, id, data FROM {schema}.facts
WHERE (tenant, kind, id) IN (SELECT k->>0, k->>1, k->>2 FROM jsonb_array_elements($1::text::jsonb) k)
"""
_SAVE = """
INSERT INTO {schema}.facts AS f (tenant, kind, id, data)
SELECT c->>0, c->>1, c->>2, c->3 FROM jsonb_array_elements($1::text::jsonb) c
ON CONFLICT (tenant, kind, id) DO UPDATE SET data = EXCLUDED.data
"""
_DELETE = """
DELETE FROM {schema}.facts
WHERE (tenant, kind, id) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
"""
# The cells go as one JSON array of [tenant, grain, period, unit_kind, unit_code, measure,
# dimension, value] rows: encoding eight parameter arrays cost asyncpg more per row (a few
# isinstance checks per element) than PostgreSQL takes to upsert it.
_ADD = """
INSERT INTO {schema}.{table} AS m (tenant, grain, period, unit_kind, unit_code, measure, dimension, value)
SELECT c->>0, c->>1, c->>2, c->>3, c->>4, c->>5, c->>6, (c->>7)::bigint
FROM jsonb_array_elements($1::text::jsonb) WITH ORDINALITY AS r(c, n)
ORDER BY n
ON CONFLICT (tenant, grain, period, unit_kind, unit_code, measure, dimension)
DO UPDATE SET value = m.value + EXCLUDED.value
"""

FactKey = tuple[str, str, str]  # tenant, kind, id


def by_event_type(projections: Sequence[Projection[Any]]) -> dict[str, Projection[Any]]:
    """Which projection folds each event type."""
    return {payload.event_type: p for p in projections for payload in p.handles}


async def apply(
    conn: asyncpg.Connection,
    schema: str,
    projections: Sequence[Projection[Any]],
    events: Sequence[CloudEvent],
) -> None:
    """Fold a batch into the facts and counts: one query to load the facts it touches, the
    folding in memory, one statement to save facts and one per table for the counts."""
    routed: list[tuple[Projection[Any], FactKey, CloudEvent]] = []
    by_type = by_event_type(projections)
    for event in events:
        projection = by_type.get(event.type)
        if projection is not None:
            routed.append(
                (projection, (event.tenant, projection.kind, projection.key(event)), event)
            )
    if not routed:
        return
    keys = sorted({key for _, key, _ in routed})
    await conn.execute(_LOCK, ["\x1f".join(k) for k in keys], f"{schema}\x1f")
    loaded: dict[FactKey, Any] = {}
    kinds = {p.kind: p for p, _, _ in routed}
    for tenant, kind, ident, data in await conn.fetch(
        _LOAD.format(schema=schema), jsonutil.dumps(keys)
    ):
        loaded[(tenant, kind, ident)] = kinds[kind].fact.model_validate(data)
    current = dict(loaded)
    for projection, key, event in routed:
        current[key] = projection.fold(current.get(key), event)
    deltas: Contributions = Counter()
    saves: list[tuple[FactKey, Any]] = []
    deletes: list[FactKey] = []
    for key in keys:
        before, after = loaded.get(key), current.get(key)
        if before == after:
            continue
        projection = kinds[key[1]]
        if after is not None:
            deltas.update(projection.contributions(key[0], after))
            saves.append((key, after))
        else:
            deletes.append(key)
        if before is not None:
            deltas.subtract(projection.contributions(key[0], before))
    if saves:
        rows = [(*k, jsonutil.fragment(f.model_dump_json())) for k, f in saves]
        await conn.execute(_SAVE.format(schema=schema), jsonutil.dumps(rows))
    if deletes:
        await conn.execute(
            _DELETE.format(schema=schema),
            [k[0] for k in deletes],
            [k[1] for k in deletes],
            [k[2] for k in deletes],
        )
    await add_cells(conn, schema, deltas)


async def add_cells(conn: asyncpg.Connection, schema: str, deltas: Contributions) -> None:
    """Add every non-zero change, sorted so that concurrent writers lock rows in one order."""
    for table in (COUNTS_TABLE, RUNNING_TABLE):
        changes = sorted((*k[1:], v) for k, v in deltas.items() if v and k[0] == table)
        if changes:
            await conn.execute(_ADD.format(schema=schema, table=table), jsonutil.dumps(changes))


def event_uuid(event: CloudEvent, field: str) -> str:
    return str(uuid.UUID(str(event.data[field])))
