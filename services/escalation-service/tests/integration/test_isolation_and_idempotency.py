"""Tenant isolation on every read and write, and idempotent POSTs."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import asyncpg
import httpx

from qaf_shared.testing.fixtures import auth

from .calls import (
    NEW,
    RESPONSE,
    counts,
    outbox_events,
    raise_escalation,
)


async def test_another_tenants_escalation_is_404_for_every_endpoint_and_never_listed(
    escalation_client: httpx.AsyncClient,
    writer: dict[str, str],
    token: Callable[..., str],
    escalation_db: asyncpg.Connection,
) -> None:
    kent = await raise_escalation(escalation_client, writer)
    medway = auth(token("escalations:read escalations:write", tenant="887"))
    assert (
        await escalation_client.get(f"/v1/escalations/{kent['id']}", headers=medway)
    ).status_code == 404
    before = await counts(escalation_db)
    for step, body in [
        ("responses", RESPONSE),
        ("escalate", {"reason": "NOT_SATISFIED"}),
        ("resolve", {"outcome": "OTHER"}),
        ("withdraw", {"reason": "x"}),
        ("cafcass-referral", {"referred_on": "2026-06-15"}),
    ]:
        response = await escalation_client.post(
            f"/v1/escalations/{kent['id']}/{step}", json=body, headers=medway
        )
        assert response.status_code == 404, (step, response.text)
    assert await counts(escalation_db) == before
    # A Kent team is not a Medway team.
    refused = await escalation_client.post("/v1/escalations", json=NEW, headers=medway)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.team"
    medways_own = await raise_escalation(escalation_client, medway, team="STR-CP1")
    listed = await escalation_client.get("/v1/escalations?limit=200", headers=medway)
    ids = {e["id"] for e in listed.json()["items"]}
    assert medways_own["id"] in ids and kent["id"] not in ids
    assert (
        await escalation_client.get(f"/v1/escalations/{kent['id']}", headers=writer)
    ).status_code == 200


class TestIdempotency:
    async def test_the_same_key_and_body_raise_once(
        self,
        escalation_client: httpx.AsyncClient,
        writer: dict[str, str],
        escalation_db: asyncpg.Connection,
    ) -> None:
        headers = {**writer, "Idempotency-Key": f"key-{uuid.uuid4()}"}
        before = await counts(escalation_db)
        first = await escalation_client.post("/v1/escalations", json=NEW, headers=headers)
        second = await escalation_client.post("/v1/escalations", json=NEW, headers=headers)
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        assert second.headers["location"] == first.headers["location"]
        assert await counts(escalation_db) == (before[0] + 1, before[1] + 1, before[2] + 1)
        reused = await escalation_client.post(
            "/v1/escalations", json={**NEW, "case_ref": "OTHER"}, headers=headers
        )
        assert reused.status_code == 422
        assert await counts(escalation_db) == (before[0] + 1, before[1] + 1, before[2] + 1)

    async def test_a_retried_step_answers_the_first_response_and_changes_nothing_more(
        self,
        escalation_client: httpx.AsyncClient,
        writer: dict[str, str],
        escalation_db: asyncpg.Connection,
    ) -> None:
        esc = await raise_escalation(escalation_client, writer)
        headers = {**writer, "Idempotency-Key": f"key-{uuid.uuid4()}"}
        path = f"/v1/escalations/{esc['id']}/responses"
        first = await escalation_client.post(path, json=RESPONSE, headers=headers)
        second = await escalation_client.post(path, json=RESPONSE, headers=headers)
        assert first.status_code == second.status_code == 200
        assert first.json() == second.json() and second.headers["etag"] == '"2"'
        assert [k for k, _ in await outbox_events(escalation_db, esc["id"])] == [
            "raised",
            "response_recorded",
        ]
