"""Timescales: the formal stages' time limit on the escalation and its events, and each
tenant's own configured timescales."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
import httpx

from escalation_service.domain.timescales import Timescales
from escalation_service.main import create_app
from escalation_service.settings import EscalationSettings
from qaf_shared.testing.fixtures import auth, serve

from .calls import (
    CLOCK,
    RESPONSE,
    outbox_events,
    raise_escalation,
    take_step,
)


class TestFormalLimit:
    async def test_the_formal_limit_breach_shows_on_the_escalation_and_its_events(
        self,
        escalation_client: httpx.AsyncClient,
        writer: dict[str, str],
        escalation_db: asyncpg.Connection,
    ) -> None:
        esc = await raise_escalation(
            escalation_client,
            writer,
            stage="TEAM_MANAGER",
            bypass_reason="Secret bypass",
            raised_on="2026-04-01",
        )
        # 20 working days from 1 April 2026 skip Good Friday, Easter Monday and 4 May.
        assert esc["formal_deadline"] == "2026-05-01"
        assert esc["formal_limit_breached"] is True  # open on 15 June
        await take_step(
            escalation_client, writer, esc, "responses", {**RESPONSE, "responded_on": "2026-04-08"}
        )
        await take_step(
            escalation_client,
            writer,
            esc,
            "escalate",
            {"reason": "NOT_SATISFIED", "escalated_on": "2026-04-10"},
        )
        await take_step(
            escalation_client, writer, esc, "responses", {**RESPONSE, "responded_on": "2026-04-20"}
        )
        done = await take_step(
            escalation_client,
            writer,
            esc,
            "resolve",
            {"outcome": "ACTION_AGREED", "resolved_on": "2026-05-06"},
        )
        assert done["formal_deadline"] == "2026-05-01" and done["formal_limit_breached"] is True
        kinds = await outbox_events(escalation_db, esc["id"])
        assert [(k, e["data"]["formal_limit_breached"]) for k, e in kinds] == [
            ("raised", False),
            ("response_recorded", False),
            ("escalated", False),
            ("stage_overdue", False),  # SERVICE_MANAGER was due on 17 April
            ("response_recorded", False),
            ("resolved", True),
        ]
        assert {e["data"]["formal_deadline"] for _, e in kinds} == {"2026-05-01"}

    async def test_resolving_within_the_formal_limit_is_no_breach(
        self, escalation_client: httpx.AsyncClient, writer: dict[str, str]
    ) -> None:
        esc = await raise_escalation(
            escalation_client,
            writer,
            stage="TEAM_MANAGER",
            bypass_reason="x",
            raised_on="2026-04-01",
        )
        await take_step(
            escalation_client, writer, esc, "responses", {**RESPONSE, "responded_on": "2026-04-08"}
        )
        done = await take_step(
            escalation_client,
            writer,
            esc,
            "resolve",
            {"outcome": "ACTION_AGREED", "resolved_on": "2026-05-01"},
        )
        assert done["formal_limit_breached"] is False


async def test_each_tenant_gets_its_own_configured_timescales(
    escalation_dsn: str, topic_prefix: str, token: Callable[..., str]
) -> None:
    settings = EscalationSettings(
        database_url=escalation_dsn,
        kafka_topic_prefix=topic_prefix,
        relay_enabled=False,
        overdue_scan_enabled=False,
        tenant_timescales={
            "887": Timescales(informal_days=3, formal_stage_days=10, formal_limit_days=30)
        },
    )
    async with serve(create_app(settings, clock=CLOCK)) as client:
        medway = auth(token("escalations:write", tenant="887"))
        kent = auth(token("escalations:write"))
        informal = await raise_escalation(client, medway, team="STR-CP1", raised_on="2026-06-01")
        assert informal["stage_due_date"] == "2026-06-04"
        formal = await raise_escalation(
            client,
            medway,
            team="STR-CP1",
            stage="TEAM_MANAGER",
            bypass_reason="x",
            raised_on="2026-06-01",
        )
        assert (formal["stage_due_date"], formal["formal_deadline"]) == ("2026-06-15", "2026-07-13")
        default = await raise_escalation(
            client, kent, stage="TEAM_MANAGER", bypass_reason="x", raised_on="2026-06-01"
        )
        assert (default["stage_due_date"], default["formal_deadline"]) == (
            "2026-06-08",
            "2026-06-29",
        )
