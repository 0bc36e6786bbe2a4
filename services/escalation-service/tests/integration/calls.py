"""What the escalation-service integration tests share: a new escalation's body, raising and
stepping one over HTTP, and the rows they read back (counts, the outbox's events). Today is
pinned to Monday 15 June 2026 (`CLOCK`, which the conftest's app runs on); the relay is off,
so the outbox rows are read directly."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import httpx

from qaf_shared.testing.calls import created
from qaf_shared.testing.clock import fixed_clock

# The date the service under test takes for today: a Monday.
TODAY = date(2026, 6, 15)
CLOCK = fixed_clock(datetime(2026, 6, 15, 12, tzinfo=UTC))

NEW = {
    "case_ref": "CASE-200",
    "team": "ASH-CP1",
    "plan_type": "CIC",
    "raised_by": "iro-7",
    "raised_by_role": "IRO",
    "categories": ["DRIFT_DELAY", "PERMANENCE_PLANNING"],
    "summary": "Secret summary: the permanence plan has drifted for months.",
    "desired_outcome": "Secret outcome: a permanence planning meeting within 10 days.",
}
RESPONSE = {"responder": "sw-3", "response": "Secret reply: a meeting is booked."}
FREE_TEXT = ("Secret", "CASE-200")


async def counts(db: asyncpg.Connection) -> tuple[int, int, int]:
    return (
        await db.fetchval("SELECT count(*) FROM escalations"),
        await db.fetchval("SELECT count(*) FROM escalation_stages"),
        await db.fetchval("SELECT count(*) FROM outbox"),
    )


async def outbox_events(
    db: asyncpg.Connection, escalation_id: str
) -> list[tuple[str, dict[str, Any]]]:
    rows = await db.fetch(
        "SELECT type, payload FROM outbox WHERE aggregateid = $1 ORDER BY seq", escalation_id
    )
    return [(r["type"].split(".")[-2], r["payload"]) for r in rows]


async def raise_escalation(
    client: httpx.AsyncClient, headers: dict[str, str], **changes: Any
) -> dict[str, Any]:
    return await created(client, "/v1/escalations", {**NEW, **changes}, headers)


async def take_step(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    escalation: dict[str, Any],
    step: str,
    body: dict[str, Any],
    expected: int = 200,
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/escalations/{escalation['id']}/{step}", json=body, headers=headers
    )
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert response.headers["content-type"] == "application/problem+json"
    result: dict[str, Any] = response.json()
    return result
