"""The outbox and its relay, against real PostgreSQL and Kafka, with the relay run as a real
subprocess that is SIGKILLed."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner

from qaf_shared import jsonutil
from qaf_shared.database import connect, create_pool
from qaf_shared.enums import Grade, PlanType
from qaf_shared.events.audit import AuditSubmitted
from qaf_shared.events.catalogue import AUDIT_TOPIC
from qaf_shared.events.envelope import CloudEvent, new_event
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.kafka import idempotent_producer
from qaf_shared.outbox import add_events
from qaf_shared.outbox.relay import OutboxRelay
from qaf_shared.testing.fixtures import (
    KAFKA,
    KAFKA_SETTINGS,
    DatabaseFactory,
    TopicsFactory,
    eventually,
    owner_dsn,
    serve,
)
from qaf_shared.testing.processes import start_relay
from reporting_service.main import create_app as create_reporting_app
from reporting_service.settings import ReportingSettings

UNIT = OrgUnitRef(area="EAST", district="THANET", team="THA-CP1")


def submitted(audit_id: uuid.UUID, number: int, tenant: str = "886") -> CloudEvent:
    payload = AuditSubmitted(
        audit_id=audit_id,
        org_unit=UNIT,
        plan_type=PlanType.CP,
        submitted_on=date(2026, 5, 1),
        overall_grade=Grade.GOOD,
        final_grade=Grade.GOOD,
        child_voice_evident=True,
        submission_number=number,
    )
    return new_event(
        type="uk.gov.qa.audit.submitted.v1",
        source="/test",
        tenant=tenant,
        subject=str(audit_id),
        data=payload,
    )


async def write(dsn: str, events: Sequence[CloudEvent]) -> None:
    conn = await connect(dsn)
    try:
        async with conn.transaction():
            await add_events(conn, events)
    finally:
        await conn.close()


async def read_topic(
    topic: str, expected: int, timeout: float = 20.0
) -> list[tuple[bytes, CloudEvent]]:
    """Everything on a topic from the start, until `expected` records arrived (or timeout)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=KAFKA, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list[tuple[bytes, CloudEvent]] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(records) < expected and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for tp_records in batch.values():
                records.extend(
                    (r.key, CloudEvent.model_validate(jsonutil.loads(r.value))) for r in tp_records
                )
        # Anything more (a duplicate) would arrive now.
        for tp_records in (await consumer.getmany(timeout_ms=500)).values():
            records.extend(
                (r.key, CloudEvent.model_validate(jsonutil.loads(r.value))) for r in tp_records
            )
    finally:
        await consumer.stop()
    return records


def relay_env(dsn: str, prefix: str, name: str) -> dict[str, str]:
    return {
        "QA_DATABASE_URL": dsn,
        "QA_KAFKA_TOPIC_PREFIX": prefix,
        "QA_SERVICE_NAME": name,
        "QA_RELAY_POLL_INTERVAL_S": "0.2",
    }


@pytest.fixture
def unique_prefix(topic_prefix: str) -> str:
    return topic_prefix


async def test_a_rolled_back_write_publishes_nothing(
    make_database: DatabaseFactory, topic_prefix: str
) -> None:
    dsn = await make_database("audit_service")
    conn = await connect(dsn)
    event = submitted(uuid.uuid4(), 1)
    with pytest.raises(RuntimeError):
        async with conn.transaction():
            await add_events(conn, [event])
            raise RuntimeError("the domain write failed")
    assert await conn.fetchval("SELECT count(*) FROM outbox") == 0
    await conn.close()
    topic = topic_prefix + AUDIT_TOPIC
    before = len(await read_topic(topic, expected=10**6, timeout=1))
    relay = start_relay("relay-rollback", relay_env(dsn, topic_prefix, f"rb-{uuid.uuid4().hex}"))
    try:
        marker = submitted(uuid.uuid4(), 1)
        await write(dsn, [marker])  # something that is published, to know the relay ran
        # Until the marker is there (a relay started on a busy machine takes seconds).
        seen = await read_topic(topic, expected=before + 1, timeout=30)
        ids = {e.id for _, e in seen}
        assert marker.id in ids and event.id not in ids
    finally:
        relay.kill()


async def test_the_relay_publishes_each_event_with_its_cloudevents_headers(
    make_database: DatabaseFactory, topic_prefix: str
) -> None:
    dsn = await make_database("audit_service")
    events = [submitted(uuid.uuid4(), 1) for _ in range(3)]
    await write(dsn, events)
    relay = start_relay("relay-headers", relay_env(dsn, topic_prefix, f"h-{uuid.uuid4().hex}"))
    try:
        headers = {
            CloudEvent.model_validate(jsonutil.loads(r.value)).subject: dict(r.headers)
            for r in await records_on(topic_prefix, len(events))
        }
    finally:
        relay.kill()
    for event in events:
        assert headers[event.subject] == {
            "content-type": b"application/cloudevents+json",
            "ce_id": str(event.id).encode(),
            "ce_type": b"uk.gov.qa.audit.submitted.v1",
            "ce_source": b"/test",
        }


