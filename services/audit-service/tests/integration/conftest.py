from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest_asyncio

from audit_service.main import create_app
from audit_service.settings import AuditSettings
from qaf_shared.database import connect
from qaf_shared.testing.fixtures import DatabaseFactory, serve


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def audit_dsn(make_database: DatabaseFactory) -> str:
    return await make_database("audit_service")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def audit_client(audit_dsn: str, topic_prefix: str) -> AsyncIterator[httpx.AsyncClient]:
    """audit-service in this process against its own test database; the relay is off here
    (the outbox rows are checked directly; publishing is tested end to end elsewhere)."""
    settings = AuditSettings(
        database_url=audit_dsn, kafka_topic_prefix=topic_prefix, relay_enabled=False
    )
    async with serve(create_app(settings)) as client:
        yield client


@pytest_asyncio.fixture(loop_scope="session")
async def audit_db(audit_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await connect(audit_dsn)
    yield conn
    await conn.close()
