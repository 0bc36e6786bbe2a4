from collections.abc import AsyncIterator, Callable

import asyncpg
import httpx
import pytest
import pytest_asyncio

from escalation_service.main import create_app
from escalation_service.settings import EscalationSettings
from qaf_shared.database import connect
from qaf_shared.testing.fixtures import DatabaseFactory, auth, serve

from .calls import CLOCK, Escalations


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def escalation_dsn(make_database: DatabaseFactory) -> str:
    return await make_database("escalation_service")


@pytest.fixture(scope="session")
def escalation_settings(escalation_dsn: str, topic_prefix: str) -> EscalationSettings:
    """escalation-service against its own test database. The relay and the overdue scheduler
    are off here: the outbox rows are checked directly, and the scheduler has tests (and
    databases) of its own."""
    return EscalationSettings(
        database_url=escalation_dsn,
        kafka_topic_prefix=topic_prefix,
        relay_enabled=False,
        overdue_scan_enabled=False,
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def escalation_client(
    escalation_settings: EscalationSettings,
) -> AsyncIterator[httpx.AsyncClient]:
    """escalation-service in this process, on `escalation_settings`, with today pinned."""
    async with serve(create_app(escalation_settings, clock=CLOCK)) as client:
        yield client


@pytest_asyncio.fixture(loop_scope="session")
async def escalation_db(escalation_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await connect(escalation_dsn)
    yield conn
    await conn.close()


@pytest.fixture
def writer(token: Callable[..., str]) -> dict[str, str]:
    return auth(token("escalations:write escalations:read"))


@pytest.fixture
def escalations(
    escalation_client: httpx.AsyncClient, writer: dict[str, str], escalation_db: asyncpg.Connection
) -> Escalations:
    return Escalations(escalation_client, writer, escalation_db)
