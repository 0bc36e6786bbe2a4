"""The consumer loop against real Kafka and PostgreSQL: redelivery, a SIGKILL mid-stream,
and malformed records."""

from __future__ import annotations

import asyncio
import gc
import random
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from qaf_shared import jsonutil
from qaf_shared.consumer import EventConsumer
from qaf_shared.consumer.loop import Applier
from qaf_shared.database import create_pool
from qaf_shared.enums import Grade
from qaf_shared.events.audit import AuditSubmitted
from qaf_shared.events.catalogue import AUDIT_TOPIC, DLQ_TOPIC
from qaf_shared.events.envelope import CloudEvent, kafka_value
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.quarters import quarter_of
from qaf_shared.testing.fixtures import KAFKA, eventually, serve
from qaf_shared.testing.kafka import Record, produce
from qaf_shared.testing.processes import start_service
from reporting_service import projections
from reporting_service.main import create_app
from reporting_service.settings import ReportingSettings
from reporting_service.workers.consumer import live_schema

from ..feed import UNIT, Own, audit_submitted

UNITS = [
    UNIT,
    OrgUnitRef(area="WEST", district="MAIDSTONE", team="MAI-CIN1"),
    OrgUnitRef(service="FOSTERING"),
]


def submitted(rng: random.Random, tenant: str = "886") -> CloudEvent:
    grade = rng.choice(list(Grade))
    return audit_submitted(
        tenant,
        unit=rng.choice(UNITS),
        on=date(2025, 4, 1) + timedelta(days=rng.randrange(365)),
        grade=grade,
    )


def expected_counts(events: list[CloudEvent]) -> Counter[tuple[str, str, str]]:
    """The figures computed independently of the projection code: (quarter, unit, measure)."""
    out: Counter[tuple[str, str, str]] = Counter()
    for event in events:
        data = AuditSubmitted.model_validate(event.data)
        quarter = quarter_of(data.submitted_on)
        for code in (event.tenant, data.org_unit.area, data.org_unit.service):
            if code:
                out[(quarter, code, "audits.completed")] += 1
                out[(quarter, code, f"audits.grades.{data.final_grade.value}")] += 1
                for theme in set(data.themes):
                    out[(quarter, code, f"audits.themes.{theme.value}")] += 1
    return out


async def produce_on(topic: str, records: list[tuple[bytes, bytes]]) -> None:
    await produce(Record(topic, key, value) for key, value in records)


async def projected(dsn: str, tenant: str) -> Counter[tuple[str, str, str]]:
    pool = await create_pool(dsn, size=1)
    schema = await pool.fetchval("SELECT active_schema FROM projection_state")
    rows = await pool.fetch(
        f"SELECT period AS quarter, unit_code, measure, dimension, value FROM {schema}.counts "
        "WHERE tenant = $1 AND grain = 'q' AND unit_kind IN ('tenant', 'area', 'service') AND value <> 0"
        " AND measure LIKE 'audits.%'",
        tenant,
    )
    await pool.close()
    return Counter(
        {
            (
                r["quarter"],
                r["unit_code"],
                r["measure"] + (f".{r['dimension']}" if r["dimension"] else ""),
            ): r["value"]
            for r in rows
        }
    )


@pytest.fixture
def group() -> str:
    return f"g-{uuid.uuid4().hex[:12]}"


async def test_the_same_event_delivered_twice_changes_the_projection_once(
    own: Own, group: str
) -> None:
    dsn, topic_prefix = own
    rng = random.Random(1)
    events = [submitted(rng) for _ in range(30)]
    topic = topic_prefix + AUDIT_TOPIC
    # Every event twice: once in order, then all again (as a relay restart would do).
    await produce_on(topic, [(e.subject.encode(), kafka_value(e.to_json())) for e in events * 2])
    settings = ReportingSettings(
        database_url=dsn, kafka_topic_prefix=topic_prefix, consumer_group=group
    )
    ids = [e.id for e in events]
    async with serve(create_app(settings)):
        pool = await create_pool(dsn, size=1)

        async def applied() -> bool:
            return await pool.fetchval(
                "SELECT count(*) FROM gen_0.processed_events WHERE event_id = ANY($1::uuid[])", ids
            ) == len(ids)

        await eventually(applied)
        await asyncio.sleep(1)  # let the duplicates (later on the partitions) be consumed too
        await pool.close()

        async def collecting() -> bool:
            return gc.isenabled()

        # Nothing more to fetch: the collector, held off between the batches, is on again.
        await eventually(collecting)
    got = await projected(dsn, "886")
    want = expected_counts(events)
    assert {k: got[k] for k in want} == dict(want)


