"""Published snapshots of each tenant-quarter, and what says which are out of date
(docs/architecture.md, "Published snapshots"). The one module that reads and writes
`tenant_versions`, `changed_quarters` and `snapshots`, which live in each generation schema
beside the projections (a rebuild's snapshots are its generation's).

- `tenant_versions`: per tenant, `changes` moves with every batch that changes its cells
  (the consumer, `mark_changed`), `publications` with every snapshot stored (the publisher);
  a report of the tenant is cached by both (api/readcache.py).
- `changed_quarters`: the tenant-quarters whose published figures are older than the
  projections, marked in the batch's own transaction, with the tenant's `changes` at the
  latest mark and when the first unpublished one was made.
- `snapshots`: a quarter's raw figures, the cells its one disclosure decision hides, the
  tenant's `changes` they were read at, and what else the decision depends on (the threshold,
  the unit tree's digest).

A publisher reads the figures and `changes` in one snapshot of the database, decides, and
stores the snapshot and removes the marks up to what it read in one transaction: a quarter
changed again meanwhile keeps its newer mark, and one killed between the two loses none."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any

import asyncpg

from qaf_shared import jsonutil
from qaf_shared.org_units import TenantUnits
from qaf_shared.quarters import quarter_of
from reporting_service.domain.measures import Raw
from reporting_service.domain.publication import Decision, Key


def publication_ddl(schema: str) -> str:
    """The tables in generation `schema` (IF NOT EXISTS: a generation made before them gets
    them at start-up, empty, and its quarters are decided inline until published)."""
    return f"""
CREATE TABLE IF NOT EXISTS {schema}.tenant_versions (
    tenant text PRIMARY KEY,
    changes bigint NOT NULL DEFAULT 0,
    publications bigint NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS {schema}.changed_quarters (
    tenant text NOT NULL,
    quarter text NOT NULL,
    changes bigint NOT NULL,
    marked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, quarter)
);
CREATE TABLE IF NOT EXISTS {schema}.snapshots (
    tenant text NOT NULL,
    quarter text NOT NULL,
    changes bigint NOT NULL,
    threshold int NOT NULL,
    units text NOT NULL,
    raw text NOT NULL,
    hidden text NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, quarter)
);
"""


# A quarter id as a number and back: FY2025Q1 -> 2025 * 4 + 0.
_INDEX = "(substr({q}, 3, 4)::int * 4 + substr({q}, 8, 1)::int - 1)"
# One statement, after the batch's cells: the tenants' `changes` moved (their rows locked
# first, in one order, as the publisher's store locks them first too), then the quarters
# marked with it. A state measure changed at a quarter changes every later one: those are
# marked up to the latest of this quarter, today's, and any quarter of the tenant that is
# published or marked (a quarter being published has its mark until its snapshot is stored,
# in one transaction, so this statement sees one or the other: no snapshot is left unmarked
# behind a change).
MARK = f"""
WITH bumped AS (
    INSERT INTO {{schema}}.tenant_versions AS v (tenant, changes)
    SELECT t, 1 FROM unnest($1::text[]) AS t ORDER BY t
    ON CONFLICT (tenant) DO UPDATE SET changes = v.changes + 1
    RETURNING tenant, changes
), onwards AS (
    SELECT o.tenant, o.first, greatest(
        o.first, $6::text,
        (SELECT max(c.quarter) FROM {{schema}}.changed_quarters c WHERE c.tenant = o.tenant),
        (SELECT max(s.quarter) FROM {{schema}}.snapshots s WHERE s.tenant = o.tenant)
    ) AS last
    FROM unnest($4::text[], $5::text[]) AS o(tenant, first)
), wanted AS (
    SELECT w.tenant, w.quarter FROM unnest($2::text[], $3::text[]) AS w(tenant, quarter)
    UNION
    SELECT o.tenant, 'FY' || (i / 4) || 'Q' || (i % 4 + 1)
    FROM onwards o,
         generate_series({_INDEX.format(q="o.first")}, {_INDEX.format(q="o.last")}) AS i
)
INSERT INTO {{schema}}.changed_quarters AS c (tenant, quarter, changes)
SELECT w.tenant, w.quarter, b.changes FROM wanted w JOIN bumped b USING (tenant)
ORDER BY 1, 2
ON CONFLICT (tenant, quarter) DO UPDATE SET changes = EXCLUDED.changes
"""

_PERIOD = itemgetter(0, 1, 2, 3)  # a cell key's table, tenant, grain and period
_month_quarters: dict[str, str] = {}


def _quarter(grain: str, period: str) -> str:
    if grain == "q":
        return period
    quarter = _month_quarters.get(period)
    if quarter is None:
        year, month = (int(p) for p in period.split("-"))
        quarter = _month_quarters[period] = quarter_of(date(year, month, 1))
    return quarter


@dataclass(frozen=True)
class Marks:
    """What a batch's cells change: the tenants, the quarters of their counts, and per
    tenant the earliest quarter of a state's change."""

    tenants: list[str]
    counted: list[tuple[str, str]]
    onwards: dict[str, str]


