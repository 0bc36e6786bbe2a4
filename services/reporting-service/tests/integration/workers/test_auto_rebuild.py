"""The service rebuilds by itself when the active generation was built by older projections
(workers/auto_rebuild.py), against real Kafka and PostgreSQL: once across replicas, reads
answering from the old generation meanwhile, and the figures those of a fresh fold."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import pytest_asyncio

from qaf_shared.clock import BusinessClock
from qaf_shared.database import connect, create_pool
from qaf_shared.testing.fixtures import auth, eventually, owner_dsn, serve
from reporting_service.main import create_app
from reporting_service.projections.version import PROJECTIONS_VERSION
from reporting_service.repository import generations
from reporting_service.settings import ReportingSettings
from reporting_service.workers.auto_rebuild import rebuild_if_outdated

from ..api import workload
from ..feed import Own, all_applied, settings_for

SEED = 1515
QUARTERS = ("FY2025Q1", "FY2025Q3", "FY2026Q2")
# What each generation holds that a figure is made of.
TABLES = {
    "facts": "tenant, kind, id, data::text",
    "counts": "tenant, grain, period, unit_kind, unit_code, measure, dimension, value",
    "running": "tenant, grain, period, unit_kind, unit_code, measure, dimension, value",
}


async def projection_rows(conn: asyncpg.Connection, schema: str) -> dict[str, list[Any]]:
    return {
        table: [
            tuple(r)
            for r in await conn.fetch(f"SELECT {cols} FROM {schema}.{table} ORDER BY {cols}")
        ]
        for table, cols in TABLES.items()
    }


async def aggregates(client: httpx.AsyncClient, reader: dict[str, str]) -> dict[str, Any]:
    figures = {}
    for quarter in QUARTERS:
        response = await client.get(f"/v1/aggregates/{quarter}", headers=reader)
        assert response.status_code == 200, response.text
        figures[quarter] = response.json()
    return figures


async def rebuild_status(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, Any]:
    response = await client.get("/v1/admin/rebuild", headers=admin)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def replica(settings: ReportingSettings, **changes: Any) -> ReportingSettings:
    """Another replica's settings: the same database, topics and consumer group (so it
    resumes where the group's commits are, as a restarted deployment does)."""
    return settings.model_copy(update=changes)


