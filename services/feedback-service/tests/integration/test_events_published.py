"""Every record and change reaches Kafka: the service with its relay, a database and topics of
its own, the real broker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from feedback_service.main import create_app
from feedback_service.settings import FeedbackSettings
from qaf_shared.events.catalogue import FEEDBACK_TOPIC, spec_for
from qaf_shared.quarters import previous_quarter, quarter_of
from qaf_shared.testing.fixtures import DatabaseFactory, TopicsFactory, auth, serve
from qaf_shared.testing.kafka import read_topic

TODAY = date.today()
EARLIER = TODAY - timedelta(days=30)


async def test_each_record_and_change_is_published_once_with_a_valid_payload(
    make_database: DatabaseFactory, make_topics: TopicsFactory, token: Callable[..., str]
) -> None:
    prefix = await make_topics()
    settings = FeedbackSettings(
        database_url=await make_database("feedback_service"),
        kafka_topic_prefix=prefix,
        relay_poll_interval_s=0.2,
    )
    staff = auth(token("feedback:write"))
    provider = auth(token("provider:submit", provider="brighter-futures"), actor=None)
    async with serve(create_app(settings)) as client:
        posts = [
            (
                "/v1/feedback",
                {
                    "source": "PARTNER",
                    "partner_type": "POLICE",
                    "team": "ASH-CP1",
                    "received_on": TODAY.isoformat(),
                    "comment": "secret words",
                },
                staff,
            ),
            (
                "/v1/participation",
                {
                    "case_ref": "CIC-1",
                    "team": "ASH-CP1",
                    "review_due": TODAY.isoformat(),
                    "review_held": TODAY.isoformat(),
                    "pn_code": "PN3",
                },
                staff,
            ),
            (
                "/v1/provider/feedback",
                {
                    "items": [
                        {
                            "external_id": f"e-{n}",
                            "source": "ADVOCACY",
                            "service": "LEAVING_CARE",
                            "received_on": TODAY.isoformat(),
                        }
                        for n in range(3)
                    ]
                },
                provider,
            ),
            (
                "/v1/provider/reports",
                {
                    "quarter": previous_quarter(quarter_of(TODAY)),
                    "referrals_received": 3,
                    "children_advocated_for": 2,
                    "outcomes_achieved": 1,
                    "iv_matched": 1,
                    "iv_waiting": 0,
                },
                provider,
            ),
        ]
        for path, body, headers in posts:
            response = await client.post(path, json=body, headers=headers)
            assert response.status_code in (200, 201), response.text
        complaint = await client.post(
            "/v1/complaints",
            json={
                "team": "ASH-CP1",
                "received_on": EARLIER.isoformat(),
                "complainant_role": "CHILD",
                "categories": ["PLACEMENT"],
            },
            headers=staff,
        )
        complaint_id = complaint.json()["id"]
        for step, body in [
            ("outcome", {"stage": "STAGE1", "outcome": "UPHELD", "decided_on": TODAY.isoformat()}),
            ("close", {"closed_on": TODAY.isoformat()}),
        ]:
            response = await client.post(
                f"/v1/complaints/{complaint_id}/{step}", json=body, headers=staff
            )
            assert response.status_code == 200, response.text

        records = await read_topic(prefix + FEEDBACK_TOPIC, expected=9)

    for key, event in records:
        assert key == event.subject.encode()
    events = [event for _, event in records]

    kinds = sorted(e.type.removeprefix("uk.gov.qa.feedback.").removesuffix(".v1") for e in events)
    assert kinds == sorted(
        [
            "received",
            "participation_recorded",
            *["received"] * 3,
            "provider_report_received",
            "complaint_opened",
            "complaint_stage_changed",
            "complaint_closed",
        ]
    )
    assert len({e.id for e in events}) == len(events) == 9
    for event in events:
        spec_for(event.type).payload.model_validate(event.data)  # reporting can read it
        assert event.tenant == "886" and event.source == "/services/feedback-service"
    assert "secret words" not in str([e.data for e in events])
    complaint_events = [e for e in events if e.subject == complaint_id]
    assert [e.type.split(".")[-2] for e in complaint_events] == [
        "complaint_opened",
        "complaint_stage_changed",
        "complaint_closed",
    ]
