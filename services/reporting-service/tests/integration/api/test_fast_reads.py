"""The report fast path (api/fast_reads.py) against real Kafka and PostgreSQL: two apps over
one database, one with the fast path and one without (`report_fast_path`), asked the same
requests; every answer (status, every header in its order, body) is the same, the kept
reports are answered by the fast path, and every refusal is the route's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from prometheus_client import REGISTRY

from qaf_shared.testing.clock import fixed_clock
from qaf_shared.testing.fixtures import DatabaseFactory, TopicsFactory, eventually, serve
from qaf_shared.testing.kafka import publish
from reporting_service.main import create_app

from ..feed import all_applied, audit_submitted, settings_for
from .test_published_snapshots import workload

TENANT = "886"
# The business date: the escalation and measure trends' default five quarters
# (FY2024Q3-FY2025Q3) hold the workload's quarters.
CLOCK = fixed_clock(datetime(2025, 10, 1, 12, tzinfo=UTC))
MEDWAY_AUDITS = 4


@dataclass
class Apps:
    fast: httpx.AsyncClient
    routes: httpx.AsyncClient
    dsn: str
    prefix: str
    events: int


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def apps(make_database: DatabaseFactory, make_topics: TopicsFactory) -> AsyncIterator[Apps]:
    """Kent's and Medway's audits applied and published by the fast-path app's consumer and
    publisher; the other app reads the same database with the fast path off."""
    prefix = await make_topics()
    dsn = await make_database("reporting_service")
    events = [*workload(), *(audit_submitted("887") for _ in range(MEDWAY_AUDITS))]
    await publish(prefix, events)
    settings = settings_for(dsn, prefix, "fast").model_copy(update={"auth_leeway_s": 0.0})
    fast = create_app(settings, clock=CLOCK)
    routes = create_app(
        settings.model_copy(update={"report_fast_path": False}), consume=False, clock=CLOCK
    )
    async with serve(fast) as fast_client, serve(routes) as routes_client:
        await all_applied(dsn, len(events))
        yield Apps(fast_client, routes_client, dsn, prefix, len(events))


def fast_answers() -> float:
    return REGISTRY.get_sample_value("qa_report_fast_answers_total") or 0.0


def headers_for(bearer: str | None, **more: str) -> dict[str, str]:
    # A request id of the caller's own: both apps echo it, so whole header lists compare.
    out = {"X-Request-Id": "fast-reads-test", **more}
    if bearer is not None:
        out["Authorization"] = f"Bearer {bearer}"
    return out


Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


async def ask(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> Answer:
    response = await client.get(url, headers=headers)
    return response.status_code, list(response.headers.raw), response.content


async def answered_alike(apps: Apps, url: str, headers: dict[str, str]) -> Answer:
    """The fast-path app's answer, after checking it is the other app's, byte for byte."""
    fast = await ask(apps.fast, url, headers)
    assert fast == await ask(apps.routes, url, headers), url
    return fast


REPORTS = [
    "/v1/deep-dives/FY2025Q2",
    "/v1/deep-dives/FY2025Q2?unit=SOUTH",
    "/v1/deep-dives/FY2025Q2?unit=FOSTERING",
    "/v1/deep-dives/FY2025Q2.csv",
    "/v1/deep-dives/FY2025Q1",
    "/v1/escalation-trends",
    "/v1/escalation-trends?by=area&granularity=month&from=FY2025Q1&to=FY2025Q2",
    "/v1/escalation-trends?unit=SOUTH&by=stage",
    "/v1/trends?measure=audits.completed",
    "/v1/trends?measure=audits.grades&dimension=GOOD&by=district&unit=SOUTH",
    "/v1/trends?measure=audits.completed&granularity=month&from=FY2025Q2&to=FY2025Q2&by=area",
    "/v1/trends?measure=audits%2Ecompleted&unit=FOSTERING",  # percent-encoded as Starlette reads it
]


@pytest.mark.parametrize("scope", ["reports:read", "reports:read_unsuppressed"])
async def test_a_kept_report_is_answered_by_the_fast_path_with_the_routes_own_bytes(
    apps: Apps, token: Callable[..., str], scope: str
) -> None:
    headers = headers_for(token(scope, tenant=TENANT))
    built = {url: await answered_alike(apps, url, headers) for url in REPORTS}
    assert all(status == 200 for status, _, _ in built.values())
    before = fast_answers()
    for url in REPORTS:
        # Kept now: the fast path answers, the same bytes as the build and as the route.
        assert await answered_alike(apps, url, headers) == built[url]
    assert fast_answers() - before == len(REPORTS)


async def test_the_csv_variant_by_accept_is_kept_apart_from_the_json(
    apps: Apps, token: Callable[..., str]
) -> None:
    bearer = token("reports:read", tenant=TENANT)
    url = "/v1/deep-dives/FY2025Q2"
    as_json = headers_for(bearer)
    as_csv = headers_for(bearer, Accept="text/csv")
    for _ in range(2):  # built, then kept
        json_answer = await answered_alike(apps, url, as_json)
        csv_answer = await answered_alike(apps, url, as_csv)
    assert dict(json_answer[1])[b"content-type"] == b"application/json"
    assert dict(csv_answer[1])[b"content-type"].startswith(b"text/csv")


async def test_each_tenant_is_answered_its_own_kept_report(
    apps: Apps, token: Callable[..., str]
) -> None:
    url = "/v1/deep-dives/FY2025Q1"  # Medway's audits' quarter
    kent = headers_for(token("reports:read_unsuppressed", tenant=TENANT))
    medway = headers_for(token("reports:read_unsuppressed", tenant="887"))
    for headers in (kent, medway, kent, medway):
        await answered_alike(apps, url, headers)
    before = fast_answers()
    kents = await answered_alike(apps, url, kent)
    medways = await answered_alike(apps, url, medway)
    assert fast_answers() - before == 2
    assert httpx.Response(200, content=kents[2]).json()["tenant"] == TENANT
    body = httpx.Response(200, content=medways[2]).json()
    assert body["tenant"] == "887"
    assert body["audits"]["completed"] == MEDWAY_AUDITS


BAD_QUERIES = [
    "/v1/deep-dives/FY2025Q5",
    "/v1/deep-dives/Q2-2025",
    "/v1/deep-dives/FY2025Q2?unit=south",
    "/v1/deep-dives/FY2025Q2?unit=NOWHERE",
    "/v1/deep-dives/FY2025Q2?unit=ASHFORD",  # a district: not an area or service
    "/v1/deep-dives/FY2025Q2?unit=",
    "/v1/escalation-trends?by=team",
    "/v1/escalation-trends?from=FY2025Q3&to=FY2025Q1",
    "/v1/escalation-trends?from=2025Q1",
    "/v1/escalation-trends?granularity=week",
    "/v1/escalation-trends?unit=FOSTERING&by=area",
    "/v1/trends",
    "/v1/trends?measure=audits.nothing",
    "/v1/trends?measure=audits.grades",
    "/v1/trends?measure=audits.completed&dimension=GOOD",
    "/v1/trends?measure=audits.grades&dimension=GO%20OD",
    "/v1/trends?measure=audits.completed&by=team",
    "/v1/trends?measure=audits.completed&from=FY2010Q1&to=FY2025Q1",
]
# Answered, but not as plainly as the fast path can be sure of: these go to the route.
UNUSUAL = [
    "/v1/deep-dives/FY2025Q2?unit=SOUTH&unit=FOSTERING",  # FastAPI takes the last
    "/v1/deep-dives/FY2025Q2?colour=blue",  # ignored by FastAPI
    "/v1/escalation-trends?from_=FY2025Q1",
]


async def test_a_refused_or_unusual_query_is_answered_by_the_route(
    apps: Apps, token: Callable[..., str]
) -> None:
    headers = headers_for(token("reports:read", tenant=TENANT))
    before = fast_answers()
    for url in BAD_QUERIES:
        for _ in range(2):
            status, _, _ = await answered_alike(apps, url, headers)
            assert status in (404, 422), url
    for url in UNUSUAL:
        for _ in range(2):
            status, _, _ = await answered_alike(apps, url, headers)
            assert status == 200, url
    assert fast_answers() == before


async def test_a_caller_the_route_refuses_is_refused_by_the_route(
    apps: Apps, token: Callable[..., str]
) -> None:
    url = "/v1/deep-dives/FY2025Q2"
    good = token("reports:read", tenant=TENANT)
    await answered_alike(apps, url, headers_for(good))
    await answered_alike(apps, url, headers_for(good))  # kept
    before = fast_answers()
    refused = {
        "no token": headers_for(None),
        "not bearer": {"Authorization": f"Basic {good}", "X-Request-Id": "fast-reads-test"},
        "not a token": headers_for("not-a-jwt"),
        "bad signature": headers_for(good[:-4] + ("AAAA" if good[-4:] != "AAAA" else "BBBB")),
        "other scope": headers_for(token("audits:read", tenant=TENANT)),
        "provider": headers_for(token("reports:read", tenant=TENANT, provider="brighter-futures")),
        "no org units": headers_for(token("reports:read", tenant="999")),
    }
    for name, headers in refused.items():
        for _ in range(2):  # the second time, any token verified the first is known
            status, _, _ = await answered_alike(apps, url, headers)
            assert status in (401, 403, 404), name
    assert fast_answers() == before


async def test_an_expired_token_is_refused_though_its_report_is_kept(
    apps: Apps, token: Callable[..., str]
) -> None:
    url = "/v1/escalation-trends"
    headers = headers_for(token("reports:read", tenant=TENANT, ttl=2))
    await answered_alike(apps, url, headers)
    status, _, _ = await answered_alike(apps, url, headers)
    assert status == 200
    await asyncio.sleep(2.5)
    before = fast_answers()
    status, _, body = await answered_alike(apps, url, headers)
    assert status == 401
    assert b"expired" in body
    assert fast_answers() == before


async def test_a_head_request_or_a_trailing_slash_is_the_routes(
    apps: Apps, token: Callable[..., str]
) -> None:
    headers = headers_for(token("reports:read", tenant=TENANT))
    await answered_alike(apps, "/v1/deep-dives/FY2025Q2", headers)
    before = fast_answers()
    for url in ("/v1/deep-dives/FY2025Q2/", "/v1/escalation-trends/"):
        await answered_alike(apps, url, headers)
    head = await apps.fast.head("/v1/deep-dives/FY2025Q2", headers=headers)
    routes_head = await apps.routes.head("/v1/deep-dives/FY2025Q2", headers=headers)
    assert (head.status_code, head.headers.raw) == (
        routes_head.status_code,
        routes_head.headers.raw,
    )
    assert fast_answers() == before


def requests_counted(route: str) -> float:
    labels = {"service": "reporting-service", "method": "GET", "route": route, "status": "200"}
    return REGISTRY.get_sample_value("qa_http_requests_total", labels) or 0.0


async def test_a_fast_answer_is_counted_under_its_routes_template(
    apps: Apps, token: Callable[..., str]
) -> None:
    headers = headers_for(token("reports:read", tenant=TENANT))
    paths = {
        "/v1/deep-dives/{quarter}": "/v1/deep-dives/FY2025Q2",
        "/v1/escalation-trends": "/v1/escalation-trends",
        "/v1/trends": "/v1/trends?measure=audits.completed",
    }
    for url in paths.values():
        await ask(apps.fast, url, headers)
    for template, url in paths.items():
        before, answers = requests_counted(template), fast_answers()
        status, _, _ = await ask(apps.fast, url, headers)
        assert (status, fast_answers() - answers) == (200, 1)
        assert requests_counted(template) - before == 1


async def test_after_a_new_publication_the_fast_path_answers_the_new_report(
    apps: Apps, token: Callable[..., str]
) -> None:
    headers = headers_for(token("reports:read_unsuppressed", tenant="887"))
    url = "/v1/deep-dives/FY2025Q1"

    def completed(answer: Answer) -> Any:
        return httpx.Response(200, content=answer[2]).json()["audits"]["completed"]

    await ask(apps.fast, url, headers)
    old = await answered_alike(apps, url, headers)
    await publish(apps.prefix, [audit_submitted("887")])
    await all_applied(apps.dsn, apps.events + 1)

    async def both_show_the_new_audit() -> bool:
        answers = [await ask(client, url, headers) for client in (apps.fast, apps.routes)]
        return all(completed(a) == MEDWAY_AUDITS + 1 for a in answers)

    await eventually(both_show_the_new_audit)
    before = fast_answers()
    new = await answered_alike(apps, url, headers)
    assert fast_answers() - before == 1
    assert completed(old) == MEDWAY_AUDITS
    assert completed(new) == MEDWAY_AUDITS + 1
