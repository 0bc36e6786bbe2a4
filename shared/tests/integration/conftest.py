from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest_asyncio

from qaf_shared.database import create_pool
from qaf_shared.testing.fixtures import DatabaseFactory


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def pool(make_database: DatabaseFactory) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a new audit-service database (the tables every write service has), for the
    route helpers' tests: one database per test module."""
    pool = await create_pool(await make_database("audit_service"), size=4)
    yield pool
    await pool.close()
