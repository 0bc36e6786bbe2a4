"""The overdue scheduler: each stage past its due date without a response is announced
exactly once, with several schedulers (and service instances) running at once. Each test has
a database of its own, since a pass looks at every tenant's escalations."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

from escalation_service.main import create_app
from escalation_service.settings import EscalationSettings
from escalation_service.workers.overdue import announce_overdue
from qaf_shared.clock import BusinessClock
from qaf_shared.database import create_pool
from qaf_shared.events.catalogue import ESCALATION_TOPIC
from qaf_shared.testing.calls import created
from qaf_shared.testing.fixtures import DatabaseFactory, TopicsFactory, auth, serve
from qaf_shared.testing.kafka import read_topic

from .calls import BY_A_CHAIR

OVERDUE = "uk.gov.qa.escalation.stage_overdue.v1"


class Clock(BusinessClock):
    """Today as the service sees it; tests move it on."""

    def __init__(self, day: date) -> None:
        super().__init__()
        self.day = day

    def today(self) -> date:
        return self.day


def _settings(dsn: str, prefix: str, **changes: Any) -> EscalationSettings:
    options: dict[str, Any] = {"relay_enabled": False, "overdue_scan_enabled": False, **changes}
    return EscalationSettings(database_url=dsn, kafka_topic_prefix=prefix, **options)


@pytest_asyncio.fixture(loop_scope="session")
async def fresh_dsn(make_database: DatabaseFactory) -> str:
    return await make_database("escalation_service")


# Two pools, as two replicas would have.
Pools = tuple[asyncpg.Pool, asyncpg.Pool]


@pytest_asyncio.fixture(loop_scope="session")
async def pools(fresh_dsn: str) -> AsyncIterator[Pools]:
    """Two pools, as two replicas would have."""
    first, second = await create_pool(fresh_dsn, size=3), await create_pool(fresh_dsn, size=3)
    yield first, second
    await first.close()
    await second.close()


@pytest.fixture
def clock() -> Clock:
    """15 June 2026, a Monday, until the test moves it on."""
    return Clock(date(2026, 6, 15))


@pytest.fixture
def kent(token: Callable[..., str]) -> dict[str, str]:
    return auth(token("escalations:write escalations:read"))


@pytest_asyncio.fixture(loop_scope="session")
async def client(
    fresh_dsn: str, topic_prefix: str, clock: Clock
) -> AsyncIterator[httpx.AsyncClient]:
    """The service on the test's own database, today on `clock`, its relay and scheduler off
    (the test runs the scheduler's passes itself)."""
    async with serve(create_app(_settings(fresh_dsn, topic_prefix), clock=clock)) as served:
        yield served


async def _raise(client: httpx.AsyncClient, headers: dict[str, str], **changes: Any) -> str:
    escalation = await created(client, "/v1/escalations", {**BY_A_CHAIR, **changes}, headers)
    ident: str = escalation["id"]
    return ident


async def _announced(pool: asyncpg.Pool) -> Counter[tuple[str, str]]:
    rows = await pool.fetch("SELECT aggregateid, payload FROM outbox WHERE type = $1", OVERDUE)
    return Counter((r["aggregateid"], r["payload"]["data"]["stage"]) for r in rows)


async def test_two_schedulers_at_once_announce_each_overdue_stage_exactly_once(
    client: httpx.AsyncClient,
    pools: Pools,
    clock: Clock,
    kent: dict[str, str],
    token: Callable[..., str],
) -> None:
    medway = auth(token("escalations:write escalations:read", tenant="887"))
    overdue = [await _raise(client, kent, raised_on=f"2026-05-{day:02d}") for day in range(1, 21)]
    overdue += [
        await _raise(client, medway, team="GIL-CP1", raised_on="2026-05-11") for _ in range(7)
    ]
    due_today = await _raise(client, kent, raised_on="2026-06-08")  # due 15 June: not yet
    answered = await _raise(client, kent, raised_on="2026-05-01")
    response = await client.post(
        f"/v1/escalations/{answered}/responses",
        json={"responder": "sw-1", "response": "done", "responded_on": "2026-05-05"},
        headers=kent,
    )
    assert response.status_code == 200

    # Small batches so that the two passes interleave over several transactions.
    first, second = pools
    counts = await asyncio.gather(
        announce_overdue(first, today=clock.today(), batch_size=3),
        announce_overdue(second, today=clock.today(), batch_size=3),
    )
    assert sum(counts) == len(overdue)
    announced = await _announced(first)
    assert announced == Counter({(i, "INFORMAL"): 1 for i in overdue})
    assert due_today not in {i for i, _ in announced} and answered not in {i for i, _ in announced}
    assert await asyncio.gather(
        announce_overdue(first, today=clock.today()),
        announce_overdue(second, today=clock.today()),
    ) == [0, 0]

    # The next stage is a new stage: announced again once it is overdue, once.
    moved = await client.post(
        f"/v1/escalations/{overdue[0]}/escalate",
        json={"reason": "NO_RESPONSE"},
        headers=kent,
    )
    assert moved.status_code == 200 and moved.json()["stage_due_date"] == "2026-06-22"
    assert await announce_overdue(first, today=clock.today()) == 0
    clock.day = date(2026, 6, 23)
    counts = await asyncio.gather(
        announce_overdue(first, today=clock.today(), batch_size=2),
        announce_overdue(second, today=clock.today(), batch_size=2),
    )
    assert sum(counts) == 2  # TEAM_MANAGER of the first, INFORMAL of `due_today`
    announced = await _announced(first)
    assert announced[(overdue[0], "TEAM_MANAGER")] == 1
    assert announced[(due_today, "INFORMAL")] == 1
    assert set(announced.values()) == {1}

    event = await first.fetchval(
        "SELECT payload FROM outbox WHERE type = $1 AND aggregateid = $2",
        OVERDUE,
        due_today,
    )
    assert event["data"]["detected_on"] == "2026-06-23"
    assert event["data"]["stage_due_date"] == "2026-06-15"
    assert event["data"]["status"] == "AWAITING_RESPONSE"
    assert "Reports for conference" not in str(event)
    listed = await client.get(f"/v1/escalations/{due_today}", headers=kent)
    assert listed.json()["overdue"] is True and listed.json()["version"] == 1


async def test_a_late_step_racing_the_scheduler_announces_the_stage_once(
    client: httpx.AsyncClient, pools: Pools, clock: Clock, kent: dict[str, str]
) -> None:
    ids = [await _raise(client, kent, raised_on="2026-05-01") for _ in range(12)]

    async def respond(ident: str) -> None:
        response = await client.post(
            f"/v1/escalations/{ident}/responses",
            json={"responder": "sw-1", "response": "late", "responded_on": "2026-06-01"},
            headers=kent,
        )
        assert response.status_code == 200, response.text

    await asyncio.gather(
        *(respond(i) for i in ids),
        announce_overdue(pools[0], today=clock.today(), batch_size=1),
        announce_overdue(pools[1], today=clock.today(), batch_size=1),
    )
    assert await _announced(pools[0]) == Counter({(i, "INFORMAL"): 1 for i in ids})


async def test_two_service_instances_publish_one_overdue_event_per_stage(
    fresh_dsn: str, make_topics: TopicsFactory, clock: Clock, kent: dict[str, str]
) -> None:
    prefix = await make_topics()  # topics of its own: the counts are exact
    async with serve(create_app(_settings(fresh_dsn, prefix), clock=clock)) as client:
        overdue = [await _raise(client, kent, raised_on="2026-05-04") for _ in range(15)]
        on_time = await _raise(client, kent)

    # Two replicas, each with its relay and its scheduler, started together.
    running = _settings(
        fresh_dsn,
        prefix,
        relay_enabled=True,
        relay_poll_interval_s=0.1,
        overdue_scan_enabled=True,
        overdue_scan_interval_s=0.05,
        overdue_scan_batch_size=2,
    )
    async with serve(create_app(running, clock=clock)), serve(create_app(running, clock=clock)):
        records = await read_topic(
            prefix + ESCALATION_TOPIC,
            expected=len(overdue) + 1 + len(overdue),
            timeout=30,
            linger=1,
        )
    events = [event for _, event in records]
    kinds = Counter(e.type for e in events)
    assert kinds == Counter(
        {"uk.gov.qa.escalation.raised.v1": len(overdue) + 1, OVERDUE: len(overdue)}
    )
    announced = Counter(e.subject for e in events if e.type == OVERDUE)
    assert announced == Counter(dict.fromkeys(overdue, 1))
    assert on_time not in announced
    # The events of one escalation stay in order (same key, same partition).
    for ident in overdue:
        assert [e.type.split(".")[-2] for e in events if e.subject == ident] == [
            "raised",
            "stage_overdue",
        ]
    assert {e.tenant for e in events} == {"886"}
