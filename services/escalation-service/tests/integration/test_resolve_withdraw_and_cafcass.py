"""Closing an escalation (resolving it, withdrawing it) and a Cafcass referral alongside the
local process."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from .calls import (
    FREE_TEXT,
    RESPONSE,
    outbox_events,
    raise_escalation,
    take_step,
)


class TestResolvingAndWithdrawing:
    async def test_resolving_needs_a_response_and_closes_the_escalation(
        self,
        escalation_client: httpx.AsyncClient,
        writer: dict[str, str],
        escalation_db: asyncpg.Connection,
    ) -> None:
        esc = await raise_escalation(escalation_client, writer, raised_on="2026-06-10")
        await take_step(
            escalation_client, writer, esc, "resolve", {"outcome": "ACTION_AGREED"}, 409
        )
        await take_step(escalation_client, writer, esc, "responses", RESPONSE)
        bad = await escalation_client.post(
            f"/v1/escalations/{esc['id']}/resolve", json={"outcome": "HAPPY"}, headers=writer
        )
        assert bad.status_code == 422
        done = await take_step(
            escalation_client,
            writer,
            esc,
            "resolve",
            {"outcome": "PLAN_CHANGED", "note": "Secret resolution note"},
        )
        assert (done["status"], done["outcome"], done["resolved_on"]) == (
            "RESOLVED",
            "PLAN_CHANGED",
            "2026-06-15",
        )
        assert done["resolution_note"] == "Secret resolution note"
        assert done["stages"][0]["closed_by"] == "RESOLVED"
        for step, body in [
            ("responses", RESPONSE),
            ("escalate", {"reason": "NOT_SATISFIED"}),
            ("resolve", {"outcome": "OTHER"}),
            ("withdraw", {"reason": "no longer needed"}),
        ]:
            await take_step(escalation_client, writer, esc, step, body, 409)
        kinds = await outbox_events(escalation_db, esc["id"])
        assert kinds[-1][0] == "resolved"
        assert kinds[-1][1]["data"]["outcome"] == "PLAN_CHANGED"
        assert not any(text in str(kinds) for text in FREE_TEXT)

    @pytest.mark.parametrize("respond_first", [False, True])
    async def test_an_open_escalation_may_be_withdrawn(
        self,
        escalation_client: httpx.AsyncClient,
        writer: dict[str, str],
        escalation_db: asyncpg.Connection,
        respond_first: bool,
    ) -> None:
        esc = await raise_escalation(escalation_client, writer, raised_on="2026-06-10")
        if respond_first:
            answer = {**RESPONSE, "responded_on": "2026-06-11"}
            await take_step(escalation_client, writer, esc, "responses", answer)
        done = await take_step(
            escalation_client,
            writer,
            esc,
            "withdraw",
            {"reason": "Secret: child moved out of area", "withdrawn_on": "2026-06-12"},
        )
        assert (done["status"], done["withdrawn_on"]) == ("WITHDRAWN", "2026-06-12")
        assert done["withdrawal_reason"] == "Secret: child moved out of area"
        assert done["stages"][-1]["closed_by"] == "WITHDRAWN"
        await take_step(escalation_client, writer, esc, "withdraw", {"reason": "again"}, 409)
        kinds = await outbox_events(escalation_db, esc["id"])
        assert kinds[-1][0] == "withdrawn" and kinds[-1][1]["data"]["status"] == "WITHDRAWN"
        assert "moved" not in str(kinds)


class TestCafcass:
    async def test_an_iro_records_a_cafcass_referral_once_even_after_resolution(
        self,
        escalation_client: httpx.AsyncClient,
        writer: dict[str, str],
        escalation_db: asyncpg.Connection,
    ) -> None:
        esc = await raise_escalation(escalation_client, writer, raised_on="2026-06-01")
        await take_step(escalation_client, writer, esc, "responses", RESPONSE)
        await take_step(escalation_client, writer, esc, "resolve", {"outcome": "OTHER"})
        early = await take_step(
            escalation_client, writer, esc, "cafcass-referral", {"referred_on": "2026-05-29"}, 422
        )
        assert early["errors"][0]["field"] == "body.referred_on"
        referred = await take_step(
            escalation_client, writer, esc, "cafcass-referral", {"referred_on": "2026-06-02"}
        )
        assert referred["cafcass_referred_on"] == "2026-06-02"
        assert referred["cafcass_referred_at"] is not None and referred["status"] == "RESOLVED"
        again = await take_step(
            escalation_client, writer, esc, "cafcass-referral", {"referred_on": "2026-06-03"}, 409
        )
        assert "already" in again["detail"]
        kinds = await outbox_events(escalation_db, esc["id"])
        assert kinds[-1][0] == "cafcass_referred"
        assert kinds[-1][1]["data"]["referred_on"] == "2026-06-02"

    @pytest.mark.parametrize(
        ("plan_type", "role"), [("CP", "IRO"), ("CIC", "CP_CHAIR"), ("CIN", "CP_CHAIR")]
    )
    async def test_other_escalations_cannot_be_referred_to_cafcass(
        self,
        escalation_client: httpx.AsyncClient,
        writer: dict[str, str],
        plan_type: str,
        role: str,
    ) -> None:
        esc = await raise_escalation(
            escalation_client, writer, plan_type=plan_type, raised_by_role=role
        )
        refused = await take_step(
            escalation_client, writer, esc, "cafcass-referral", {"referred_on": "2026-06-15"}, 409
        )
        assert "only to a CIC case escalated by an IRO" in refused["detail"]
