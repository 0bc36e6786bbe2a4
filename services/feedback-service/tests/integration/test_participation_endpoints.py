"""Child in care review participation through the API against real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from qaf_shared.testing.calls import changed, refused
from qaf_shared.testing.fixtures import auth

TODAY = date.today()
# Two days on: still ahead of the service's (UTC) today if the run crosses midnight, or the
# machine's zone is not UTC (the module is imported once, before the tests run).
FUTURE = TODAY + timedelta(days=2)


def review(**changes: Any) -> dict[str, Any]:
    return {
        "case_ref": f"CIC-{uuid.uuid4().hex[:8]}",
        "team": "CAN-CIC1",
        "review_due": (TODAY - timedelta(days=10)).isoformat(),
        "review_held": (TODAY - timedelta(days=12)).isoformat(),
        "pn_code": "PN1",
        **changes,
    }


async def test_a_review_is_recorded_with_its_code_timeliness_and_one_event(
    feedback_client: httpx.AsyncClient, writer: dict[str, str], feedback_db: asyncpg.Connection
) -> None:
    units = (await feedback_client.get("/v1/org-units", headers=writer)).json()
    team = units["areas"][0]["districts"][0]["teams"][0]
    late = review(team=team, review_held=(TODAY - timedelta(days=3)).isoformat(), pn_code="PN5")
    response = await feedback_client.post("/v1/participation", json=late, headers=writer)
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/participation/{body['id']}"
    assert (body["pn_code"], body["in_timescale"], body["participated"], body["version"]) == (
        "PN5",
        False,
        True,
        1,
    )
    payload = await feedback_db.fetchval(
        "SELECT payload FROM outbox WHERE aggregateid = $1", body["id"]
    )
    assert payload["type"] == "uk.gov.qa.feedback.participation_recorded.v1"
    assert payload["data"]["pn_code"] == "PN5" and payload["data"]["in_timescale"] is False
    assert payload["data"]["review_held"] == late["review_held"]
    assert payload["data"]["org_unit"]["team"] == team
    assert late["case_ref"] not in str(payload)


@pytest.mark.parametrize("code", [f"PN{n}" for n in range(8)])
async def test_every_pn_code_is_accepted(
    feedback_client: httpx.AsyncClient, writer: dict[str, str], code: str
) -> None:
    response = await feedback_client.post(
        "/v1/participation", json=review(pn_code=code), headers=writer
    )
    assert response.status_code == 201, response.text
    assert response.json()["participated"] == {"PN0": None, "PN7": False}.get(code, True)


async def test_one_record_per_review_a_second_is_409(
    feedback_client: httpx.AsyncClient, writer: dict[str, str], feedback_db: asyncpg.Connection
) -> None:
    first = review()
    assert (
        await feedback_client.post("/v1/participation", json=first, headers=writer)
    ).status_code == 201
    outbox = await feedback_db.fetchval("SELECT count(*) FROM outbox")
    again = await feedback_client.post(
        "/v1/participation", json={**first, "pn_code": "PN7"}, headers=writer
    )
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    assert await feedback_db.fetchval("SELECT count(*) FROM outbox") == outbox


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"pn_code": "PN8"}, "body.pn_code"),
        ({"review_held": FUTURE.isoformat()}, "body.review_held"),
        ({"review_due": "1999-01-01"}, "body.review_due"),
        ({"case_ref": None}, "body.case_ref"),
        ({"team": "NOWHERE"}, "body.team"),
    ],
)
async def test_bad_participation_names_the_field(
    feedback_client: httpx.AsyncClient,
    writer: dict[str, str],
    change: dict[str, Any],
    field: str,
) -> None:
    await refused(feedback_client, "/v1/participation", changed(review(), change), writer, field)


async def test_the_list_filters_by_code_unit_and_held_dates(
    feedback_client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    headers = auth(token("feedback:write feedback:read", tenant="887"))
    units = (await feedback_client.get("/v1/org-units", headers=headers)).json()
    team = units["areas"][-1]["districts"][-1]["teams"][-1]
    held = [TODAY - timedelta(days=d) for d in (100, 50, 5)]
    made = []
    for n, day in enumerate(held):
        response = await feedback_client.post(
            "/v1/participation",
            json=review(team=team, review_held=day.isoformat(), pn_code=f"PN{n}"),
            headers=headers,
        )
        made.append(response.json()["id"])

    async def ids(**params: Any) -> list[str]:
        response = await feedback_client.get(
            "/v1/participation", params={"team": team, **params}, headers=headers
        )
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["items"]]

    assert await ids() == made
    assert await ids(pn_code="PN1") == [made[1]]
    assert await ids(held_from=held[1].isoformat()) == made[1:]
    assert await ids(held_to=held[1].isoformat()) == made[:2]
    one = await feedback_client.get(f"/v1/participation/{made[0]}", headers=headers)
    assert one.status_code == 200 and one.json()["pn_code"] == "PN0"
    kent = auth(token("feedback:read"))
    assert (
        await feedback_client.get(f"/v1/participation/{made[0]}", headers=kent)
    ).status_code == 404