def marks_of(cells: Any) -> Marks:
    """The marks of changed `cells` (engine.Contributions: (table, tenant, grain, period,
    ...) -> change)."""
    counted: set[tuple[str, str]] = set()
    onwards: dict[str, str] = {}
    for table, tenant, grain, period in set(map(_PERIOD, cells)):
        quarter = _quarter(grain, period)
        if table == "running":
            if tenant not in onwards or quarter < onwards[tenant]:
                onwards[tenant] = quarter
        else:
            counted.add((tenant, quarter))
    tenants = sorted({t for t, _ in counted} | set(onwards))
    return Marks(tenants, sorted(counted), onwards)


async def mark_changed(conn: asyncpg.Connection, schema: str, cells: Any, today: date) -> None:
    """In the batch's transaction: the quarters whose published figures the changed `cells`
    touch are marked (a state's up to `today`'s quarter at least: the business clock's day,
    `qaf_shared.clock`), and the tenants' versions moved."""
    marks = marks_of(cells)
    if marks.tenants:
        await conn.execute(MARK.format(schema=schema), *mark_arguments(marks, today))


def mark_arguments(marks: Marks, today: date) -> tuple[Any, ...]:
    """The marking statement's (`MARK`) arguments, on the business day `today`."""
    return (
        marks.tenants,
        [t for t, _ in marks.counted],
        [q for _, q in marks.counted],
        list(marks.onwards),
        list(marks.onwards.values()),
        quarter_of(today),
    )


async def mark_unpublished(
    conn: asyncpg.Connection, schema: str, tenant: str, quarters: Sequence[str]
) -> None:
    """Quarters a reader found no usable snapshot of (never published, or under other
    settings): marked for the publisher, unless they are already."""
    await conn.execute(
        f"INSERT INTO {schema}.changed_quarters (tenant, quarter, changes)"
        f" SELECT $1, q, coalesce((SELECT changes FROM {schema}.tenant_versions"
        "  WHERE tenant = $1), 0) FROM unnest($2::text[]) AS q"
        " ON CONFLICT (tenant, quarter) DO NOTHING",
        tenant,
        list(quarters),
    )


TenantVersion = tuple[int, int]  # changes, publications


async def tenant_versions(conn: asyncpg.Connection, schema: str) -> dict[str, TenantVersion]:
    """Every tenant's (changes, publications): one small row per tenant."""
    rows = await conn.fetch(f"SELECT tenant, changes, publications FROM {schema}.tenant_versions")
    return {r[0]: (r[1], r[2]) for r in rows}


@dataclass(frozen=True)
class Changed:
    tenant: str
    quarter: str


@dataclass(frozen=True)
class Backlog:
    """Changed quarters not yet published, and when the oldest of their marks was made."""

    quarters: int
    oldest: datetime | None

    def age(self) -> float:
        """Seconds since the oldest unpublished change (0 when none waits)."""
        if self.oldest is None:
            return 0.0
        return max((datetime.now(UTC) - self.oldest).total_seconds(), 0.0)


_CHANGED = """
SELECT tenant, quarter, count(*) OVER () AS backlog, min(marked_at) OVER () AS oldest
FROM {schema}.changed_quarters ORDER BY quarter DESC, tenant LIMIT $1
"""


async def changed(
    conn: asyncpg.Connection, schema: str, limit: int
) -> tuple[list[Changed], Backlog]:
    """The newest `limit` changed quarters (newest first), and the whole backlog."""
    rows = await conn.fetch(_CHANGED.format(schema=schema), limit)
    backlog = Backlog(rows[0]["backlog"], rows[0]["oldest"]) if rows else Backlog(0, None)
    return [Changed(r["tenant"], r["quarter"]) for r in rows], backlog


async def backlog(conn: asyncpg.Connection, schema: str, tenant: str | None) -> Backlog:
    """The backlog of one tenant, or (None) of every tenant."""
    row = await conn.fetchrow(
        f"SELECT count(*) AS n, min(marked_at) AS oldest FROM {schema}.changed_quarters"
        " WHERE $1::text IS NULL OR tenant = $1",
        tenant,
    )
    return Backlog(row["n"], row["oldest"])


def _lock_key(schema: str, item: Changed) -> str:
    return f"{schema}\x1fpublish\x1f{item.tenant}\x1f{item.quarter}"


async def claim(conn: asyncpg.Connection, schema: str, item: Changed) -> bool:
    """Take the quarter for this connection's session (False: another publisher has it). A
    session lock: it goes with the session, so a publisher that dies leaves it to the others."""
    return bool(
        await conn.fetchval(
            "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", _lock_key(schema, item)
        )
    )


async def release(conn: asyncpg.Connection, schema: str, item: Changed) -> None:
    await conn.execute(
        "SELECT pg_advisory_unlock(hashtextextended($1, 0))", _lock_key(schema, item)
    )


async def tenant_changes(conn: asyncpg.Connection, schema: str, tenant: str) -> int:
    """The tenant's `changes`: read in the same database snapshot as its figures, it says
    which marks they include."""
    changes = await conn.fetchval(
        f"SELECT changes FROM {schema}.tenant_versions WHERE tenant = $1", tenant
    )
    return int(changes or 0)


