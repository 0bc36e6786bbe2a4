from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
import yaml

from audit_service.configuration import DEFAULT_DIR
from audit_service.main import create_app
from audit_service.settings import AuditSettings
from qaf_shared.clock import BusinessClock
from qaf_shared.database import connect
from qaf_shared.testing.fixtures import auth, owner_dsn, serve
from qaf_shared.testing.service_fixtures import service_fixtures

# audit-service with the package's own configuration; publishing is tested end to end in
# test_publishing.py.
audit_dsn, audit_settings, audit_client, audit_db = service_fixtures(
    "audit", AuditSettings, create_app
)


def config_with(tmp: Path, **tenant_886: Any) -> Path:
    """A copy of the package's configuration with Kent's settings changed."""
    target = tmp / "config"
    shutil.copytree(DEFAULT_DIR, target)
    path = target / "tenants" / "886.yaml"
    path.write_text(yaml.safe_dump({**yaml.safe_load(path.read_text()), **tenant_886}))
    return target


async def _moderating(
    settings: AuditSettings, tmp: Path, rate: float
) -> AsyncIterator[httpx.AsyncClient]:
    config_dir = config_with(tmp, moderation_rate=rate)
    async with serve(create_app(settings.model_copy(update={"config_dir": config_dir}))) as client:
        yield client


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def always_moderated(
    audit_settings: AuditSettings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    """The same service and database, where Kent moderates every peer-reviewed audit."""
    async for client in _moderating(audit_settings, tmp_path_factory.mktemp("always"), 1.0):
        yield client


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def never_moderated(
    audit_settings: AuditSettings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    """The same service and database, where Kent moderates nothing."""
    async for client in _moderating(audit_settings, tmp_path_factory.mktemp("never"), 0.0):
        yield client


@pytest.fixture
def writer(token: Callable[..., str]) -> dict[str, str]:
    return auth(token("audits:write audits:read"))


@pytest.fixture
def moderator(token: Callable[..., str]) -> dict[str, str]:
    return auth(token("audits:moderate audits:read"), actor="mod-officer")


TODAY = BusinessClock().today()


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


class Flow:
    """Drives audits through the API and checks each answer; tests read as the lifecycle."""

    def __init__(
        self, client: httpx.AsyncClient, headers: dict[str, str], moderator: dict[str, str]
    ) -> None:
        self.client = client
        self.headers = headers
        self.moderator = moderator

    async def call(
        self, method: str, path: str, expect: int, json: Any = None, **headers: str
    ) -> dict[str, Any]:
        response = await self.client.request(
            method, path, json=json, headers={**self.headers, **headers}
        )
        assert response.status_code == expect, response.text
        if expect >= 400:
            assert response.headers["content-type"] == "application/problem+json"
        body: dict[str, Any] = response.json()
        return body

    async def schedule(self, expect: int = 201, **changes: Any) -> dict[str, Any]:
        body = {
            "case_ref": "CASE-1",
            "team": "ASH-CP1",
            "plan_type": "CP",
            "auditor": "tm-1",
            "due_date": days_ago(-30),
            **changes,
        }
        return await self.call("POST", "/v1/audits", expect, body)

    async def programme(
        self, body: dict[str, Any], expect: int = 201, **headers: str
    ) -> dict[str, Any]:
        return await self.call("POST", "/v1/programmes", expect, body, **headers)

    async def draft(self, audit: dict[str, Any], body: Any, expect: int = 200) -> dict[str, Any]:
        return await self.call(
            "PATCH",
            f"/v1/audits/{audit['id']}",
            expect,
            body,
            **{"If-Match": f'"{audit["version"]}"'},
        )

    async def submit(
        self, audit: dict[str, Any], expect: int = 200, **changes: Any
    ) -> dict[str, Any]:
        body = {
            "overall_grade": "GOOD",
            "themes": ["DRIFT_DELAY"],
            "child_voice_evident": True,
            "submitted_on": days_ago(10),
            **changes,
        }
        # The auditor submits; the peer reviewer (X-Actor staff-1) and the moderator
        # (mod-officer) are others: separation of duties.
        return await self.call(
            "POST",
            f"/v1/audits/{audit['id']}/submit",
            expect,
            body,
            **{"X-Actor": audit["auditor"]},
        )

    async def peer_review(
        self, audit: dict[str, Any], outcome: str = "AGREED", expect: int = 200, **changes: Any
    ) -> dict[str, Any]:
        body = {"reviewer": "pr-1", "outcome": outcome, "reviewed_on": days_ago(8), **changes}
        return await self.call("POST", f"/v1/audits/{audit['id']}/peer-review", expect, body)

    async def moderate(
        self, audit: dict[str, Any], expect: int = 200, **changes: Any
    ) -> dict[str, Any]:
        body = {"moderator": "mo-1", "grade": "GOOD", "moderated_on": days_ago(5), **changes}
        response = await self.client.post(
            f"/v1/audits/{audit['id']}/moderation", json=body, headers=self.moderator
        )
        assert response.status_code == expect, response.text
        result: dict[str, Any] = response.json()
        return result

    async def close(self, audit: dict[str, Any], expect: int = 200, **body: Any) -> dict[str, Any]:
        return await self.call("POST", f"/v1/audits/{audit['id']}/close", expect, body or None)

    async def cancel(self, audit: dict[str, Any], expect: int = 200, **body: Any) -> dict[str, Any]:
        return await self.call("POST", f"/v1/audits/{audit['id']}/cancel", expect, body or None)

    async def in_state(self, status: str, **schedule: Any) -> dict[str, Any]:
        """A new audit brought to `status` (through MODERATION when the client moderates
        everything; through PEER_REVIEWED when it moderates nothing)."""
        audit = await self.schedule(**schedule)
        steps = {
            "SCHEDULED": [],
            "IN_PROGRESS": ["draft"],
            "SUBMITTED": ["submit"],
            "PEER_REVIEWED": ["submit", "peer_review"],
            "MODERATION": ["submit", "peer_review"],
            "MODERATED": ["submit", "peer_review", "moderate"],
            "CLOSED": ["submit", "peer_review", "close"],
            "CANCELLED": ["cancel"],
        }[status]
        for step in steps:
            if step == "draft":
                audit = await self.draft(audit, {})
            else:
                audit = await getattr(self, step)(audit)
        assert audit["status"] == status, audit
        return audit


@pytest.fixture
def flow(
    never_moderated: httpx.AsyncClient, writer: dict[str, str], moderator: dict[str, str]
) -> Flow:
    return Flow(never_moderated, writer, moderator)


@pytest.fixture
def moderated_flow(
    always_moderated: httpx.AsyncClient, writer: dict[str, str], moderator: dict[str, str]
) -> Flow:
    return Flow(always_moderated, writer, moderator)


async def events_of(db: asyncpg.Connection, audit_id: str) -> list[str]:
    """The short names of an audit's events in the outbox, in order."""
    rows = await db.fetch("SELECT type FROM outbox WHERE aggregateid = $1 ORDER BY seq", audit_id)
    return [r["type"].removeprefix("uk.gov.qa.audit.").removesuffix(".v1") for r in rows]


@pytest.fixture
def outbox(audit_db: asyncpg.Connection) -> Callable[[str], Any]:
    async def read(audit_id: str) -> list[str]:
        return await events_of(audit_db, audit_id)

    return read


@pytest.fixture
def append_only(audit_db: asyncpg.Connection, audit_dsn: str) -> Callable[[str], Awaitable[None]]:
    """`await append_only(statement)`: the service's role may not run `statement` (a change
    to a log); its owner may, and hits the log's append-only trigger."""

    async def check(statement: str) -> None:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await audit_db.execute(statement)
        owner = await connect(owner_dsn(audit_dsn))
        try:
            with pytest.raises(asyncpg.RaiseError):
                await owner.execute(statement)
        finally:
            await owner.close()

    return check


@pytest.fixture(name="days_ago")
def days_ago_fixture() -> Callable[[int], str]:
    """`days_ago(3)`: the ISO date three days before the service's today."""
    return days_ago


@pytest.fixture
def make_flow(moderator: dict[str, str]) -> Callable[[httpx.AsyncClient, dict[str, str]], Flow]:
    def make(client: httpx.AsyncClient, headers: dict[str, str]) -> Flow:
        return Flow(client, headers, moderator)

    return make
