"""2. End to end: at 50 writes/s (an even, open-loop schedule, the three write services in
turn), the time from a write's HTTP 201 arriving to its change being visible in the Deep
Dive's projection. Visible means reporting-service's fact row for the new aggregate exists in
the active projection schema: the consumer commits it in the same transaction as the counts
the Deep Dive reads. A tight loop (every 2 ms) looks for the pending ids; a latency is taken
at the start of the query that first sees the row, so it errs by at most one poll high.

The baseline, run in turn with the service runs: Kafka alone at the same rate, from a send
with the relay's producer settings to its receipt by a consumer with reporting-service's
fetch settings, on a topic nothing else reads. What the pipeline adds (the relay's wake-up,
claim and mark, the consumer's transaction) is the difference; the machine's load shows in
both.

Targets: p50 <= 50 ms, p99 <= 250 ms, nothing lost (every write visible within 30 s)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.env import KAFKA_SETTINGS, BenchEnv, Process
from bench.results import Figure
from bench.writes import WRITES, Write
from qaf_shared.kafka import client_options, idempotent_producer, load_topics
from reporting_service.settings import ReportingSettings

RATE = 50.0  # writes per second
SECONDS = 20.0
POLL_S = 0.002
LOST_AFTER_S = 30.0
P50_TARGET_MS = 50.0
P99_TARGET_MS = 250.0
TENANT = "886"  # the tenant of env.token's tokens


@dataclass(frozen=True)
class RunResult:
    latencies_ms: list[float]
    errors: int
    lost: int

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(env: BenchEnv) -> list[Figure]:
    prefix = env.topics()
    services: dict[Write, Process] = {}
    for write in WRITES:
        services[write] = env.start_service(
            write.package, database=env.database(write.package), topic_prefix=prefix
        )
    reporting_db = env.database("reporting_service")
    env.start_service("reporting_service", database=reporting_db, topic_prefix=prefix)
    tokens = {write: env.token(write.scope) for write in WRITES}
    seconds = env.seconds(SECONDS)

    baseline_topic = f"{env.topics()}qa.feedback.events.v1"  # a topic nobody consumes

    asyncio.run(_warm_up(services, tokens, reporting_db))
    results: list[RunResult] = []
    baselines: list[RunResult] = []
    for _ in range(env.repeats):
        results.append(asyncio.run(_one_run(services, tokens, reporting_db, seconds)))
        baselines.append(asyncio.run(_kafka_run(baseline_topic, seconds)))

    name = "end_to_end"
    note = f"{RATE:.0f} writes/s for {seconds:.0f} s per run"
    p50 = Figure(
        name,
        "p50 ms",
        [r.percentile(50) for r in results],
        target="<= 50 ms",
        baseline_runs=[r.percentile(50) for r in baselines],
        note="baseline: Kafka alone, send to receipt",
    )
    p50.met = p50.median <= P50_TARGET_MS
    p99 = Figure(
        name,
        "p99 ms",
        [r.percentile(99) for r in results],
        target="<= 250 ms",
        baseline_runs=[r.percentile(99) for r in baselines],
    )
    p99.met = p99.median <= P99_TARGET_MS
    lost = Figure(
        name,
        "lost or failed",
        [float(r.lost + r.errors) for r in results],
        target="0",
        note=note,
    )
    lost.met = max(lost.runs) == 0
    return [p50, p99, lost]


async def _post(client: httpx.AsyncClient, write: Write, url: str, token: str) -> httpx.Response:
    return await client.post(
        f"{url}{write.path}",
        json=write.body(),
        headers={
            "Authorization": f"Bearer {token}",
            "X-Actor": "bench-actor",
            "Idempotency-Key": uuid.uuid4().hex,
        },
    )


async def _active_schema(conn: asyncpg.Connection) -> str:
    schema: str | None = await conn.fetchval("SELECT active_schema FROM projection_state")
    if schema is None or not schema.startswith("gen_"):
        raise RuntimeError(f"reporting-service has no active projection schema ({schema!r})")
    return schema


async def _warm_up(
    services: dict[Write, Process], tokens: dict[Write, str], reporting_db: str
) -> None:
    """One write per service, visible before timing starts (the consumer has joined its
    group and been given its partitions)."""
    conn = await asyncpg.connect(reporting_db)
    try:
        schema = await _active_schema(conn)
        async with httpx.AsyncClient(timeout=10) as client:
            ids = []
            for write, process in services.items():
                response = await _post(client, write, process.url, tokens[write])
                response.raise_for_status()
                ids.append(response.json()["id"])
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 90
        while loop.time() < deadline:
            seen = await conn.fetchval(
                f"SELECT count(*) FROM {schema}.facts WHERE tenant = $1 AND id = ANY($2::text[])",
                TENANT,
                ids,
            )
            if seen == len(ids):
                return
            await asyncio.sleep(0.1)
        raise RuntimeError("the warm-up writes did not reach the projection within 90 s")
    finally:
        await conn.close()


async def _one_run(
    services: dict[Write, Process], tokens: dict[Write, str], reporting_db: str, seconds: float
) -> RunResult:
    loop = asyncio.get_running_loop()
    conn = await asyncpg.connect(reporting_db)
    schema = await _active_schema(conn)
    # By the facts' primary key (tenant, kind, id): a scan of the growing table on every poll
    # would slow the loop down run after run.
    query = (
        f"SELECT id FROM {schema}.facts"
        " WHERE tenant = $1 AND kind = ANY($2::text[]) AND id = ANY($3::text[])"
    )
    kinds = sorted({w.fact_kind for w in WRITES})
    pending: dict[str, float] = {}  # aggregate id -> when its 201 arrived
    latencies: list[float] = []
    errors = 0
    sending = True

    async def one(client: httpx.AsyncClient, write: Write) -> None:
        nonlocal errors
        try:
            response = await _post(client, write, services[write].url, tokens[write])
        except httpx.HTTPError:
            errors += 1
            return
        arrived = loop.time()
        if response.status_code != 201:
            errors += 1
            return
        pending[response.json()["id"]] = arrived

    async def watch() -> None:
        last_news = loop.time()
        while sending or (pending and loop.time() - last_news < LOST_AFTER_S):
            if pending:
                asked = loop.time()
                for row in await conn.fetch(query, TENANT, kinds, list(pending)):
                    acked = pending.pop(row["id"], None)
                    if acked is not None:
                        latencies.append(max(0.0, asked - acked) * 1000)
                        last_news = loop.time()
            else:
                last_news = loop.time()
            await asyncio.sleep(POLL_S)

    try:
        watcher = asyncio.create_task(watch())
        async with httpx.AsyncClient(timeout=10) as client:
            total = int(RATE * seconds)
            start = loop.time()
            tasks = []
            for i in range(total):
                delay = start + i / RATE - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(client, WRITES[i % len(WRITES)])))
            await asyncio.gather(*tasks)
        sending = False
        await watcher
    finally:
        await conn.close()
    return RunResult(latencies_ms=latencies, errors=errors, lost=len(pending))


async def _kafka_run(topic: str, seconds: float) -> RunResult:
    """The baseline: records sent at RATE with the relay's producer settings, timed from the
    send to their receipt by a consumer with reporting-service's fetch settings."""
    loop = asyncio.get_running_loop()
    settings = ReportingSettings()
    consumer = AIOKafkaConsumer(
        **client_options(KAFKA_SETTINGS),
        enable_auto_commit=False,
        fetch_max_wait_ms=settings.consumer_fetch_max_wait_ms,
    )
    producer = idempotent_producer(KAFKA_SETTINGS)
    await consumer.start()
    await producer.start()
    sent: dict[bytes, float] = {}
    latencies: list[float] = []
    try:
        partitions = [TopicPartition(topic, p) for p in range(_partition_count(topic))]
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        for partition in partitions:
            await consumer.position(partition)
        sending = True

        async def receive() -> None:
            while sending or sent:
                batches = await consumer.getmany(timeout_ms=100)
                arrived = loop.time()
                for records in batches.values():
                    for record in records:
                        started = sent.pop(record.key, None)
                        if started is not None:
                            latencies.append((arrived - started) * 1000)
                if not sending and loop.time() - last_send > LOST_AFTER_S:
                    return

        last_send = loop.time()
        receiver = asyncio.create_task(receive())
        start = loop.time()
        acks = []
        for i in range(int(RATE * seconds)):
            delay = start + i / RATE - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            key = uuid.uuid4().bytes
            sent[key] = last_send = loop.time()
            acks.append(await producer.send(topic, value=b"{}", key=key))
        await asyncio.gather(*acks)
        sending = False
        await receiver
    finally:
        await producer.stop()
        await consumer.stop()
    return RunResult(latencies_ms=latencies, errors=0, lost=len(sent))


def _partition_count(topic: str) -> int:
    """The topic's partitions, as deploy/topics.yaml declares them."""
    return next(int(t["partitions"]) for t in load_topics() if topic.endswith(t["name"]))
