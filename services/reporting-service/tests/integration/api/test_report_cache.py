"""Cached reports: a report answers from the cache while nothing new is applied, and shows
what the consumer applies next, against real Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date

import pytest

from qaf_shared.testing.fixtures import auth, eventually, serve
from qaf_shared.testing.kafka import publish
from reporting_service.domain import publication
from reporting_service.main import create_app

from ..feed import Own, audit_submitted, settings_for

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


async def test_a_quarters_disclosure_decision_is_made_again_only_when_its_figures_change(
    own: Own,
    token: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Solving is a read's costly part: an event of another quarter moves the projections'
    version (so every cached response is built again) but not the quarter's figures, and
    the quarter's decision is not made again; an event of the quarter itself is."""
    decided: list[str] = []
    decide = publication.decide

    def counting(*args: object, **kwargs: object) -> publication.Decision:
        decision = decide(*args, **kwargs)  # type: ignore[arg-type]
        decided.append(decision.quarter)
        return decision

    monkeypatch.setattr(publication, "decide", counting)
    dsn, prefix = own
    settings = settings_for(dsn, prefix, "cache")
    headers = auth(token("reports:read", tenant=TENANT))
    async with serve(create_app(settings)) as client:

        async def completed(quarter: str) -> object:
            response = await client.get(f"/v1/deep-dives/{quarter}", headers=headers)
            assert response.status_code == 200
            return response.json()["audits"]["completed"]

        async def shows(quarter: str, value: object) -> bool:
            return await completed(quarter) == value

        await submit_audits(prefix, 7)
        await eventually(lambda: shows("FY2025Q1", 7))
        assert decided.count("FY2025Q1") >= 1
        before = decided.count("FY2025Q1")

        # Another quarter's events: FY2025Q1 is built again from the same figures.
        await submit_audits(prefix, 6, on=date(2026, 5, 1))
        await eventually(lambda: shows("FY2026Q1", 6))
        assert await completed("FY2025Q1") == 7
        assert decided.count("FY2025Q1") == before

        # The quarter's own events change its figures, and its decision is made again.
        await submit_audits(prefix, 1)
        await eventually(lambda: shows("FY2025Q1", 8))
        assert decided.count("FY2025Q1") > before
