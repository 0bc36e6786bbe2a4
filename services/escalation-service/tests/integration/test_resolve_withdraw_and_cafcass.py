"""Closing an escalation (resolving it, withdrawing it) and a Cafcass referral alongside the
local process."""

from __future__ import annotations

import pytest

from .calls import FREE_TEXT, RESPONSE, Escalations


class TestResolvingAndWithdrawing:
    async def test_resolving_needs_a_response_and_closes_the_escalation(
        self, escalations: Escalations
    ) -> None:
        esc = await escalations.raised(raised_on="2026-06-10")
        await escalations.step(esc, "resolve", {"outcome": "ACTION_AGREED"}, 409)
        await escalations.step(esc, "responses", RESPONSE)
        bad = await escalations.client.post(
            f"/v1/escalations/{esc['id']}/resolve",
            json={"outcome": "HAPPY"},
            headers=escalations.headers,
        )
        assert bad.status_code == 422
        done = await escalations.step(
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
            await escalations.step(esc, step, body, 409)
        kinds = await escalations.events(esc["id"])
        assert kinds[-1][0] == "resolved"
        assert kinds[-1][1]["data"]["outcome"] == "PLAN_CHANGED"
        assert not any(text in str(kinds) for text in FREE_TEXT)

    @pytest.mark.parametrize("respond_first", [False, True])
    async def test_an_open_escalation_may_be_withdrawn(
        self, escalations: Escalations, respond_first: bool
    ) -> None:
        esc = await escalations.raised(raised_on="2026-06-10")
        if respond_first:
            answer = {**RESPONSE, "responded_on": "2026-06-11"}
            await escalations.step(esc, "responses", answer)
        done = await escalations.step(
            esc,
            "withdraw",
            {"reason": "Secret: child moved out of area", "withdrawn_on": "2026-06-12"},
        )
        assert (done["status"], done["withdrawn_on"]) == ("WITHDRAWN", "2026-06-12")
        assert done["withdrawal_reason"] == "Secret: child moved out of area"
        assert done["stages"][-1]["closed_by"] == "WITHDRAWN"
        await escalations.step(esc, "withdraw", {"reason": "again"}, 409)
        kinds = await escalations.events(esc["id"])
        assert kinds[-1][0] == "withdrawn" and kinds[-1][1]["data"]["status"] == "WITHDRAWN"
        assert "moved" not in str(kinds)


class TestCafcass:
    async def test_an_iro_records_a_cafcass_referral_once_even_after_resolution(
        self, escalations: Escalations
    ) -> None:
        esc = await escalations.raised(raised_on="2026-06-01")
        await escalations.step(esc, "responses", RESPONSE)
        await escalations.step(esc, "resolve", {"outcome": "OTHER"})
        early = await escalations.step(esc, "cafcass-referral", {"referred_on": "2026-05-29"}, 422)
        assert early["errors"][0]["field"] == "body.referred_on"
        referred = await escalations.step(esc, "cafcass-referral", {"referred_on": "2026-06-02"})
        assert referred["cafcass_referred_on"] == "2026-06-02"
        assert referred["cafcass_referred_at"] is not None and referred["status"] == "RESOLVED"
        again = await escalations.step(esc, "cafcass-referral", {"referred_on": "2026-06-03"}, 409)
        assert "already" in again["detail"]
        kinds = await escalations.events(esc["id"])
        assert kinds[-1][0] == "cafcass_referred"
        assert kinds[-1][1]["data"]["referred_on"] == "2026-06-02"

    @pytest.mark.parametrize(
        ("plan_type", "role"), [("CP", "IRO"), ("CIC", "CP_CHAIR"), ("CIN", "CP_CHAIR")]
    )
    async def test_other_escalations_cannot_be_referred_to_cafcass(
        self, escalations: Escalations, plan_type: str, role: str
    ) -> None:
        esc = await escalations.raised(plan_type=plan_type, raised_by_role=role)
        refused = await escalations.step(
            esc, "cafcass-referral", {"referred_on": "2026-06-15"}, 409
        )
        assert "only to a CIC case escalated by an IRO" in refused["detail"]
