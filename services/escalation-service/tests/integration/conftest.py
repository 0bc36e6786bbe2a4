from collections.abc import AsyncIterator, Callable

import asyncpg
import httpx
import pytest
import pytest_asyncio

from escalation_service.main import create_app
from escalation_service.settings import EscalationSettings
from qaf_shared.database import connect
from qaf_shared.testing.fixtures import DatabaseFactory, auth, serve

from .calls import CLOCK


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def escalation_dsn(make_database: DatabaseFactory) -> str:
    return await make_database("escalation_service")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def escalation_client(
    escalation_dsn: str, topic_prefix: str
) -> AsyncIterator[httpx.AsyncClient]:
    """escalation-service in this process against its own test database, with today pinned.
    The relay and the overdue scheduler are off here: the outbox rows are checked directly,
    and the scheduler has tests (and databases) of its own."""
    settings = EscalationSettings(
        database_url=escalation_dsn,
        kafka_topic_prefix=topic_prefix,
        relay_enabled=False,
        overdue_scan_enabled=False,
    )
    async with serve(create_app(settings, clock=CLOCK)) as client:
        yield client


@pytest_asyncio.fixture(loop_scope="session")
async def escalation_db(escalation_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await connect(escalation_dsn)
    yield conn
    await conn.close()


@pytest.fixture
def writer(token: Callable[..., str]) -> dict[str, str]:
    return auth(token("escalations:write escalations:read"))
