"""pytest plugin (loaded by the root pyproject's addopts). Everything here talks to the real
PostgreSQL and Kafka that `deploy/local/` starts; nothing is faked."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

import asyncpg
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from qaf_shared import devtoken, migrations
from qaf_shared.database import SslOption, connect
from qaf_shared.kafka import admin_client, ensure_topics
from qaf_shared.runtime_role import runtime_role_for
from qaf_shared.settings import ServiceSettings

# The call helpers assert on what the services answer: let pytest explain a failed one.
pytest.register_assert_rewrite(
    "qaf_shared.testing.calls", "qaf_shared.testing.kafka", "qaf_shared.testing.units"
)

PG_HOST = os.environ.get("QA_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("QA_TEST_PG_PORT", "5432"))
# The broker the tests share and how to reach it: the QA_KAFKA_* variables (security
# included), as a service reads them.
KAFKA_SETTINGS = ServiceSettings()
KAFKA = KAFKA_SETTINGS.kafka_bootstrap_servers

# The service packages, and the owner role (= maintenance database) of each locally; each
# service runs as `<owner>_app` (deploy/local/postgres.sh makes both).
SERVICE_ROLES = {
    "audit_service": "audit_service",
    "escalation_service": "escalation_service",
    "feedback_service": "feedback_service",
    "reporting_service": "reporting_service",
    "activity_service": "activity_service",
}


def role_dsn(role: str, database: str) -> str:
    return f"postgresql://{role}:{role}@{PG_HOST}:{PG_PORT}/{database}"


@pytest.fixture(scope="session")
def run_id() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return KAFKA


TopicsFactory = Callable[[], Awaitable[str]]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def make_topics(run_id: str) -> AsyncIterator[TopicsFactory]:
    """`await make_topics()` gives a topic prefix under which every topic of
    deploy/topics.yaml exists, empty; all are deleted at the end of the run."""
    created: list[str] = []

    async def factory() -> str:
        prefix = f"t{run_id}.{len(created)}."
        created.extend(await ensure_topics(KAFKA_SETTINGS, prefix=prefix))
        return prefix

    yield factory
    admin = admin_client(KAFKA_SETTINGS)
    await admin.start()
    with contextlib.suppress(Exception):
        await admin.delete_topics(created)
    await admin.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def topic_prefix(make_topics: TopicsFactory) -> str:
    """The run's shared set of topics (tests on it keep to their own tenants or ids)."""
    return await make_topics()


class DatabaseFactory(Protocol):
    """`make_database`'s factory."""

    def __call__(self, package: str, *, icu_locale: str | None = None) -> Awaitable[str]: ...


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def make_database(run_id: str) -> AsyncIterator[DatabaseFactory]:
    """`await make_database("audit_service")` gives the DSN of a new database with that
    service's migrations applied, as the service's runtime role (`owner_dsn` gives the
    owner's, for a test that must do what the service may not); every database made is
    dropped at the end of the run. The migrations run as the owner, so every test runs the
    services with the privileges they have in production. `icu_locale="en-GB"`: the
    database's default collation is that ICU locale's (the cluster's is C.UTF-8), as an
    authority's managed PostgreSQL may have it."""
    made: list[tuple[str, str]] = []
    counter = 0

    async def factory(package: str, *, icu_locale: str | None = None) -> str:
        nonlocal counter
        counter += 1
        name = f"t_{package}_{run_id}_{counter}"
        made.append((SERVICE_ROLES[package], name))
        return await create_database(package, name, role_dsn, icu_locale=icu_locale)

    yield factory
    for role, name in made:
        admin = await asyncpg.connect(role_dsn(role, role))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def create_database(
    package: str,
    name: str,
    dsn_of: Callable[[str, str], str],
    *,
    ssl: SslOption = None,
    icu_locale: str | None = None,
) -> str:
    """Create database `name` as `package`'s owner, migrate it as the owner over `ssl` and
    give the runtime role's DSN. `dsn_of(role, database)` names the server (`role_dsn`, or a
    private cluster's); `icu_locale` the ICU locale of its default collation (None: the
    cluster's)."""
    role = SERVICE_ROLES[package]
    admin = await connect(dsn_of(role, role), ssl=ssl)
    try:
        if icu_locale is None:
            await admin.execute(f'CREATE DATABASE "{name}"')
        else:
            locale = icu_locale.replace("'", "")
            await admin.execute(
                f'CREATE DATABASE "{name}" TEMPLATE template0'
                f" LOCALE_PROVIDER icu ICU_LOCALE '{locale}'"
            )
    finally:
        await admin.close()
    runtime_role = runtime_role_for(role)
    await asyncio.to_thread(
        lambda: migrations.upgrade(package, dsn_of(role, name), runtime_role=runtime_role, ssl=ssl)
    )
    return dsn_of(runtime_role, name)


def owner_dsn(dsn: str) -> str:
    """The owner's DSN for a database `make_database` made (its DSN is the runtime role's)."""
    runtime_role = dsn.split("://", 1)[1].split(":", 1)[0]
    owner = runtime_role.removesuffix("_app")
    assert owner in SERVICE_ROLES.values(), f"not a runtime role of make_database: {runtime_role}"
    return role_dsn(owner, dsn.rsplit("/", 1)[1])


@pytest.fixture(scope="session")
def token() -> Callable[..., str]:
    """`token("audits:write", tenant="886")` mints a dev token the services accept."""
    devtoken.ensure_keys()

    def mint(scopes: str, *, tenant: str = "886", **kwargs: Any) -> str:
        return devtoken.mint(scopes=scopes, tenant=tenant, **kwargs)

    return mint


def auth(token: str, actor: str | None = "staff-1", **headers: str) -> dict[str, str]:
    out = {"Authorization": f"Bearer {token}", **headers}
    if actor:
        out["X-Actor"] = actor
    return out


@contextlib.asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run an app's lifespan (pool, relay, consumer) in this event loop and give a client."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def eventually(
    check: Callable[[], Awaitable[Any]], *, timeout: float = 20.0, interval: float = 0.1
) -> Any:
    """Poll `check` until it returns a truthy value; fail with its last value on timeout."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: Any = None
    while asyncio.get_running_loop().time() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")
