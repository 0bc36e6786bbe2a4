"""Tenant isolation on every read and write, and idempotent POSTs."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import pytest

from qaf_shared.testing.fixtures import auth


async def test_another_tenant_sees_and_changes_nothing_of_kents(
    flow: Any, token: Callable[..., str], audit_db: asyncpg.Connection
) -> None:
    programme = await flow.programme(
        {"kind": "MONTHLY", "name": "Kent", "period": "2026-06", "due_date": "2026-07-01"},
    )
    audit = await flow.in_state("SUBMITTED", programme_id=programme["id"])
    action = await flow.call(
        "POST", f"/v1/audits/{audit['id']}/actions", 201, {"description": "x", "owner": "o-1"}
    )
    medway = auth(token("audits:read audits:write audits:moderate", tenant="887"))
    client: httpx.AsyncClient = flow.client
    aid, pid, xid = audit["id"], programme["id"], action["id"]
    etag = {"If-Match": '"1"'}
    attempts = [
        ("GET", f"/v1/audits/{aid}", None, {}),
        ("PATCH", f"/v1/audits/{aid}", {}, etag),
        (
            "POST",
            f"/v1/audits/{aid}/submit",
            {"overall_grade": "GOOD", "themes": [], "child_voice_evident": True},
            {},
        ),
        ("POST", f"/v1/audits/{aid}/peer-review", {"reviewer": "x", "outcome": "AGREED"}, {}),
        ("POST", f"/v1/audits/{aid}/moderation", {"moderator": "x", "grade": "GOOD"}, {}),
        ("POST", f"/v1/audits/{aid}/close", None, {}),
        ("POST", f"/v1/audits/{aid}/cancel", None, {}),
        ("POST", f"/v1/audits/{aid}/safeguarding-concerns", {"raised_by": "x", "detail": "x"}, {}),
        ("GET", f"/v1/audits/{aid}/safeguarding-concerns", None, {}),
        ("POST", f"/v1/audits/{aid}/actions", {"description": "x", "owner": "x"}, {}),
        ("GET", f"/v1/actions/{xid}", None, {}),
        ("PATCH", f"/v1/actions/{xid}", {"status": "IN_PROGRESS"}, etag),
        ("GET", f"/v1/programmes/{pid}", None, {}),
        ("GET", f"/v1/programmes/{pid}/audits", None, {}),
    ]
    outbox_before = await audit_db.fetchval("SELECT count(*) FROM outbox")
    for method, path, body, headers in attempts:
        response = await client.request(method, path, json=body, headers={**medway, **headers})
        assert response.status_code == 404, (method, path, response.text)
    assert await audit_db.fetchval("SELECT count(*) FROM outbox") == outbox_before
    # Programmes of another tenant are not theirs to schedule into either.
    scheduled = await client.post(
        "/v1/audits",
        json={
            "case_ref": "M-1",
            "team": (await _medway_team(client, medway)),
            "plan_type": "CP",
            "auditor": "a",
            "due_date": "2026-12-01",
            "programme_id": pid,
        },
        headers=medway,
    )
    assert scheduled.status_code == 422
    for path in ("/v1/audits", "/v1/actions", "/v1/programmes"):
        listed = (await client.get(f"{path}?limit=200", headers=medway)).json()["items"]
        assert not {aid, xid, pid} & {i["id"] for i in listed}
    assert (await client.get(f"/v1/audits/{aid}", headers=flow.headers)).json()["version"] == audit[
        "version"
    ]


async def _medway_team(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    units = (await client.get("/v1/org-units", headers=headers)).json()
    team: str = units["areas"][0]["districts"][0]["teams"][0]
    return team


POSTS: list[tuple[str, str, dict[str, Any] | None]] = [
    (
        "SCHEDULED",
        "/v1/audits/{id}/submit",
        {"overall_grade": "GOOD", "themes": [], "child_voice_evident": False},
    ),
    ("SUBMITTED", "/v1/audits/{id}/peer-review", {"reviewer": "pr-9", "outcome": "AGREED"}),
    ("PEER_REVIEWED", "/v1/audits/{id}/close", None),
    ("SCHEDULED", "/v1/audits/{id}/cancel", {"reason": "case closed before audit"}),
    ("CLOSED", "/v1/audits/{id}/safeguarding-concerns", {"raised_by": "a-1", "detail": "d"}),
    ("CLOSED", "/v1/audits/{id}/actions", {"description": "d", "owner": "o-1"}),
]


@pytest.mark.parametrize(("status", "path", "body"), POSTS)
async def test_a_retried_post_answers_the_first_response_and_writes_once(
    flow: Any,
    outbox: Callable[[str], Any],
    status: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    audit = await flow.in_state(status)
    url = path.format(id=audit["id"])
    headers = {**flow.headers, "Idempotency-Key": f"k-{uuid.uuid4()}"}
    first = await flow.client.post(url, json=body, headers=headers)
    events = await outbox(audit["id"])
    second = await flow.client.post(url, json=body, headers=headers)
    assert first.status_code == second.status_code and first.status_code in (200, 201)
    assert first.json() == second.json()
    assert first.headers["etag"] == second.headers["etag"]
    assert await outbox(audit["id"]) == events
    other = await flow.client.post(url, json={**(body or {}), "unexpected": 1}, headers=headers)
    assert other.status_code == 422


async def test_a_retried_programme_and_moderation_answer_once(
    moderated_flow: Any, audit_db: asyncpg.Connection, outbox: Callable[[str], Any]
) -> None:
    flow = moderated_flow
    key = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    body = {"kind": "CLOSURE", "name": "Closures", "period": "2026-02", "due_date": "2026-03-01"}
    first = await flow.programme(body, **key)
    again = await flow.programme(body, **key)
    assert first == again
    assert (
        await audit_db.fetchval(
            "SELECT count(*) FROM programmes WHERE id = $1", uuid.UUID(first["id"])
        )
        == 1
    )

    audit = await flow.in_state("MODERATION")
    headers = {**flow.moderator, "Idempotency-Key": f"k-{uuid.uuid4()}"}
    url = f"/v1/audits/{audit['id']}/moderation"
    moderation = {"moderator": "mo-7", "grade": "OUTSTANDING"}
    one = await flow.client.post(url, json=moderation, headers=headers)
    two = await flow.client.post(url, json=moderation, headers=headers)
    assert one.status_code == two.status_code == 200 and one.json() == two.json()
    assert (await outbox(audit["id"])).count("moderated") == 1
