"""Publish outbox rows to Kafka, in order, and mark them only once the broker has them: the
claim marks them, and the mark commits only after every acknowledgement.

One relay per service publishes at a time: it holds a session-level advisory lock on a
dedicated connection, so with several replicas the others wait as hot standbys and the
order per aggregate holds. The relay is woken by NOTIFY (the outbox insert trigger) and
polls as a fallback in case a notification is missed (e.g. across a reconnect).

Delivery is at least once: if the process dies after the broker acknowledged a batch but
before the mark committed, the batch is published again on restart with the same event
ids, and consumers dedupe by id.

A record's value is the event's JSON text as PostgreSQL gives its `payload` (`payload::text`:
its keys in jsonb's order, a space after each `:` and `,`), what a change-data-capture
outbox router would publish for the row too; the headers' attributes are read from the row
by PostgreSQL. The relay never decodes an event: decoding each claimed event into Python
objects and encoding it again was the largest part of its work per event (docs/architecture.md,
Events)."""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import asyncpg
from aiokafka import AIOKafkaProducer
from opentelemetry.trace import Span, SpanKind, Tracer
from prometheus_client import Counter, Gauge

from qaf_shared.database import SslOption, connect, create_pool, database_ssl
from qaf_shared.events.catalogue import spec_for
from qaf_shared.events.envelope import kafka_headers
from qaf_shared.kafka import PartitionBatches, failure_reason, idempotent_producer
from qaf_shared.logging import configure_logging, get_logger
from qaf_shared.restarts import run_forever
from qaf_shared.settings import ServiceSettings
from qaf_shared.tracing import end_spans, parent_of, start_tracing, tracer_of

if TYPE_CHECKING:  # the relay also runs on its own, without the web stack
    from fastapi import FastAPI

NOTIFY_CHANNEL = "outbox"

log = get_logger(__name__)

PUBLISHED = Counter("qa_outbox_published_total", "Outbox events published to Kafka", ["service"])
BACKLOG = Gauge("qa_outbox_backlog", "Outbox rows not yet published", ["service"])
OLDEST_AGE = Gauge(
    "qa_outbox_oldest_unpublished_seconds", "Age of the oldest unpublished row", ["service"]
)

# The oldest unpublished rows, marked published in the same statement, in `seq` order: the
# mark commits only once the broker has acknowledged every one of them (`publish_batch`), and
# a failure, or a relay dying before the commit, rolls it back. Until then the rows are
# locked, so no other relay takes them. One round trip where a claim and a mark after the
# sends were two. `value`: the record's value, the event's text as bytes; `id`, `type`,
# `source`, `traceparent` and `tracestate`: its attributes, for its headers (`kafka_headers`).
_CLAIM = """
WITH claimed AS (
    UPDATE outbox SET published_at = now()
    WHERE seq IN (
        SELECT seq FROM outbox WHERE published_at IS NULL
        ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED
    )
    RETURNING seq, aggregateid, type, convert_to(payload::text, 'UTF8') AS value,
        payload->>'id' AS id, payload->>'source' AS source,
        payload->>'traceparent' AS traceparent, payload->>'tracestate' AS tracestate
)
SELECT * FROM claimed ORDER BY seq
"""
_BACKLOG = """
SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)
FROM outbox WHERE published_at IS NULL
"""


# A partition's share of a claim (500 events of about 1 KiB over 6 partitions) in one Kafka
# batch, where aiokafka's default of 16 KiB made a dozen, each waiting for the one before
# it to be acknowledged. Well under a topic's largest batch (`max.message.bytes`, 1 MiB by
# default) and the consumers' fetch size per partition.
BATCH_BYTES = 256 * 1024


def lock_key(service_name: str) -> int:
    """A stable advisory-lock key per service (crc32 fits PostgreSQL's bigint key)."""
    return zlib.crc32(f"outbox-relay:{service_name}".encode())


