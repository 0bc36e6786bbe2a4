"""Migration 0002 (consumer statistics per tenant) on a database whose generation was made
by the code before it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg
import pytest
from alembic import command

from qaf_shared import migrations
from qaf_shared.database import connect
from qaf_shared.runtime_role import runtime_role_for
from qaf_shared.testing.fixtures import auth, eventually, owner_dsn, serve
from qaf_shared.testing.kafka import publish
from reporting_service.main import create_app
from reporting_service.projections.version import PROJECTIONS_VERSION
from reporting_service.repository import generations

from ..feed import Own, audit_submitted, settings_for

COLUMNS = """
SELECT array_agg(column_name::text ORDER BY column_name) FROM information_schema.columns
WHERE table_schema = 'gen_0' AND table_name = 'consumer_stats'
"""

VERSION_COLUMNS = """
SELECT count(*) FROM information_schema.columns WHERE table_name = 'projection_state'
AND column_name IN ('projections_version', 'rebuild_version', 'rebuild_reason')
"""


async def test_an_existing_generation_keeps_its_counts_and_is_then_counted_per_tenant(
    own: Own, token: Callable[..., str]
) -> None:
    dsn, prefix = own
    conn = await connect(dsn)
    try:
        await generations.active_schema(conn)
        await conn.execute(
            "INSERT INTO gen_0.consumer_stats VALUES"
            " ('qa.audit.events.v1', '886', 5, 1, '2025-06-01T00:00Z'),"
            " ('qa.audit.events.v1', '887', 2, 0, '2025-07-01T00:00Z'),"
            " ('qa.audit.events.v1', '', 0, 3, NULL)"
        )
        # Back to the shape the code before 0002 made (counts kept, summed per topic)...
        owner, runtime_role = owner_dsn(dsn), runtime_role_for("reporting_service")
        config = migrations.alembic_config("reporting_service", owner, runtime_role)
        await asyncio.to_thread(command.downgrade, config, "0001")
        assert "tenant" not in await conn.fetchval(COLUMNS)
        old = await conn.fetchrow("SELECT * FROM gen_0.consumer_stats")
        assert (old["applied"], old["dead_letters"]) == (7, 4)
        # ...and forward again: what an upgrade of a running deployment does.
        await asyncio.to_thread(
            lambda: migrations.upgrade("reporting_service", owner, runtime_role=runtime_role)
        )
        assert "tenant" in await conn.fetchval(COLUMNS)
    finally:
        await conn.close()

    await publish(prefix, [audit_submitted("886", at=datetime(2026, 3, 1, tzinfo=UTC))])
    # The migrated generation itself, which a rebuild of its own (it is from before the
    # projections' versions, 0004) would otherwise replace.
    settings = settings_for(dsn, prefix, "mig").model_copy(update={"auto_rebuild": False})
    async with serve(create_app(settings)) as client:

        async def status(scopes: str) -> dict[str, int]:
            body = (await client.get("/v1/status", headers=auth(token(scopes)))).json()
            return {
                "applied": body["topics"]["qa.audit.events.v1"]["applied"],
                "dead": body["dead_letters"],
            }

        async def consumed() -> bool:
            return (await status("reports:read admin"))["applied"] == 8

        # The consumer goes on writing into the migrated generation: the old counts (tenant
        # unknown until a rebuild) are in the admin totals, the new event is 886's own.
        await eventually(consumed, timeout=30)
        assert await status("reports:read admin") == {"applied": 8, "dead": 4}
        assert await status("reports:read") == {"applied": 1, "dead": 0}


async def test_a_generation_from_before_projection_versions_is_of_no_version(own: Own) -> None:
    """Migration 0004: the generations that exist were built before versions (NULL, which
    the service rebuilds); a new database's gen_0 is of the code's version."""
    owner, runtime_role = owner_dsn(own.dsn), runtime_role_for("reporting_service")
    config = migrations.alembic_config("reporting_service", owner, runtime_role)
    conn = await connect(own.dsn)
    try:
        await generations.active_schema(conn)
        assert (await generations.rebuild_state(conn)).version == PROJECTIONS_VERSION
        await asyncio.to_thread(command.downgrade, config, "0003")
        assert await conn.fetchval(VERSION_COLUMNS) == 0
        await asyncio.to_thread(
            lambda: migrations.upgrade("reporting_service", owner, runtime_role=runtime_role)
        )
        assert await conn.fetchval(VERSION_COLUMNS) == 3
        state = await generations.rebuild_state(conn)
        assert (state.active, state.version, state.rebuild_version) == ("gen_0", None, None)
    finally:
        await conn.close()


async def test_the_runtime_role_replaces_reference_rows_and_only_adds_to_their_log(
    own: Own,
) -> None:
    """Migration 0003: a load deletes and inserts reference rows, never updates them, and its
    log is append-only; Kent's and Medway's neighbours are there from the start."""
    conn = await connect(own.dsn)  # the runtime role's
    try:
        async with conn.transaction():
            await conn.execute("DELETE FROM benchmark_values WHERE false")
            await conn.execute("DELETE FROM benchmark_neighbours WHERE false")
            await conn.execute(
                "INSERT INTO benchmark_loads (kind, client, actor, covers, rows)"
                " VALUES ('values', 'c', 'a', '{}', 0)"
            )
        for statement in (
            "UPDATE benchmark_values SET value = value",
            "UPDATE benchmark_neighbours SET rank = rank",
            "UPDATE benchmark_loads SET rows = rows",
            "DELETE FROM benchmark_loads",
            "TRUNCATE benchmark_values",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(statement)
        shipped = await conn.fetch(
            "SELECT la_code, count(*) AS n FROM benchmark_neighbours GROUP BY 1 ORDER BY 1"
        )
        assert [(r["la_code"], r["n"]) for r in shipped] == [("886", 10), ("887", 10)]
    finally:
        await conn.close()
