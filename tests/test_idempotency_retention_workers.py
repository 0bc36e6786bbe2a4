"""Every write service runs the Idempotency-Key retention worker: on the real database, a key
row past `idempotency_ttl_hours` is deleted by the running service, a fresh one stays, and a
retry with the deleted key is a new request (a new record; for activity-service's batch, whose
records are known by their natural key, a new answer: UNCHANGED where the kept one said
ACCEPTED), through HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from activity_service.main import create_app as create_activity_app
from activity_service.settings import ActivitySettings
from audit_service.main import create_app as create_audit_app
from audit_service.settings import AuditSettings
from escalation_service.main import create_app as create_escalation_app
from escalation_service.settings import EscalationSettings
from feedback_service.main import create_app as create_feedback_app
from feedback_service.settings import FeedbackSettings
from qaf_shared.database import connect
from qaf_shared.testing.fixtures import DatabaseFactory, auth, eventually, serve

TTL_HOURS = 24
# A date every service takes as not in the future, whatever its clock's zone.
YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


def _created_id(response: httpx.Response) -> str:
    assert response.status_code == 201, response.text
    created: str = response.json()["id"]
    return created


def _batch_answer(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    answer: str = result["status"]
    return answer


Answer = Callable[[httpx.Response], str]
WRITE_SERVICES: dict[str, tuple[Callable[[str], FastAPI], str, str, dict[str, Any], Answer]] = {
    "audit_service": (
        lambda dsn: create_audit_app(AuditSettings(**_settings(dsn))),
        "audits:write",
        "/v1/audits",
        {
            "case_ref": "CASE-R1",
            "team": "ASH-CP1",
            "plan_type": "CP",
            "auditor": "tm-1",
            "due_date": "2027-01-31",
        },
        _created_id,
    ),
    "escalation_service": (
        lambda dsn: create_escalation_app(
            EscalationSettings(**_settings(dsn), overdue_scan_enabled=False)
        ),
        "escalations:write",
        "/v1/escalations",
        {
            "case_ref": "CASE-R2",
            "team": "ASH-CP1",
            "plan_type": "CIC",
            "raised_by": "iro-1",
            "raised_by_role": "IRO",
            "categories": ["DRIFT_DELAY"],
            "summary": "free text that the key's row holds",
            "raised_on": YESTERDAY,
        },
        _created_id,
    ),
    "feedback_service": (
        lambda dsn: create_feedback_app(FeedbackSettings(**_settings(dsn))),
        "feedback:write",
        "/v1/feedback",
        {
            "source": "STAFF",
            "service": "FRONT_DOOR",
            "received_on": YESTERDAY,
            "comment": "free text that the key's row holds",
        },
        _created_id,
    ),
    "activity_service": (
        lambda dsn: create_activity_app(
            ActivitySettings(**_settings(dsn), child_key_secret="00" * 32)
        ),
        "activity:write",
        "/v1/activity",
        {"records": [{"kind": "referral", "child_ref": "CHILD-R4", "referral_date": YESTERDAY}]},
        _batch_answer,
    ),
}


def _settings(dsn: str) -> dict[str, Any]:
    return {
        "database_url": dsn,
        "relay_enabled": False,
        "idempotency_ttl_hours": TTL_HOURS,
        "idempotency_purge_interval_s": 0.05,
    }


@pytest.mark.parametrize("package", sorted(WRITE_SERVICES))
async def test_the_service_deletes_expired_key_rows_and_a_retry_is_then_a_new_request(
    make_database: DatabaseFactory, token: Callable[..., str], package: str
) -> None:
    build, scope, path, body, answer = WRITE_SERVICES[package]
    dsn = await make_database(package)
    headers = auth(token(scope))
    old_key, fresh_key = f"old-{uuid.uuid4()}", f"fresh-{uuid.uuid4()}"

    async def keys(db: asyncpg.Connection) -> set[str]:
        return {r["key"] for r in await db.fetch("SELECT key FROM idempotency_keys")}

    db = await connect(dsn)
    try:
        async with serve(build(dsn)) as client:

            async def post(key: str) -> str:
                response = await client.post(
                    path, json=body, headers={**headers, "Idempotency-Key": key}
                )
                return answer(response)

            first = await post(old_key)
            assert await post(old_key) == first  # within retention: the first answer
            await post(fresh_key)
            await db.execute(
                "UPDATE idempotency_keys SET created_at = now() - make_interval(hours => $2)"
                " WHERE key = $1",
                old_key,
                TTL_HOURS + 1,
            )

            async def purged() -> bool:
                return old_key not in await keys(db)

            await eventually(purged, timeout=10)
            assert fresh_key in await keys(db)
            again = await post(old_key)
            assert again != first  # a new request: a new record (or a new answer)
            assert await post(old_key) == again
    finally:
        await db.close()
