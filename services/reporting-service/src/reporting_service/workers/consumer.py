"""reporting-service's live consumer: the shared loop over the three domain topics, into the
active projection generation."""

from __future__ import annotations

from functools import partial
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI

from qaf_shared.clock import BusinessClock
from qaf_shared.consumer import EventConsumer
from qaf_shared.events.catalogue import DLQ_TOPIC, DOMAIN_TOPICS
from qaf_shared.kafka import client_options, idempotent_producer
from reporting_service import projections
from reporting_service.repository import generations
from reporting_service.settings import ReportingSettings


async def live_schema(conn: asyncpg.Connection) -> str:
    # FOR SHARE: a rebuild's switch waits for this batch, and this batch for the switch.
    return await generations.active_schema(conn, share_lock=True)


def build_consumer(
    settings: ReportingSettings, pool: asyncpg.Pool, clock: BusinessClock, **overrides: Any
) -> EventConsumer:
    """The live consumer, applying by the app's business `clock`."""
    prefix = settings.kafka_topic_prefix

    def consumer_factory() -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            *(settings.topic(t) for t in DOMAIN_TOPICS),
            **client_options(settings),
            group_id=settings.consumer_group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=settings.consumer_fetch_max_wait_ms,
            max_partition_fetch_bytes=4 * 1024 * 1024,
        )

    options: dict[str, Any] = {
        "pool": pool,
        "consumer_factory": consumer_factory,
        "producer_factory": lambda: idempotent_producer(settings),
        "apply": partial(projections.apply, clock=clock),
        "dlq_topic": settings.topic(DLQ_TOPIC),
        "logical_topic": lambda t: t.removeprefix(prefix),
        "max_records": settings.consumer_max_records,
        "parallel": settings.consumer_parallelism,
        "pipelined": settings.consumer_pipelined and settings.consumer_parallelism == 1,
        "group_by": projections.fact_of,
        "schema_for_batch": live_schema,
    }
    options.update(overrides)
    return EventConsumer(**options)


async def consumer_worker(app: FastAPI) -> None:
    consumer = build_consumer(
        app.state.settings, app.state.pool, app.state.clock, tracer=app.state.tracer
    )
    app.state.consumer = consumer
    await consumer.run_forever()
