"""PostgreSQL restarted during 1,000 writes. audit-service and reporting-service run as real
processes on a cluster of the test's own (deploy/local/postgres.sh on another port), with the
shared broker and topics of their own; 500 audits are created and submitted (1,000 writes,
each with an Idempotency-Key, sent again while it is answered 503), and the cluster is
stopped and started again in the middle. Every write is accepted and reaches the Deep Dive
exactly once; every 5xx is a 503 problem+json, and they last no longer than the outage;
both services are ready again within 30 s of PostgreSQL answering."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from qaf_shared.database import connect
from qaf_shared.quarters import quarter_of
from qaf_shared.testing.fixtures import TopicsFactory, auth, create_database, eventually
from qaf_shared.testing.postgres import PrivateCluster, private_cluster
from qaf_shared.testing.processes import Process, start_service

from .settle import caught_up

AUDITS = 500  # a create and a submit each: 1,000 writes
CONCURRENCY = 8
RESTART_AFTER = 300  # writes accepted before PostgreSQL is stopped
DOWN_FOR_S = 2.0  # stopped this long before it is started again
GRADES = ("OUTSTANDING", "GOOD", "REQUIRES_IMPROVEMENT", "INADEQUATE")
AUDIT_TOPIC = "qa.audit.events.v1"


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    with private_cluster() as cluster:
        yield cluster


class Writer:
    """Sends each write until it is accepted, the same Idempotency-Key each time; keeps every
    answer's time and status."""

    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers
        self.answers: list[tuple[float, int, str]] = []  # (time, status, content type)
        self.accepted = 0

    async def write(self, path: str, body: dict[str, Any], expect: int) -> dict[str, Any]:
        key = uuid.uuid4().hex
        deadline = time.monotonic() + 120
        while True:
            response = await self.client.post(
                path, json=body, headers={**self.headers, "Idempotency-Key": key}
            )
            self.answers.append(
                (time.monotonic(), response.status_code, response.headers.get("content-type", ""))
            )
            if response.status_code == expect:
                self.accepted += 1
                result: dict[str, Any] = response.json()
                return result
            assert response.status_code == 503, (response.status_code, response.text)
            assert time.monotonic() < deadline, "a write was never accepted"
            await asyncio.sleep(0.1)


async def test_a_postgresql_restart_during_1000_writes_loses_and_repeats_nothing(
    cluster: PrivateCluster, make_topics: TopicsFactory, token: Callable[..., str]
) -> None:
    run = uuid.uuid4().hex[:8]
    audit_db = await create_database("audit_service", f"restart_audit_{run}", cluster.role_dsn)
    reporting_db = await create_database(
        "reporting_service", f"restart_reporting_{run}", cluster.role_dsn
    )
    prefix = await make_topics()
    audit, audit_base = start_service(
        f"restart-audit-{run}",
        "audit_service.main:create_app",
        {
            "QA_DATABASE_URL": audit_db,
            "QA_KAFKA_TOPIC_PREFIX": prefix,
            "QA_RELAY_POLL_INTERVAL_S": "0.2",
        },
    )
    reporting, reporting_base = start_service(
        f"restart-reporting-{run}",
        "reporting_service.main:create_app",
        {
            "QA_DATABASE_URL": reporting_db,
            "QA_KAFKA_TOPIC_PREFIX": prefix,
            "QA_CONSUMER_GROUP": f"restart-{run}",
        },
    )
    processes = [audit, reporting]
    try:
        async with (
            httpx.AsyncClient(base_url=audit_base, timeout=30) as audits,
            httpx.AsyncClient(base_url=reporting_base, timeout=30) as reports,
        ):
            figures = await _writes_across_a_restart(
                cluster, audits, reports, auth(token("audits:write audits:read")), processes
            )
            writer, outage, grades = figures["writer"], figures["outage"], figures["grades"]
            assert writer.accepted == 2 * AUDITS

            # Every accepted write, exactly once: 1,000 events applied, none twice, none
            # dead-lettered, and the Deep Dive counts each submitted audit once.
            raw = auth(token("reports:read_unsuppressed"))

            await eventually(
                lambda: caught_up(reports, raw, AUDIT_TOPIC, 2 * AUDITS), timeout=120, interval=0.5
            )
            await asyncio.sleep(2)  # a redelivery would be counted by now
            status = (await reports.get("/v1/status", headers=raw)).json()
            assert status["topics"][AUDIT_TOPIC]["applied"] == 2 * AUDITS
            assert status["dead_letters"] == 0
            dive = (
                await reports.get(f"/v1/deep-dives/{quarter_of(date.today())}", headers=raw)
            ).json()
            assert dive["audits"]["completed"] == AUDITS
            assert dive["audits"]["grades"] == {g: grades.count(g) for g in GRADES}
    finally:
        for process in processes:
            process.kill()

    conn = await connect(cluster.role_dsn("audit_service", f"restart_audit_{run}"))
    try:
        assert await conn.fetchval("SELECT count(*) FROM audits") == AUDITS
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 2 * AUDITS
    finally:
        await conn.close()

    failures = [(t, s, c) for t, s, c in writer.answers if s >= 500]
    assert failures, "no write met the outage: the test proved nothing"
    assert {(s, c) for _, s, c in failures} == {(503, "application/problem+json")}
    window = failures[-1][0] - failures[0][0]
    down = outage["answering"] - outage["stopping"]
    print(
        f"\nPostgreSQL outage {down:.2f} s; 5xx answered for {window:.2f} s "
        f"({len(failures)} answers 503); ready again after "
        + ", ".join(f"{name} {s:.2f} s" for name, s in outage["ready"].items())
    )
    assert window <= down
    assert all(s <= 30 for s in outage["ready"].values())