async def test_outbox_writes_refuse_to_run_outside_a_transaction(
    make_database: DatabaseFactory,
) -> None:
    conn = await connect(await make_database("audit_service"))
    with pytest.raises(RuntimeError):
        await add_events(conn, [submitted(uuid.uuid4(), 1)])
    await conn.close()


async def test_a_relay_killed_between_publishing_and_committing_its_mark_publishes_again_and_reporting_counts_once(
    make_database: DatabaseFactory, topic_prefix: str
) -> None:
    dsn = await make_database("audit_service")
    tenant = f"relay-{uuid.uuid4().hex[:8]}"  # counts of its own on the shared topics
    events = [submitted(uuid.uuid4(), 1, tenant) for _ in range(20)]
    await write(dsn, events)
    topic = topic_prefix + AUDIT_TOPIC
    before = len(await read_topic(topic, expected=10**6, timeout=1))

    # Hold the relay's commit: its claim marks the rows published, and a deferred trigger
    # makes the commit wait for an advisory lock the test holds, so the relay publishes every
    # event and cannot commit the mark. Then kill it right there. Its session, left waiting
    # in the commit, fails it once let go (a deferred trigger runs before the commit is
    # written), as a relay dying there leaves it.
    blocker = await asyncpg.connect(owner_dsn(dsn))
    await blocker.execute(
        """
        CREATE FUNCTION hold_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(18);
            RAISE EXCEPTION 'the relay died before its commit';
        END $$;
        CREATE CONSTRAINT TRIGGER hold_commit AFTER UPDATE ON outbox
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION hold_commit();
        SELECT pg_advisory_lock(18);
        """
    )
    name = f"kill-{uuid.uuid4().hex}"
    relay = start_relay("relay-killed", relay_env(dsn, topic_prefix, name))
    try:
        published = await read_topic(topic, expected=before + len(events))
        assert {e.id for e in events} <= {e.id for _, e in published}
    finally:
        relay.kill()
        await blocker.execute("SELECT pg_advisory_unlock(18)")
        # Waits for the killed relay's transaction to end (it holds the outbox's rows).
        await blocker.execute("DROP TRIGGER hold_commit ON outbox")
        await blocker.close()
    conn = await connect(dsn)
    assert await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == len(
        events
    )

    restarted = start_relay("relay-restarted", relay_env(dsn, topic_prefix, name))
    try:

        async def all_marked() -> bool:
            return (
                await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
            )

        await eventually(all_marked)
    finally:
        restarted.kill()
        await conn.close()
    records = await read_topic(topic, expected=before + 2 * len(events))
    ours = [e for _, e in records if e.id in {x.id for x in events}]
    assert len(ours) == 2 * len(
        events
    )  # every event went out twice: at least once, not exactly once

    # The consumer dedupes by event id: each audit counts once.
    settings = ReportingSettings(
        database_url=await make_database("reporting_service"),
        kafka_topic_prefix=topic_prefix,
        consumer_group=f"g-{uuid.uuid4().hex}",
    )
    async with serve(create_reporting_app(settings)):
        pool = await create_pool(settings.database_url.get_secret_value(), size=1)

        async def all_processed() -> bool:
            done = await pool.fetchval(
                "SELECT count(*) FROM gen_0.processed_events WHERE event_id = ANY($1::uuid[])",
                [e.id for e in events],
            )
            return bool(done == len(events))

        await eventually(all_processed)
        completed = await pool.fetchval(
            "SELECT sum(value) FROM gen_0.counts WHERE tenant = $1 AND grain = 'q'"
            " AND unit_kind = 'tenant' AND measure = 'audits.completed'",
            tenant,
        )
        assert completed == len(events)
        await pool.close()


async def test_two_relays_publish_each_event_once_and_in_order_per_aggregate(
    make_database: DatabaseFactory, topic_prefix: str
) -> None:
    dsn = await make_database("audit_service")
    topic = topic_prefix + AUDIT_TOPIC
    before = len(await read_topic(topic, expected=10**6, timeout=1))
    name = f"pair-{uuid.uuid4().hex}"
    relays = [start_relay(f"relay-pair-{i}", relay_env(dsn, topic_prefix, name)) for i in range(2)]
    aggregates = [uuid.uuid4() for _ in range(5)]
    written: list[CloudEvent] = []
    try:
        for round_no in range(1, 21):
            batch = [submitted(a, round_no) for a in aggregates]
            written.extend(batch)
            await write(dsn, batch)
            if round_no == 10:
                relays[0].kill()  # whichever led, the other (or it) carries on
        records = await read_topic(topic, expected=before + len(written), timeout=30)
    finally:
        for relay in relays:
            relay.kill()
    ours = {e.id for e in written}
    published = [(key, e) for key, e in records if e.id in ours]
    assert sorted(str(e.id) for _, e in published) == sorted(str(i) for i in ours)  # each once
    by_aggregate: dict[str, list[int]] = defaultdict(list)
    for key, event in published:
        assert key == event.subject.encode()
        by_aggregate[event.subject].append(event.data["submission_number"])
    assert all(numbers == list(range(1, 21)) for numbers in by_aggregate.values())


