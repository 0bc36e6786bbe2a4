"""`GET /v1/status` per tenant (and totals for admin), and `POST /v1/admin/rebuild` once
across replicas, against real Kafka and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest_asyncio

from qaf_shared import jsonutil
from qaf_shared.database import connect
from qaf_shared.events.activity import ReferralRecorded, ReferralWithdrawn
from qaf_shared.events.catalogue import ACTIVITY_TOPIC, AUDIT_TOPIC, DLQ_TOPIC, FEEDBACK_TOPIC
from qaf_shared.events.envelope import CloudEvent, new_event
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.testing.fixtures import auth, eventually, serve
from qaf_shared.testing.kafka import Record, as_published, produce, publish, read_topic
from qaf_shared.testing.processes import start_service
from reporting_service.main import create_app

from ..feed import Own, audit_submitted, feedback_received, settings_for

PROBLEM = "application/problem+json"


def unappliable(tenant: str) -> bytes:
    """A readable envelope (so its tenant is known) whose payload no projection accepts."""
    event = audit_submitted(tenant, at=datetime(2025, 1, 1, tzinfo=UTC)).to_json()
    event["data"] = {"audit_id": "not-a-uuid"}
    return jsonutil.dumpb(event)


async def status(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    response = await client.get("/v1/status", headers=auth(token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def figures(body: dict[str, Any]) -> dict[str, Any]:
    """What a rebuild must reproduce: everything but the generation's name and the lag."""
    return {
        "tenant": body["tenant"],
        "applied": {t: v["applied"] for t, v in body["topics"].items()},
        "newest_event_time": body["newest_event_time"],
        "dead_letters": body["dead_letters"],
    }


