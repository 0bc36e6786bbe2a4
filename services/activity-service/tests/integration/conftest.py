from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from activity_service.main import create_app
from activity_service.settings import ActivitySettings
from qaf_shared.events.catalogue import ACTIVITY_TOPIC
from qaf_shared.testing.fixtures import DatabaseFactory, TopicsFactory, auth, serve
from qaf_shared.testing.service_fixtures import service_fixtures

from .loads import Relayed, TenantLoads, new_tenant

# The tests' child_key secret (a deployment's comes from its settings or secret file).
CHILD_KEY_SECRET = "test-child-key-secret-of-at-least-32-bytes"

activity_dsn, activity_settings, activity_client, activity_db = service_fixtures(
    "activity", ActivitySettings, create_app, child_key_secret=SecretStr(CHILD_KEY_SECRET)
)


@pytest.fixture
def writer(token: Callable[..., str]) -> dict[str, str]:
    return auth(token("activity:write activity:read"))


@pytest.fixture
def tenants(
    activity_client: httpx.AsyncClient, activity_db: asyncpg.Connection, token: Callable[..., str]
) -> Callable[..., TenantLoads]:
    """`tenants()`: a writer of a new tenant of its own on the session's service (a load
    replaces what earlier loads of its tenant supplied); `tenants("886")`: one of a tenant
    with org units, for the tests that need its teams."""

    def writer_of(tenant: str | None = None) -> TenantLoads:
        tenant = tenant or new_tenant()
        headers = auth(token("activity:write activity:read", tenant=tenant))
        return TenantLoads(activity_client, activity_db, tenant, headers)

    return writer_of


@pytest.fixture
def relayed(make_database: DatabaseFactory, make_topics: TopicsFactory) -> Relayed:
    """`async with relayed() as (client, topic)`: activity-service in this process with its
    relay on, on a database and topics of its own (`topic`, its activity topic, holds only
    what this test publishes); `relayed(secret)` with that child_key secret."""

    @asynccontextmanager
    async def start(
        secret: str = CHILD_KEY_SECRET,
    ) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
        prefix = await make_topics()
        settings = ActivitySettings(
            database_url=await make_database("activity_service"),
            kafka_topic_prefix=prefix,
            relay_poll_interval_s=0.2,
            child_key_secret=SecretStr(secret),
        )
        async with serve(create_app(settings)) as client:
            yield client, prefix + ACTIVITY_TOPIC

    return start
