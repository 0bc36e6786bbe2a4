"""The walking skeleton end to end: an audit POSTed and submitted to audit-service shows in
reporting-service's Deep Dive, through the real outbox relay, Kafka broker and consumer."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from audit_service.main import create_app as create_audit_app
from audit_service.settings import AuditSettings
from qaf_shared.quarters import quarter_of
from qaf_shared.testing.fixtures import DatabaseFactory, TopicsFactory, auth, eventually, serve
from reporting_service.main import create_app as create_reporting_app
from reporting_service.settings import ReportingSettings


async def test_a_submitted_audit_appears_in_the_deep_dive(
    make_database: DatabaseFactory, make_topics: TopicsFactory, token: Callable[..., str]
) -> None:
    topic_prefix = await make_topics()  # topics of its own: the status counts are exact
    audit_settings = AuditSettings(
        database_url=await make_database("audit_service"),
        kafka_topic_prefix=topic_prefix,
        relay_poll_interval_s=0.2,
    )
    reporting_settings = ReportingSettings(
        database_url=await make_database("reporting_service"),
        kafka_topic_prefix=topic_prefix,
        consumer_group=f"skeleton-{uuid.uuid4().hex[:8]}",
    )
    writer = auth(token("audits:write audits:read"))
    raw = auth(token("reports:read_unsuppressed"))
    suppressed = auth(token("reports:read"))
    medway = auth(token("reports:read_unsuppressed", tenant="887"))
    grades = ["GOOD", "GOOD", "INADEQUATE"]
    submitted_on = date.today().isoformat()
    quarter = quarter_of(date.today())

    async with (
        serve(create_audit_app(audit_settings)) as audits,
        serve(create_reporting_app(reporting_settings)) as reports,
    ):
        for grade in grades:
            created = await audits.post(
                "/v1/audits",
                json={
                    "case_ref": "C-9",
                    "team": "ASH-CP1",
                    "plan_type": "CIC",
                    "auditor": "a-1",
                    "due_date": "2027-01-31",
                },
                headers=writer,
            )
            assert created.status_code == 201
            submitted = await audits.post(
                f"/v1/audits/{created.json()['id']}/submit",
                json={
                    "overall_grade": grade,
                    "themes": [],
                    "child_voice_evident": False,
                    "submitted_on": submitted_on,
                },
                headers=writer,
            )
            assert submitted.status_code == 200

        async def deep_dive(headers: dict[str, str], unit: str | None = None) -> dict[str, Any]:
            params = {"unit": unit} if unit else {}
            response = await reports.get(
                f"/v1/deep-dives/{quarter}", params=params, headers=headers
            )
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        async def counted() -> bool:
            return (await deep_dive(raw))["audits"]["completed"] == len(grades)

        await eventually(counted)
        tenant = await deep_dive(raw)
        assert tenant["unit"] == {"code": "886", "kind": "tenant"}
        assert tenant["suppression"] == {"applied": False, "threshold": 5}
        assert tenant["audits"]["grades"] == {
            "OUTSTANDING": 0,
            "GOOD": 2,
            "REQUIRES_IMPROVEMENT": 0,
            "INADEQUATE": 1,
        }
        assert tenant["audits"]["good_or_better_pct"] == 66.7

        south = await deep_dive(raw, "SOUTH")
        assert south["audits"]["completed"] == 3
        ashford = next(
            b for b in south["breakdown"] if b["unit"] == {"code": "ASHFORD", "kind": "district"}
        )
        assert ashford["audits"]["completed"] == 3
        assert (await deep_dive(raw, "WEST"))["audits"]["completed"] == 0

        # reports:read sees small counts suppressed; another tenant sees none of it.
        hidden = await deep_dive(suppressed)
        assert hidden["suppression"]["applied"] is True
        assert (
            hidden["audits"]["completed"] == "c" and hidden["audits"]["good_or_better_pct"] == "c"
        )
        assert (await deep_dive(medway))["audits"]["completed"] == 0

        status = (await reports.get("/v1/status", headers=raw)).json()
        assert status["topics"]["qa.audit.events.v1"]["applied"] == 2 * len(
            grades
        )  # scheduled + submitted
        assert status["dead_letters"] == 0


async def test_the_deep_dive_refuses_bad_quarters_and_units(
    make_database: DatabaseFactory, topic_prefix: str, token: Callable[..., str]
) -> None:
    settings = ReportingSettings(
        database_url=await make_database("reporting_service"), kafka_topic_prefix=topic_prefix
    )
    headers = auth(token("reports:read"))
    async with serve(create_reporting_app(settings, consume=False)) as reports:
        assert (await reports.get("/v1/deep-dives/2026Q1", headers=headers)).status_code == 404
        bad_unit = await reports.get(
            "/v1/deep-dives/FY2026Q1", params={"unit": "ASHFORD"}, headers=headers
        )
        assert bad_unit.status_code == 422
        assert bad_unit.json()["errors"][0]["field"] == "query.unit"
        assert (
            await reports.get("/v1/deep-dives/FY2026Q1", headers=auth(token("audits:read")))
        ).status_code == 403
        assert (await reports.get("/v1/deep-dives/FY2026Q1")).status_code == 401
