"""Timescales: the formal stages' time limit on the escalation and its events, and each
tenant's own configured timescales."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest_asyncio

from escalation_service.domain.timescales import Timescales
from escalation_service.main import create_app
from escalation_service.settings import EscalationSettings
from qaf_shared.testing.fixtures import auth, serve

from .calls import CLOCK, RESPONSE, Escalations, raise_escalation


class TestFormalLimit:
    @pytest_asyncio.fixture
    async def formal(self, escalations: Escalations) -> dict[str, Any]:
        """An escalation opened at TEAM_MANAGER, the formal process, on 1 April 2026."""
        return await escalations.raised(
            stage="TEAM_MANAGER", bypass_reason="Secret bypass", raised_on="2026-04-01"
        )

    async def test_the_formal_limit_breach_shows_on_the_escalation_and_its_events(
        self, escalations: Escalations, formal: dict[str, Any]
    ) -> None:
        esc = formal
        # 20 working days from 1 April 2026 skip Good Friday, Easter Monday and 4 May.
        assert esc["formal_deadline"] == "2026-05-01"
        assert esc["formal_limit_breached"] is True  # open on 15 June
        await escalations.step(esc, "responses", {**RESPONSE, "responded_on": "2026-04-08"})
        await escalations.step(
            esc,
            "escalate",
            {"reason": "NOT_SATISFIED", "escalated_on": "2026-04-10"},
        )
        await escalations.step(esc, "responses", {**RESPONSE, "responded_on": "2026-04-20"})
        done = await escalations.step(
            esc,
            "resolve",
            {"outcome": "ACTION_AGREED", "resolved_on": "2026-05-06"},
        )
        assert done["formal_deadline"] == "2026-05-01" and done["formal_limit_breached"] is True
        kinds = await escalations.events(esc["id"])
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
        self, escalations: Escalations, formal: dict[str, Any]
    ) -> None:
        esc = formal
        await escalations.step(esc, "responses", {**RESPONSE, "responded_on": "2026-04-08"})
        done = await escalations.step(
            esc,
            "resolve",
            {"outcome": "ACTION_AGREED", "resolved_on": "2026-05-01"},
        )
        assert done["formal_limit_breached"] is False


async def test_each_tenant_gets_its_own_configured_timescales(
    escalation_settings: EscalationSettings, token: Callable[..., str]
) -> None:
    medway_timescales = Timescales(informal_days=3, formal_stage_days=10, formal_limit_days=30)
    settings = escalation_settings.model_copy(
        update={"tenant_timescales": {"887": medway_timescales}}
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
