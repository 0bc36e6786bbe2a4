"""Consume domain events into a database, exactly once in effect.

For each fetched batch: one transaction records every event id in `processed_events`
(ON CONFLICT DO NOTHING), applies only the ids that were new, updates the statistics
(per topic and tenant) and commits; only then are the offsets committed. A crash anywhere
means the batch is delivered again and the ids already recorded are skipped, so nothing is
lost or counted twice. A record that cannot be parsed or applied goes to the dead-letter topic
with the reason in its headers, and the partition keeps flowing.

The loop's own tables (`processed_events`, `consumer_stats`, `partition_offsets`) live in
a schema that the caller names at the start of each batch transaction, beside the
projections: a projection rebuild fills a new schema and switches to it atomically."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from opentelemetry.trace import Span, SpanKind, Tracer
from prometheus_client import Counter, Gauge
from pydantic import ValidationError

from qaf_shared import jsonutil
from qaf_shared.consumer.collector import Backlog, paused_collector
from qaf_shared.database import UNAVAILABLE
from qaf_shared.events.envelope import CloudEvent, parse_event
from qaf_shared.logging import get_logger
from qaf_shared.restarts import run_forever
from qaf_shared.tracing import end_spans, parent_of

log = get_logger(__name__)

APPLIED = Counter("qa_consumer_events_applied_total", "Events applied to projections", ["topic"])
DUPLICATES = Counter("qa_consumer_duplicates_total", "Redelivered events skipped", ["topic"])
DEAD_LETTERS = Counter(
    "qa_consumer_dead_letters_total", "Records sent to the dead-letter topic", ["topic"]
)
LAG = Gauge("qa_consumer_lag", "Records behind the end of the partition", ["topic", "partition"])
OVERTAKEN = Counter(
    "qa_consumer_batches_overtaken_total",
    "Pipelined batches applied again: the batch before failed, or a fact it held changed",
)

AfterCommit = Callable[[], None]
"""What an applier leaves to be done once its batch's transaction has committed, and only
then (a rebuild's counts, written beside the replay: reporting's workers/cell_writer.py)."""

Applier = Callable[..., Awaitable[AfterCommit | None]]
"""`apply(conn, schema, events)`: applies new (never seen before) events to the projections
in the given schema, inside the open transaction; may return what to do once the
transaction has committed. With `pipelined`, called with `turn=` too (`Turn`)."""


class Overtaken(Exception):
    """A batch folded over the changes of the batch before it cannot be written as folded:
    that batch failed, or what it handed on no longer holds. It is applied again, from what
    is committed."""


class Turn:
    """A batch's place in the live loop's pipeline. The next batch begins while this one
    writes: its applier may fold over what this one hands on once folded (`hand_on`; the
    facts it changed, say) and must write nothing before `after_preceding`, which returns
    once this one has committed, so that the two never wait on each other's locks. Should
    this one fail, the next raises `Overtaken` and is applied again after it."""

    def __init__(self, before: Turn | None) -> None:
        loop = asyncio.get_running_loop()
        self._handed: asyncio.Future[object] = loop.create_future()
        self._done: asyncio.Future[None] = loop.create_future()
        # The batch before's outcome only, not its turn: turns must not chain back through
        # every batch applied.
        self._before = None if before is None else (before._handed, before._done)

    async def preceding(self) -> object:
        """What the batch before handed on, once it has folded (None: nothing, or none
        before still writing)."""
        if self._before is None:
            return None
        return await asyncio.shield(self._before[0])

    async def after_preceding(self) -> None:
        """Once the batch before has committed (at once when there is none)."""
        if self._before is not None:
            await asyncio.shield(self._before[1])

    def hand_on(self, value: object) -> None:
        """What the next batch may fold over; for a batch that hands nothing on (None) the
        next one waits for its commit before reading."""
        if not self._handed.done():
            self._handed.set_result(value)

    def _committed(self) -> None:
        self.hand_on(None)
        if not self._done.done():
            self._done.set_result(None)

    def _failed(self) -> None:
        for future in (self._handed, self._done):
            if not future.done():
                future.set_exception(Overtaken("the batch before failed"))
                future.exception()  # retrieved: a batch that nobody followed is no error


Batches = dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
"""A fetched batch: each partition's records, in order."""