class OutboxRelay:
    def __init__(
        self,
        *,
        service_name: str,
        dsn: str,
        ssl: SslOption = None,
        pool: asyncpg.Pool,
        producer_factory: Callable[[], AIOKafkaProducer],
        topic_name: Callable[[str], str],
        batch_size: int = 500,
        poll_interval_s: float = 1.0,
        tracer: Tracer | None = None,
    ) -> None:
        """`tracer`: a publish span per traced event, child of the context it was written in
        (none when None)."""
        self._service = service_name
        self._dsn = dsn
        self._ssl = ssl
        self._pool = pool
        self._producer_factory = producer_factory
        self._topic_name = topic_name
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._tracer = tracer
        self._wake = asyncio.Event()
        # Why the last attempt to publish failed, until one succeeds: `/readyz` shows it.
        self.failure: str | None = None

    @classmethod
    def from_settings(
        cls, settings: ServiceSettings, pool: asyncpg.Pool, tracer: Tracer | None = None
    ) -> OutboxRelay:
        """The one way a service's relay is built: in its app or on its own."""
        return cls(
            service_name=settings.service_name,
            dsn=settings.database_url.get_secret_value(),
            ssl=database_ssl(settings),
            pool=pool,
            producer_factory=lambda: idempotent_producer(settings, max_batch_size=BATCH_BYTES),
            topic_name=settings.topic,
            batch_size=settings.relay_batch_size,
            poll_interval_s=settings.relay_poll_interval_s,
            tracer=tracer,
        )

    async def run_forever(self) -> None:
        """Lead when the lock is free, publish until cancelled; recover from any failure."""

        def failed(exc: Exception) -> None:
            self.failure = failure_reason(exc)

        await run_forever(
            self._lead, "outbox_relay_failed", on_failure=failed, service=self._service
        )

    async def _lead(self) -> None:
        lock_conn = await connect(self._dsn, ssl=self._ssl)
        producer: AIOKafkaProducer | None = None
        try:
            while not await lock_conn.fetchval(
                "SELECT pg_try_advisory_lock($1)", lock_key(self._service)
            ):
                await asyncio.sleep(self._poll_interval_s)
            log.info("outbox_relay_leading", service=self._service)
            await lock_conn.add_listener(NOTIFY_CHANNEL, self._on_notify)
            producer = self._producer_factory()
            await producer.start()
            backlog_at = 0.0
            loop = asyncio.get_running_loop()
            while True:
                published = await self.publish_batch(producer)
                self.failure = None
                if published < self._batch_size:
                    # At most once a poll interval: under a steady stream of writes the relay
                    # comes here after nearly every batch, and the count is a round trip
                    # that only a metric reads.
                    if loop.time() - backlog_at >= self._poll_interval_s:
                        await self._update_backlog()
                        backlog_at = loop.time()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self._poll_interval_s)
                    self._wake.clear()
                    # The lock lives on this connection; if it dropped, so did our leadership.
                    if lock_conn.is_closed():
                        raise ConnectionError("advisory lock connection lost")
        finally:
            if producer is not None:
                # A wedged idempotent producer (e.g. OutOfOrderSequenceNumber) is replaced, never reused.
                with contextlib.suppress(Exception):
                    await producer.stop()
            with contextlib.suppress(Exception):
                await lock_conn.close()

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def publish_batch(self, producer: AIOKafkaProducer) -> int:
        """Claim the oldest unpublished rows and mark them published (`_CLAIM`), publish them
        (a Kafka batch per partition at a time, `PartitionBatches`), wait for every ack, and
        only then commit the mark. The rows stay locked until it commits, so no other relay
        can take them; a failure rolls the mark back."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(_CLAIM, self._batch_size)
            if not rows:
                return 0
            batches = PartitionBatches(producer)
            spans: list[Span] = []
            # A claim holds a few types of event: each one's topic named once.
            topics: dict[str, str] = {}
            try:
                for row in rows:
                    # The event as the outbox holds it, never decoded: its text and the
                    # attributes its headers name.
                    topic = topics.get(row["type"])
                    if topic is None:
                        topic = topics[row["type"]] = self._topic_name(spec_for(row["type"]).topic)
                    if self._tracer is not None:
                        self._publish_span(row, topic, spans)
                    batches.add(
                        topic, row["aggregateid"].encode(), row["value"], kafka_headers(row)
                    )
                # The mark commits only once the broker has acknowledged every batch.
                await batches.send()
            except BaseException as exc:
                end_spans(spans, exc)
                raise
            end_spans(spans)
        PUBLISHED.labels(self._service).inc(len(rows))
        return len(rows)

    def _publish_span(self, event: asyncpg.Record, topic: str, spans: list[Span]) -> None:
        """A PRODUCER span, from the send to the broker's acknowledgement, under the context
        the event was written in; none for an event written outside a trace."""
        assert self._tracer is not None
        parent = parent_of(event)
        if parent is None:
            return
        spans.append(
            self._tracer.start_span(
                f"publish {topic}",
                context=parent,
                kind=SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.operation.type": "send",
                    "messaging.destination.name": topic,
                    "messaging.message.id": str(event["id"]),
                    "cloudevents.event_type": str(event["type"]),
                },
            )
        )

    async def _update_backlog(self) -> None:
        count, age = await self._pool.fetchrow(_BACKLOG)
        BACKLOG.labels(self._service).set(count)
        OLDEST_AGE.labels(self._service).set(float(age))


def outbox_relay_worker(app: FastAPI) -> Coroutine[Any, Any, None]:
    """A write service's relay as one of its app's workers, over the app's pool (kept on
    `app.state.relay`, whose failure `/readyz` reports)."""
    relay = OutboxRelay.from_settings(app.state.settings, app.state.pool, app.state.tracer)
    app.state.relay = relay
    return relay.run_forever()


async def _main() -> None:
    """`python -m qaf_shared.outbox.relay`: run a relay on its own, from QA_* settings."""
    settings = ServiceSettings()
    configure_logging(settings.log_level)
    pool = await create_pool(
        settings.database_url.get_secret_value(), size=2, ssl=database_ssl(settings)
    )
    provider = start_tracing(settings)
    try:
        await OutboxRelay.from_settings(settings, pool, tracer_of(provider)).run_forever()
    finally:
        if provider is not None:
            provider.shutdown()


if __name__ == "__main__":
    asyncio.run(_main())
