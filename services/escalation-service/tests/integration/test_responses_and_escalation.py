"""Responses and escalation steps: a response, escalating stage by stage (NOT_SATISFIED,
NO_RESPONSE after the due date), overdue stages announced once, and step dates that run
forward."""

from __future__ import annotations

import uuid

from .calls import FREE_TEXT, RESPONSE, Escalations


class TestResponsesAndEscalation:
    async def test_a_response_then_escalation_opens_the_team_manager_stage(
        self, escalations: Escalations
    ) -> None:
        esc = await escalations.raised(raised_on="2026-06-01")
        responded = await escalations.step(
            esc,
            "responses",
            {**RESPONSE, "responded_on": "2026-06-05"},
        )
        assert (responded["status"], responded["version"]) == ("RESPONSE_RECEIVED", 2)
        assert responded["stages"][0]["response"] == {
            "responder": "sw-3",
            "response": RESPONSE["response"],
            "responded_on": "2026-06-05",
            "late": False,
        }
        again = await escalations.step(esc, "responses", RESPONSE, 409)
        assert "RESPONSE_RECEIVED" in again["detail"]

        moved = await escalations.step(
            esc,
            "escalate",
            {"reason": "NOT_SATISFIED", "note": "Secret note", "escalated_on": "2026-06-09"},
        )
        assert (moved["stage"], moved["status"], moved["addressee_role"]) == (
            "TEAM_MANAGER",
            "AWAITING_RESPONSE",
            "TEAM_MANAGER",
        )
        assert (moved["stage_opened_on"], moved["stage_due_date"]) == ("2026-06-09", "2026-06-16")
        assert (moved["formal_started_on"], moved["formal_deadline"]) == (
            "2026-06-09",
            "2026-07-07",
        )
        informal, team_manager = moved["stages"]
        assert (informal["closed_on"], informal["closed_by"], informal["escalate_reason"]) == (
            "2026-06-09",
            "ESCALATED",
            "NOT_SATISFIED",
        )
        assert informal["escalate_note"] == "Secret note" and informal["overdue"] is False
        assert team_manager["stage"] == "TEAM_MANAGER" and team_manager["closed_on"] is None

        kinds = await escalations.events(esc["id"])
        assert [k for k, _ in kinds] == ["raised", "response_recorded", "escalated"]
        escalated = kinds[2][1]["data"]
        assert (escalated["from_stage"], escalated["stage"], escalated["reason"]) == (
            "INFORMAL",
            "TEAM_MANAGER",
            "NOT_SATISFIED",
        )
        assert escalated["formal_deadline"] == "2026-07-07"
        assert not any(text in str(kinds) for text in FREE_TEXT)
        activity = await escalations.db.fetch(
            "SELECT action, client, actor FROM escalation_activity WHERE escalation_id = $1 "
            "ORDER BY id",
            uuid.UUID(esc["id"]),
        )
        assert [tuple(a) for a in activity] == [
            ("raised", "dev-client", "staff-1"),
            ("response_recorded", "dev-client", "staff-1"),
            ("escalated", "dev-client", "staff-1"),
        ]

    async def test_no_response_escalates_only_after_the_due_date_and_announces_the_overdue_stage(
        self, escalations: Escalations
    ) -> None:
        esc = await escalations.raised(raised_on="2026-06-01")  # due 8 June
        early = await escalations.step(
            esc,
            "escalate",
            {"reason": "NO_RESPONSE", "escalated_on": "2026-06-08"},
            409,
        )
        assert "2026-06-08" in early["detail"]
        not_satisfied = await escalations.step(esc, "escalate", {"reason": "NOT_SATISFIED"}, 409)
        assert "RESPONSE_RECEIVED" in not_satisfied["detail"]
        moved = await escalations.step(
            esc,
            "escalate",
            {"reason": "NO_RESPONSE", "escalated_on": "2026-06-10"},
        )
        assert moved["stage"] == "TEAM_MANAGER" and moved["stages"][0]["overdue"] is False
        kinds = await escalations.events(esc["id"])
        assert [k for k, _ in kinds] == ["raised", "stage_overdue", "escalated"]
        overdue = kinds[1][1]["data"]
        assert (overdue["stage"], overdue["stage_due_date"], overdue["detected_on"]) == (
            "INFORMAL",
            "2026-06-08",
            "2026-06-10",
        )

    async def test_a_late_response_is_marked_late_and_its_stage_announced_overdue_once(
        self, escalations: Escalations
    ) -> None:
        esc = await escalations.raised(raised_on="2026-06-01")
        responded = await escalations.step(
            esc, "responses", {**RESPONSE, "responded_on": "2026-06-09"}
        )
        assert responded["stages"][0]["response"]["late"] is True
        assert responded["overdue"] is False
        kinds = await escalations.events(esc["id"])
        assert [k for k, _ in kinds] == ["raised", "stage_overdue", "response_recorded"]
        assert kinds[2][1]["data"]["late"] is True

    async def test_the_stage_only_goes_up_and_stops_at_director(
        self, escalations: Escalations
    ) -> None:
        esc = await escalations.raised(raised_on="2026-05-01")
        seen = [esc["stage"]]
        for _ in range(4):
            await escalations.step(esc, "responses", RESPONSE)
            esc = await escalations.step(esc, "escalate", {"reason": "NOT_SATISFIED"})
            seen.append(esc["stage"])
        assert seen == [
            "INFORMAL",
            "TEAM_MANAGER",
            "SERVICE_MANAGER",
            "HEAD_OF_SERVICE",
            "DIRECTOR",
        ]
        assert [s["stage"] for s in esc["stages"]] == seen
        assert esc["addressee_role"] == "DIRECTOR"
        await escalations.step(esc, "responses", RESPONSE)
        top = await escalations.step(esc, "escalate", {"reason": "NOT_SATISFIED"}, 409)
        assert "highest stage" in top["detail"]

    async def test_step_dates_run_forward_and_never_into_the_future(
        self, escalations: Escalations
    ) -> None:
        esc = await escalations.raised(raised_on="2026-06-03")
        before = await escalations.counts()
        for body, field in [
            ({**RESPONSE, "responded_on": "2026-06-02"}, "body.responded_on"),
            ({**RESPONSE, "responded_on": "2026-06-16"}, "body.responded_on"),
            ({**RESPONSE, "responded_on": "1999-01-01"}, "body.responded_on"),
            ({"responder": "sw-3"}, "body.response"),
        ]:
            response = await escalations.client.post(
                f"/v1/escalations/{esc['id']}/responses", json=body, headers=escalations.headers
            )
            assert response.status_code == 422, response.text
            assert any(e["field"] == field for e in response.json()["errors"])
        assert await escalations.counts() == before
        await escalations.step(esc, "responses", {**RESPONSE, "responded_on": "2026-06-05"})
        refused = await escalations.client.post(
            f"/v1/escalations/{esc['id']}/resolve",
            json={"outcome": "OTHER", "resolved_on": "2026-06-04"},
            headers=escalations.headers,
        )
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "body.resolved_on"
