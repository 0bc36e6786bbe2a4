"""`purge_expired_keys` on the real database: key rows past their retention are deleted in
bounded batches (several purges at once share the work), fresh ones stay, and a retry
whose key row was deleted is a new request."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio

from qaf_shared.database import create_pool
from qaf_shared.http.auth import Principal
from qaf_shared.http.idempotency import write_once
from qaf_shared.http.idempotency_retention import purge_expired_keys, run_idempotency_retention
from qaf_shared.http.resources import StoredResponse
from qaf_shared.logging import configure_logging
from qaf_shared.testing.fixtures import DatabaseFactory

TTL_HOURS = 48
PRINCIPAL = Principal(client="client-r", tenant="886", scopes=frozenset({"audits:write"}))


@pytest_asyncio.fixture(loop_scope="session")
async def pool(make_database: DatabaseFactory) -> AsyncIterator[asyncpg.Pool]:
    """A database of each test's own: the counts are exact."""
    pool = await create_pool(await make_database("audit_service"), size=6)
    yield pool
    await pool.close()


async def _key_rows(pool: asyncpg.Pool, *, age_hours: float, n: int) -> list[str]:
    """`n` key rows written `age_hours` ago, each holding a response with free text."""
    keys = [f"key-{uuid.uuid4()}" for _ in range(n)]
    await pool.executemany(
        "INSERT INTO idempotency_keys (tenant, client, key, fingerprint, status, body, headers,"
        " created_at) VALUES ($1, $2, $3, 'f', 201, $4, $5,"
        " now() - make_interval(secs => $6))",
        [
            (
                PRINCIPAL.tenant,
                PRINCIPAL.client,
                key,
                {"comment": "free text"},
                {},
                age_hours * 3600,
            )
            for key in keys
        ],
    )
    return keys


async def _remaining(pool: asyncpg.Pool) -> set[str]:
    return {r["key"] for r in await pool.fetch("SELECT key FROM idempotency_keys")}


async def test_rows_past_retention_are_deleted_in_batches_and_the_rest_stay(
    pool: asyncpg.Pool,
) -> None:
    expired = await _key_rows(pool, age_hours=TTL_HOURS + 1, n=7)
    just_in_time = await _key_rows(pool, age_hours=TTL_HOURS - 0.1, n=2)
    fresh = await _key_rows(pool, age_hours=0, n=3)
    assert await purge_expired_keys(pool, ttl_hours=TTL_HOURS, batch_size=3) == len(expired)
    assert await _remaining(pool) == set(just_in_time) | set(fresh)
    assert await purge_expired_keys(pool, ttl_hours=TTL_HOURS, batch_size=3) == 0


async def test_replicas_purging_at_once_share_the_rows_without_waiting_or_failing(
    pool: asyncpg.Pool,
) -> None:
    await _key_rows(pool, age_hours=TTL_HOURS + 5, n=120)
    fresh = await _key_rows(pool, age_hours=1, n=4)
    counts = await asyncio.gather(
        *(purge_expired_keys(pool, ttl_hours=TTL_HOURS, batch_size=7) for _ in range(4))
    )
    assert sum(counts) == 120
    assert await _remaining(pool) == set(fresh)


async def test_a_retry_whose_key_row_was_deleted_is_a_new_request(pool: asyncpg.Pool) -> None:
    runs = 0

    async def handler(conn: asyncpg.Connection) -> StoredResponse:
        nonlocal runs
        runs += 1
        return StoredResponse(201, {"run": runs}, {})

    async def once() -> StoredResponse:
        return await write_once(
            pool,
            principal=PRINCIPAL,
            key=key,
            request_fingerprint="f1",
            ttl_hours=TTL_HOURS,
            handler=handler,
        )

    key = f"key-{uuid.uuid4()}"
    assert (await once()).body == {"run": 1}
    assert (await once()).body == {"run": 1}  # within retention: the first answer
    await pool.execute(
        "UPDATE idempotency_keys SET created_at = now() - make_interval(hours => $2)"
        " WHERE key = $1",
        key,
        TTL_HOURS + 1,
    )
    assert await purge_expired_keys(pool, ttl_hours=TTL_HOURS, batch_size=10) == 1
    assert key not in await _remaining(pool)
    assert (await once()).body == {"run": 3}  # runs again, and is stored anew
    assert (await once()).body == {"run": 3}
    assert key in await _remaining(pool)


async def test_a_retention_under_the_contracts_24_hours_is_refused(pool: asyncpg.Pool) -> None:
    with pytest.raises(ValueError):
        await purge_expired_keys(pool, ttl_hours=23, batch_size=10)


async def test_the_worker_logs_how_many_it_deleted_and_nothing_of_the_rows(
    pool: asyncpg.Pool, capfd: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    expired = await _key_rows(pool, age_hours=TTL_HOURS + 1, n=5)
    worker = asyncio.create_task(
        run_idempotency_retention(pool, ttl_hours=TTL_HOURS, interval_s=0.05, batch_size=2)
    )
    try:
        for _ in range(100):
            if not await _remaining(pool):
                break
            await asyncio.sleep(0.05)
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
    assert await _remaining(pool) == set()
    out = capfd.readouterr().out
    lines = [json.loads(line) for line in out.splitlines() if "idempotency" in line]
    assert [(line["event"], line["count"]) for line in lines] == [("idempotency_keys_expired", 5)]
    assert not set(lines[0]) - {"event", "count", "level", "timestamp"}
    assert "free text" not in out and not any(key in out for key in expired)