async def _writes_across_a_restart(
    cluster: PrivateCluster,
    audits: httpx.AsyncClient,
    reports: httpx.AsyncClient,
    headers: dict[str, str],
    processes: list[Process],
) -> dict[str, Any]:
    writer = Writer(audits, headers)
    grades: list[str] = []
    outage: dict[str, Any] = {}
    today = date.today().isoformat()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(AUDITS):
        queue.put_nowait(n)

    async def work() -> None:
        while not queue.empty():
            n = queue.get_nowait()
            created = await writer.write(
                "/v1/audits",
                {
                    "case_ref": f"C-R{n}",
                    "team": "ASH-CP1",
                    "plan_type": "CIC",
                    "auditor": "a-1",
                    "due_date": "2027-01-31",
                },
                201,
            )
            grade = GRADES[n % len(GRADES)]
            await writer.write(
                f"/v1/audits/{created['id']}/submit",
                {
                    "overall_grade": grade,
                    "themes": [],
                    "child_voice_evident": False,
                    "submitted_on": today,
                },
                200,
            )
            grades.append(grade)

    async def restart() -> None:
        while writer.accepted < RESTART_AFTER:
            await asyncio.sleep(0.05)
        outage["stopping"] = time.monotonic()
        await asyncio.to_thread(cluster.stop)
        await asyncio.sleep(DOWN_FOR_S)
        # postgres.sh goes on (roles, logins) after the server answers: timed from then.
        starting = asyncio.create_task(asyncio.to_thread(cluster.start))
        outage["answering"] = await _answering(cluster)

        async def ready(client: httpx.AsyncClient) -> float:
            await eventually(_ready(client), timeout=30, interval=0.1)
            return time.monotonic() - outage["answering"]

        outage["ready"] = dict(
            zip(
                ("audit-service", "reporting-service"),
                await asyncio.gather(ready(audits), ready(reports)),
                strict=True,
            )
        )
        await starting

    await asyncio.gather(restart(), *(work() for _ in range(CONCURRENCY)))
    for process in processes:
        assert process.alive(), f"a service exited; see {process.log_path}"
    return {"writer": writer, "outage": outage, "grades": grades}


async def _answering(cluster: PrivateCluster) -> float:
    """The moment a connection to the cluster first succeeds again."""
    while True:
        try:
            conn = await connect(cluster.role_dsn("audit_service", "audit_service"))
        except Exception:
            await asyncio.sleep(0.05)
            continue
        await conn.close()
        return time.monotonic()


def _ready(client: httpx.AsyncClient) -> Callable[[], Any]:
    async def check() -> bool:
        return (await client.get("/readyz")).status_code == 200

    return check
