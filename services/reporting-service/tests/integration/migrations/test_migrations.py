"""Reporting's migrations on databases whose generations were made by the code before them:
0002 (consumer statistics per tenant), 0003 (benchmark reference data), 0004 (projection
versions), 0005 (the consumer's tables cheaper to write)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg
import pytest
from alembic import command

from bench.eventmix import stream
from qaf_shared import jsonutil, migrations
from qaf_shared.database import connect
from qaf_shared.events.envelope import parse_event
from qaf_shared.runtime_role import runtime_role_for
from qaf_shared.testing.fixtures import DatabaseFactory, auth, eventually, owner_dsn, serve
from qaf_shared.testing.kafka import publish
from reporting_service.main import create_app
from reporting_service.projections import apply
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


# Each projection table's columns with their type and collation ('' for the default).
SHAPE = """
SELECT table_name::text, array_agg(column_name || ' ' || data_type || ' ' ||
       coalesce(collation_name, '') ORDER BY column_name)
FROM information_schema.columns
WHERE table_schema = 'gen_0'
  AND table_name IN ('facts', 'counts', 'running', 'processed_events')
GROUP BY 1
"""
CELLS = "SELECT * FROM gen_0.{table} ORDER BY 1, 2, 3, 4, 5, 6, 7"


async def _apply(dsn: str, values: list[bytes]) -> None:
    """The events applied to gen_0 as the consumer applies a batch (its ids recorded)."""
    conn = await connect(dsn)
    try:
        schema = await generations.active_schema(conn)
        events = [parse_event(v) for v in values]
        async with conn.transaction():
            await conn.execute(
                f"INSERT INTO {schema}.processed_events (event_id) SELECT unnest($1::uuid[])",
                [e.id for e in events],
            )
            await apply(conn, schema, events)
    finally:
        await conn.close()


async def _tables(dsn: str) -> dict[str, list[tuple[object, ...]]]:
    conn = await connect(dsn)
    try:
        return {
            "facts": [
                (r["tenant"], r["kind"], r["id"], jsonutil.loads(r["data"]))
                for r in await conn.fetch("SELECT * FROM gen_0.facts ORDER BY 1, 2, 3")
            ],
            "counts": [tuple(r) for r in await conn.fetch(CELLS.format(table="counts"))],
            "running": [tuple(r) for r in await conn.fetch(CELLS.format(table="running"))],
            "processed": [
                tuple(r)
                for r in await conn.fetch("SELECT * FROM gen_0.processed_events ORDER BY 1")
            ],
        }
    finally:
        await conn.close()


async def test_a_generation_from_before_0005_keeps_its_facts_and_counts_and_goes_on_from_them(
    own: Own, make_database: DatabaseFactory
) -> None:
    """Migration 0005: an existing generation's facts (jsonb before), cells and processed
    ids come through it, keyed byte for byte, and the next batch folds into the migrated
    facts: the same tables as a database that applied every event in the new shape."""
    values = [value for _, _, value, _ in stream(3_000)]
    owner, runtime_role = owner_dsn(own.dsn), runtime_role_for("reporting_service")
    config = migrations.alembic_config("reporting_service", owner, runtime_role)
    await _apply(own.dsn, values[:1_500])
    conn = await connect(own.dsn)
    try:
        new_shape = dict(await conn.fetch(SHAPE))
        # Back to the shape the code before 0005 made (facts as jsonb, the processed ids
        # with where they came from, the database's collation)...
        await asyncio.to_thread(command.downgrade, config, "0004")
        old_shape = dict(await conn.fetch(SHAPE))
        assert "data jsonb " in old_shape["facts"]
        assert len(old_shape["processed_events"]) == 5
        assert not any(c.endswith(" C") for c in old_shape["counts"])
        # ...and forward again: what an upgrade of a running deployment does.
        await asyncio.to_thread(
            lambda: migrations.upgrade("reporting_service", owner, runtime_role=runtime_role)
        )
        assert dict(await conn.fetch(SHAPE)) == new_shape
        assert new_shape["processed_events"] == ["event_id uuid "]
        assert "data text " in new_shape["facts"]
        assert all(c.endswith(" C") for c in new_shape["counts"] if " text " in c)
    finally:
        await conn.close()
    await _apply(own.dsn, values[1_500:])

    fresh = await make_database("reporting_service")
    await _apply(fresh, values[:1_500])
    await _apply(fresh, values[1_500:])
    migrated, expected = await _tables(own.dsn), await _tables(fresh)
    assert len(expected["facts"]) > 500 and len(expected["counts"]) > 1_000
    assert migrated == expected
