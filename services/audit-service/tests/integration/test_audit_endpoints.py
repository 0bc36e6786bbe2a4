"""audit-service's walking-skeleton endpoints against real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest

from qaf_shared.testing.calls import actor_required, created_once, creator, read_and_logged
from qaf_shared.testing.fixtures import auth

NEW_AUDIT = {
    "case_ref": "CASE-100",
    "team": "ASH-CP1",
    "plan_type": "CP",
    "auditor": "aud-1",
    "due_date": "2026-12-01",
}
SUBMISSION = {
    "overall_grade": "GOOD",
    "themes": ["DRIFT_DELAY"],
    "child_voice_evident": True,
    "commentary": "free text",
}


async def _counts(db: asyncpg.Connection) -> tuple[int, int]:
    return await db.fetchval("SELECT count(*) FROM audits"), await db.fetchval(
        "SELECT count(*) FROM outbox"
    )


_schedule = creator("/v1/audits", NEW_AUDIT)


async def test_scheduling_stores_the_resolved_unit_and_writes_one_outbox_event(
    audit_client: httpx.AsyncClient, writer: dict[str, str], audit_db: asyncpg.Connection
) -> None:
    response = await audit_client.post("/v1/audits", json=NEW_AUDIT, headers=writer)
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"/v1/audits/{body['id']}"
    assert response.headers["etag"] == '"1"'
    assert (body["status"], body["area"], body["district"], body["team"]) == (
        "SCHEDULED",
        "SOUTH",
        "ASHFORD",
        "ASH-CP1",
    )
    assert (
        body["version"] == 1 and body["moderation_selected"] is None and body["final_grade"] is None
    )
    rows = await audit_db.fetch(
        "SELECT type, payload FROM outbox WHERE aggregateid = $1", body["id"]
    )
    assert [r["type"] for r in rows] == ["uk.gov.qa.audit.scheduled.v1"]
    stored = await audit_db.fetchrow(
        "SELECT created_by_client, created_by_actor FROM audits WHERE id = $1",
        uuid.UUID(body["id"]),
    )
    assert tuple(stored) == ("dev-client", "staff-1")


async def test_submitting_records_grades_and_publishes_no_free_text(
    audit_client: httpx.AsyncClient, writer: dict[str, str], audit_db: asyncpg.Connection
) -> None:
    audit = await _schedule(audit_client, writer)
    response = await audit_client.post(
        f"/v1/audits/{audit['id']}/submit", json=SUBMISSION, headers=writer
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["overall_grade"], body["final_grade"], body["version"]) == (
        "SUBMITTED",
        "GOOD",
        "GOOD",
        2,
    )
    assert body["themes"] == ["DRIFT_DELAY"] and body["submitted_on"] is not None
    payload = await audit_db.fetchval(
        "SELECT payload FROM outbox WHERE aggregateid = $1 AND type = 'uk.gov.qa.audit.submitted.v1'",
        audit["id"],
    )
    assert payload["data"]["final_grade"] == "GOOD"
    assert payload["data"]["org_unit"] == {
        "area": "SOUTH",
        "district": "ASHFORD",
        "team": "ASH-CP1",
    }
    assert payload["tenant"] == "886" and payload["subject"] == audit["id"]
    assert "free text" not in str(payload) and "CASE-100" not in str(payload)

    again = await audit_client.post(
        f"/v1/audits/{audit['id']}/submit", json=SUBMISSION, headers=writer
    )
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"


async def test_reading_an_audit_is_access_logged(
    audit_client: httpx.AsyncClient,
    writer: dict[str, str],
    audit_db: asyncpg.Connection,
    append_only: Callable[[str], Awaitable[None]],
) -> None:
    audit = await _schedule(audit_client, writer)
    await read_and_logged(audit_client, f"/v1/audits/{audit['id']}", audit, writer, audit_db)
    # The service's role may not delete from it; its owner hits the append-only trigger.
    await append_only("DELETE FROM access_log")


async def test_a_stale_if_match_is_412_and_changes_nothing(
    audit_client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    audit = await _schedule(audit_client, writer)
    stale = await audit_client.post(
        f"/v1/audits/{audit['id']}/submit", json=SUBMISSION, headers={**writer, "If-Match": '"7"'}
    )
    assert stale.status_code == 412
    current = await audit_client.get(f"/v1/audits/{audit['id']}", headers=writer)
    assert current.json()["status"] == "SCHEDULED"


class TestAuth:
    async def test_no_token_is_401(self, audit_client: httpx.AsyncClient) -> None:
        response = await audit_client.post("/v1/audits", json=NEW_AUDIT, headers={"X-Actor": "s"})
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")

    async def test_expired_token_is_401(
        self, audit_client: httpx.AsyncClient, token: Callable[..., str]
    ) -> None:
        response = await audit_client.get(
            "/v1/org-units", headers=auth(token("audits:read", ttl=-30))
        )
        assert response.status_code == 401

    async def test_wrongly_signed_token_is_401(
        self, audit_client: httpx.AsyncClient, token: Callable[..., str]
    ) -> None:
        header, payload, signature = token("audits:read").split(".")
        forged = ".".join([header, payload, signature[::-1]])
        response = await audit_client.get("/v1/org-units", headers=auth(forged))
        assert response.status_code == 401

    async def test_missing_scope_is_403(
        self, audit_client: httpx.AsyncClient, token: Callable[..., str]
    ) -> None:
        response = await audit_client.post(
            "/v1/audits", json=NEW_AUDIT, headers=auth(token("audits:read"))
        )
        assert response.status_code == 403

    async def test_another_tenants_audit_is_404(
        self, audit_client: httpx.AsyncClient, writer: dict[str, str], token: Callable[..., str]
    ) -> None:
        audit = await _schedule(audit_client, writer)
        medway = auth(token("audits:read audits:write", tenant="887"))
        assert (
            await audit_client.get(f"/v1/audits/{audit['id']}", headers=medway)
        ).status_code == 404
        submit = await audit_client.post(
            f"/v1/audits/{audit['id']}/submit", json=SUBMISSION, headers=medway
        )
        assert submit.status_code == 404

    async def test_org_units_are_the_tokens_tenants(
        self, audit_client: httpx.AsyncClient, token: Callable[..., str]
    ) -> None:
        response = await audit_client.get(
            "/v1/org-units", headers=auth(token("audits:read", tenant="887"))
        )
        assert response.status_code == 200
        assert response.json()["tenant"] == "887"


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        ({"team": "NOT-A-TEAM"}, "body.team", 422),
        ({"team": None, "service": None}, "body", 422),
        ({"service": "FOSTERING"}, "body", 422),  # both a team and a service
        ({"plan_type": "WRONG"}, "body.plan_type", 422),
        ({"due_date": "31/12/2026"}, "body.due_date", 422),
        ({"case_ref": ""}, "body.case_ref", 422),
        ({"unexpected": 1}, "body.unexpected", 422),
        ({"auditor": "has spaces"}, "body.auditor", 422),
    ],
)
async def test_bad_input_names_the_field_and_writes_nothing(
    audit_client: httpx.AsyncClient,
    writer: dict[str, str],
    audit_db: asyncpg.Connection,
    change: dict[str, Any],
    field: str,
    status: int,
) -> None:
    before = await _counts(audit_db)
    response = await audit_client.post("/v1/audits", json={**NEW_AUDIT, **change}, headers=writer)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (
        problem["status"] == status and problem["title"] and problem["type"].startswith("https://")
    )
    assert any(e["field"] == field for e in problem["errors"]), problem
    assert await _counts(audit_db) == before


async def test_malformed_json_is_400_and_a_huge_body_is_413(
    audit_client: httpx.AsyncClient, writer: dict[str, str], audit_db: asyncpg.Connection
) -> None:
    before = await _counts(audit_db)
    bad = await audit_client.post(
        "/v1/audits", content=b"{not json", headers={**writer, "content-type": "application/json"}
    )
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
    huge = await audit_client.post(
        "/v1/audits",
        content=b'{"case_ref": "' + b"x" * (1024 * 1024 + 10) + b'"}',
        headers={**writer, "content-type": "application/json"},
    )
    assert huge.status_code == 413 and huge.headers["content-type"] == "application/problem+json"
    assert await _counts(audit_db) == before


async def test_bad_submission_names_the_field_and_changes_nothing(
    audit_client: httpx.AsyncClient, writer: dict[str, str], audit_db: asyncpg.Connection
) -> None:
    audit = await _schedule(audit_client, writer)
    before = await _counts(audit_db)
    for body, field in [
        ({**SUBMISSION, "overall_grade": "SUPERB"}, "body.overall_grade"),
        ({**SUBMISSION, "themes": ["NOT_A_THEME"]}, "body.themes.0"),
        ({**SUBMISSION, "submitted_on": "2999-01-01"}, "body.submitted_on"),
        (
            {k: v for k, v in SUBMISSION.items() if k != "child_voice_evident"},
            "body.child_voice_evident",
        ),
    ]:
        response = await audit_client.post(
            f"/v1/audits/{audit['id']}/submit", json=body, headers=writer
        )
        assert response.status_code == 422, response.text
        assert any(e["field"] == field for e in response.json()["errors"])
    assert await _counts(audit_db) == before
    assert (await audit_client.get(f"/v1/audits/{audit['id']}", headers=writer)).json()[
        "status"
    ] == "SCHEDULED"


async def test_missing_actor_is_422(
    audit_client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    headers = auth(token("audits:write"), actor=None)
    await actor_required(audit_client, "/v1/audits", NEW_AUDIT, headers)


@pytest.mark.parametrize("path", ["/v1/audits/not-a-uuid", f"/v1/audits/{uuid.uuid4()}"])
async def test_unknown_or_malformed_ids_are_404(
    audit_client: httpx.AsyncClient, writer: dict[str, str], path: str
) -> None:
    response = await audit_client.get(path, headers=writer)
    assert (
        response.status_code == 404
        and response.headers["content-type"] == "application/problem+json"
    )


async def test_the_same_idempotency_key_and_body_answer_once(
    audit_client: httpx.AsyncClient, writer: dict[str, str], audit_db: asyncpg.Connection
) -> None:
    await created_once(lambda: _counts(audit_db), audit_client, "/v1/audits", NEW_AUDIT, writer)
