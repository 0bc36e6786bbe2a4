"""HTTP rules every service keeps (docs/api-conventions.md), checked through HTTP on all five:
who may read the org units, cache headers on authenticated answers, the configured cap on
every list's `limit`, and a chunked body over the size limit."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from activity_service.main import create_app as create_activity_app
from activity_service.settings import ActivitySettings
from audit_service.main import create_app as create_audit_app
from audit_service.settings import AuditSettings
from escalation_service.main import create_app as create_escalation_app
from escalation_service.settings import EscalationSettings
from feedback_service.main import create_app as create_feedback_app
from feedback_service.settings import FeedbackSettings
from qaf_shared.testing.fixtures import DatabaseFactory, auth, serve
from reporting_service.main import create_app as create_reporting_app
from reporting_service.settings import ReportingSettings

# Smaller than the default 200, so that a hard-coded cap would show.
SMALL_CAP = 5
# Larger than the default 200, so that a hard-coded cap would refuse what this one allows.
LARGE_CAP = 300
ONE_MIB = 1024 * 1024


@dataclass
class Running:
    name: str
    client: httpx.AsyncClient  # configured with SMALL_CAP
    large: httpx.AsyncClient  # the same service and database, with LARGE_CAP
    dsn: str
    read_scope: str


def _apps(name: str, dsn: str, cap: int) -> FastAPI:
    common: dict[str, Any] = {
        "database_url": dsn,
        "database_pool_size": 2,
        "list_limit_max": cap,
        "relay_enabled": False,
    }
    if name == "audit":
        return create_audit_app(AuditSettings(**common))
    if name == "escalation":
        return create_escalation_app(EscalationSettings(**common, overdue_scan_enabled=False))
    if name == "feedback":
        return create_feedback_app(FeedbackSettings(**common))
    if name == "activity":
        return create_activity_app(ActivitySettings(**common, child_key_secret="00" * 32))
    return create_reporting_app(ReportingSettings(**common), consume=False)


# reporting-service has no list (test_the_lists_are_found pins the ones there are).
LISTING = ["audit", "escalation", "feedback", "activity"]

SERVICES = {
    "audit": ("audit_service", "audits:read"),
    "escalation": ("escalation_service", "escalations:read"),
    "feedback": ("feedback_service", "feedback:read"),
    "reporting": ("reporting_service", "reports:read"),
    "activity": ("activity_service", "activity:read"),
}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def running(make_database: DatabaseFactory) -> AsyncIterator[dict[str, Running]]:
    """The five services in this process, each on a database of its own."""
    async with contextlib.AsyncExitStack() as stack:
        out = {}
        for name, (package, read_scope) in SERVICES.items():
            dsn = await make_database(package)
            small = await stack.enter_async_context(serve(_apps(name, dsn, SMALL_CAP)))
            large = await stack.enter_async_context(serve(_apps(name, dsn, LARGE_CAP)))
            out[name] = Running(name, small, large, dsn, read_scope)
        yield out


def _operations(openapi: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


def _concrete(path: str) -> str:
    """A path template with each id filled by one that names nothing."""
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


def _headers_for(path: str, scopes: str, token: Callable[..., str]) -> dict[str, str]:
    if path.startswith("/v1/provider/"):
        return auth(token("provider:submit", provider="brighter-futures"), actor=None)
    return auth(token(scopes))


# Item 2: org units for any valid token of the tenant.


@pytest.mark.parametrize("service", list(SERVICES))
@pytest.mark.parametrize("scopes", ["", "activity:write", "reports:admin"])
async def test_org_units_answer_any_valid_token_of_the_tenant(
    running: dict[str, Running], service: str, scopes: str, token: Callable[..., str]
) -> None:
    client = running[service].client
    response = await client.get("/v1/org-units", headers=auth(token(scopes, tenant="887")))
    assert response.status_code == 200, response.text
    assert response.json()["tenant"] == "887"


@pytest.mark.parametrize("service", list(SERVICES))
async def test_org_units_still_need_a_valid_token(
    running: dict[str, Running], service: str, token: Callable[..., str]
) -> None:
    client = running[service].client
    missing = await client.get("/v1/org-units")
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    expired = await client.get("/v1/org-units", headers=auth(token("", ttl=-30)))
    assert expired.status_code == 401


# Item 14: Cache-Control on every authenticated answer, Vary on the reports.


@pytest.mark.parametrize("service", list(SERVICES))
async def test_every_authenticated_route_refused_without_a_token_says_no_store(
    running: dict[str, Running], service: str
) -> None:
    client = running[service].client
    openapi = (await client.get("/openapi.json")).json()
    checked = 0
    for method, path, _ in _operations(openapi):
        if not path.startswith("/v1/"):
            continue
        response = await client.request(method, _concrete(path))
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["cache-control"] == "no-store", (method, path)
        checked += 1
    assert checked >= 2


@pytest.mark.parametrize("service", list(SERVICES))
async def test_authenticated_answers_say_no_store_success_and_error_alike(
    running: dict[str, Running], service: str, token: Callable[..., str]
) -> None:
    svc = running[service]
    headers = auth(token(svc.read_scope))
    units = await svc.client.get("/v1/org-units", headers=headers)
    assert units.status_code == 200
    assert units.headers["cache-control"] == "no-store"
    forbidden = await svc.client.get("/v1/org-units", headers={"Authorization": "Bearer x"})
    assert forbidden.status_code == 401
    assert forbidden.headers["cache-control"] == "no-store"
    unknown = await svc.client.get(f"/v1/{service}-nothing-here", headers=headers)
    assert unknown.status_code == 404
    assert unknown.headers["cache-control"] == "no-store"
    # What needs no token may be cached by whoever likes.
    health = await svc.client.get("/healthz")
    assert "cache-control" not in health.headers


@pytest.mark.parametrize(
    ("service", "path", "scopes"),
    [
        ("audit", "/v1/audits", "audits:read"),
        ("escalation", "/v1/escalations", "escalations:read"),
        ("feedback", "/v1/feedback", "feedback:read"),
        ("feedback", "/v1/provider/submissions", "provider:submit"),
    ],
)
async def test_lists_say_no_store_and_only_reports_vary(
    running: dict[str, Running], service: str, path: str, scopes: str, token: Callable[..., str]
) -> None:
    response = await running[service].client.get(path, headers=_headers_for(path, scopes, token))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert "vary" not in response.headers


async def test_a_write_says_no_store(
    running: dict[str, Running], token: Callable[..., str]
) -> None:
    response = await running["feedback"].client.post(
        "/v1/feedback",
        json={"source": "COMPLIMENT", "team": "ASH-CP1", "received_on": "2026-01-05"},
        headers=auth(token("feedback:write")),
    )
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("path", "accept", "status"),
    [
        ("/v1/deep-dives/FY2026Q1", "application/json", 200),
        ("/v1/deep-dives/FY2026Q1", "text/csv", 200),
        ("/v1/deep-dives/FY2026Q1.csv", "*/*", 200),
        ("/v1/deep-dives/FY1999Q9", "application/json", 404),
        ("/v1/aggregates/FY2026Q1", "application/json", 200),
        ("/v1/aggregates/FY2026Q1", "text/csv", 200),
        ("/v1/escalation-trends", "application/json", 200),
        ("/v1/escalation-trends?by=nothing", "application/json", 422),
        ("/v1/trends?measure=audits.completed&granularity=month", "application/json", 200),
        ("/v1/trends?measure=audits.nothing", "application/json", 422),
        ("/v1/status", "application/json", 200),
    ],
)
async def test_reports_vary_on_accept_and_authorization(
    running: dict[str, Running], path: str, accept: str, status: int, token: Callable[..., str]
) -> None:
    for scopes in ("reports:read", "reports:read_unsuppressed"):
        response = await running["reporting"].client.get(
            path, headers=auth(token(scopes), Accept=accept)
        )
        assert response.status_code == status, response.text
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["vary"] == "Accept, Authorization"
    refused = await running["reporting"].client.get(path)
    assert refused.status_code == 401
    assert refused.headers["vary"] == "Accept, Authorization"


# Item 5: QA_LIST_LIMIT_MAX on every list.


async def _list_routes(client: httpx.AsyncClient) -> list[tuple[str, dict[str, Any]]]:
    openapi = (await client.get("/openapi.json")).json()
    return [
        (path, param)
        for method, path, operation in _operations(openapi)
        if method == "GET"
        for param in operation.get("parameters", ())
        if param["in"] == "query" and param["name"] == "limit"
    ]


async def test_the_lists_are_found(running: dict[str, Running]) -> None:
    """The tests below walk every list; this pins that they find the lists there are."""
    found = {path for svc in running.values() for path, _ in await _list_routes(svc.client)}
    assert {
        "/v1/programmes",
        "/v1/audits",
        "/v1/actions",
        "/v1/escalations",
        "/v1/feedback",
        "/v1/participation",
        "/v1/complaints",
        "/v1/provider/submissions",
        "/v1/activity/records",
    } <= found


@pytest.mark.parametrize("service", LISTING)
async def test_every_list_refuses_a_limit_over_the_configured_cap(
    running: dict[str, Running], service: str, token: Callable[..., str]
) -> None:
    svc = running[service]
    lists = await _list_routes(svc.client)
    assert lists
    for path, param in lists:
        assert param["schema"]["maximum"] == SMALL_CAP, path
        assert param["schema"]["default"] == SMALL_CAP, path
        headers = _headers_for(path, svc.read_scope, token)
        url = _concrete(path)
        over = await svc.client.get(url, params={"limit": SMALL_CAP + 1}, headers=headers)
        assert over.status_code == 422, (path, over.text)
        assert over.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in over.json()["errors"]] == ["query.limit"]
        at_cap = await svc.client.get(url, params={"limit": SMALL_CAP}, headers=headers)
        # A list under an id that names nothing is a 404; what matters is the limit passed.
        assert at_cap.status_code in (200, 404), (path, at_cap.text)


@pytest.mark.parametrize("service", LISTING)
async def test_every_list_takes_a_limit_up_to_a_larger_cap(
    running: dict[str, Running], service: str, token: Callable[..., str]
) -> None:
    svc = running[service]
    for path, param in await _list_routes(svc.large):
        assert param["schema"]["maximum"] == LARGE_CAP, path
        assert param["schema"]["default"] == 50, path
        headers = _headers_for(path, svc.read_scope, token)
        url = _concrete(path)
        allowed = await svc.large.get(url, params={"limit": LARGE_CAP}, headers=headers)
        assert allowed.status_code in (200, 404), (path, allowed.text)
        over = await svc.large.get(url, params={"limit": LARGE_CAP + 1}, headers=headers)
        assert over.status_code == 422, (path, over.text)


async def test_pages_follow_a_small_cap(
    running: dict[str, Running], token: Callable[..., str]
) -> None:
    client = running["feedback"].client
    writer = auth(token("feedback:write feedback:read", tenant="887"))
    for _ in range(SMALL_CAP + 1):
        created = await client.post(
            "/v1/feedback",
            json={"source": "COMPLIMENT", "team": "CHA-CP1", "received_on": "2026-01-05"},
            headers=writer,
        )
        assert created.status_code == 201, created.text
    page = (await client.get(f"/v1/feedback?limit={SMALL_CAP}", headers=writer)).json()
    assert len(page["items"]) == SMALL_CAP
    assert page["next_cursor"] is not None
    # No limit asked: the default (50) comes down to the cap rather than being refused.
    default = await client.get("/v1/feedback", headers=writer)
    assert default.status_code == 200, default.text
    assert len(default.json()["items"]) == SMALL_CAP
    assert default.json()["next_cursor"] is not None


# Item 3: a chunked body over the limit.


async def _chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    # JSON that stays well formed for as long as it is read: an object with one long string.
    yield b'{"source": "COMPLIMENT", "team": "ASH-CP1", "received_on": "2026-01-05", "comment": "'
    sent = 0
    while sent < total:
        yield b"x" * size
        sent += size
    yield b'"}'


async def _counts(dsn: str) -> tuple[int, int]:
    conn = await asyncpg.connect(dsn)
    try:
        items = await conn.fetchval("SELECT count(*) FROM feedback_items")
        events = await conn.fetchval("SELECT count(*) FROM outbox")
        return int(items), int(events)
    finally:
        await conn.close()


async def test_a_chunked_body_over_one_mib_is_413_and_writes_nothing(
    running: dict[str, Running], token: Callable[..., str]
) -> None:
    svc = running["feedback"]
    before = await _counts(svc.dsn)
    response = await svc.client.post(
        "/v1/feedback",
        content=_chunks(ONE_MIB + 1),
        headers=auth(token("feedback:write"), **{"Content-Type": "application/json"}),
    )
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in response.request.headers
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 413
    assert response.headers["cache-control"] == "no-store"
    assert await _counts(svc.dsn) == before


async def test_a_chunked_body_under_the_limit_is_accepted(
    running: dict[str, Running], token: Callable[..., str]
) -> None:
    """The same route and the same framing, under the limit: the 413 above is the size."""
    svc = running["feedback"]
    before = await _counts(svc.dsn)
    response = await svc.client.post(
        "/v1/feedback",
        content=_chunks(1000, size=100),
        headers=auth(token("feedback:write"), **{"Content-Type": "application/json"}),
    )
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 201, response.text
    assert len(response.json()["comment"]) == 1000
    assert await _counts(svc.dsn) == (before[0] + 1, before[1] + 1)