SchemaForBatch = Callable[[asyncpg.Connection], Awaitable[str]]
"""Names the schema a batch goes to; called first in each batch transaction."""


def consumer_tables_ddl(schema: str) -> str:
    """The loop's tables in `schema` (the caller creates the schema)."""
    return f"""
-- The ids alone: what deduplicates is the key, and nothing reads where or when an event
-- was applied (each column more was about a microsecond an event of the batch's insert).
CREATE TABLE {schema}.processed_events (event_id uuid PRIMARY KEY);
-- Per topic and tenant, so that a tenant is shown only its own figures; tenant '' holds
-- dead letters whose tenant is unknown (the envelope itself could not be read).
CREATE TABLE {schema}.consumer_stats (
    topic text NOT NULL,
    tenant text NOT NULL DEFAULT '',
    applied bigint NOT NULL DEFAULT 0,
    dead_letters bigint NOT NULL DEFAULT 0,
    newest_event_time timestamptz,
    PRIMARY KEY (topic, tenant)
);
-- The next offset per partition whose effect is in this schema (what a rebuild catches up to).
CREATE TABLE {schema}.partition_offsets (
    topic text NOT NULL,
    partition int NOT NULL,
    next_offset bigint NOT NULL,
    PRIMARY KEY (topic, partition)
);
"""


# The batch's ids go as one JSON array (a parameter array costs asyncpg a few isinstance
# checks per element), and only the ids seen before come back: a fetched batch is almost
# always all new, and decoding its every id again cost more than PostgreSQL's insert.
_RECORD_NEW = """
WITH batch AS (
  SELECT e::uuid AS event_id FROM json_array_elements_text($1::text::json) e
), fresh AS (
  INSERT INTO {schema}.processed_events (event_id)
  SELECT event_id FROM batch
  ON CONFLICT (event_id) DO NOTHING
  RETURNING event_id
)
SELECT event_id FROM batch WHERE event_id NOT IN (SELECT event_id FROM fresh)
"""
_STATS = """
INSERT INTO {schema}.consumer_stats AS s (topic, tenant, applied, dead_letters, newest_event_time)
SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::timestamptz[])
ON CONFLICT (topic, tenant) DO UPDATE SET
  applied = s.applied + EXCLUDED.applied,
  dead_letters = s.dead_letters + EXCLUDED.dead_letters,
  newest_event_time = GREATEST(s.newest_event_time, EXCLUDED.newest_event_time)
"""
_OFFSETS = """
INSERT INTO {schema}.partition_offsets AS p (topic, partition, next_offset)
SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[])
ON CONFLICT (topic, partition) DO UPDATE SET next_offset = GREATEST(p.next_offset, EXCLUDED.next_offset)
"""


async def _public(conn: asyncpg.Connection) -> str:
    return "public"


UNKNOWN_TENANT = ""
"""The tenant a dead letter is counted under when its envelope could not be read."""

StatsKey = tuple[str, str]  # (logical topic, tenant)

# PostgreSQL out of reach (a restart answers "starting up" or ends sessions with 57P0x before
# connections are refused): the batch is retried, never dead-lettered.
_TRANSIENT = UNAVAILABLE
# What fails a group whatever its events: never a reason to look for one to set aside.
_NOT_THE_EVENTS: tuple[type[Exception], ...] = (*_TRANSIENT, Overtaken)


@dataclass(frozen=True)
class _Parsed:
    record: ConsumerRecord[bytes, bytes]
    event: CloudEvent

    @property
    def topic(self) -> str:
        return str(self.record.topic)


