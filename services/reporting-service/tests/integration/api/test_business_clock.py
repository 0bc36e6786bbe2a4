"""reporting-service takes "today" from the shared business clock (Europe/London): the
escalation trends' default range ends at the quarter London is in, which at 00:30 in British
Summer Time on 1 July is the new one, though UTC's date is still 30 June."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from qaf_shared.testing.clock import fixed_clock
from qaf_shared.testing.fixtures import DatabaseFactory, auth, serve
from reporting_service.main import create_app
from reporting_service.settings import ReportingSettings


async def test_the_default_trend_range_ends_at_londons_quarter(
    make_database: DatabaseFactory, token: Callable[..., str]
) -> None:
    settings = ReportingSettings(
        database_url=await make_database("reporting_service"), database_pool_size=2
    )
    clocks = {
        # 00:30 BST on 1 July 2026: FY2026Q2 in London (UTC: still 30 June, FY2026Q1).
        datetime(2026, 6, 30, 23, 30, tzinfo=UTC): ("FY2025Q2", "FY2026Q2"),
        # 23:30 BST on 30 June: still FY2026Q1 in London too.
        datetime(2026, 6, 30, 22, 30, tzinfo=UTC): ("FY2025Q1", "FY2026Q1"),
    }
    for instant, (first, last) in clocks.items():
        app = create_app(settings, consume=False, clock=fixed_clock(instant))
        async with serve(app) as client:
            response = await client.get(
                "/v1/escalation-trends", headers=auth(token("reports:read"))
            )
        assert response.status_code == 200, response.text
        assert (response.json()["from"], response.json()["to"]) == (first, last)
