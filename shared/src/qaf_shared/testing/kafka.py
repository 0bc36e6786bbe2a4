"""The real broker, as the services' tests use it: records put on a topic as a producer would
put them, events as the relay publishes them, and a topic read back to its end."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import NamedTuple

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from qaf_shared import jsonutil
from qaf_shared.events.catalogue import spec_for
from qaf_shared.events.envelope import CloudEvent, kafka_headers, kafka_value
from qaf_shared.kafka import client_options
from qaf_shared.settings import ServiceSettings
from qaf_shared.testing.fixtures import KAFKA_SETTINGS


class Record(NamedTuple):
    """A record as it goes on the broker."""

    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]] | None = None


async def produce(records: Iterable[Record], *, settings: ServiceSettings = KAFKA_SETTINGS) -> None:
    """Send every record, in order, and wait until the broker `settings` reach has them all."""
    producer = AIOKafkaProducer(**client_options(settings), enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        for topic, key, value, headers in records:
            await producer.send(topic, key=key, value=value, headers=headers)
        await producer.flush()
    finally:
        await producer.stop()


def as_published(prefix: str, event: CloudEvent) -> Record:
    """The record the relay makes of `event`: on its type's topic (under `prefix`), keyed by
    its subject, with the CloudEvents headers."""
    body = event.to_json()
    topic = prefix + spec_for(event.type).topic
    return Record(topic, event.subject.encode(), kafka_value(body), kafka_headers(body))


async def publish(prefix: str, events: Iterable[CloudEvent]) -> None:
    """Put `events` on their topics under `prefix`, in order, as the relay would."""
    await produce(as_published(prefix, event) for event in events)


async def read_topic(
    topic: str,
    expected: int,
    *,
    timeout: float = 20.0,
    linger: float = 0.5,
    settings: ServiceSettings = KAFKA_SETTINGS,
) -> list[tuple[bytes, CloudEvent]]:
    """Every record on `topic` (key and event) until `expected` came or `timeout` seconds
    passed, then whatever arrives within `linger` seconds more: a duplicate would arrive then."""
    consumer = AIOKafkaConsumer(
        topic,
        **client_options(settings),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[tuple[bytes, CloudEvent]] = []

    async def poll(timeout_ms: int) -> None:
        for batch in (await consumer.getmany(timeout_ms=timeout_ms)).values():
            records.extend(
                (r.key, CloudEvent.model_validate(jsonutil.loads(r.value))) for r in batch
            )

    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(records) < expected and loop.time() < deadline:
            await poll(200)
        await poll(int(linger * 1000))
    finally:
        await consumer.stop()
    return records
