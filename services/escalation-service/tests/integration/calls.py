"""What the escalation-service integration tests share: a new escalation's body, raising and
stepping one over HTTP, and the rows they read back (counts, the outbox's events), alone or
through `Escalations` (the `escalations` fixture). Today is pinned to Monday 15 June 2026
(`CLOCK`, which the conftest's app runs on); the relay is off, so the outbox rows are read
directly."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import httpx

from qaf_shared.testing.calls import creator, stepper
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
# A CP chair's escalation about missing reports, for the tests that raise it by the dozen or
# at an odd hour.
BY_A_CHAIR = {
    "case_ref": "CASE-300",
    "team": "CAN-CP1",
    "plan_type": "CP",
    "raised_by": "chair-2",
    "raised_by_role": "CP_CHAIR",
    "categories": ["REPORTS_NOT_PROVIDED"],
    "summary": "Reports for conference not provided.",
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


raise_escalation = creator("/v1/escalations", NEW)
take_step = stepper("/v1/escalations")


class Escalations:
    """escalation-service as the tests' writer calls it, each answer checked, and the rows
    its database holds."""

    def __init__(
        self, client: httpx.AsyncClient, headers: dict[str, str], db: asyncpg.Connection
    ) -> None:
        self.client = client
        self.headers = headers
        self.db = db

    async def raised(self, **changes: Any) -> dict[str, Any]:
        """A new escalation, `NEW` with `changes`."""
        return await raise_escalation(self.client, self.headers, **changes)

    async def step(
        self, escalation: dict[str, Any], step: str, body: dict[str, Any], expected: int = 200
    ) -> dict[str, Any]:
        """`step` taken on `escalation` with `body`, answered `expected`; the answer."""
        return await take_step(self.client, self.headers, escalation, step, body, expected)

    async def counts(self) -> tuple[int, int, int]:
        return await counts(self.db)

    async def events(self, escalation_id: str) -> list[tuple[str, dict[str, Any]]]:
        return await outbox_events(self.db, escalation_id)
