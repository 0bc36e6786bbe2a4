from collections.abc import AsyncIterator, Callable

import asyncpg
import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr

from activity_service.main import create_app
from activity_service.settings import ActivitySettings
from qaf_shared.database import connect
from qaf_shared.testing.fixtures import DatabaseFactory, auth, serve

# The tests' child_key secret (a deployment's comes from its settings or secret file).
CHILD_KEY_SECRET = "test-child-key-secret-of-at-least-32-bytes"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def activity_dsn(make_database: DatabaseFactory) -> str:
    return await make_database("activity_service")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def activity_client(activity_dsn: str, topic_prefix: str) -> AsyncIterator[httpx.AsyncClient]:
    """activity-service in this process against its own test database; the relay is off here
    (the outbox rows are checked directly)."""
    settings = ActivitySettings(
        database_url=activity_dsn,
        kafka_topic_prefix=topic_prefix,
        relay_enabled=False,
        child_key_secret=SecretStr(CHILD_KEY_SECRET),
    )
    async with serve(create_app(settings)) as client:
        yield client


@pytest_asyncio.fixture(loop_scope="session")
async def activity_db(activity_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await connect(activity_dsn)
    yield conn
    await conn.close()


@pytest.fixture
def writer(token: Callable[..., str]) -> dict[str, str]:
    return auth(token("activity:write activity:read"))
