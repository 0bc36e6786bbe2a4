"""A load is never half-applied: activity-service as a real process, SIGKILLed while a large
census is APPLYING, then started again. The load starts again from the beginning and reaches
APPLIED with exactly the intended records and exactly one `recorded` event per record in
the outbox (nothing lost, nothing twice)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx

from qaf_shared.database import connect
from qaf_shared.testing.activity_returns import child_refs, cin_census_records, generate
from qaf_shared.testing.fixtures import DatabaseFactory, auth
from qaf_shared.testing.processes import Process, start_service

from .loads import cin_census, held_records, intended_records, new_tenant, outbox

FACTORY = "activity_service.main:create_app"
CHILDREN = 6000  # some 20,000 records: a few seconds of APPLYING


async def wait_for(
    client: httpx.AsyncClient, location: str, headers: dict[str, str], done: Callable[[Any], bool],
    *, timeout: float, process: Process,
) -> dict[str, Any]:  # fmt: skip
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = (await client.get(location, headers=headers)).json()
        if done(body):
            return body
        assert process.alive(), f"the service exited; see {process.log_path}"
        assert time.monotonic() < deadline, body
        await asyncio.sleep(0.05)


async def test_a_load_killed_while_applying_starts_again_and_applies_exactly_once(
    make_database: DatabaseFactory, topic_prefix: str, token: Callable[..., str]
) -> None:
    dsn = await make_database("activity_service")
    env = {
        "QA_DATABASE_URL": dsn,
        "QA_KAFKA_TOPIC_PREFIX": topic_prefix,
        "QA_RELAY_ENABLED": "false",  # the outbox rows stay to be counted
        "QA_CHILD_KEY_SECRET": "crash-test-child-key-secret-of-32-bytes",
        "QA_RETURN_LOAD_POLL_INTERVAL_S": "0.5",
    }
    tenant = new_tenant()
    headers = auth(token("activity:write activity:read", tenant=tenant))
    children = list(generate(seed=99, refs=child_refs(CHILDREN, prefix="KILL")))
    intended = intended_records(cin_census_records(children))
    parts = cin_census(children)

    process, base = start_service("activity-crash-1", FACTORY, env)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            response = await client.post(
                "/v1/returns",
                data={"kind": "CIN_CENSUS", "year": "FY2025"},
                files=parts,
                headers=headers,
            )
            assert response.status_code == 202, response.text
            location = response.headers["Location"]
            applying = await wait_for(
                client, location, headers,
                lambda b: b["status"] == "APPLYING" and b["progress"]["records_read"] > 0,
                timeout=120, process=process,
            )  # fmt: skip
            assert applying["progress"]["records_read"] < applying["progress"]["records_total"]
            process.kill()
    finally:
        process.kill()

    conn = await connect(dsn)
    try:
        # nothing of the killed run was committed
        assert await conn.fetchval("SELECT status FROM return_loads") == "APPLYING"
        assert await held_records(conn, tenant) == {}
        assert await outbox(conn, tenant) == []

        process, base = start_service("activity-crash-2", FACTORY, env)
        try:
            async with httpx.AsyncClient(base_url=base, timeout=60) as client:
                load = await wait_for(
                    client, location, headers, lambda b: b["status"] in ("APPLIED", "REJECTED"),
                    timeout=240, process=process,
                )  # fmt: skip
        finally:
            process.kill()

        assert load["status"] == "APPLIED", load
        assert load["attempts"] == 2
        assert load["counts"]["accepted"] == len(intended)
        assert await held_records(conn, tenant) == intended
        ids = [
            str(r["id"])
            for r in await conn.fetch("SELECT id FROM activity_records WHERE tenant = $1", tenant)
        ]
        events = await outbox(conn, tenant)
        assert all(e["type"].endswith(".recorded.v1") for e in events)
        assert sorted(e["aggregateid"] for e in events) == sorted(ids)
        assert len(ids) == len(intended)
        # the stored files are gone with the load done
        assert await conn.fetchval("SELECT count(*) FROM return_files") == 0
    finally:
        await conn.close()
