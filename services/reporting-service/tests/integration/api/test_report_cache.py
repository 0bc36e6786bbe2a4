"""Cached reports: a report answers from the cache while nothing new is applied, and shows
what the consumer applies next, against real Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date

from prometheus_client import REGISTRY

from qaf_shared.testing.fixtures import auth, eventually, serve
from qaf_shared.testing.kafka import publish
from reporting_service.api.readcache import ResponseCache
from reporting_service.main import create_app

from ..feed import Own, all_applied, audit_submitted, settings_for

TENANT = "886"


async def submit_audits(prefix: str, count: int, on: date = date(2025, 5, 1)) -> None:
    await publish(prefix, [audit_submitted(TENANT, on=on) for _ in range(count)])


async def test_a_cached_report_shows_events_applied_after_it_was_built(
    own: Own, token: Callable[..., str]
) -> None:
    dsn, prefix = own
    settings = settings_for(dsn, prefix, "cache")
    headers = auth(token("reports:read_unsuppressed", tenant=TENANT))
    async with serve(create_app(settings)) as client:

        async def completed() -> int:
            response = await client.get("/v1/deep-dives/FY2025Q1", headers=headers)
            assert response.status_code == 200
            return int(response.json()["audits"]["completed"])

        async def shows_three() -> bool:
            return await completed() == 3

        async def shows_five() -> bool:
            return await completed() == 5

        await submit_audits(prefix, 3)
        await eventually(shows_three)
        # Nothing new: the same answer, many times over, concurrently.
        answers = await asyncio.gather(*(completed() for _ in range(20)))
        assert set(answers) == {3}
        await submit_audits(prefix, 2)
        await eventually(shows_five)


def builds() -> float:
    return REGISTRY.get_sample_value("qa_report_builds_total") or 0.0


async def test_another_tenants_events_leave_a_tenants_reports_cached_and_its_own_do_not(
    own: Own, token: Callable[..., str]
) -> None:
    """A report is kept by its tenant's version: another tenant's batches and snapshots
    leave it answered from the cache (no build), the tenant's own bring the new figure.
    Each step waits on what it needs, not on time: every event applied and every quarter
    published (`all_applied`), then the cache made to read the versions again before its
    next answer (`ResponseCache.stale`; otherwise it does so in the background, a query
    whose time on a busy machine no fixed sleep bounds)."""
    dsn, prefix = own
    settings = settings_for(dsn, prefix, "cache")
    kent = auth(token("reports:read_unsuppressed", tenant=TENANT))
    medway = auth(token("reports:read_unsuppressed", tenant="887"))
    app = create_app(settings)
    async with serve(app) as client:

        async def completed(headers: dict[str, str]) -> int:
            response = await client.get("/v1/deep-dives/FY2025Q1", headers=headers)
            assert response.status_code == 200
            return int(response.json()["audits"]["completed"])

        def versions_read_again() -> None:
            cache: ResponseCache = app.state.report_cache
            cache.stale()

        await submit_audits(prefix, 3)
        await all_applied(dsn, 3)
        await completed(kent)  # the app's cache is made by its first report
        versions_read_again()
        assert await completed(kent) == 3

        await publish(prefix, [audit_submitted("887") for _ in range(4)])
        await all_applied(dsn, 7)
        versions_read_again()
        assert await completed(medway) == 4
        before = builds()
        for _ in range(5):
            assert await completed(kent) == 3
            await asyncio.sleep(0.05)
        assert builds() == before

        await submit_audits(prefix, 1)
        await eventually(lambda: shows(completed, kent, 4), timeout=60)
        assert builds() > before


async def shows(
    read: Callable[[dict[str, str]], Awaitable[int]], headers: dict[str, str], value: int
) -> bool:
    return await read(headers) == value