# One transaction a batch (the default), and two at once (each batch split by fact).
@pytest.mark.parametrize("parallelism", ["1", "2"])
async def test_a_consumer_killed_mid_stream_leaves_the_projection_exactly_right(
    own: Own, group: str, run_id: str, parallelism: str
) -> None:
    dsn, topic_prefix = own
    # A tenant of its own (the projection is shared by every test on this topic).
    rng = random.Random(2)
    events = [submitted(rng, tenant=f"9{run_id[:4]}") for _ in range(3000)]
    await produce_on(
        topic_prefix + AUDIT_TOPIC, [(e.subject.encode(), kafka_value(e.to_json())) for e in events]
    )
    env = {
        "QA_DATABASE_URL": dsn,
        "QA_KAFKA_TOPIC_PREFIX": topic_prefix,
        "QA_CONSUMER_GROUP": group,
        "QA_CONSUMER_MAX_RECORDS": "50",  # many small batches, so the kill lands mid-stream
        "QA_CONSUMER_PARALLELISM": parallelism,
    }
    pool = await create_pool(dsn, size=1)
    ids = [e.id for e in events]

    async def applied() -> int:
        return int(
            await pool.fetchval(
                "SELECT count(*) FROM gen_0.processed_events WHERE event_id = ANY($1::uuid[])", ids
            )
        )

    process, _ = start_service("reporting-killed", "reporting_service.main:create_app", env)
    try:
        partial = await eventually(lambda: _between(applied, 1, len(events) - 1), interval=0.01)
    finally:
        process.kill()
    assert 0 < partial < len(events)
    process, _ = start_service("reporting-restarted", "reporting_service.main:create_app", env)
    try:
        await eventually(lambda: _equals(applied, len(events)), timeout=60)
    finally:
        process.kill()
    await pool.close()
    tenant = events[0].tenant
    got = await projected(dsn, events[0].tenant)
    assert got == expected_counts(events)
    assert sum(
        v for (q, unit, m), v in got.items() if unit == tenant and m == "audits.completed"
    ) == len(events)


async def _between(probe, low: int, high: int) -> int:  # type: ignore[no-untyped-def]
    value = await probe()
    return value if low <= value <= high else 0


async def _equals(probe, target: int) -> bool:  # type: ignore[no-untyped-def]
    return bool(await probe() == target)


async def test_a_malformed_record_goes_to_the_dead_letter_topic_and_the_partition_flows_on(
    own: Own, group: str
) -> None:
    # Topics of its own: the consumer reaches these three records at once, not after every
    # other test's events.
    dsn, topic_prefix = own
    rng = random.Random(3)
    good = submitted(rng, tenant=f"dlq-{uuid.uuid4().hex[:6]}")
    key = good.subject.encode()  # same key: same partition, the bad record first
    broken_payload = good.to_json()
    broken_payload["data"] = {"audit_id": "not-a-uuid"}
    broken_payload["id"] = str(uuid.uuid4())
    await produce_on(
        topic_prefix + AUDIT_TOPIC,
        [
            (key, b"\x00not json"),
            (key, jsonutil.dumpb(broken_payload)),
            (key, kafka_value(good.to_json())),
        ],
    )
    settings = ReportingSettings(
        database_url=dsn, kafka_topic_prefix=topic_prefix, consumer_group=group
    )
    async with serve(create_app(settings)):
        pool = await create_pool(dsn, size=1)

        async def applied_and_dead_lettered() -> bool:
            done = await pool.fetchval(
                "SELECT count(*) FROM gen_0.processed_events WHERE event_id = $1", good.id
            )
            dead = await pool.fetchval(
                "SELECT coalesce(sum(dead_letters), 0) FROM gen_0.consumer_stats"
            )
            return bool(done == 1 and dead == 2)

        await eventually(applied_and_dead_lettered)
        await pool.close()
    # Both bad records are on the dead-letter topic, with where they came from and why.
    dlq = AIOKafkaConsumer(
        topic_prefix + DLQ_TOPIC, bootstrap_servers=KAFKA, auto_offset_reset="earliest"
    )
    await dlq.start()
    found = []
    try:
        for _ in range(20):
            for records in (await dlq.getmany(timeout_ms=250)).values():
                found.extend(r for r in records if r.key == key)
            if len(found) >= 2:
                break
    finally:
        await dlq.stop()
    assert [r.value for r in found][:1] == [b"\x00not json"]
    assert len(found) == 2
    headers = dict(found[1].headers)
    assert headers["dlq_topic"] == (topic_prefix + AUDIT_TOPIC).encode()
    assert b"not-a-uuid" not in headers["dlq_error"]  # the reason names fields, never content
    got = await projected(dsn, good.tenant)
    assert (
        got[
            (
                quarter_of(AuditSubmitted.model_validate(good.data).submitted_on),
                good.tenant,
                "audits.completed",
            )
        ]
        == 1
    )


