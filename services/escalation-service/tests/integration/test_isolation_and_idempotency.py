"""Tenant isolation on every read and write, and idempotent POSTs."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from qaf_shared.testing.calls import created_once
from qaf_shared.testing.fixtures import auth

from .calls import NEW, RESPONSE, Escalations, raise_escalation


async def test_another_tenants_escalation_is_404_for_every_endpoint_and_never_listed(
    escalations: Escalations, token: Callable[..., str]
) -> None:
    kent = await escalations.raised()
    medway = auth(token("escalations:read escalations:write", tenant="887"))
    assert (
        await escalations.client.get(f"/v1/escalations/{kent['id']}", headers=medway)
    ).status_code == 404
    before = await escalations.counts()
    for step, body in [
        ("responses", RESPONSE),
        ("escalate", {"reason": "NOT_SATISFIED"}),
        ("resolve", {"outcome": "OTHER"}),
        ("withdraw", {"reason": "x"}),
        ("cafcass-referral", {"referred_on": "2026-06-15"}),
    ]:
        response = await escalations.client.post(
            f"/v1/escalations/{kent['id']}/{step}", json=body, headers=medway
        )
        assert response.status_code == 404, (step, response.text)
    assert await escalations.counts() == before
    # A Kent team is not a Medway team.
    refused = await escalations.client.post("/v1/escalations", json=NEW, headers=medway)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.team"
    medways_own = await raise_escalation(escalations.client, medway, team="STR-CP1")
    listed = await escalations.client.get("/v1/escalations?limit=200", headers=medway)
    ids = {e["id"] for e in listed.json()["items"]}
    assert medways_own["id"] in ids and kent["id"] not in ids
    assert (
        await escalations.client.get(f"/v1/escalations/{kent['id']}", headers=escalations.headers)
    ).status_code == 200


class TestIdempotency:
    async def test_the_same_key_and_body_raise_once(self, escalations: Escalations) -> None:
        await created_once(
            escalations.counts, escalations.client, "/v1/escalations", NEW, escalations.headers
        )

    async def test_a_retried_step_answers_the_first_response_and_changes_nothing_more(
        self, escalations: Escalations
    ) -> None:
        esc = await escalations.raised()
        headers = {**escalations.headers, "Idempotency-Key": f"key-{uuid.uuid4()}"}
        path = f"/v1/escalations/{esc['id']}/responses"
        first = await escalations.client.post(path, json=RESPONSE, headers=headers)
        second = await escalations.client.post(path, json=RESPONSE, headers=headers)
        assert first.status_code == second.status_code == 200
        assert first.json() == second.json() and second.headers["etag"] == '"2"'
        assert [k for k, _ in await escalations.events(esc["id"])] == [
            "raised",
            "response_recorded",
        ]
