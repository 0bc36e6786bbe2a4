"""escalation-service dates by the shared business clock (Europe/London): at 00:30 in British
Summer Time it is already that day, though UTC's date is still the day before."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest_asyncio

from escalation_service.main import create_app
from escalation_service.settings import EscalationSettings
from qaf_shared.testing.clock import fixed_clock
from qaf_shared.testing.fixtures import auth, serve

# 00:30 BST on 16 July 2026.
HALF_PAST_MIDNIGHT_IN_LONDON = datetime(2026, 7, 15, 23, 30, tzinfo=UTC)
LONDON_DATE = "2026-07-16"
NEW = {
    "case_ref": "CASE-CLOCK",
    "team": "CAN-CP1",
    "plan_type": "CP",
    "raised_by": "chair-2",
    "raised_by_role": "CP_CHAIR",
    "categories": ["REPORTS_NOT_PROVIDED"],
    "summary": "Reports for conference not provided.",
}


@pytest_asyncio.fixture(loop_scope="session")
async def client(escalation_dsn: str, topic_prefix: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = EscalationSettings(
        database_url=escalation_dsn,
        kafka_topic_prefix=topic_prefix,
        relay_enabled=False,
        overdue_scan_enabled=False,
    )
    app = create_app(settings, clock=fixed_clock(HALF_PAST_MIDNIGHT_IN_LONDON))
    async with serve(app) as served:
        yield served


async def _raise(client: httpx.AsyncClient, headers: dict[str, str], **changes: Any) -> Any:
    return await client.post("/v1/escalations", json={**NEW, **changes}, headers=headers)


async def test_an_escalation_and_its_response_default_to_londons_date(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    headers = auth(token("escalations:write escalations:read"))
    raised = await _raise(client, headers)
    assert raised.status_code == 201, raised.text
    assert raised.json()["raised_on"] == LONDON_DATE
    response = await client.post(
        f"/v1/escalations/{raised.json()['id']}/responses",
        json={"responder": "tm-1", "response": "Reports will follow."},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert [s["response"]["responded_on"] for s in response.json()["stages"]] == [LONDON_DATE]


async def test_londons_date_is_not_in_the_future_but_the_next_day_is(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    headers = auth(token("escalations:write"))
    today = await _raise(client, headers, raised_on=LONDON_DATE)
    assert today.status_code == 201, today.text
    ahead = await _raise(client, headers, raised_on="2026-07-17")
    assert ahead.status_code == 422, ahead.text
