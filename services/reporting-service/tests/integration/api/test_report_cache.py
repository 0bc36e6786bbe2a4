"""Cached reports: a report answers from the cache while nothing new is applied, and shows
what the consumer applies next, against real Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import date

from aiokafka import AIOKafkaProducer

from qaf_shared.enums import Grade, PlanType
from qaf_shared.events.audit import AuditSubmitted
from qaf_shared.events.catalogue import AUDIT_TOPIC
from qaf_shared.events.envelope import kafka_value, new_event
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.testing.fixtures import (
    KAFKA,
    DatabaseFactory,
    TopicsFactory,
    auth,
    eventually,
    serve,
)
from reporting_service.main import create_app
from reporting_service.settings import ReportingSettings

TENANT = "886"


async def submit_audits(topic: str, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA, enable_idempotence=True)
    await producer.start()
    try:
        for _ in range(count):
            audit_id = uuid.uuid4()
            event = new_event(
                type="uk.gov.qa.audit.submitted.v1",
                source="/test",
                tenant=TENANT,
                subject=str(audit_id),
                data=AuditSubmitted(
                    audit_id=audit_id,
                    org_unit=OrgUnitRef(area="SOUTH", district="ASHFORD", team="ASH-CP1"),
                    plan_type=PlanType.CIN,
                    submitted_on=date(2025, 5, 1),
                    overall_grade=Grade.GOOD,
                    final_grade=Grade.GOOD,
                    child_voice_evident=True,
                ),
            )
            await producer.send(
                topic, key=event.subject.encode(), value=kafka_value(event.to_json())
            )
        await producer.flush()
    finally:
        await producer.stop()


async def test_a_cached_report_shows_events_applied_after_it_was_built(
    make_database: DatabaseFactory, make_topics: TopicsFactory, token: Callable[..., str]
) -> None:
    prefix = await make_topics()
    settings = ReportingSettings(
        database_url=await make_database("reporting_service"),
        kafka_topic_prefix=prefix,
        consumer_group=f"cache-{uuid.uuid4().hex[:8]}",
    )
    headers = auth(token("reports:read_unsuppressed", tenant=TENANT))
    async with serve(create_app(settings)) as client:

        async def completed() -> int:
            response = await client.get("/v1/deep-dives/FY2025Q1", headers=headers)
            assert response.status_code == 200
            return int(response.json()["audits"]["completed"])

        async def shows_three() -> bool:
            return await completed() == 3

        async def shows_five() -> bool:
            return await completed() == 5

        await submit_audits(prefix + AUDIT_TOPIC, 3)
        await eventually(shows_three)
        # Nothing new: the same answer, many times over, concurrently.
        answers = await asyncio.gather(*(completed() for _ in range(20)))
        assert set(answers) == {3}
        await submit_audits(prefix + AUDIT_TOPIC, 2)
        await eventually(shows_five)
