"""Projection generations: every projection table lives in a schema `gen_N`; one is active.
The one module that reads and writes `projection_state`.

Readers and the live consumer find the active schema in `projection_state`. A rebuild fills
`gen_N+1` from offset 0 and switches `active_schema` in one transaction, after which the
old schema is dropped. Each generation is recorded with the projections' version that built
it (projections/version.py), so that newer code knows to rebuild it. The consumer reads the
active schema `FOR SHARE` at the start of each batch transaction, so the switch (which takes
it `FOR UPDATE`) waits for in-flight batches and holds new ones back while it catches the new
generation up.

The service makes and drops the generations itself, as its runtime role: that role has CREATE
on the database (schemas only; it may not create tables in `public`) and owns the `gen_N`
schemas it makes, nothing else (see the migrations' env.py and qaf_shared/runtime_role.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg

from qaf_shared.consumer import consumer_tables_ddl
from reporting_service.projections.version import PROJECTIONS_VERSION
from reporting_service.repository.publications import publication_ddl

# Why a rebuild runs: an admin asked (POST /v1/admin/rebuild), or the active generation was
# built by older projections (workers/auto_rebuild.py).
RebuildReason = Literal["requested", "projections_version"]

SCHEMA_PATTERN = r"^gen_[0-9]+$"
_NAME = re.compile(SCHEMA_PATTERN)


# The consumer updates its facts and count rows in place, batch after batch: with room left
# on each page an update stays on its page (HOT: no new index entry), which made the cells'
# upserts about a fifth cheaper (bench/README.md, "Consumer and rebuild").
_FILLFACTOR = 70


# The facts' and cells' keys are compared byte for byte (`COLLATE "C"`), whatever the
# database's own collation: every upsert of a batch looks its rows up by them, and a
# locale's comparison costs more (bench/README.md, "Consumer and rebuild"). Nothing reads
# them in the collation's order (docs/architecture.md, "The consumer").
_KEY = 'text COLLATE "C" NOT NULL'


def projection_ddl(schema: str) -> str:
    _check(schema)
    return f"""