class Folded:
    """A database whose gen_0 the current projections folded from a seeded workload, and
    what that fresh fold holds."""

    def __init__(self, own: Own, settings: ReportingSettings) -> None:
        self.dsn, self.prefix = own
        self.settings = settings
        self.fresh: dict[str, list[Any]] = {}
        self.fresh_figures: dict[str, Any] = {}

    async def state(self) -> generations.RebuildState:
        conn = await connect(self.dsn)
        try:
            return await generations.rebuild_state(conn)
        finally:
            await conn.close()

    async def execute(self, sql: str) -> None:
        conn = await connect(self.dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()


@pytest_asyncio.fixture
async def folded(own: Own, token: Callable[..., str]) -> Folded:
    load = workload.build(SEED, size=25)
    await workload.produce(own.prefix, load, SEED)
    settings = replica(settings_for(own.dsn, own.prefix, "auto"), auto_rebuild_check_s=0.2)
    result = Folded(own, settings)
    async with serve(create_app(settings)) as client:
        await all_applied(own.dsn, len(load.events))
        result.fresh_figures = await aggregates(client, auth(token("reports:read_unsuppressed")))
        # The group's offsets are committed after each batch's transaction: let the last one
        # land, so that the next replica redelivers nothing.
        await asyncio.sleep(1)
    conn = await connect(own.dsn)
    try:
        result.fresh = await projection_rows(conn, "gen_0")
    finally:
        await conn.close()
    assert result.fresh["counts"]
    return result


async def made_by_older_projections(folded: Folded) -> None:
    """What a deployment of older projections leaves: a generation of another version, whose
    figures that code counted differently (its published snapshots are dropped, so reads show
    those figures: decided on the read, or published again from them)."""
    await folded.execute(
        "UPDATE projection_state SET projections_version = NULL;"
        " UPDATE gen_0.counts SET value = value * 3 + 1;"
        " DELETE FROM gen_0.snapshots"
    )


class SwitchHeld:
    """Holds any rebuild before its switch (which reads the active generation's
    partition_offsets) until `release`."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn

    async def __aenter__(self) -> SwitchHeld:
        self._conn = await connect(self._dsn)
        self._hold = self._conn.transaction()
        await self._hold.start()
        await self._conn.execute("LOCK TABLE gen_0.partition_offsets IN ACCESS EXCLUSIVE MODE")
        return self

    async def release(self) -> None:
        if not self._conn.is_closed():
            await self._hold.rollback()
            await self._conn.close()

    async def __aexit__(self, *exc: object) -> None:
        await self.release()


async def running(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, Any]:
    async def started() -> dict[str, Any] | None:
        body = await rebuild_status(client, admin)
        return body if body["status"] == "running" and body["reason"] else None

    body: dict[str, Any] = await eventually(started, timeout=30)
    return body


async def switched(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, Any]:
    async def idle() -> dict[str, Any] | None:
        body = await rebuild_status(client, admin)
        return body if body["status"] == "idle" and body["finished_at"] else None

    body: dict[str, Any] = await eventually(idle, timeout=60)
    return body


async def test_a_generation_of_older_projections_is_rebuilt_on_start_into_a_fresh_fold_while_reads_go_on(
    folded: Folded, token: Callable[..., str]
) -> None:
    await made_by_older_projections(folded)
    reader = auth(token("reports:read_unsuppressed"))
    admin = auth(token("admin"))
    async with SwitchHeld(folded.dsn) as held, serve(create_app(folded.settings)) as client:
        during = await running(client, admin)
        assert during["reason"] == "projections_version"
        assert during["projections_version"] is None
        assert during["code_version"] == PROJECTIONS_VERSION
        assert during["active"] == "gen_0"
        metrics = (await client.get("/metrics")).text
        assert 'qa_reporting_rebuild_running{reason="projections_version"} 1.0' in metrics
        # Reads answer meanwhile, from the old generation's figures.
        old = await aggregates(client, reader)
        values = [r["value"] for q in old.values() for r in q["rows"]]
        assert any(isinstance(v, int) and v > 0 for v in values)
        await held.release()

        done = await switched(client, admin)
        assert done["error"] is None
        assert done["projections_version"] == PROJECTIONS_VERSION
        assert done["reason"] == "projections_version"
        assert done["active"] != "gen_0"
        assert old != folded.fresh_figures

        async def fresh() -> bool:
            return await aggregates(client, reader) == folded.fresh_figures

        # Reports follow the switch within the read cache's recheck.
        await eventually(fresh, timeout=5)
        metrics = (await client.get("/metrics")).text
        assert 'qa_reporting_rebuild_running{reason="projections_version"} 0.0' in metrics
        assert f'qa_reporting_projections_version{{of="active"}} {PROJECTIONS_VERSION}.0' in metrics
    conn = await connect(folded.dsn)
    try:
        assert await projection_rows(conn, done["active"]) == folded.fresh
        assert await generations.inactive_generations(conn) == []
    finally:
        await conn.close()


async def test_a_generation_of_this_version_is_not_rebuilt(folded: Folded) -> None:
    before = await folded.state()
    assert before.version == PROJECTIONS_VERSION
    async with serve(create_app(folded.settings)):
        # The replica's worker looks on start and then every 0.2 s.
        await asyncio.sleep(2)
    pool = await create_pool(folded.dsn, size=1)
    try:
        assert await rebuild_if_outdated(folded.settings, pool, BusinessClock()) is None
    finally:
        await pool.close()
    after = await folded.state()
    assert (after.active, after.generation, after.started_at) == ("gen_0", 0, None)


async def test_two_replicas_starting_on_an_older_generation_rebuild_it_once(
    folded: Folded, token: Callable[..., str]
) -> None:
    await made_by_older_projections(folded)
    admin = auth(token("admin"))
    async with (
        SwitchHeld(folded.dsn) as held,
        serve(create_app(folded.settings)) as one,
        serve(create_app(replica(folded.settings))) as two,
    ):
        # Both looked while the first to take the lock rebuilds, and keep looking.
        await running(two, admin)
        await asyncio.sleep(1)
        await held.release()
        await switched(one, admin)
        # Several more looks by each replica, now that the version is current.
        await asyncio.sleep(2)
        for client in (one, two):
            state = await rebuild_status(client, admin)
            assert (state["status"], state["generation"], state["active"]) == ("idle", 1, "gen_1")
    conn = await connect(folded.dsn)
    try:
        assert await projection_rows(conn, "gen_1") == folded.fresh
    finally:
        await conn.close()


async def test_a_failed_rebuild_is_recorded_and_not_tried_again_until_its_retry_time(
    folded: Folded, token: Callable[..., str]
) -> None:
    await made_by_older_projections(folded)
    database = folded.dsn.rsplit("/", 1)[1]
    runtime_role = folded.dsn.split("://", 1)[1].split(":", 1)[0]
    owner = await connect(owner_dsn(folded.dsn))
    admin = auth(token("admin"))
    settings = replica(folded.settings, auto_rebuild_retry_s=600)
    try:
        # A rebuild that cannot succeed: its new generation's schema may not be created.
        await owner.execute(f"REVOKE CREATE ON DATABASE {database} FROM {runtime_role}")
        async with serve(create_app(settings)) as client:

            async def failed() -> dict[str, Any] | None:
                body = await rebuild_status(client, admin)
                return body if body["status"] == "idle" and body["error"] else None

            first = await eventually(failed, timeout=30)
            await asyncio.sleep(2)  # about ten more looks
            again = await rebuild_status(client, admin)
        assert first["error"] == "InsufficientPrivilegeError"
        assert first["reason"] == "projections_version"
        assert again == first  # not started again: the same start, error and generation
        assert (again["active"], again["projections_version"]) == ("gen_0", None)
        async with serve(create_app(settings)):  # nor by a restart
            await asyncio.sleep(2)
        held_back = await folded.state()
        assert held_back.started_at is not None
        assert held_back.started_at.isoformat() == first["started_at"]

        await owner.execute(f"GRANT CREATE ON DATABASE {database} TO {runtime_role}")
        await folded.execute(
            "UPDATE projection_state SET rebuild_started_at = now() - interval '11 minutes'"
        )
        async with serve(create_app(settings)) as client:
            done = await switched(client, admin)
    finally:
        await owner.execute(f"GRANT CREATE ON DATABASE {database} TO {runtime_role}")
        await owner.close()
    assert (done["active"], done["error"]) == ("gen_1", None)
    assert done["projections_version"] == PROJECTIONS_VERSION
