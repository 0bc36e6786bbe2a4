"""Raising an escalation: the opening stage, its due date, a bypass to a higher stage, and
bad input refused with nothing written."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from qaf_shared.testing.calls import changed, created_by, created_first, refused

from .calls import NEW, Escalations


class TestRaising:
    async def test_raising_opens_the_informal_stage_due_in_five_working_days(
        self, escalations: Escalations
    ) -> None:
        body = await created_first(
            escalations.client,
            "/v1/escalations",
            {**NEW, "raised_on": "2026-04-02"},
            escalations.headers,
        )
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
        [(kind, event)] = await escalations.events(body["id"])
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
        who = await created_by(escalations.db, "escalations", body["id"])
        assert who == ("dev-client", "staff-1")

    async def test_raised_on_defaults_to_today_and_the_chair_may_set_the_informal_due_date(
        self, escalations: Escalations
    ) -> None:
        body = await escalations.raised()
        assert (body["raised_on"], body["stage_due_date"]) == ("2026-06-15", "2026-06-22")
        assert body["overdue"] is False
        chosen = await escalations.raised(due_date="2026-06-30")
        assert chosen["stage_due_date"] == "2026-06-30"

    async def test_opening_above_informal_records_the_bypass_and_starts_the_formal_clock(
        self, escalations: Escalations
    ) -> None:
        body = await escalations.raised(
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
        [(_, event)] = await escalations.events(body["id"])
        assert event["data"]["bypassed"] is True
        assert event["data"]["formal_deadline"] == "2026-06-29"
        assert "placement" not in str(event)

    @pytest.mark.parametrize(
        "changes",
        [
            {},
            {
                "stage": "SERVICE_MANAGER",
                "bypass_reason": "Immediate risk",
                "raised_on": "2026-06-01",
            },
            {"team": None, "service": "FOSTERING", "due_date": "2026-06-30"},
        ],
    )
    async def test_a_raised_escalation_answers_what_a_read_gives_and_records_who_raised_it(
        self, escalations: Escalations, changes: dict[str, Any]
    ) -> None:
        # The create answers without reading back what it wrote: its answer must be the
        # rows as written.
        created = await escalations.raised(**changes)
        read = await escalations.client.get(
            f"/v1/escalations/{created['id']}", headers=escalations.headers
        )
        assert read.status_code == 200 and read.headers["etag"] == '"1"'
        assert read.json() == created
        ident = uuid.UUID(created["id"])
        stage = await escalations.db.fetchrow(
            "SELECT tenant, opened_by_client, opened_by_actor FROM escalation_stages "
            "WHERE escalation_id = $1",
            ident,
        )
        assert tuple(stage) == ("886", "dev-client", "staff-1")
        activity = await escalations.db.fetch(
            "SELECT tenant, action, stage, on_date, client, actor FROM escalation_activity "
            "WHERE escalation_id = $1",
            ident,
        )
        assert [
            (
                a["tenant"],
                a["action"],
                a["stage"],
                a["on_date"].isoformat(),
                a["client"],
                a["actor"],
            )
            for a in activity
        ] == [("886", "raised", created["stage"], created["raised_on"], "dev-client", "staff-1")]
        written = await escalations.db.fetchrow(
            "SELECT updated_by_client, updated_by_actor, updated_at = created_at AS same "
            "FROM escalations WHERE id = $1",
            ident,
        )
        assert tuple(written) == ("dev-client", "staff-1", True)

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
        self, escalations: Escalations, change: dict[str, Any], field: str
    ) -> None:
        body = changed(NEW, change)
        await refused(
            escalations.client,
            "/v1/escalations",
            body,
            escalations.headers,
            field,
            escalations.counts,
        )