class EventConsumer:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        consumer_factory: Callable[[], AIOKafkaConsumer],
        apply: Applier,
        dlq_topic: str,
        logical_topic: Callable[[str], str] = lambda t: t,
        max_records: int = 1000,
        schema_for_batch: SchemaForBatch = _public,
        producer_factory: Callable[[], AIOKafkaProducer] | None = None,
        send_dead_letters: bool = True,
        parallel: int = 1,
        group_by: Callable[[CloudEvent], Hashable] | None = None,
        tracer: Tracer | None = None,
        pipelined: bool = False,
    ) -> None:
        """`producer_factory` makes the dead-letter producer for `run_forever`; a replay that
        only calls `handle` needs none. `parallel`: how many transactions a fetched batch is
        applied in at once; `group_by`: what must stay in one of them (see `handle`).
        `tracer`: an apply span per new traced event, child of the context it was written in
        (none when None). `pipelined` (with `parallel` 1): the live loop begins each batch
        while the one before it is written, and calls `apply` with its `Turn`."""
        if pipelined and parallel > 1:
            raise ValueError("a pipelined consumer applies a batch in one transaction")
        self._pool = pool
        self._consumer_factory = consumer_factory
        self._producer_factory = producer_factory
        self._apply = apply
        self._dlq_topic = dlq_topic
        self._logical_topic = logical_topic
        self._max_records = max_records
        self._schema_for_batch = schema_for_batch
        self._send_dead_letters = send_dead_letters
        self._parallel = parallel
        self._group_by = group_by
        self._tracer = tracer
        self._pipelined = pipelined
        self.consumer: AIOKafkaConsumer | None = None
        self._behind: dict[TopicPartition, int] = {}

    async def run_forever(self) -> None:
        await run_forever(self._run, "consumer_failed")

    def behind(self) -> int:
        """Records from this process's position up to the end of the partitions it holds,
        as the broker last told it (0 before the first batch, and once it has caught up): a
        backlog that work competing for the machine may wait for (the publisher)."""
        return sum(self._behind.values()) if self.consumer is not None else 0

    async def lag(self) -> dict[str, int]:
        """Records behind the end of each topic, over the partitions this process holds."""
        result: dict[str, int] = {}
        consumer = self.consumer
        if consumer is None:
            return result
        for tp in consumer.assignment():
            high = consumer.highwater(tp)
            with contextlib.suppress(Exception):
                position = await consumer.position(tp)
                if high is not None:
                    topic = self._logical_topic(tp.topic)
                    result[topic] = result.get(topic, 0) + max(high - position, 0)
        return result

    async def _run(self) -> None:
        if self._producer_factory is None:
            raise RuntimeError("a live consumer needs a producer for its dead letters")
        consumer = self._consumer_factory()
        producer = self._producer_factory()
        await producer.start()
        await consumer.start()
        self.consumer = consumer
        # The next batch is fetched and parsed while this one is applied: parsing fills the
        # event loop's waits for PostgreSQL (a batch's last statements and commit, when no
        # group has Python left to run) instead of following them. Pipelined, the next batch
        # is also folded while this one writes (`Turn`). Batches still commit one after the
        # other, in the order fetched, and each one's offsets after it.
        ahead: asyncio.Task[_Fetched] | None = None
        applying: list[_Applying] = []  # begun, in the order fetched; the first one finishes next
        backlog = Backlog()
        try:
            while True:
                fetched = await (
                    ahead if ahead is not None else _fetch(consumer, self._max_records)
                )
                ahead = None
                if fetched.batches:
                    backlog.busy()  # the collector off from here (consumer/collector.py)
                    ahead = asyncio.create_task(_fetch(consumer, self._max_records))
                    applying.append(self._begin(fetched, producer, applying))
                # Pipelined, the batch just begun goes on while the one before finishes.
                keep = 1 if fetched.batches and self._pipelined else 0
                while len(applying) > keep:
                    first = applying.pop(0)
                    try:
                        await first.finished(self, producer)
                    except _TRANSIENT:
                        # The database went away: go back to the start of the batch (and of
                        # those begun or fetched after it) and retry, rather than
                        # dead-lettering good events (aiokafka #1046).
                        following = [first.fetched.batches]
                        for later in applying:
                            following.append(await later.abandoned())
                        following.append(await _settled(ahead) if ahead is not None else {})
                        applying, ahead = [], None
                        starts: dict[TopicPartition, int] = {}
                        for batches in following:
                            for tp, records in batches.items():
                                starts.setdefault(tp, records[0].offset)
                        for tp, offset in starts.items():
                            consumer.seek(tp, offset)
                        await asyncio.sleep(1)
                        break
                    await self._commit_offsets(consumer, first.fetched.batches)
                if not fetched.batches:
                    backlog.idle()  # nothing came within the fetch's wait
        finally:
            backlog.idle()
            for later in applying:
                await later.abandoned()
            if ahead is not None:
                ahead.cancel()
                await _settled(ahead)
            self._behind.clear()
            self.consumer = None
            with contextlib.suppress(Exception):
                await consumer.stop()
            with contextlib.suppress(Exception):
                await producer.stop()

    def _begin(
        self, fetched: _Fetched, producer: AIOKafkaProducer, applying: list[_Applying]
    ) -> _Applying:
        """A batch's application begun, pipelined after the last one begun when it is
        still being written."""
        turn = None
        if self._pipelined:
            turn = Turn(applying[-1].turn if applying else None)
        return _Applying(fetched, turn, asyncio.create_task(self._handle(fetched, producer, turn)))

    async def _commit_offsets(
        self,
        consumer: AIOKafkaConsumer,
        batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
    ) -> None:
        """A batch's offsets committed once its effect has, and the lag known since."""
        offsets = {tp: records[-1].offset + 1 for tp, records in batches.items()}
        assigned = consumer.assignment()
        try:
            await consumer.commit({tp: o for tp, o in offsets.items() if tp in assigned})
        except CommitFailedError:
            # A rebalance took the partitions: the next owner gets the batch again and
            # processed_events absorbs it (aiokafka #929, #1054).
            log.info("consumer_commit_after_rebalance")
        self._behind = {}
        for tp in assigned:
            high = consumer.highwater(tp)
            if high is None:
                continue
            # Known once a fetch answered (the highwater came with it); a rebalance
            # meanwhile may have taken the partition.
            with contextlib.suppress(IllegalStateError):
                self._behind[tp] = max(high - await consumer.position(tp), 0)
            if tp in offsets:
                LAG.labels(self._logical_topic(tp.topic), str(tp.partition)).set(high - offsets[tp])

    async def replay(self, fetch: Callable[[], Awaitable[Batches | None]]) -> None:
        """Apply batch after batch from `fetch` until it gives None (a replay's end), each
        as `handle` applies it, the next one fetched and parsed while one is applied (as the
        live loop does). Dead letters are counted, not sent."""

        async def ahead() -> _Fetched | None:
            batches = await fetch()
            return None if batches is None else await _parsed(batches)

        following = asyncio.create_task(ahead())
        backlog = Backlog()
        try:
            while (fetched := await following) is not None:
                following = asyncio.create_task(ahead())
                if fetched.batches:
                    backlog.busy()
                    await self._handle(fetched, None)
        finally:
            backlog.idle()
            following.cancel()
            await asyncio.wait([following])
            if not following.cancelled():
                following.exception()  # seen: the failure that ended the replay is raised

    async def handle(
        self,
        batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
        producer: AIOKafkaProducer | None,
    ) -> None:
        """Apply a fetched batch. With `parallel` > 1 it is split into that many groups, each
        applied in its own transaction at the same time: while one waits for PostgreSQL the
        other folds its events. Two groups must never fold into the same fact, or one would
        save over the other's change: by default whole partitions are split (an aggregate's
        events share a partition); `group_by` names what an event folds into where that is
        wider than its partition key (all of one child's records, each keyed by its own id),
        and every event of one name goes to one group, in the order fetched. Kafka's offsets
        are committed only once every group has committed, and a batch delivered again skips
        the ids already applied, so a group that fails loses nothing. All of them have
        finished, applied or failed, when this returns or raises. The garbage collector is
        paused meanwhile (consumer/collector.py)."""
        with paused_collector:
            await self._handle(_Fetched(batches, *_parse(batches)), producer)

    async def _handle(
        self, fetched: _Fetched, producer: AIOKafkaProducer | None, turn: Turn | None = None
    ) -> None:
        """`handle`, in its `turn` when pipelined (one group: `pipelined` needs `parallel`
        1)."""
        batches, parsed, bad = fetched.batches, fetched.parsed, list(fetched.bad)
        if self._parallel <= 1:
            groups = [parsed]  # one transaction: nothing to name each event's group by
        elif self._group_by is not None:
            groups = _split_by(parsed, self._parallel, self._group_by)
        else:
            parts = _split(batches, self._parallel)
            group_of = {(tp.topic, tp.partition): n for n, part in enumerate(parts) for tp in part}
            groups = [[] for _ in parts]
            for item in parsed:
                groups[group_of[(item.record.topic, item.record.partition)]].append(item)
        results = await asyncio.gather(
            *(self._apply_group(group, turn) for group in groups), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
            bad.extend(result)
        # Set aside once every group has committed, in the order they were fetched: a batch
        # delivered again (a group failed) sends none twice, and a partition's dead letters
        # keep its order, whichever group found them.
        if bad:
            bad.sort(key=lambda b: (str(b.record.topic), b.record.partition, b.record.offset))
            await self._dead_letter(bad, producer)

    async def _apply_group(self, parsed: list[_Parsed], turn: Turn | None = None) -> list[_Bad]:
        """Apply one group; the events that cannot be applied, to be set aside."""
        bad: list[_Bad] = []
        try:
            await self._apply_retrying(parsed, turn)
        except _NOT_THE_EVENTS:
            raise
        except Exception:
            if turn is not None:
                await turn.after_preceding()  # read from what is committed (or Overtaken)
            # Find the event(s) that cannot be applied, one transaction each.
            for item in parsed:
                try:
                    await self._apply_retrying([item])
                except _TRANSIENT:
                    raise
                except Exception as exc:
                    bad.append(_Bad(item.record, item.event.tenant, _reason(exc)))
        return bad

    async def _apply_retrying(self, items: Sequence[_Parsed], turn: Turn | None = None) -> None:
        """Concurrent groups lock shared count rows in one order, so they should never
        deadlock; should PostgreSQL still pick one as a victim, it is tried again, not
        dead-lettered. Only the first attempt is pipelined: another begins once the batch
        before has committed."""
        for attempt in range(3):
            try:
                await self._apply_in_one_transaction(items, turn)
                return
            except asyncpg.exceptions.DeadlockDetectedError:
                if attempt == 2:
                    raise
                log.info("consumer_deadlock_retry")
                if turn is not None:
                    await turn.after_preceding()
                    turn = None

    async def _apply_in_one_transaction(
        self, items: Sequence[_Parsed], turn: Turn | None = None
    ) -> None:
        spans: list[Span] = []
        try:
            if items:
                await self._apply_new(items, spans, turn)
        except BaseException as exc:
            if turn is not None:
                turn._failed()
            end_spans(spans, exc)
            raise
        if turn is not None:
            turn._committed()
        end_spans(spans)

    async def _apply_new(
        self, items: Sequence[_Parsed], spans: list[Span], turn: Turn | None
    ) -> None:
        """The transaction of `_apply_in_one_transaction`; the spans it starts are ended by
        the caller once the transaction has committed or failed."""
        after_commit: AfterCommit | None = None
        async with self._pool.acquire() as conn, conn.transaction():
            schema = await self._schema_for_batch(conn)
            logical = _Logical(self._logical_topic)
            seen = {
                row[0]
                for row in await conn.fetch(
                    _RECORD_NEW.format(schema=schema),
                    jsonutil.dumps([i.event.id for i in items]),
                )
            }
            fresh: list[_Parsed] = []
            for item in items:
                if item.event.id not in seen:
                    fresh.append(item)
                    seen.add(item.event.id)  # the same id twice in one batch applies once
            if fresh:
                if self._tracer is not None:
                    spans.extend(self._apply_spans(fresh))
                events = [i.event for i in fresh]
                if turn is None:
                    after_commit = await self._apply(conn, schema, events)
                else:
                    after_commit = await self._apply(conn, schema, events, turn=turn)
            stats = _per_topic(fresh, logical)
            if turn is not None:
                await turn.after_preceding()  # the applier's wait, or the loop's own
            await self._record(conn, schema, [i.record for i in items], stats, {})
        if after_commit is not None:
            after_commit()
        for (topic, _), (applied, _) in stats.items():
            APPLIED.labels(topic).inc(applied)
        skipped = len(items) - len(fresh)
        if skipped:
            DUPLICATES.labels(self._logical_topic(items[0].topic)).inc(skipped)

    def _apply_spans(self, fresh: Sequence[_Parsed]) -> list[Span]:
        """A CONSUMER span per event written inside a trace, child of its context, from the
        apply to the commit of the batch that holds it."""
        assert self._tracer is not None
        spans = []
        for item in fresh:
            event = item.event
            parent = parent_of({"traceparent": event.traceparent, "tracestate": event.tracestate})
            if parent is None:
                continue
            topic = self._logical_topic(item.topic)
            spans.append(
                self._tracer.start_span(
                    f"apply {topic}",
                    context=parent,
                    kind=SpanKind.CONSUMER,
                    attributes={
                        "messaging.system": "kafka",
                        "messaging.operation.type": "process",
                        "messaging.destination.name": topic,
                        "messaging.destination.partition.id": str(item.record.partition),
                        "messaging.kafka.offset": item.record.offset,
                        "messaging.message.id": str(event.id),
                        "cloudevents.event_type": event.type,
                    },
                )
            )
        return spans

    async def _record(
        self,
        conn: asyncpg.Connection,
        schema: str,
        records: Sequence[ConsumerRecord[bytes, bytes]],
        applied: dict[StatsKey, tuple[int, datetime]],
        dead: dict[StatsKey, int],
    ) -> None:
        """Statistics (per topic and tenant) and partition offsets, in the batch's
        transaction."""
        # Sorted: concurrent groups lock the shared stats rows in one order (no deadlock).
        stat_keys = sorted(set(applied) | set(dead))
        if stat_keys:
            await conn.execute(
                _STATS.format(schema=schema),
                [k[0] for k in stat_keys],
                [k[1] for k in stat_keys],
                [applied.get(k, (0, None))[0] for k in stat_keys],
                [dead.get(k, 0) for k in stat_keys],
                [applied.get(k, (0, None))[1] for k in stat_keys],
            )
        ends: dict[tuple[str, int], int] = {}
        for record in records:
            at = (record.topic, record.partition)
            if ends.get(at, -1) <= record.offset:
                ends[at] = record.offset + 1
        logical = _Logical(self._logical_topic)
        next_offsets: dict[tuple[str, int], int] = {}
        for (topic, partition), end in ends.items():
            key = (logical[topic], partition)
            next_offsets[key] = max(next_offsets.get(key, 0), end)
        if next_offsets:
            keys = sorted(next_offsets)
            await conn.execute(
                _OFFSETS.format(schema=schema),
                [k[0] for k in keys],
                [k[1] for k in keys],
                [next_offsets[k] for k in keys],
            )

    async def _dead_letter(self, bad: list[_Bad], producer: AIOKafkaProducer | None) -> None:
        if self._send_dead_letters and producer is not None:
            acks = []
            for record, _, reason in bad:
                acks.append(
                    await producer.send(
                        self._dlq_topic,
                        value=record.value,
                        key=record.key,
                        headers=[
                            ("dlq_topic", str(record.topic).encode()),
                            ("dlq_partition", str(record.partition).encode()),
                            ("dlq_offset", str(record.offset).encode()),
                            ("dlq_error", reason.encode()),
                        ],
                    )
                )
            try:
                await asyncio.gather(*acks)
            except KafkaError:
                raise ConnectionError("dead-letter topic unavailable") from None
        dead: dict[StatsKey, int] = {}
        for record, tenant, _ in bad:
            topic = self._logical_topic(str(record.topic))
            dead[(topic, tenant)] = dead.get((topic, tenant), 0) + 1
            DEAD_LETTERS.labels(topic).inc()
        async with self._pool.acquire() as conn, conn.transaction():
            schema = await self._schema_for_batch(conn)
            await self._record(conn, schema, [b.record for b in bad], {}, dead)
        log.warning("consumer_dead_lettered", count=len(bad))


class _Bad(NamedTuple):
    """A record set aside: its tenant when its envelope could be read (UNKNOWN_TENANT
    otherwise), and why (never its content)."""

    record: ConsumerRecord[bytes, bytes]
    tenant: str
    reason: str


@dataclass
class _Applying:
    """A batch being applied by the live loop, in its turn when pipelined."""

    fetched: _Fetched
    turn: Turn | None
    task: asyncio.Task[None]

    async def finished(self, consumer: EventConsumer, producer: AIOKafkaProducer) -> None:
        """Once applied; overtaken (the batch before failed after this one had folded over
        it), applied again now that the batch before has ended."""
        try:
            await self.task
        except Overtaken:
            OVERTAKEN.inc()
            await consumer._handle(self.fetched, producer)

    async def abandoned(self) -> Batches:
        """Its records, once it has been cancelled and has ended (nothing of it commits
        after this returns)."""
        self.task.cancel()
        await asyncio.wait([self.task])
        if not self.task.cancelled():
            self.task.exception()  # seen: the batch is to be delivered again
        return self.fetched.batches


class _Fetched(NamedTuple):
    """A fetched batch, its records parsed and those that could not be."""

    batches: Batches
    parsed: list[_Parsed]
    bad: list[_Bad]


async def _fetch(consumer: AIOKafkaConsumer, max_records: int) -> _Fetched:
    """The next batch, parsed (see `_parsed`)."""
    return await _parsed(await consumer.getmany(timeout_ms=1000, max_records=max_records))


async def _parsed(batches: Batches) -> _Fetched:
    """A fetched batch parsed a partition at a time (letting a batch being applied go on
    between them), with the collector paused as while a batch is applied."""
    parsed: list[_Parsed] = []
    bad: list[_Bad] = []
    for tp, records in batches.items():
        with paused_collector:
            some, wrong = _parse({tp: records})
        parsed.extend(some)
        bad.extend(wrong)
        await asyncio.sleep(0)
    return _Fetched(batches, parsed, bad)


async def _settled(
    task: asyncio.Task[_Fetched],
) -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]:
    """What a fetch ahead got (nothing if it failed or was cancelled), once it has ended."""
    await asyncio.wait([task])
    if task.cancelled() or task.exception() is not None:
        return {}
    return task.result().batches


