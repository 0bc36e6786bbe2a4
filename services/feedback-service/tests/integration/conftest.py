from collections.abc import AsyncIterator, Callable

import asyncpg
import httpx
import pytest
import pytest_asyncio

from feedback_service.main import create_app
from feedback_service.settings import FeedbackSettings
from qaf_shared.database import connect
from qaf_shared.testing.fixtures import DatabaseFactory, auth, serve


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def feedback_dsn(make_database: DatabaseFactory) -> str:
    return await make_database("feedback_service")


@pytest.fixture(scope="session")
def feedback_settings(feedback_dsn: str, topic_prefix: str) -> FeedbackSettings:
    """feedback-service against its own test database; the relay is off here (the outbox rows
    are checked directly; test_events_published runs the relay)."""
    return FeedbackSettings(
        database_url=feedback_dsn,
        kafka_topic_prefix=topic_prefix,
        relay_enabled=False,
        provider_rate_burst=10_000,
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def feedback_client(feedback_settings: FeedbackSettings) -> AsyncIterator[httpx.AsyncClient]:
    """feedback-service in this process, on `feedback_settings`."""
    async with serve(create_app(feedback_settings)) as client:
        yield client


@pytest_asyncio.fixture(loop_scope="session")
async def feedback_db(feedback_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await connect(feedback_dsn)
    yield conn
    await conn.close()


@pytest.fixture
def writer(token: Callable[..., str]) -> dict[str, str]:
    return auth(token("feedback:write feedback:read"))


@pytest.fixture
def provider_token(token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """Headers for the commissioned provider's client (no X-Actor: it is optional there)."""

    def headers(
        provider: str = "brighter-futures",
        *,
        tenant: str = "886",
        subject: str = "provider-client",
        actor: str | None = None,
    ) -> dict[str, str]:
        return auth(
            token("provider:submit", tenant=tenant, provider=provider, subject=subject),
            actor=actor,
        )

    return headers