def units_digest(units: TenantUnits) -> str:
    """What a decision depends on in the tenant's unit tree, as a short digest."""
    tree = [sorted((a, sorted(ds.items())) for a, ds in units.areas.items()), units.services]
    return hashlib.sha256(jsonutil.dumps(tree).encode()).hexdigest()[:32]


def _rows(decision: Decision) -> str:
    return jsonutil.dumps(
        [[*unit, m, d, v] for unit, cells in decision.raw.items() for (m, d), v in cells.items()]
    )


_STORE = """
INSERT INTO {schema}.snapshots AS s (tenant, quarter, changes, threshold, units, raw, hidden)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (tenant, quarter) DO UPDATE SET
  changes = EXCLUDED.changes, threshold = EXCLUDED.threshold, units = EXCLUDED.units,
  raw = EXCLUDED.raw, hidden = EXCLUDED.hidden, published_at = now()
WHERE s.changes <= EXCLUDED.changes
"""


async def store(
    conn: asyncpg.Connection,
    schema: str,
    item: Changed,
    changes: int,
    decision: Decision,
    units: str,
) -> None:
    """The quarter's snapshot, decided over its figures at the tenant's `changes`, and its
    marks up to them removed, in one transaction (a newer mark stays; a snapshot of newer
    figures already stored by another publisher is kept)."""
    assert decision.threshold is not None
    hidden = jsonutil.dumps(sorted(decision.hidden))
    async with conn.transaction():
        # The tenant's row first, as the consumer's batch takes it first (no deadlock).
        await conn.execute(
            f"UPDATE {schema}.tenant_versions SET publications = publications + 1"
            " WHERE tenant = $1",
            item.tenant,
        )
        await conn.execute(
            f"DELETE FROM {schema}.changed_quarters"
            " WHERE tenant = $1 AND quarter = $2 AND changes <= $3",
            item.tenant,
            item.quarter,
            changes,
        )
        await conn.execute(
            _STORE.format(schema=schema),
            item.tenant,
            item.quarter,
            changes,
            decision.threshold,
            units,
            _rows(decision),
            hidden,
        )


async def forget(conn: asyncpg.Connection, schema: str, item: Changed) -> None:
    """A mark nothing can be published for (a tenant this deployment has no units for)."""
    await conn.execute(
        f"DELETE FROM {schema}.changed_quarters WHERE tenant = $1 AND quarter = $2",
        item.tenant,
        item.quarter,
    )


@dataclass(frozen=True)
class Published:
    """A stored snapshot's identity: the figures' `changes` and the settings it was made
    under."""

    changes: int
    threshold: int
    units: str


async def published(
    conn: asyncpg.Connection, schema: str, tenant: str, quarters: Sequence[str]
) -> dict[str, Published]:
    """Which of the quarters have a snapshot, and of what (not the snapshot itself)."""
    rows = await conn.fetch(
        f"SELECT quarter, changes, threshold, units FROM {schema}.snapshots"
        " WHERE tenant = $1 AND quarter = ANY($2::text[])",
        tenant,
        list(quarters),
    )
    return {r[0]: Published(r[1], r[2], r[3]) for r in rows}


def _raw(text: str) -> dict[tuple[str, str, str], Raw]:
    raw: dict[tuple[str, str, str], Raw] = {}
    for period, kind, code, measure, dimension, value in jsonutil.loads(text):
        raw.setdefault((period, kind, code), {})[(measure, dimension)] = value
    return raw


async def current_figures(
    conn: asyncpg.Connection, schema: str, tenant: str, quarter: str
) -> dict[tuple[str, str, str], Raw] | None:
    """The quarter's published figures if nothing has changed them since (no mark: every
    change of a state at or before the quarter marks it), else None."""
    text = await conn.fetchval(
        f"SELECT raw FROM {schema}.snapshots WHERE tenant = $1 AND quarter = $2"
        f" AND NOT EXISTS (SELECT 1 FROM {schema}.changed_quarters"
        "  WHERE tenant = $1 AND quarter = $2)",
        tenant,
        quarter,
    )
    return None if text is None else _raw(text)


async def snapshots(
    conn: asyncpg.Connection, schema: str, tenant: str, quarters: Sequence[str]
) -> dict[str, tuple[Published, Decision]]:
    """The quarters' stored snapshots as decisions (each with what it is of)."""
    rows = await conn.fetch(
        f"SELECT quarter, changes, threshold, units, raw, hidden FROM {schema}.snapshots"
        " WHERE tenant = $1 AND quarter = ANY($2::text[])",
        tenant,
        list(quarters),
    )
    out: dict[str, tuple[Published, Decision]] = {}
    for quarter, changes, threshold, units, raw_text, hidden_text in rows:
        raw = _raw(raw_text)
        hidden: frozenset[Key] = frozenset(tuple(k) for k in jsonutil.loads(hidden_text))
        out[quarter] = (
            Published(changes, threshold, units),
            Decision(quarter, raw, threshold, hidden),
        )
    return out
