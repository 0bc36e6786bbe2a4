"""Every record written, corrected and withdrawn reaches Kafka through the relay: the service
with a database and topics of its own, the real broker."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer
from pydantic import SecretStr

from activity_service.main import create_app
from activity_service.settings import ActivitySettings
from qaf_shared import jsonutil
from qaf_shared.events.catalogue import ACTIVITY_TOPIC, spec_for
from qaf_shared.events.envelope import CloudEvent
from qaf_shared.testing.fixtures import KAFKA, DatabaseFactory, TopicsFactory, auth, serve


async def read_topic(topic: str, expected: int, timeout: float = 20.0) -> list[CloudEvent]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=KAFKA, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    events: list[CloudEvent] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(events) < expected and asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    event = CloudEvent.model_validate(jsonutil.loads(record.value))
                    assert record.key == event.subject.encode()
                    events.append(event)
        # Anything more (a duplicate, an event for the unchanged batch) would arrive now.
        for records in (await consumer.getmany(timeout_ms=500)).values():
            events.extend(CloudEvent.model_validate(jsonutil.loads(r.value)) for r in records)
    finally:
        await consumer.stop()
    return events


async def test_records_their_corrections_and_withdrawals_are_published_once_without_child_ref(
    make_database: DatabaseFactory, make_topics: TopicsFactory, token: Callable[..., str]
) -> None:
    prefix = await make_topics()
    settings = ActivitySettings(
        database_url=await make_database("activity_service"),
        kafka_topic_prefix=prefix,
        relay_poll_interval_s=0.2,
        child_key_secret=SecretStr("events-test-child-key-secret-32-bytes"),
    )
    writer = auth(token("activity:write"))
    later = {"kind": "referral", "child_ref": "KAFKA-CHILD-1", "referral_date": "2025-06-01",
             "team": "ASH-CIN1", "referral_source": "6"}  # fmt: skip
    plan = {"kind": "cp_plan", "child_ref": "KAFKA-CHILD-1", "start_date": "2025-06-20",
            "initial_category": "NEG"}  # fmt: skip
    earlier = {"kind": "referral", "child_ref": "KAFKA-CHILD-1", "referral_date": "2025-02-01"}
    async with serve(create_app(settings)) as client:
        for body in (
            {"records": [later, plan]},
            {"records": [later, plan]},  # unchanged: publishes nothing
            {"records": [earlier]},  # makes `later` a re-referral
        ):
            response = await client.post("/v1/activity", json=body, headers=writer)
            assert response.status_code == 200, response.text
        withdrawn = await client.post(
            "/v1/activity/withdrawals",
            json={"records": [{k: earlier[k] for k in ("kind", "child_ref", "referral_date")}]},
            headers=writer,
        )
        assert withdrawn.json()["results"][0]["status"] == "WITHDRAWN"
        events = await read_topic(prefix + ACTIVITY_TOPIC, expected=6)

    types = [e.type.removeprefix("uk.gov.qa.activity.").removesuffix(".v1") for e in events]
    assert sorted(types) == sorted(
        [
            "referral.recorded",  # later
            "cp_plan.recorded",
            "referral.recorded",  # earlier
            "referral.recorded",  # later, now a re-referral
            "referral.withdrawn",  # earlier
            "referral.recorded",  # later, a re-referral no more
        ]
    )
    assert len({e.id for e in events}) == 6
    for event in events:
        spec_for(event.type).payload.model_validate(event.data)  # reporting can read it
        assert event.tenant == "886" and event.source == "/services/activity-service"
        assert "KAFKA-CHILD-1" not in jsonutil.dumps(event.to_json())
    assert len({e.data["child_key"] for e in events}) == 1
    later_events = [e.data for e in events if e.data.get("referral_date") == "2025-06-01"]
    assert [(e["version"], e["re_referral_12m"]) for e in later_events] == [
        (1, False),
        (2, True),
        (3, False),
    ]
    assert later_events[0]["org_unit"] == {
        "area": "SOUTH",
        "district": "ASHFORD",
        "team": "ASH-CIN1",
    }
