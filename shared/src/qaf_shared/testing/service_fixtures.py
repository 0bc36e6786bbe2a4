"""The fixtures every service's integration tests start from, made once here for each
service's conftest: its database, its settings, the app in this process, a connection."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any, NamedTuple, TypeVar

import asyncpg
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from qaf_shared.database import connect
from qaf_shared.settings import ServiceSettings
from qaf_shared.testing.fixtures import DatabaseFactory, serve

S = TypeVar("S", bound=ServiceSettings)
F = TypeVar("F", bound=Callable[..., Any])


def _requesting(*names: str) -> Callable[[F], F]:
    """pytest gives a fixture the fixtures its parameters name; these fixtures' names are the
    service's, so their signature is made here and the fixture reads them from `**given`."""

    def mark(function: F) -> F:
        kind = inspect.Parameter.KEYWORD_ONLY
        function.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter(name, kind) for name in names]
        )
        return function

    return mark


class ServiceFixtures(NamedTuple):
    """A conftest binds these to the names they are made with (`audit_dsn`, ...)."""

    dsn: Any
    settings: Any
    client: Any
    db: Any


def service_fixtures(
    service: str, settings: Callable[..., S], app: Callable[[S], FastAPI], **options: Any
) -> ServiceFixtures:
    """`audit_dsn, audit_settings, audit_client, audit_db = service_fixtures("audit",
    AuditSettings, create_app)` in a service's tests/integration/conftest.py:

    - `<service>_dsn` (session): a database of its own, migrated (`make_database`);
    - `<service>_settings` (session): the settings on that database and the run's topics,
      with `options`, and the relay off: the tests check the outbox rows directly (the tests
      of publishing start a service of their own with the relay on);
    - `<service>_client` (session): `app(settings)` in this process (`serve`);
    - `<service>_db`: a connection to the database, closed after the test."""
    dsn_name, settings_name = f"{service}_dsn", f"{service}_settings"

    @pytest_asyncio.fixture(name=dsn_name, scope="session", loop_scope="session")
    async def dsn(make_database: DatabaseFactory) -> str:
        return await make_database(f"{service}_service")

    @pytest.fixture(name=settings_name, scope="session")
    @_requesting(dsn_name, "topic_prefix")
    def service_settings(**given: str) -> S:
        return settings(
            database_url=given[dsn_name],
            kafka_topic_prefix=given["topic_prefix"],
            relay_enabled=False,
            **options,
        )

    @pytest_asyncio.fixture(name=f"{service}_client", scope="session", loop_scope="session")
    @_requesting(settings_name)
    async def client(**given: S) -> AsyncIterator[httpx.AsyncClient]:
        async with serve(app(given[settings_name])) as in_process:
            yield in_process

    @pytest_asyncio.fixture(name=f"{service}_db", loop_scope="session")
    @_requesting(dsn_name)
    async def db(**given: str) -> AsyncIterator[asyncpg.Connection]:
        conn = await connect(given[dsn_name])
        yield conn
        await conn.close()

    return ServiceFixtures(dsn, service_settings, client, db)
