"""escalation-service's endpoints against real PostgreSQL (today pinned to Monday 15 June
2026 by the conftest; the relay is off, so the outbox rows are read directly)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from escalation_service.domain.timescales import Timescales
from escalation_service.main import create_app
from escalation_service.settings import EscalationSettings
from qaf_shared.clock import fixed_clock
from qaf_shared.testing.fixtures import auth, serve

TODAY = date(2026, 6, 15)  # as the conftest pins it
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


@pytest.fixture
def writer(token: Callable[..., str]) -> dict[str, str]:
    return auth(token("escalations:write escalations:read"))


async def _counts(db: asyncpg.Connection) -> tuple[int, int, int]:
    return (
        await db.fetchval("SELECT count(*) FROM escalations"),
        await db.fetchval("SELECT count(*) FROM escalation_stages"),
        await db.fetchval("SELECT count(*) FROM outbox"),
    )


async def _events(db: asyncpg.Connection, escalation_id: str) -> list[tuple[str, dict[str, Any]]]:
    rows = await db.fetch(
        "SELECT type, payload FROM outbox WHERE aggregateid = $1 ORDER BY seq", escalation_id
    )
    return [(r["type"].split(".")[-2], r["payload"]) for r in rows]


async def _raise(
    client: httpx.AsyncClient, headers: dict[str, str], **changes: Any
) -> dict[str, Any]:
    response = await client.post("/v1/escalations", json={**NEW, **changes}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _step(
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


class TestRaising:
    async def test_raising_opens_the_informal_stage_due_in_five_working_days(
        self,
        escalation_client: httpx.AsyncClient,
        writer: dict[str, str],
        escalation_db: asyncpg.Connection,
    ) -> None:
        response = await escalation_client.post(
            "/v1/escalations", json={**NEW, "raised_on": "2026-04-02"}, headers=writer
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert response.headers["location"] == f"/v1/escalations/{body['id']}"
        assert response.headers["etag"] == '"1"' and body["version"] == 1
        assert (body["area"], body["district"], body["team"], body["service"]) == (
            "SOUTH",
            "ASHFORD",
            "ASH-CP1",
            None,
        )
        assert (body["stage"], body["status"], body["addressee_role"]) == (
            "INFORMAL",
            "AWAITING_RESPONSE",
            "SOCIAL_WORKER_OR_TEAM_MANAGER",
        )
        # Thursday before Easter 2026: Good Friday and Easter Monday are not working days.
        assert (body["stage_opened_on"], body["stage_due_date"]) == ("2026-04-02", "2026-04-13")
        assert body["overdue"] is True  # still awaiting a response on 15 June
        assert body["formal_started_on"] is None and body["formal_deadline"] is None
        assert body["formal_limit_breached"] is False
        assert body["summary"] == NEW["summary"]
        assert body["stages"] == [
            {
                "stage": "INFORMAL",
                "addressee_role": "SOCIAL_WORKER_OR_TEAM_MANAGER",
                "opened_on": "2026-04-02",
                "due_date": "2026-04-13",
                "overdue": True,
                "response": None,
                "closed_on": None,
                "closed_by": None,
                "escalate_reason": None,
                "escalate_note": None,
            }
        ]
        [(kind, event)] = await _events(escalation_db, body["id"])
        assert kind == "raised" and event["tenant"] == "886" and event["subject"] == body["id"]
        assert event["data"] == {
            "escalation_id": body["id"],
            "org_unit": {"area": "SOUTH", "district": "ASHFORD", "team": "ASH-CP1"},
            "plan_type": "CIC",
            "raised_by_role": "IRO",
            "categories": ["DRIFT_DELAY", "PERMANENCE_PLANNING"],
            "raised_on": "2026-04-02",
            "stage": "INFORMAL",
            "status": "AWAITING_RESPONSE",
            "stage_opened_on": "2026-04-02",
            "stage_due_date": "2026-04-13",
            "formal_limit_breached": False,
            "bypassed": False,
        }
        who = await escalation_db.fetchrow(
            "SELECT created_by_client, created_by_actor FROM escalations WHERE id = $1",
            uuid.UUID(body["id"]),
        )
        assert tuple(who) == ("dev-client", "staff-1")

    async def test_raised_on_defaults_to_today_and_the_chair_may_set_the_informal_due_date(
        self, escalation_client: httpx.AsyncClient, writer: dict[str, str]
    ) -> None:
        body = await _raise(escalation_client, writer)
        assert (body["raised_on"], body["stage_due_date"]) == ("2026-06-15", "2026-06-22")
        assert body["overdue"] is False
        chosen = await _raise(escalation_client, writer, due_date="2026-06-30")
        assert chosen["stage_due_date"] == "2026-06-30"

    async def test_opening_above_informal_records_the_bypass_and_starts_the_formal_clock(
        self,
        escalation_client: httpx.AsyncClient,
        writer: dict[str, str],
        escalation_db: asyncpg.Connection,
    ) -> None:
        body = await _raise(
            escalation_client,
            writer,
            service="FOSTERING",
            team=None,
            stage="SERVICE_MANAGER",
            bypass_reason="Immediate risk to placement",
            raised_on="2026-06-01",
        )
        assert (body["stage"], body["addressee_role"], body["bypass_reason"]) == (
            "SERVICE_MANAGER",
            "SERVICE_MANAGER",
            "Immediate risk to placement",
        )
        assert body["service"] == "FOSTERING" and body["team"] is None
        assert body["stage_due_date"] == "2026-06-08"
        assert (body["formal_started_on"], body["formal_deadline"]) == ("2026-06-01", "2026-06-29")
        [(_, event)] = await _events(escalation_db, body["id"])
        assert event["data"]["bypassed"] is True
        assert event["data"]["formal_deadline"] == "2026-06-29"
        assert "placement" not in str(event)

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"stage": "TEAM_MANAGER"}, "body.bypass_reason"),
            ({"bypass_reason": "urgent"}, "body.bypass_reason"),
            (
                {"stage": "TEAM_MANAGER", "bypass_reason": "x", "due_date": "2026-06-20"},
                "body.due_date",
            ),
            ({"due_date": "2026-06-12"}, "body.due_date"),
            ({"due_date": "2027-07-01"}, "body.due_date"),
            ({"raised_on": "2026-06-16"}, "body.raised_on"),
            ({"raised_on": "1999-12-31"}, "body.raised_on"),
            ({"team": "NOT-A-TEAM"}, "body.team"),
            ({"team": None}, "body"),
            ({"categories": []}, "body.categories"),
            ({"categories": ["HEALTH", "HEALTH"]}, "body.categories"),
            ({"categories": ["NOT_ONE"]}, "body.categories.0"),
            ({"plan_type": "CARE_LEAVER"}, "body.plan_type"),
            ({"raised_by_role": "SOCIAL_WORKER"}, "body.raised_by_role"),
            ({"raised_by": "has spaces"}, "body.raised_by"),
            ({"summary": "   "}, "body.summary"),
            ({"summary": "nul \x00 byte"}, "body.summary"),
            ({"stage": "TOP"}, "body.stage"),
            ({"unexpected": 1}, "body.unexpected"),
        ],
    )
    async def test_bad_input_names_the_field_and_writes_nothing(
        self,
        escalation_client: httpx.AsyncClient,
        writer: dict[str, str],
        escalation_db: asyncpg.Connection,
        change: dict[str, Any],
        field: str,
    ) -> None:
        before = await _counts(escalation_db)
        body = {k: v for k, v in {**NEW, **change}.items() if v is not None}
        response = await escalation_client.post("/v1/escalations", json=body, headers=writer)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert any(e["field"] == field for e in response.json()["errors"]), response.json()
        assert await _counts(escalation_db) == before


class TestLifecycle:
    async def test_a_response_then_escalation_opens_the_team_manager_stage(
        self,
        escalation_client: httpx.AsyncClient,
        writer: dict[str, str],
        escalation_db: asyncpg.Connection,
    ) -> None:
        esc = await _raise(escalation_client, writer, raised_on="2026-06-01")
        responded = await _step(
            escalation_client,
            writer,
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
        again = await _step(escalation_client, writer, esc, "responses", RESPONSE, 409)
        assert "RESPONSE_RECEIVED" in again["detail"]

        moved = await _step(
            escalation_client,
            writer,
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

        kinds = await _events(escalation_db, esc["id"])
        assert [k for k, _ in kinds] == ["raised", "response_recorded", "escalated"]
        escalated = kinds[2][1]["data"]
        assert (escalated["from_stage"], escalated["stage"], escalated["reason"]) == (
            "INFORMAL",
            "TEAM_MANAGER",
            "NOT_SATISFIED",
        )
        assert escalated["formal_deadline"] == "2026-07-07"
        assert not any(text in str(kinds) for text in FREE_TEXT)
        activity = await escalation_db.fetch(
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
        self,
        escalation_client: httpx.AsyncClient,
        writer: dict[str, str],
        escalation_db: asyncpg.Connection,
    ) -> None:
        esc = await _raise(escalation_client, writer, raised_on="2026-06-01")  # due 8 June
        early = await _step(
            escalation_client,
            writer,
            esc,
            "escalate",
            {"reason": "NO_RESPONSE", "escalated_on": "2026-06-08"},
            409,
        )
        assert "2026-06-08" in early["detail"]
        not_satisfied = await _step(
            escalation_client, writer, esc, "escalate", {"reason": "NOT_SATISFIED"}, 409
        )
        assert "RESPONSE_RECEIVED" in not_satisfied["detail"]
        moved = await _step(
            escalation_client,
            writer,
            esc,
            "escalate",
            {"reason": "NO_RESPONSE", "escalated_on": "2026-06-10"},
        )
        assert moved["stage"] == "TEAM_MANAGER" and moved["stages"][0]["overdue"] is False
        kinds = await _events(escalation_db, esc["id"])
        assert [k for k, _ in kinds] == ["raised", "stage_overdue", "escalated"]
        overdue = kinds[1][1]["data"]
        assert (overdue["stage"], overdue["stage_due_date"], overdue["detected_on"]) == (
            "INFORMAL",
            "2026-06-08",
            "2026-06-10",
        )

    async def test_a_late_response_is_marked_late_and_its_stage_announced_overdue_once(
        self,
        escalation_client: httpx.AsyncClient,
        writer: dict[str, str],
        escalation_db: asyncpg.Connection,
    ) -> None:
        esc = await _raise(escalation_client, writer, raised_on="2026-06-01")
        responded = await _step(
            escalation_client, writer, esc, "responses", {**RESPONSE, "responded_on": "2026-06-09"}
        )
        assert responded["stages"][0]["response"]["late"] is True
        assert responded["overdue"] is False
        kinds = await _events(escalation_db, esc["id"])
        assert [k for k, _ in kinds] == ["raised", "stage_overdue", "response_recorded"]
        assert kinds[2][1]["data"]["late"] is True

    async def test_the_stage_only_goes_up_and_stops_at_director(
        self, escalation_client: httpx.AsyncClient, writer: dict[str, str]
    ) -> None:
        esc = await _raise(escalation_client, writer, raised_on="2026-05-01")
        seen = [esc["stage"]]
        for _ in range(4):
            await _step(escalation_client, writer, esc, "responses", RESPONSE)
            esc = await _step(
                escalation_client, writer, esc, "escalate", {"reason": "NOT_SATISFIED"}
            )
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
        await _step(escalation_client, writer, esc, "responses", RESPONSE)
        top = await _step(
            escalation_client, writer, esc, "escalate", {"reason": "NOT_SATISFIED"}, 409
        )
        assert "highest stage" in top["detail"]

    async def test_resolving_needs_a_response_and_closes_the_escalation(
        self,
        escalation_client: httpx.AsyncClient,
        writer: dict[str, str],
        escalation_db: asyncpg.Connection,
    ) -> None:
        esc = await _raise(escalation_client, writer, raised_on="2026-06-10")
        await _step(escalation_client, writer, esc, "resolve", {"outcome": "ACTION_AGREED"}, 409)
        await _step(escalation_client, writer, esc, "responses", RESPONSE)
        bad = await escalation_client.post(
            f"/v1/escalations/{esc['id']}/resolve", json={"outcome": "HAPPY"}, headers=writer
        )
        assert bad.status_code == 422
        done = await _step(
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
            await _step(escalation_client, writer, esc, step, body, 409)
        kinds = await _events(escalation_db, esc["id"])
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
        esc = await _raise(escalation_client, writer, raised_on="2026-06-10")
        if respond_first:
            answer = {**RESPONSE, "responded_on": "2026-06-11"}
            await _step(escalation_client, writer, esc, "responses", answer)
        done = await _step(
            escalation_client,
            writer,
            esc,
            "withdraw",
            {"reason": "Secret: child moved out of area", "withdrawn_on": "2026-06-12"},
        )
        assert (done["status"], done["withdrawn_on"]) == ("WITHDRAWN", "2026-06-12")
        assert done["withdrawal_reason"] == "Secret: child moved out of area"
        assert done["stages"][-1]["closed_by"] == "WITHDRAWN"
        await _step(escalation_client, writer, esc, "withdraw", {"reason": "again"}, 409)
        kinds = await _events(escalation_db, esc["id"])
        assert kinds[-1][0] == "withdrawn" and kinds[-1][1]["data"]["status"] == "WITHDRAWN"
        assert "moved" not in str(kinds)

    async def test_step_dates_run_forward_and_never_into_the_future(
        self,
        escalation_client: httpx.AsyncClient,
        writer: dict[str, str],
        escalation_db: asyncpg.Connection,
    ) -> None:
        esc = await _raise(escalation_client, writer, raised_on="2026-06-03")
        before = await _counts(escalation_db)
        for body, field in [
            ({**RESPONSE, "responded_on": "2026-06-02"}, "body.responded_on"),
            ({**RESPONSE, "responded_on": "2026-06-16"}, "body.responded_on"),
            ({**RESPONSE, "responded_on": "1999-01-01"}, "body.responded_on"),
            ({"responder": "sw-3"}, "body.response"),
        ]:
            response = await escalation_client.post(
                f"/v1/escalations/{esc['id']}/responses", json=body, headers=writer
            )
            assert response.status_code == 422, response.text
            assert any(e["field"] == field for e in response.json()["errors"])
        assert await _counts(escalation_db) == before
        await _step(
            escalation_client, writer, esc, "responses", {**RESPONSE, "responded_on": "2026-06-05"}
        )
        refused = await escalation_client.post(
            f"/v1/escalations/{esc['id']}/resolve",
            json={"outcome": "OTHER", "resolved_on": "2026-06-04"},
            headers=writer,
        )
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "body.resolved_on"

    async def test_the_formal_limit_breach_shows_on_the_escalation_and_its_events(
        self,
        escalation_client: httpx.AsyncClient,
        writer: dict[str, str],
        escalation_db: asyncpg.Connection,
    ) -> None:
        esc = await _raise(
            escalation_client,
            writer,
            stage="TEAM_MANAGER",
            bypass_reason="Secret bypass",
            raised_on="2026-04-01",
        )
        # 20 working days from 1 April 2026 skip Good Friday, Easter Monday and 4 May.
        assert esc["formal_deadline"] == "2026-05-01"
        assert esc["formal_limit_breached"] is True  # open on 15 June
        await _step(
            escalation_client, writer, esc, "responses", {**RESPONSE, "responded_on": "2026-04-08"}
        )
        await _step(
            escalation_client,
            writer,
            esc,
            "escalate",
            {"reason": "NOT_SATISFIED", "escalated_on": "2026-04-10"},
        )
        await _step(
            escalation_client, writer, esc, "responses", {**RESPONSE, "responded_on": "2026-04-20"}
        )
        done = await _step(
            escalation_client,
            writer,
            esc,
            "resolve",
            {"outcome": "ACTION_AGREED", "resolved_on": "2026-05-06"},
        )
        assert done["formal_deadline"] == "2026-05-01" and done["formal_limit_breached"] is True
        kinds = await _events(escalation_db, esc["id"])
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
        esc = await _raise(
            escalation_client,
            writer,
            stage="TEAM_MANAGER",
            bypass_reason="x",
            raised_on="2026-04-01",
        )
        await _step(
            escalation_client, writer, esc, "responses", {**RESPONSE, "responded_on": "2026-04-08"}
        )
        done = await _step(
            escalation_client,
            writer,
            esc,
            "resolve",
            {"outcome": "ACTION_AGREED", "resolved_on": "2026-05-01"},
        )
        assert done["formal_limit_breached"] is False


class TestCafcass:
    async def test_an_iro_records_a_cafcass_referral_once_even_after_resolution(
        self,
        escalation_client: httpx.AsyncClient,
        writer: dict[str, str],
        escalation_db: asyncpg.Connection,
    ) -> None:
        esc = await _raise(escalation_client, writer, raised_on="2026-06-01")
        await _step(escalation_client, writer, esc, "responses", RESPONSE)
        await _step(escalation_client, writer, esc, "resolve", {"outcome": "OTHER"})
        early = await _step(
            escalation_client, writer, esc, "cafcass-referral", {"referred_on": "2026-05-29"}, 422
        )
        assert early["errors"][0]["field"] == "body.referred_on"
        referred = await _step(
            escalation_client, writer, esc, "cafcass-referral", {"referred_on": "2026-06-02"}
        )
        assert referred["cafcass_referred_on"] == "2026-06-02"
        assert referred["cafcass_referred_at"] is not None and referred["status"] == "RESOLVED"
        again = await _step(
            escalation_client, writer, esc, "cafcass-referral", {"referred_on": "2026-06-03"}, 409
        )
        assert "already" in again["detail"]
        kinds = await _events(escalation_db, esc["id"])
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
        esc = await _raise(escalation_client, writer, plan_type=plan_type, raised_by_role=role)
        refused = await _step(
            escalation_client, writer, esc, "cafcass-referral", {"referred_on": "2026-06-15"}, 409
        )
        assert "only to a CIC case escalated by an IRO" in refused["detail"]


class TestReading:
    async def test_reading_an_escalation_is_access_logged_and_carries_its_etag(
        self,
        escalation_client: httpx.AsyncClient,
        writer: dict[str, str],
        escalation_db: asyncpg.Connection,
    ) -> None:
        esc = await _raise(escalation_client, writer)
        response = await escalation_client.get(f"/v1/escalations/{esc['id']}", headers=writer)
        assert response.status_code == 200 and response.json() == esc
        assert response.headers["etag"] == '"1"'
        logged = await escalation_db.fetch(
            "SELECT client, actor, action FROM access_log WHERE resource_id = $1", esc["id"]
        )
        assert [tuple(r) for r in logged] == [("dev-client", "staff-1", "read")]

    async def test_a_stale_if_match_is_412_and_the_current_one_is_accepted(
        self, escalation_client: httpx.AsyncClient, writer: dict[str, str]
    ) -> None:
        esc = await _raise(escalation_client, writer)
        path = f"/v1/escalations/{esc['id']}/responses"
        stale = await escalation_client.post(
            path, json=RESPONSE, headers={**writer, "If-Match": '"7"'}
        )
        assert stale.status_code == 412
        current = await escalation_client.post(
            path, json=RESPONSE, headers={**writer, "If-Match": '"1"'}
        )
        assert current.status_code == 200 and current.headers["etag"] == '"2"'

    @pytest.mark.parametrize(
        "path", ["/v1/escalations/not-a-uuid", f"/v1/escalations/{uuid.uuid4()}"]
    )
    async def test_unknown_or_malformed_ids_are_404(
        self, escalation_client: httpx.AsyncClient, writer: dict[str, str], path: str
    ) -> None:
        for response in (
            await escalation_client.get(path, headers=writer),
            await escalation_client.post(f"{path}/responses", json=RESPONSE, headers=writer),
        ):
            assert response.status_code == 404
            assert response.headers["content-type"] == "application/problem+json"


class TestAuth:
    async def test_no_token_is_401(self, escalation_client: httpx.AsyncClient) -> None:
        response = await escalation_client.post(
            "/v1/escalations", json=NEW, headers={"X-Actor": "s"}
        )
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"

    async def test_each_endpoint_needs_its_scope(
        self, escalation_client: httpx.AsyncClient, token: Callable[..., str]
    ) -> None:
        read_only = auth(token("escalations:read"))
        write_only = auth(token("escalations:write"))
        audits = auth(token("audits:read audits:write"))
        assert (
            await escalation_client.post("/v1/escalations", json=NEW, headers=read_only)
        ).status_code == 403
        assert (
            await escalation_client.get("/v1/escalations", headers=write_only)
        ).status_code == 403
        assert (await escalation_client.get("/v1/escalations", headers=audits)).status_code == 403

    async def test_a_write_without_an_actor_is_422(
        self, escalation_client: httpx.AsyncClient, token: Callable[..., str]
    ) -> None:
        response = await escalation_client.post(
            "/v1/escalations", json=NEW, headers=auth(token("escalations:write"), actor=None)
        )
        assert response.status_code == 422
        assert any(e["field"] == "header.X-Actor" for e in response.json()["errors"])

    async def test_malformed_json_is_400_and_a_huge_body_is_413(
        self,
        escalation_client: httpx.AsyncClient,
        writer: dict[str, str],
        escalation_db: asyncpg.Connection,
    ) -> None:
        before = await _counts(escalation_db)
        headers = {**writer, "content-type": "application/json"}
        bad = await escalation_client.post("/v1/escalations", content=b"{nope", headers=headers)
        assert bad.status_code == 400
        huge = await escalation_client.post(
            "/v1/escalations",
            content=b'{"summary": "' + b"x" * (1024 * 1024 + 10) + b'"}',
            headers=headers,
        )
        assert huge.status_code == 413
        assert await _counts(escalation_db) == before


async def test_another_tenants_escalation_is_404_for_every_endpoint_and_never_listed(
    escalation_client: httpx.AsyncClient,
    writer: dict[str, str],
    token: Callable[..., str],
    escalation_db: asyncpg.Connection,
) -> None:
    kent = await _raise(escalation_client, writer)
    medway = auth(token("escalations:read escalations:write", tenant="887"))
    assert (
        await escalation_client.get(f"/v1/escalations/{kent['id']}", headers=medway)
    ).status_code == 404
    before = await _counts(escalation_db)
    for step, body in [
        ("responses", RESPONSE),
        ("escalate", {"reason": "NOT_SATISFIED"}),
        ("resolve", {"outcome": "OTHER"}),
        ("withdraw", {"reason": "x"}),
        ("cafcass-referral", {"referred_on": "2026-06-15"}),
    ]:
        response = await escalation_client.post(
            f"/v1/escalations/{kent['id']}/{step}", json=body, headers=medway
        )
        assert response.status_code == 404, (step, response.text)
    assert await _counts(escalation_db) == before
    # A Kent team is not a Medway team.
    refused = await escalation_client.post("/v1/escalations", json=NEW, headers=medway)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.team"
    medways_own = await _raise(escalation_client, medway, team="STR-CP1")
    listed = await escalation_client.get("/v1/escalations?limit=200", headers=medway)
    ids = {e["id"] for e in listed.json()["items"]}
    assert medways_own["id"] in ids and kent["id"] not in ids
    assert (
        await escalation_client.get(f"/v1/escalations/{kent['id']}", headers=writer)
    ).status_code == 200


class TestIdempotency:
    async def test_the_same_key_and_body_raise_once(
        self,
        escalation_client: httpx.AsyncClient,
        writer: dict[str, str],
        escalation_db: asyncpg.Connection,
    ) -> None:
        headers = {**writer, "Idempotency-Key": f"key-{uuid.uuid4()}"}
        before = await _counts(escalation_db)
        first = await escalation_client.post("/v1/escalations", json=NEW, headers=headers)
        second = await escalation_client.post("/v1/escalations", json=NEW, headers=headers)
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        assert second.headers["location"] == first.headers["location"]
        assert await _counts(escalation_db) == (before[0] + 1, before[1] + 1, before[2] + 1)
        reused = await escalation_client.post(
            "/v1/escalations", json={**NEW, "case_ref": "OTHER"}, headers=headers
        )
        assert reused.status_code == 422
        assert await _counts(escalation_db) == (before[0] + 1, before[1] + 1, before[2] + 1)

    async def test_a_retried_step_answers_the_first_response_and_changes_nothing_more(
        self,
        escalation_client: httpx.AsyncClient,
        writer: dict[str, str],
        escalation_db: asyncpg.Connection,
    ) -> None:
        esc = await _raise(escalation_client, writer)
        headers = {**writer, "Idempotency-Key": f"key-{uuid.uuid4()}"}
        path = f"/v1/escalations/{esc['id']}/responses"
        first = await escalation_client.post(path, json=RESPONSE, headers=headers)
        second = await escalation_client.post(path, json=RESPONSE, headers=headers)
        assert first.status_code == second.status_code == 200
        assert first.json() == second.json() and second.headers["etag"] == '"2"'
        assert [k for k, _ in await _events(escalation_db, esc["id"])] == [
            "raised",
            "response_recorded",
        ]


class TestListing:
    async def test_filters_narrow_the_list(
        self, escalation_client: httpx.AsyncClient, token: Callable[..., str]
    ) -> None:
        # A tenant of its own (Medway's tree) keeps the other tests' escalations out.
        headers = auth(token("escalations:read escalations:write", tenant="887"))
        marker = f"LIST-{uuid.uuid4().hex[:8]}"
        medway = {**NEW, "team": "STR-CP1"}
        made = {
            "open_overdue": await _raise(
                escalation_client,
                headers,
                **{
                    **medway,
                    "case_ref": marker,
                    "raised_on": "2026-05-04",
                    "categories": ["HEALTH"],
                },
            ),
            "answered": await _raise(
                escalation_client,
                headers,
                **{**medway, "case_ref": marker, "raised_on": "2026-05-05"},
            ),
            "service": await _raise(
                escalation_client,
                headers,
                **{
                    **medway,
                    "team": None,
                    "service": "ADOPTION",
                    "case_ref": marker,
                    "raised_on": "2026-05-06",
                },
            ),
            "formal": await _raise(
                escalation_client,
                headers,
                **{
                    **medway,
                    "case_ref": marker,
                    "raised_on": "2026-05-07",
                    "stage": "HEAD_OF_SERVICE",
                    "bypass_reason": "x",
                    "categories": ["RESOURCES", "HEALTH"],
                },
            ),
        }
        await _step(escalation_client, headers, made["answered"], "responses", RESPONSE)
        wanted = {v["id"]: k for k, v in made.items()}

        async def names(**query: str) -> set[str]:
            params = {"limit": "200", "raised_from": "2026-05-04", "raised_to": "2026-05-07"}
            response = await escalation_client.get(
                "/v1/escalations", params={**params, **query}, headers=headers
            )
            assert response.status_code == 200, response.text
            return {wanted[e["id"]] for e in response.json()["items"] if e["id"] in wanted}

        team_units = {"open_overdue", "answered", "formal"}
        assert await names() == set(made)
        assert await names(status="RESPONSE_RECEIVED") == {"answered"}
        assert await names(stage="HEAD_OF_SERVICE") == {"formal"}
        assert await names(category="HEALTH") == {"open_overdue", "formal"}
        assert await names(area="NORTH") == team_units
        assert await names(area="SOUTH") == set()
        assert await names(district="STROOD") == team_units
        assert await names(team="STR-CP1") == team_units
        assert await names(service="ADOPTION") == {"service"}
        assert await names(overdue="true") == {"open_overdue", "service", "formal"}
        assert await names(overdue="false") == {"answered"}
        assert await names(raised_from="2026-05-06") == {"service", "formal"}
        assert await names(raised_to="2026-05-05") == {"open_overdue", "answered"}
        assert await names(status="WITHDRAWN") == set()
        bad = await escalation_client.get("/v1/escalations?status=NOPE", headers=headers)
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.status"

    async def test_pages_follow_the_cursor_without_gaps_or_repeats_and_are_access_logged(
        self,
        escalation_client: httpx.AsyncClient,
        token: Callable[..., str],
        escalation_db: asyncpg.Connection,
    ) -> None:
        headers = auth(token("escalations:read escalations:write", tenant="887"), actor="reader-9")
        made = [
            (await _raise(escalation_client, headers, team="STR-CP1", raised_on="2026-01-05"))["id"]
            for _ in range(5)
        ]
        seen: list[str] = []
        cursor: str | None = None
        while True:
            query = "limit=2&raised_to=2026-01-05" + (f"&cursor={cursor}" if cursor else "")
            response = await escalation_client.get(f"/v1/escalations?{query}", headers=headers)
            assert response.status_code == 200
            body = response.json()
            assert len(body["items"]) <= 2
            seen.extend(e["id"] for e in body["items"])
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert [i for i in seen if i in made] == made
        assert len(seen) == len(set(seen))
        logged = await escalation_db.fetchval(
            "SELECT count(*) FROM access_log WHERE actor = 'reader-9' AND resource_id = ANY($1)",
            made,
        )
        assert logged == len(made)
        bad = await escalation_client.get("/v1/escalations?cursor=nonsense", headers=headers)
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.cursor"


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
        informal = await _raise(client, medway, team="STR-CP1", raised_on="2026-06-01")
        assert informal["stage_due_date"] == "2026-06-04"
        formal = await _raise(
            client,
            medway,
            team="STR-CP1",
            stage="TEAM_MANAGER",
            bypass_reason="x",
            raised_on="2026-06-01",
        )
        assert (formal["stage_due_date"], formal["formal_deadline"]) == ("2026-06-15", "2026-07-13")
        default = await _raise(
            client, kent, stage="TEAM_MANAGER", bypass_reason="x", raised_on="2026-06-01"
        )
        assert (default["stage_due_date"], default["formal_deadline"]) == (
            "2026-06-08",
            "2026-06-29",
        )