def _parse(
    batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
) -> tuple[list[_Parsed], list[_Bad]]:
    parsed: list[_Parsed] = []
    bad: list[_Bad] = []
    for records in batches.values():
        for record in records:
            try:
                if record.value is None:
                    raise ValueError("empty record")
                parsed.append(_Parsed(record, parse_event(record.value)))
            except (ValueError, ValidationError) as exc:
                bad.append(_Bad(record, UNKNOWN_TENANT, _reason(exc)))
    return parsed, bad


def _split_by(
    items: list[_Parsed], parts: int, group_by: Callable[[CloudEvent], Hashable]
) -> list[list[_Parsed]]:
    """Items into at most `parts` groups, every event of one `group_by` name in one group,
    in the order given. An event whose name cannot be told (its data does not read) goes by
    its id: applying it will fail, and it is set aside alone."""
    groups: list[list[_Parsed]] = [[] for _ in range(max(parts, 1))]
    for item in items:
        try:
            name: Hashable = group_by(item.event)
        except Exception:
            name = item.event.id
        groups[hash(name) % len(groups)].append(item)
    return [g for g in groups if g] or [[]]


def _split(
    batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]], parts: int
) -> list[dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]]:
    """Whole partitions into at most `parts` groups of about the same number of records."""
    if parts <= 1 or len(batches) <= 1:
        return [batches]
    groups: list[dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]] = [
        {} for _ in range(min(parts, len(batches)))
    ]
    sizes = [0] * len(groups)
    for tp, records in sorted(batches.items(), key=lambda item: -len(item[1])):
        smallest = sizes.index(min(sizes))
        groups[smallest][tp] = records
        sizes[smallest] += len(records)
    return groups


