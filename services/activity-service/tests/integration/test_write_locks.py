"""Who waits for whom among writes of one tenant's records, on the real database: a REST batch
waits only for writes of its own children, and a return load (the tenant's lock) for every
REST batch and holds every one back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import asyncpg
import httpx
import pytest_asyncio

from activity_service.repository.records import lock_children, lock_tenant
from qaf_shared.database import connect

POST = "/v1/activity"
TENANT = "886"
# Long enough for a batch that is not held to have been answered many times over.
HELD = 1.0


def child() -> str:
    return f"L{uuid.uuid4().hex[:12]}"


def referral(child_ref: str) -> dict[str, Any]:
    return {"kind": "referral", "child_ref": child_ref, "referral_date": "2025-05-01"}


async def post(client: httpx.AsyncClient, headers: dict[str, str], child_ref: str) -> str:
    response = await client.post(POST, json={"records": [referral(child_ref)]}, headers=headers)
    assert response.status_code == 200, response.text
    status: str = response.json()["results"][0]["status"]
    return status


@pytest_asyncio.fixture(loop_scope="session")
async def holder(activity_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection in a transaction of its own, as another write would hold its locks."""
    conn = await connect(activity_dsn)
    transaction = conn.transaction()
    await transaction.start()
    yield conn
    if conn.is_in_transaction():
        await transaction.rollback()
    await conn.close()


async def _held_back(waiting: Awaitable[Any]) -> asyncio.Task[Any]:
    task = asyncio.ensure_future(waiting)
    await asyncio.sleep(HELD)
    assert not task.done(), "it did not wait"
    return task


async def test_a_batch_waits_for_a_write_of_its_own_children_and_for_no_other(
    activity_client: httpx.AsyncClient, holder: asyncpg.Connection, writer: dict[str, str]
) -> None:
    held, free = child(), child()
    await lock_children(holder, TENANT, [held])

    assert await asyncio.wait_for(post(activity_client, writer, free), HELD) == "ACCEPTED"
    waiting = await _held_back(post(activity_client, writer, held))

    await holder.execute("COMMIT")
    assert await asyncio.wait_for(waiting, 10) == "ACCEPTED"


async def test_a_return_load_holding_the_tenant_holds_every_batch_of_the_tenant_back(
    activity_client: httpx.AsyncClient, holder: asyncpg.Connection, writer: dict[str, str]
) -> None:
    await lock_tenant(holder, TENANT)

    waiting = await _held_back(post(activity_client, writer, child()))

    await holder.execute("COMMIT")
    assert await asyncio.wait_for(waiting, 10) == "ACCEPTED"


async def test_a_return_load_waits_for_the_batches_in_flight_and_overlapping_batches_take_turns(
    activity_dsn: str, holder: asyncpg.Connection
) -> None:
    shared = child()
    await lock_children(holder, TENANT, [shared, child()])
    load, other = await connect(activity_dsn), await connect(activity_dsn)
    try:
        await load.execute("BEGIN")
        await other.execute("BEGIN")
        tenant_lock = await _held_back(lock_tenant(load, TENANT))
        overlapping = await _held_back(lock_children(other, TENANT, [child(), shared]))
        await holder.execute("COMMIT")
        # The load queued first: it gets the tenant, and the batch waits on for it.
        await asyncio.wait_for(tenant_lock, 10)
        await asyncio.sleep(0.2)
        assert not overlapping.done()
        await load.execute("COMMIT")
        await asyncio.wait_for(overlapping, 10)
        await other.execute("COMMIT")
    finally:
        await load.close()
        await other.close()