CREATE SCHEMA {schema};
{consumer_tables_ddl(schema)}
-- The latest known facts of each aggregate, so that a later event (a resubmission, a
-- regrade, a resolution months later) can take back exactly what the earlier one added.
-- Kept as the JSON text the consumer wrote (only the consumer reads it, as text): storing
-- it as jsonb cost PostgreSQL a parse on every save and a print on every load.
CREATE TABLE {schema}.facts (
    tenant {_KEY},
    kind {_KEY},
    id {_KEY},
    data text NOT NULL,
    PRIMARY KEY (tenant, kind, id)
) WITH (fillfactor = {_FILLFACTOR});
-- Counts per period (grain q = quarter FY2026Q1, m = month 2026-04), unit and measure.
CREATE TABLE {schema}.counts (
    tenant {_KEY},
    grain {_KEY},
    period {_KEY},
    unit_kind {_KEY},
    unit_code {_KEY},
    measure {_KEY},
    dimension {_KEY} DEFAULT '',
    value bigint NOT NULL,
    PRIMARY KEY (tenant, grain, period, unit_kind, unit_code, measure, dimension)
) WITH (fillfactor = {_FILLFACTOR});
-- Changes of a state measure (open at the end of a period): its value at a period is the
-- sum of the changes up to and including it.
CREATE TABLE {schema}.running (LIKE {schema}.counts INCLUDING ALL)
WITH (fillfactor = {_FILLFACTOR});
{publication_ddl(schema)}"""


def _check(schema: str) -> None:
    if not _NAME.match(schema):
        raise ValueError(f"not a generation schema: {schema!r}")


async def active_schema(conn: asyncpg.Connection, *, share_lock: bool = False) -> str:
    """The active generation; creates gen_0 on first use."""
    query = "SELECT active_schema FROM projection_state" + (" FOR SHARE" if share_lock else "")
    schema: str | None = await conn.fetchval(query)
    if schema is None:
        async with conn.transaction():
            if await conn.fetchval("SELECT active_schema FROM projection_state FOR UPDATE") is None:
                await conn.execute(projection_ddl("gen_0"))
                await conn.execute(
                    "UPDATE projection_state SET active_schema = 'gen_0', generation = 0,"
                    " projections_version = $1",
                    PROJECTIONS_VERSION,
                )
        schema = await conn.fetchval(query)
    assert schema is not None
    _check(schema)
    return schema


async def lock_active_schema(conn: asyncpg.Connection) -> str:
    """The active generation, taken FOR UPDATE in the caller's transaction: live batches
    (which read it FOR SHARE) finish and the next ones wait until that transaction ends."""
    schema: str = await conn.fetchval("SELECT active_schema FROM projection_state FOR UPDATE")
    _check(schema)
    return schema


async def switch_to(conn: asyncpg.Connection, schema: str) -> None:
    """Make `schema` the active generation, its rebuild (by this code) finished now."""
    _check(schema)
    await conn.execute(
        "UPDATE projection_state SET active_schema = $1, rebuild_finished_at = now(),"
        " projections_version = $2",
        schema,
        PROJECTIONS_VERSION,
    )


async def record_rebuild_error(conn: asyncpg.Connection, error: str) -> None:
    """The name of the error a rebuild failed with (never its message: it may quote data)."""
    await conn.execute("UPDATE projection_state SET rebuild_error = $1", error)


@dataclass(frozen=True)
class RebuildState:
    active: str
    generation: int
    # The projections' version the active generation was built with (None: before versions).
    version: int | None
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    # The latest rebuild's: why it was started and the version it built.
    reason: RebuildReason | None
    rebuild_version: int | None


async def rebuild_state(conn: asyncpg.Connection) -> RebuildState:
    """The active generation and the latest rebuild's times, error, reason and version."""
    row = await conn.fetchrow(
        "SELECT active_schema, generation, projections_version, rebuild_started_at,"
        " rebuild_finished_at, rebuild_error, rebuild_reason, rebuild_version"
        " FROM projection_state"
    )
    return RebuildState(
        active=row["active_schema"],
        generation=row["generation"],
        version=row["projections_version"],
        started_at=row["rebuild_started_at"],
        finished_at=row["rebuild_finished_at"],
        error=row["rebuild_error"],
        reason=row["rebuild_reason"],
        rebuild_version=row["rebuild_version"],
    )


async def record_rebuild_start(conn: asyncpg.Connection, reason: RebuildReason) -> None:
    """A rebuild by this code starts now, for `reason`: recorded before anything of it can
    fail, so that its failure is known to be this version's and this recent."""
    await conn.execute(
        "UPDATE projection_state SET rebuild_started_at = now(), rebuild_finished_at = NULL,"
        " rebuild_error = NULL, rebuild_reason = $1, rebuild_version = $2",
        reason,
        PROJECTIONS_VERSION,
    )


async def create_generation(conn: asyncpg.Connection) -> str:
    """A new, empty generation schema (not yet active)."""
    async with conn.transaction():
        generation = await conn.fetchval(
            "UPDATE projection_state SET generation = generation + 1 RETURNING generation"
        )
        schema = f"gen_{generation}"
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await conn.execute(projection_ddl(schema))
    return schema


async def inactive_generations(conn: asyncpg.Connection) -> list[str]:
    """Generation schemas other than the active one (a rebuild's, or one it left behind)."""
    rows = await conn.fetch(
        "SELECT nspname FROM pg_namespace WHERE nspname ~ '^gen_[0-9]+$'"
        " AND nspname IS DISTINCT FROM (SELECT active_schema FROM projection_state)"
    )
    return sorted(str(r["nspname"]) for r in rows)


async def drop_generation(conn: asyncpg.Connection, schema: str) -> None:
    _check(schema)
    await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
