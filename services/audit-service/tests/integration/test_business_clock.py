"""audit-service dates by the business clock (Europe/London): at 00:30 in British Summer Time
it is already that day, though UTC's date is still the day before."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest_asyncio

from audit_service.main import create_app
from audit_service.settings import AuditSettings
from qaf_shared.testing.clock import (
    HALF_PAST_MIDNIGHT_IN_LONDON,
    LONDON_DATE,
    TOMORROW,
    fixed_clock,
)
from qaf_shared.testing.fixtures import auth, serve


@pytest_asyncio.fixture(loop_scope="session")
async def client(audit_settings: AuditSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(audit_settings, clock=fixed_clock(HALF_PAST_MIDNIGHT_IN_LONDON))
    async with serve(app) as served:
        yield served


async def _scheduled(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await client.post(
        "/v1/audits",
        json={
            "case_ref": "CASE-CLOCK",
            "team": "ASH-CP1",
            "plan_type": "CP",
            "auditor": "tm-1",
            "due_date": "2026-08-31",
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    ident: str = response.json()["id"]
    return ident


SUBMISSION = {"overall_grade": "GOOD", "themes": ["DRIFT_DELAY"], "child_voice_evident": True}


async def test_a_submission_and_an_action_default_to_londons_date(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    headers = auth(token("audits:write audits:read"))
    audit = await _scheduled(client, headers)
    submitted = await client.post(f"/v1/audits/{audit}/submit", json=SUBMISSION, headers=headers)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["submitted_on"] == LONDON_DATE
    action = await client.post(
        f"/v1/audits/{audit}/actions",
        json={"description": "Update the plan.", "owner": "sw-1"},
        headers=headers,
    )
    assert action.status_code == 201, action.text
    assert action.json()["raised_on"] == LONDON_DATE


async def test_londons_date_is_not_in_the_future_but_the_next_day_is(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    headers = auth(token("audits:write audits:read"))
    audit = await _scheduled(client, headers)
    ahead = await client.post(
        f"/v1/audits/{audit}/submit", json={**SUBMISSION, "submitted_on": TOMORROW}, headers=headers
    )
    assert ahead.status_code == 422, ahead.text
    assert [e["field"] for e in ahead.json()["errors"]] == ["body.submitted_on"]
    today = await client.post(
        f"/v1/audits/{audit}/submit",
        json={**SUBMISSION, "submitted_on": LONDON_DATE},
        headers=headers,
    )
    assert today.status_code == 200, today.text
    assert today.json()["submitted_on"] == LONDON_DATE
