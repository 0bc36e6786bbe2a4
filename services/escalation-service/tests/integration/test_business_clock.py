"""escalation-service dates by the shared business clock (Europe/London): at 00:30 in British
Summer Time it is already that day, though UTC's date is still the day before."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest_asyncio

from escalation_service.main import create_app
from escalation_service.settings import EscalationSettings
from qaf_shared.testing.clock import HALF_PAST_MIDNIGHT_IN_LONDON, LONDON_DATE, fixed_clock
from qaf_shared.testing.fixtures import auth, serve

from .calls import BY_A_CHAIR


@pytest_asyncio.fixture(loop_scope="session")
async def client(escalation_settings: EscalationSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(escalation_settings, clock=fixed_clock(HALF_PAST_MIDNIGHT_IN_LONDON))
    async with serve(app) as served:
        yield served


async def _raise(client: httpx.AsyncClient, headers: dict[str, str], **changes: Any) -> Any:
    return await client.post("/v1/escalations", json={**BY_A_CHAIR, **changes}, headers=headers)


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