async def rebuilt(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    async def idle() -> bool:
        state = (await client.get("/v1/admin/rebuild", headers=admin)).json()
        return bool(state["status"] == "idle" and state["finished_at"] is not None)

    await eventually(idle, timeout=60)


@pytest_asyncio.fixture
async def one_audit(own: Own) -> Own:
    """A test's own database and topics, with one audit of 886's on the topics."""
    await publish(own.prefix, [audit_submitted("886", at=datetime.now(UTC))])
    return own


async def test_a_tenant_sees_only_its_own_figures_and_admin_the_totals_before_and_after_a_rebuild(
    own: Own, token: Callable[..., str]
) -> None:
    dsn, prefix = own
    a_times = [datetime(2026, 1, d, 9, tzinfo=UTC) for d in (3, 10, 5, 7, 8)]
    b_times = [datetime(2026, 2, d, 9, tzinfo=UTC) for d in (1, 20, 4, 6, 2)]
    a_events = [audit_submitted("886", at=t) for t in a_times[:3]] + [
        feedback_received("886", at=t) for t in a_times[3:]
    ]
    b_events = [audit_submitted("887", at=t) for t in b_times[:4]] + [
        feedback_received("887", at=t) for t in b_times[4:]
    ]
    audit_topic, feedback_topic = prefix + AUDIT_TOPIC, prefix + FEEDBACK_TOPIC
    # Dead letters: one of 886's, two of 887's, and one whose tenant cannot be read.
    dead = [
        (audit_topic, unappliable("886")),
        (feedback_topic, unappliable("887")),
        (audit_topic, unappliable("887")),
        (audit_topic, b"\x00not json"),
    ]
    await produce(
        [as_published(prefix, e) for e in a_events + b_events]
        + [Record(topic, uuid.uuid4().bytes, value) for topic, value in dead]
    )
    reader_a = token("reports:read", tenant="886")
    reader_b = token("reports:read_unsuppressed", tenant="887")
    operator = token("reports:read admin", tenant="886")
    async with serve(create_app(settings_for(dsn, prefix, "st"))) as client:

        async def all_consumed() -> bool:
            body = await status(client, operator)
            applied = sum(t["applied"] for t in body["topics"].values())
            return bool(applied == 10 and body["dead_letters"] == 4)

        await eventually(all_consumed, timeout=60)
        a, b, total = [await status(client, t) for t in (reader_a, reader_b, operator)]

        assert a["tenant"] == "886"
        assert {t: v["applied"] for t, v in a["topics"].items()} == {
            "qa.audit.events.v1": 3,
            "qa.escalation.events.v1": 0,
            "qa.feedback.events.v1": 2,
            "qa.activity.events.v1": 0,
        }
        assert a["newest_event_time"] == max(a_times).isoformat()
        assert a["dead_letters"] == 1
        # Broker-level lag covers every tenant's records: not a tenant's to see.
        assert a["consumer_lag_total"] is None
        assert all(v["lag"] is None for v in a["topics"].values())

        assert b["tenant"] == "887"
        assert b["topics"]["qa.audit.events.v1"]["applied"] == 4
        assert b["topics"]["qa.feedback.events.v1"]["applied"] == 1
        assert b["newest_event_time"] == max(b_times).isoformat()
        assert b["dead_letters"] == 2

        assert total["tenant"] is None
        assert total["topics"]["qa.audit.events.v1"]["applied"] == 7
        assert total["topics"]["qa.feedback.events.v1"]["applied"] == 3
        assert total["newest_event_time"] == max(a_times + b_times).isoformat()
        assert total["dead_letters"] == 4  # the unreadable one counts only here
        assert isinstance(total["consumer_lag_total"], int)
        assert all(isinstance(v["lag"], int) for v in total["topics"].values())

        admin = auth(token("admin"))
        assert (await client.post("/v1/admin/rebuild", headers=admin)).status_code == 202
        await rebuilt(client, admin)
        after = [await status(client, t) for t in (reader_a, reader_b, operator)]
        assert after[0]["projection"] != a["projection"]
        assert [figures(x) for x in after] == [figures(x) for x in (a, b, total)]


def referral(tenant: str, at: datetime) -> tuple[CloudEvent, CloudEvent]:
    """A referral recorded over REST and then withdrawn, as activity-service publishes them."""
    record_id = uuid.uuid4()
    facts = {
        "record_id": record_id,
        "child_key": uuid.uuid4().hex * 2,
        "org_unit": OrgUnitRef(area="NORTH", district="ASHFORD", team="ASH-CP1"),
        "source": "REST",
    }
    recorded = ReferralRecorded(**facts, version=1, referral_date=date(2026, 4, 2))
    withdrawn = ReferralWithdrawn(**facts, version=2, key_date=date(2026, 4, 2))
    recorded_event, withdrawn_event = (
        new_event(source="/test", tenant=tenant, subject=str(record_id), time=at, data=data)
        for data in (recorded, withdrawn)
    )
    return recorded_event, withdrawn_event


async def test_activity_events_are_consumed_and_counted_under_their_topic_not_dead_lettered(
    own: Own, token: Callable[..., str]
) -> None:
    """qa.activity.events.v1 is a domain topic: reporting reads it live and in a rebuild, and
    an event no projection folds yet is processed (counted, never a dead letter), so that
    the projections added later find the topic's whole history."""
    dsn, prefix = own
    at = datetime(2026, 4, 2, 12, tzinfo=UTC)
    events = [*referral("886", at), audit_submitted("886", at=at)]
    await publish(prefix, events)
    operator = token("reports:read admin")
    async with serve(create_app(settings_for(dsn, prefix, "act"))) as client:

        async def all_applied() -> bool:
            body = await status(client, operator)
            return sum(t["applied"] for t in body["topics"].values()) == len(events)

        await eventually(all_applied, timeout=60)
        total = await status(client, operator)
        tenant = await status(client, token("reports:read"))
        processed = await connect(dsn)
        try:
            schema = await processed.fetchval("SELECT active_schema FROM projection_state")
            ids = await processed.fetch(f"SELECT event_id FROM {schema}.processed_events")
        finally:
            await processed.close()

        for body in (total, tenant):
            assert body["topics"][ACTIVITY_TOPIC]["applied"] == 2
            assert body["topics"][AUDIT_TOPIC]["applied"] == 1
            assert body["dead_letters"] == 0
            assert body["newest_event_time"] == at.isoformat()
        assert isinstance(total["topics"][ACTIVITY_TOPIC]["lag"], int)
        assert {r["event_id"] for r in ids} >= {e.id for e in events}
        assert len(await read_topic(prefix + ACTIVITY_TOPIC, 2)) == 2
        assert await read_topic(prefix + DLQ_TOPIC, 0, timeout=1) == []

        admin = auth(token("admin"))
        assert (await client.post("/v1/admin/rebuild", headers=admin)).status_code == 202
        await rebuilt(client, admin)
        assert figures(await status(client, operator)) == figures(total)


async def test_a_second_rebuild_request_to_any_replica_is_409_while_one_runs(
    one_audit: Own, token: Callable[..., str]
) -> None:
    dsn, prefix = one_audit
    admin = auth(token("admin"))
    # Two replicas: two apps over the same database, each with its own process memory.
    async with (
        serve(create_app(settings_for(dsn, prefix, "st"))) as one,
        serve(create_app(settings_for(dsn, prefix, "st"))) as two,
    ):
        reader = token("reports:read admin")
        await eventually(
            lambda: _applied(one, reader, 1),
            timeout=30,
        )
        before = (await one.get("/v1/admin/rebuild", headers=admin)).json()
        blocker = await connect(dsn)
        try:
            # What a replica killed mid-rebuild leaves behind: a generation nobody uses.
            await blocker.execute("CREATE SCHEMA gen_99")
            # Holding projection_state keeps the first rebuild running (it waits to open its
            # generation) for as long as this test needs.
            hold = blocker.transaction()
            await hold.start()
            await blocker.execute("SELECT 1 FROM projection_state FOR UPDATE")
            first = await one.post("/v1/admin/rebuild", headers=admin)
            assert first.status_code == 202
            for client in (two, one):
                refused = await client.post("/v1/admin/rebuild", headers=admin)
                assert refused.status_code == 409
                assert refused.headers["content-type"].startswith(PROBLEM)
                assert refused.json()["status"] == 409
            state = (await two.get("/v1/admin/rebuild", headers=admin)).json()
            assert state["status"] == "running"
            await hold.rollback()
            await rebuilt(two, admin)
            leftovers = await blocker.fetchval(
                "SELECT count(*) FROM pg_namespace WHERE nspname = 'gen_99'"
            )
            assert leftovers == 0
        finally:
            await blocker.close()
        # Released once it finished: the other replica may now rebuild.
        second = await two.post("/v1/admin/rebuild", headers=admin)
        assert second.status_code == 202
        await rebuilt(one, admin)
        after = (await one.get("/v1/admin/rebuild", headers=admin)).json()
        assert after["generation"] == before["generation"] + 2
        assert after["error"] is None
        assert await _applied(two, reader, 1)


async def test_the_rebuild_lock_is_released_when_the_replica_holding_it_is_killed(
    one_audit: Own, token: Callable[..., str]
) -> None:
    dsn, prefix = one_audit
    admin = auth(token("admin"))
    env = {
        "QA_DATABASE_URL": dsn,
        "QA_KAFKA_TOPIC_PREFIX": prefix,
        "QA_CONSUMER_GROUP": f"st-{uuid.uuid4().hex[:8]}",
    }
    process, base = start_service(
        "reporting-rebuild-killed", "reporting_service.main:create_app", env
    )
    blocker = await connect(dsn)
    try:
        async with serve(create_app(settings_for(dsn, prefix, "st"))) as survivor:
            hold = blocker.transaction()
            await hold.start()
            await blocker.execute("SELECT 1 FROM projection_state FOR UPDATE")
            async with httpx.AsyncClient(base_url=base) as doomed:
                assert (await doomed.post("/v1/admin/rebuild", headers=admin)).status_code == 202
            assert (await survivor.post("/v1/admin/rebuild", headers=admin)).status_code == 409
            process.kill()

            async def accepted() -> bool:
                response = await survivor.post("/v1/admin/rebuild", headers=admin)
                return response.status_code == 202

            await eventually(accepted, timeout=15)
            await hold.rollback()
            await rebuilt(survivor, admin)
            state = (await survivor.get("/v1/admin/rebuild", headers=admin)).json()
            assert state["error"] is None
            assert await _applied(survivor, token("reports:read admin"), 1)
    finally:
        process.kill()
        await blocker.close()


async def _applied(client: httpx.AsyncClient, reader: str, want: int) -> bool:
    body = await status(client, reader)
    return sum(t["applied"] for t in body["topics"].values()) == want
