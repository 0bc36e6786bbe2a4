"""feedback-service dates by the shared business clock (Europe/London), no longer UTC's: at
00:30 in British Summer Time it is already that day, though UTC's date is still the day
before, so that day's date is not "in the future"."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import httpx
import pytest
import pytest_asyncio

from feedback_service.main import create_app
from feedback_service.settings import FeedbackSettings
from qaf_shared.testing.clock import (
    HALF_PAST_MIDNIGHT_IN_LONDON,
    LONDON_DATE,
    TOMORROW,
    fixed_clock,
)
from qaf_shared.testing.fixtures import auth, serve


@pytest_asyncio.fixture(loop_scope="session")
async def client(feedback_settings: FeedbackSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(feedback_settings, clock=fixed_clock(HALF_PAST_MIDNIGHT_IN_LONDON))
    async with serve(app) as served:
        yield served


def _feedback(on: str) -> dict[str, str]:
    return {"source": "COMPLIMENT", "team": "ASH-CP1", "received_on": on}


def _complaint(on: str) -> dict[str, object]:
    return {
        "team": "ASH-CP1",
        "received_on": on,
        "complainant_role": "PARENT",
        "categories": ["COMMUNICATION"],
    }


def _participation(on: str) -> dict[str, str]:
    return {
        "case_ref": "CASE-CLOCK",
        "team": "ASH-CP1",
        "review_due": on,
        "review_held": on,
        "pn_code": "PN1",
    }


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/feedback", _feedback, "body.received_on"),
        ("/v1/complaints", _complaint, "body.received_on"),
        ("/v1/participation", _participation, "body.review_held"),
    ],
)
async def test_londons_date_is_not_in_the_future_but_the_next_day_is(
    client: httpx.AsyncClient,
    token: Callable[..., str],
    path: str,
    body: Callable[[str], dict[str, object]],
    field: str,
) -> None:
    headers = auth(token("feedback:write"))
    today = await client.post(path, json=body(LONDON_DATE), headers=headers)
    assert today.status_code == 201, today.text
    ahead = await client.post(path, json=body(TOMORROW), headers=headers)
    assert ahead.status_code == 422, ahead.text
    assert field in [e["field"] for e in ahead.json()["errors"]]


async def test_a_provider_report_for_the_quarter_that_began_today_in_london_is_accepted(
    feedback_dsn: str, topic_prefix: str, token: Callable[..., str]
) -> None:
    """00:30 BST on 1 July: FY2026Q2 has begun in London, not yet in UTC."""
    settings = FeedbackSettings(
        database_url=feedback_dsn, kafka_topic_prefix=topic_prefix, relay_enabled=False
    )
    clock = fixed_clock(datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    provider = auth(
        token("provider:submit", tenant="887", provider="clock-provider", subject="clock"),
        actor=None,
    )
    report = {
        "quarter": "FY2026Q2",
        "referrals_received": 1,
        "children_advocated_for": 1,
        "issues_by_theme": {"PLACEMENT": 1},
        "outcomes_achieved": 1,
        "iv_matched": 0,
        "iv_waiting": 0,
    }
    async with serve(create_app(settings, clock=clock)) as client:
        response = await client.post("/v1/provider/reports", json=report, headers=provider)
    assert response.status_code == 201, response.text
