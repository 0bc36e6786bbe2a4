"""reporting-service takes "today" from the shared business clock (Europe/London): the
escalation trends' default range ends at the quarter London is in, which at 00:30 in British
Summer Time on 1 July is the new one, though UTC's date is still 30 June; a quarter read
before it is published is marked for the publisher only up to the clock's quarter; the
consumer marks a state's quarters up to the clock's quarter."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import asyncpg

from qaf_shared.testing.clock import fixed_clock
from qaf_shared.testing.fixtures import DatabaseFactory, auth, serve
from qaf_shared.testing.kafka import publish
from reporting_service import projections
from reporting_service.main import create_app
from reporting_service.repository import generations
from reporting_service.settings import ReportingSettings

from ..feed import Own, all_applied, audit_submitted, escalation_raised, settings_for


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


async def test_a_quarter_read_before_it_is_published_is_marked_up_to_the_clocks_quarter(
    make_database: DatabaseFactory, token: Callable[..., str]
) -> None:
    """A quarter with figures and no snapshot is decided on the read and marked for the
    publisher if it is not later than the quarter of the app's today: a deployment (or a
    test) running at another instant than the machine's agrees with its own clock, whichever
    side of the machine's today the quarter is."""
    dsn = await make_database("reporting_service")
    quarter = "FY2030Q1"
    conn = await asyncpg.connect(dsn)
    try:
        schema = await generations.active_schema(conn)
        async with conn.transaction():
            await projections.apply(conn, schema, [audit_submitted(on=date(2030, 5, 1))])
        # Figures, and nothing published nor marked: as a generation made before the
        # publication tables has them at start-up.
        await conn.execute(f"DELETE FROM {schema}.changed_quarters")
    finally:
        await conn.close()
    settings = ReportingSettings(database_url=dsn, database_pool_size=2)
    headers = auth(token("reports:read"))
    clocks = {
        datetime(2029, 8, 1, 12, tzinfo=UTC): 0,  # FY2029Q2: the quarter is still to come
        datetime(2031, 8, 1, 12, tzinfo=UTC): 1,  # FY2031Q2: the quarter is past
    }
    for instant, backlog in clocks.items():
        # No consumer nor publisher: a mark stays for the status to show.
        app = create_app(settings, consume=False, clock=fixed_clock(instant))
        async with serve(app) as client:
            read = await client.get(f"/v1/deep-dives/{quarter}", headers=headers)
            assert read.status_code == 200, read.text
            assert read.json()["audits"]["completed"] == "c"  # the figures were there to mark
            status = (await client.get("/v1/status", headers=headers)).json()
        assert status["publication"]["backlog"] == backlog, instant


async def test_the_consumer_marks_a_states_quarters_up_to_the_clocks_quarter(own: Own) -> None:
    """An escalation still open is a state from the quarter it was raised in: the consumer
    marks that quarter and every one after it for the publisher, up to today's by the app's
    business clock, not the machine's. On 1 August 2025 (FY2025Q2) one raised on 20 August
    2024 (FY2024Q2) has five quarters published, and none after, whatever the date is."""
    dsn, prefix = own
    clock = fixed_clock(datetime(2025, 8, 1, 12, tzinfo=UTC))
    async with serve(create_app(settings_for(dsn, prefix, "clock"), clock=clock)):
        await publish(prefix, [escalation_raised(date(2024, 8, 20))])
        await all_applied(dsn, 1)  # applied, and every quarter it marked published
    conn = await asyncpg.connect(dsn)
    try:
        schema = await generations.active_schema(conn)
        rows = await conn.fetch(
            f"SELECT quarter FROM {schema}.snapshots WHERE tenant = '886'"
            f" UNION SELECT quarter FROM {schema}.changed_quarters WHERE tenant = '886'"
        )
    finally:
        await conn.close()
    assert sorted(r["quarter"] for r in rows) == [
        "FY2024Q2",
        "FY2024Q3",
        "FY2024Q4",
        "FY2025Q1",
        "FY2025Q2",
    ]
