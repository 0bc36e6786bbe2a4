"""The generation a rebuild switched from, against real PostgreSQL: dropped once what still
reads it lets go, and left for the next rebuild when it never does (workers/rebuild.py). A
lock timeout stands in for PostgreSQL's deadlock detector: both abort the drop."""

from __future__ import annotations

import asyncio

import asyncpg

from qaf_shared.database import connect, create_pool
from reporting_service.repository import generations
from reporting_service.workers import rebuild

from ..feed import Own


async def _reading(dsn: str) -> tuple[asyncpg.Pool, str, asyncpg.Connection]:
    """A pool whose statements give up waiting for a lock after 100 ms, a generation, and a
    connection in the middle of a read of that generation (its tables' share lock held)."""
    pool = await create_pool(dsn, size=2, server_settings={"lock_timeout": "100ms"})
    async with pool.acquire() as conn:
        old = await generations.create_generation(conn)
    reader = await connect(dsn)
    await reader.execute("BEGIN")
    await reader.fetchval(f"SELECT count(*) FROM {old}.counts")
    return pool, old, reader


async def _inactive(pool: asyncpg.Pool) -> list[str]:
    async with pool.acquire() as conn:
        return await generations.inactive_generations(conn)


async def test_the_old_generation_is_dropped_once_a_read_still_in_it_lets_go(own: Own) -> None:
    dsn, _ = own
    pool, old, reader = await _reading(dsn)
    try:

        async def let_go() -> None:
            await asyncio.sleep(0.5)  # after the first attempts have given up
            await reader.execute("COMMIT")

        letting = asyncio.create_task(let_go())
        await rebuild._drop_old(pool, old)
        await letting
        assert old not in await _inactive(pool)
    finally:
        await reader.close()
        await pool.close()


async def test_an_old_generation_a_read_never_lets_go_is_left_for_the_next_rebuild(
    own: Own,
) -> None:
    dsn, _ = own
    pool, old, reader = await _reading(dsn)
    try:
        await rebuild._drop_old(pool, old)  # returns: the rebuild has succeeded
        assert old in await _inactive(pool)
    finally:
        await reader.close()
        await pool.close()