async def test_a_batch_is_applied_with_garbage_collection_paused_and_resumed_after(
    own: Own,
) -> None:
    # A real batch through the loop, with an applier that looks at the collector while the
    # batch's transaction is open.
    dsn, _ = own
    rng = random.Random(4)
    events = [submitted(rng) for _ in range(5)]
    records = [_record(n, e) for n, e in enumerate(events)]
    seen: list[bool] = []

    async def apply(conn: asyncpg.Connection, schema: str, batch: Sequence[CloudEvent]) -> None:
        seen.append(gc.isenabled())
        await projections.apply(conn, schema, batch)

    pool = await create_pool(dsn, size=2)
    try:
        loop = _consumer(pool, apply)
        assert gc.isenabled()
        await loop.handle({TopicPartition("audit", 0): records}, None)
        assert seen == [False]
        assert gc.isenabled()
        applied = await pool.fetchval("SELECT count(*) FROM gen_0.processed_events")
    finally:
        await pool.close()
    assert applied == len(events)


async def test_a_replay_applies_its_batches_in_order_with_the_next_fetched_while_one_is_applied(
    own: Own,
) -> None:
    # Three batches of one audit each, every one of them a change of the same audit (its
    # grade), so applied out of order the projection would keep the wrong grade.
    dsn, _ = own
    rng = random.Random(5)
    first = submitted(rng, tenant="9rep")
    versions = [
        CloudEvent.model_validate(
            {**first.model_dump(), "id": uuid.uuid4(), "data": {**first.data, "final_grade": g}}
        )
        for g in (Grade.GOOD, Grade.INADEQUATE, Grade.OUTSTANDING)
    ]
    batches = [
        {TopicPartition("audit", 0): [_record(n, e)]} for n, e in enumerate([first, *versions])
    ]
    fetched: list[int] = []
    fetched_when_applied: list[int] = []

    async def fetch() -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]] | None:
        fetched.append(len(fetched))
        return batches[len(fetched) - 1] if len(fetched) <= len(batches) else None

    async def apply(conn: asyncpg.Connection, schema: str, batch: Sequence[CloudEvent]) -> None:
        await asyncio.sleep(0.05)  # waiting for PostgreSQL, as a batch does
        fetched_when_applied.append(len(fetched))
        await projections.apply(conn, schema, batch)

    pool = await create_pool(dsn, size=2)
    try:
        loop = _consumer(pool, apply)
        await loop.replay(fetch)
        collecting = gc.isenabled()  # held off between the batches, on again at the end
        applied = await pool.fetchval("SELECT count(*) FROM gen_0.processed_events")
    finally:
        await pool.close()
    assert collecting
    assert applied == len(batches)
    # While batch n was applied, batch n + 1 had been fetched already.
    assert fetched_when_applied == [n + 2 for n in range(len(batches))]
    figures = await projected(dsn, "9rep")
    quarter = quarter_of(AuditSubmitted.model_validate(first.data).submitted_on)
    assert figures[(quarter, "9rep", f"audits.grades.{Grade.OUTSTANDING.value}")] == 1
    grades = {k: v for k, v in figures.items() if k[1] == "9rep" and ".grades." in k[2]}
    assert sum(grades.values()) == 1


def _consumer(pool: asyncpg.Pool, apply: Applier) -> EventConsumer:
    """The live loop over `pool` with `apply` as its applier, on the live generation."""
    return EventConsumer(
        pool=pool,
        consumer_factory=AIOKafkaConsumer,
        apply=apply,
        dlq_topic="dlq",
        schema_for_batch=live_schema,
    )


def _record(offset: int, event: CloudEvent) -> ConsumerRecord[bytes, bytes]:
    value = kafka_value(event.to_json())
    return ConsumerRecord("audit", 0, offset, 0, 0, event.subject.encode(), value, None, 0, 0, [])