async def records_on(prefix: str, count: int) -> list[ConsumerRecord[bytes, bytes]]:
    """The audit topic's records under `prefix`, from its start, once `count` have come (or
    after 20 s, with what has)."""
    consumer = AIOKafkaConsumer(
        prefix + AUDIT_TOPIC,
        bootstrap_servers=KAFKA,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while len(records) < count and asyncio.get_running_loop().time() < deadline:
            for got in (await consumer.getmany(timeout_ms=200)).values():
                records.extend(got)
    finally:
        await consumer.stop()
    return records


def in_process_relay(dsn: str, pool: asyncpg.Pool, prefix: str) -> OutboxRelay:
    return OutboxRelay(
        service_name=f"in-process-{uuid.uuid4().hex}",
        dsn=dsn,
        pool=pool,
        producer_factory=lambda: idempotent_producer(KAFKA_SETTINGS),
        topic_name=lambda topic: prefix + topic,
    )


async def test_a_claim_spread_over_many_kafka_batches_keeps_each_aggregates_order_and_partition(
    make_database: DatabaseFactory, make_topics: TopicsFactory
) -> None:
    prefix = await make_topics()  # a topic of this test's own: every record on it is ours
    dsn = await make_database("audit_service")
    aggregates = [uuid.uuid4() for _ in range(12)]
    # Round by round, so each aggregate's events are spread over the whole claim.
    written = [submitted(a, n) for n in range(1, 41) for a in aggregates]
    await write(dsn, written)
    pool = await create_pool(dsn, size=2)
    # Kafka batches of about one event, so each partition's share goes as many batches.
    producer = idempotent_producer(KAFKA_SETTINGS, max_batch_size=1024)
    await producer.start()
    try:
        published = await in_process_relay(dsn, pool, prefix).publish_batch(producer)
        partitions = sorted(await producer.partitions_for(prefix + AUDIT_TOPIC))
    finally:
        await producer.stop()
    assert published == len(written)
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    await pool.close()

    records = [
        (r.partition, r.key, CloudEvent.model_validate(jsonutil.loads(r.value)))
        for r in await records_on(prefix, len(written))
    ]
    assert sorted(str(e.id) for _, _, e in records) == sorted(str(e.id) for e in written)
    by_aggregate: dict[str, list[int]] = defaultdict(list)
    default = DefaultPartitioner()
    for partition, key, event in records:
        assert key == event.subject.encode()
        assert partition == default(key, partitions, partitions)  # where `send` put it
        by_aggregate[event.subject].append(event.data["submission_number"])
    assert len(by_aggregate) == len(aggregates)
    assert all(numbers == list(range(1, 41)) for numbers in by_aggregate.values())


async def test_a_batch_the_broker_refuses_fails_the_claim_and_marks_nothing(
    make_database: DatabaseFactory, topic_prefix: str
) -> None:
    dsn = await make_database("audit_service")
    events = [submitted(uuid.uuid4(), 1) for _ in range(30)]
    await write(dsn, events)
    pool = await create_pool(dsn, size=2)
    # One event larger than any batch the broker takes (1 MiB by default), among the others.
    await pool.execute(
        "UPDATE outbox SET payload = jsonb_set(payload, '{data,padding}', to_jsonb($1::text))"
        " WHERE seq = (SELECT max(seq) FROM outbox)",
        "x" * 2_000_000,
    )
    producer = idempotent_producer(KAFKA_SETTINGS)
    await producer.start()
    try:
        with pytest.raises(KafkaError):
            await in_process_relay(dsn, pool, topic_prefix).publish_batch(producer)
    finally:
        await producer.stop()
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == len(
        events
    )
    await pool.close()


async def test_each_record_is_the_outbox_rows_text_and_parses_to_the_event_written(
    make_database: DatabaseFactory, make_topics: TopicsFactory
) -> None:
    prefix = await make_topics()
    dsn = await make_database("audit_service")
    # A free-text value holding what the text's separators look like, and non-ASCII.
    written = [submitted(uuid.uuid4(), n) for n in range(1, 4)]
    odd = written[0].model_copy(update={"data": {**written[0].data, "note": 'a, "b": c\\ d – é\n'}})
    written[0] = odd
    await write(dsn, written)
    pool = await create_pool(dsn, size=2)
    texts = {
        str(row["id"]): row["text"]
        for row in await pool.fetch("SELECT id, payload::text AS text FROM outbox")
    }
    producer = idempotent_producer(KAFKA_SETTINGS)
    await producer.start()
    try:
        assert await in_process_relay(dsn, pool, prefix).publish_batch(producer) == len(written)
    finally:
        await producer.stop()
        await pool.close()
    values = {
        dict(r.headers)["ce_id"].decode(): r.value for r in await records_on(prefix, len(written))
    }
    assert values == {str(e.id): texts[str(e.id)].encode() for e in written}
    assert {i: jsonutil.loads(v) for i, v in values.items()} == {
        str(e.id): e.to_json() for e in written
    }