def _reason(exc: Exception) -> str:
    """Why a record was set aside, without echoing its content (it may hold personal data)."""
    if isinstance(exc, ValidationError):
        fields = sorted(
            {".".join(str(p) for p in err["loc"]) + ":" + err["type"] for err in exc.errors()}
        )
        return f"ValidationError: {', '.join(fields)[:500]}"
    return type(exc).__name__


class _Logical(dict[str, str]):
    """A topic's logical name, worked out once per topic rather than once per record."""

    def __init__(self, logical_topic: Callable[[str], str]) -> None:
        super().__init__()
        self._logical_topic = logical_topic

    def __missing__(self, topic: str) -> str:
        self[topic] = name = self._logical_topic(str(topic))
        return name


def _per_topic(items: Sequence[_Parsed], logical: _Logical) -> dict[StatsKey, tuple[int, datetime]]:
    """Events applied and the newest event time, per topic and tenant."""
    times: dict[tuple[str, str], list[datetime]] = {}
    for item in items:
        key = (item.record.topic, item.event.tenant)
        found = times.get(key)
        if found is None:
            times[key] = [item.event.time]
        else:
            found.append(item.event.time)
    stats: dict[StatsKey, tuple[int, datetime]] = {}
    for (topic, tenant), seen in times.items():
        key = (logical[topic], tenant)
        count, newest = stats.get(key, (0, seen[0]))
        stats[key] = (count + len(seen), max(newest, max(seen)))
    return stats
