"""reporting-service's consumer: the shared loop over the three domain topics."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI

from qaf_shared.consumer import EventConsumer
from qaf_shared.events.catalogue import DLQ_TOPIC, DOMAIN_TOPICS
from qaf_shared.kafka import idempotent_producer
from reporting_service import projections
from reporting_service.settings import ReportingSettings


def build_consumer(settings: ReportingSettings, pool: asyncpg.Pool) -> EventConsumer:
    prefix = settings.kafka_topic_prefix

    def consumer_factory() -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            *(settings.topic(t) for t in DOMAIN_TOPICS),
            bootstrap_servers=settings.kafka_bootstrap_servers,
            group_id=settings.consumer_group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=settings.consumer_fetch_max_wait_ms,
            max_partition_fetch_bytes=4 * 1024 * 1024,
        )

    return EventConsumer(
        pool=pool,
        consumer_factory=consumer_factory,
        producer_factory=lambda: idempotent_producer(settings.kafka_bootstrap_servers),
        apply=projections.apply,
        dlq_topic=settings.topic(DLQ_TOPIC),
        logical_topic=lambda t: t.removeprefix(prefix),
        max_records=settings.consumer_max_records,
    )


def consumer_worker(app: FastAPI) -> Coroutine[Any, Any, None]:
    consumer = build_consumer(app.state.settings, app.state.pool)
    app.state.consumer = consumer
    return consumer.run_forever()
