"""Conference feedback without its (optional) `conference_type`, end to end: POSTed to
feedback-service, through the real outbox relay, Kafka broker and consumer, it counts in
reporting-service's Deep Dive by source and in the conference question means like any
other item."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from feedback_service.main import create_app as create_feedback_app
from feedback_service.settings import FeedbackSettings
from qaf_shared.quarters import quarter_of
from qaf_shared.testing.fixtures import DatabaseFactory, TopicsFactory, auth, eventually, serve
from reporting_service.main import create_app as create_reporting_app
from reporting_service.settings import ReportingSettings


async def test_conference_feedback_without_a_conference_type_counts_in_the_deep_dive(
    make_database: DatabaseFactory, make_topics: TopicsFactory, token: Callable[..., str]
) -> None:
    topic_prefix = await make_topics()  # topics of its own: the counts are exact
    feedback_settings = FeedbackSettings(
        database_url=await make_database("feedback_service"),
        kafka_topic_prefix=topic_prefix,
        relay_poll_interval_s=0.2,
    )
    reporting_settings = ReportingSettings(
        database_url=await make_database("reporting_service"),
        kafka_topic_prefix=topic_prefix,
        consumer_group=f"conference-{uuid.uuid4().hex[:8]}",
    )
    writer = auth(token("feedback:write"))
    raw = auth(token("reports:read_unsuppressed"))
    received_on = date.today()
    quarter = quarter_of(received_on)
    base = {
        "source": "CP_CONFERENCE",
        "respondent": "PARENT",
        "team": "ASH-CP1",
        "received_on": received_on.isoformat(),
    }
    items = [
        # The contract's commonest write: no conference_type.
        {**base, "answers": {"felt_listened_to": 5, "understood_plan": 2}},
        {**base, "answers": {"felt_listened_to": 2}},
        {**base, "conference_type": "REVIEW", "answers": {"felt_listened_to": 4}},
    ]

    async with (
        serve(create_feedback_app(feedback_settings)) as feedback,
        serve(create_reporting_app(reporting_settings)) as reports,
    ):
        for item in items:
            created = await feedback.post("/v1/feedback", json=item, headers=writer)
            assert created.status_code == 201, created.text

        async def deep_dive() -> dict[str, Any]:
            response = await reports.get(f"/v1/deep-dives/{quarter}", headers=raw)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()["feedback"]
            return body

        async def counted() -> bool:
            conference: int | None = (await deep_dive())["by_source"].get("CP_CONFERENCE")
            return conference == len(items)

        await eventually(counted)
        figures = await deep_dive()
        assert figures["conference_question_means"] == {
            "felt_listened_to": round((5 + 2 + 4) / 3, 1),
            "understood_plan": 2.0,
        }
        status = (await reports.get("/v1/status", headers=raw)).json()
        assert status["topics"]["qa.feedback.events.v1"]["applied"] == len(items)
        assert status["dead_letters"] == 0
