"""The production path to Kafka, proved on a broker of this module's own that
deploy/local/kafka.sh starts with KAFKA_SECURITY=sasl_ssl: TLS, a SCRAM user per service and
ACLs. The pipeline runs end to end over it; the broker refuses a service another's topic and a
wrong password; and a SIGKILL of the broker during 1,000 writes loses and doubles nothing."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

from audit_service.main import create_app as create_audit_app
from audit_service.settings import AuditSettings
from escalation_service.main import create_app as create_escalation_app
from escalation_service.settings import EscalationSettings
from qaf_shared.kafka import KafkaProbe, ensure_topics
from qaf_shared.quarters import quarter_of
from qaf_shared.settings import ServiceSettings
from qaf_shared.testing.broker import PrivateBroker
from qaf_shared.testing.fixtures import DatabaseFactory, auth, eventually, serve
from reporting_service.main import create_app as create_reporting_app
from reporting_service.settings import ReportingSettings

ESCALATION = {
    "case_ref": "CASE-17",
    "team": "ASH-CP1",
    "plan_type": "CIC",
    "raised_by": "iro-7",
    "raised_by_role": "IRO",
    "categories": ["DRIFT_DELAY"],
    "summary": "Reports were late.",
}
MEDWAY_TEAM = "STR-CP1"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def broker(run_id: str) -> AsyncIterator[PrivateBroker]:
    """A SASL_SSL broker with ACLs, for this module only, with every topic made (by admin)."""
    broker = PrivateBroker(f"kafka-test-{run_id}", security="sasl_ssl")
    try:
        await asyncio.to_thread(broker.start)
        await ensure_topics(ServiceSettings(**broker.settings("admin")))
        yield broker
    finally:
        await asyncio.to_thread(broker.remove)


def _reporting(broker: PrivateBroker, dsn: str, **kafka: Any) -> ReportingSettings:
    return ReportingSettings(
        database_url=dsn,
        consumer_group=f"reporting-service-{uuid.uuid4().hex[:8]}",
        **{**broker.settings("reporting-service"), **kafka},
    )


def _escalations(broker: PrivateBroker, dsn: str, user: str) -> EscalationSettings:
    return EscalationSettings(
        database_url=dsn,
        relay_poll_interval_s=0.2,
        overdue_scan_enabled=False,
        **broker.settings(user),
    )


async def _deep_dive(reports: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await reports.get(f"/v1/deep-dives/{quarter_of(date.today())}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _unpublished(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        return count
    finally:
        await conn.close()


async def test_a_write_reaches_the_deep_dive_over_sasl_ssl_with_each_service_its_own_user(
    broker: PrivateBroker, make_database: DatabaseFactory, token: Callable[..., str]
) -> None:
    audit_settings = AuditSettings(
        database_url=await make_database("audit_service"),
        relay_poll_interval_s=0.2,
        **broker.settings("audit-service"),
    )
    reporting_settings = _reporting(broker, await make_database("reporting_service"))
    assert audit_settings.kafka_security_protocol == "SASL_SSL"
    writer = auth(token("audits:write"))
    async with (
        serve(create_audit_app(audit_settings)) as audits,
        serve(create_reporting_app(reporting_settings)) as reports,
    ):
        for grade in ("GOOD", "INADEQUATE"):
            created = await audits.post(
                "/v1/audits",
                json={
                    "case_ref": "C-17",
                    "team": "ASH-CP1",
                    "plan_type": "CIC",
                    "auditor": "a-1",
                    "due_date": "2027-01-31",
                },
                headers=writer,
            )
            assert created.status_code == 201, created.text
            submitted = await audits.post(
                f"/v1/audits/{created.json()['id']}/submit",
                json={
                    "overall_grade": grade,
                    "themes": [],
                    "child_voice_evident": False,
                    "submitted_on": date.today().isoformat(),
                },
                headers=writer,
            )
            assert submitted.status_code == 200, submitted.text
        raw = auth(token("reports:read_unsuppressed"))

        async def both_counted() -> bool:
            return (await _deep_dive(reports, raw))["audits"]["completed"] == 2

        await eventually(both_counted, timeout=30)
        grades = (await _deep_dive(reports, raw))["audits"]["grades"]
        assert grades["GOOD"] == 1 and grades["INADEQUATE"] == 1
        for client in (audits, reports):
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text


async def test_a_service_writing_anothers_topic_is_refused_keeps_its_rows_and_says_why(
    broker: PrivateBroker, make_database: DatabaseFactory, token: Callable[..., str]
) -> None:
    dsn = await make_database("escalation_service")
    # escalation-service with feedback-service's user: the ACLs let that user write only the
    # feedback topic, so the broker refuses every escalation event.
    misconfigured = _escalations(broker, dsn, "feedback-service")
    assert misconfigured.kafka_sasl_password_file is not None
    password = (await asyncio.to_thread(misconfigured.kafka_sasl_password_file.read_text)).strip()
    writer = auth(token("escalations:write", tenant="887"))
    raised = 4
    async with serve(create_escalation_app(misconfigured)) as escalations:
        for _ in range(raised):
            answer = await escalations.post(
                "/v1/escalations", json={**ESCALATION, "team": MEDWAY_TEAM}, headers=writer
            )
            assert answer.status_code == 201, answer.text

        async def refused() -> httpx.Response | None:
            ready = await escalations.get("/readyz")
            return ready if ready.status_code == 503 else None

        ready = await eventually(refused, timeout=30)
        assert ready.json()["checks"] == {
            "database": "ok",
            "kafka": "ok",
            "outbox": "not authorized to write its topic",
        }
        assert password not in ready.text
        assert await _unpublished(dsn) == raised

    # Fixed: the same database, now with escalation-service's own user. Every row kept in the
    # outbox is published, and reporting counts each once.
    fixed = _escalations(broker, dsn, "escalation-service")
    reporting = _reporting(broker, await make_database("reporting_service"))
    medway = auth(token("reports:read_unsuppressed", tenant="887"))
    async with (
        serve(create_escalation_app(fixed)) as escalations,
        serve(create_reporting_app(reporting)) as reports,
    ):

        async def all_published() -> bool:
            return await _unpublished(dsn) == 0

        await eventually(all_published, timeout=30)

        async def counted() -> int:
            return int((await _deep_dive(reports, medway))["escalations"]["raised"])

        assert await eventually(counted, timeout=30) == raised
        assert (await escalations.get("/readyz")).status_code == 200


async def test_a_wrong_password_cannot_connect_and_is_told_without_the_secret(
    broker: PrivateBroker,
    make_database: DatabaseFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrong = tmp_path / "password"
    secret = f"not-the-password-{uuid.uuid4().hex}"
    wrong.write_text(secret + "\n")
    settings = _reporting(
        broker, await make_database("reporting_service"), kafka_sasl_password_file=wrong
    )
    caplog.set_level(logging.DEBUG)
    assert await KafkaProbe(settings).check() == "authentication failed"
    async with serve(create_reporting_app(settings)) as reports:
        ready = await reports.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["kafka"] == "authentication failed"
        assert secret not in ready.text
    assert "SaslAuthenticationFailed" in caplog.text
    assert secret not in caplog.text


class _Writes:
    """Escalations raised against a service, each answer's status and time kept."""

    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers
        self.answers: list[tuple[float, int]] = []

    async def raise_many(self, count: int, *, concurrency: int = 4) -> None:
        remaining = iter(range(count))

        async def worker() -> None:
            for _ in remaining:
                answer = await self.client.post(
                    "/v1/escalations", json=ESCALATION, headers=self.headers
                )
                self.answers.append((time.monotonic(), answer.status_code))

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    @property
    def accepted(self) -> int:
        return sum(1 for _, status in self.answers if status == 201)


async def _when_ready(client: httpx.AsyncClient) -> float:
    while (await client.get("/readyz")).status_code != 200:
        await asyncio.sleep(0.2)
    return time.monotonic()


async def test_a_broker_killed_and_restarted_during_1000_writes_loses_and_doubles_nothing(
    broker: PrivateBroker, make_database: DatabaseFactory, token: Callable[..., str]
) -> None:
    writes_total, before_kill, during_outage = 1000, 300, 400
    # Kent's escalations: no other test of this module raises any, so the count is all ours.
    escalation_settings = _escalations(
        broker, await make_database("escalation_service"), "escalation-service"
    )
    reporting_settings = _reporting(broker, await make_database("reporting_service"))
    admin = ServiceSettings(**broker.settings("admin"))
    raw = auth(token("reports:read_unsuppressed"))
    async with AsyncExitStack() as stack:
        escalations = await stack.enter_async_context(
            serve(create_escalation_app(escalation_settings))
        )
        reports = await stack.enter_async_context(serve(create_reporting_app(reporting_settings)))
        writes = _Writes(escalations, auth(token("escalations:write")))
        await writes.raise_many(before_kill)

        broker.kill()
        killed_at = time.monotonic()
        restart = asyncio.create_task(asyncio.to_thread(broker.start))
        await writes.raise_many(during_outage)

        async def broker_answers() -> float:
            probe = KafkaProbe(admin)
            try:
                while await probe.check() != "ok":
                    await asyncio.sleep(0.2)
                return time.monotonic()
            finally:
                await probe.close()

        answering_at = await broker_answers()
        ready_at = await asyncio.wait_for(
            asyncio.gather(_when_ready(escalations), _when_ready(reports)), 60
        )
        await restart
        await writes.raise_many(writes_total - before_kill - during_outage)

        async def all_counted() -> int:
            return int((await _deep_dive(reports, raw))["escalations"]["raised"])

        counted = await eventually(
            lambda: _count_reaches(all_counted, writes.accepted), timeout=60, interval=0.5
        )
        # A duplicate would arrive after the last original: look again a little later.
        await asyncio.sleep(2)
        final = await all_counted()

    outage = answering_at - killed_at
    failed = [at for at, status in writes.answers if status >= 500]
    print(
        f"\nbroker SIGKILL during {writes_total} writes: {writes.accepted} accepted, "
        f"{len(failed)} answered 5xx; broker answering again {outage:.1f} s after the kill; "
        f"/readyz back {ready_at[0] - answering_at:.1f} s (escalation-service) and "
        f"{ready_at[1] - answering_at:.1f} s (reporting-service) after that; "
        f"{counted} counted in the Deep Dive"
    )
    assert len(writes.answers) == writes_total
    # Writes go to PostgreSQL's outbox, not to Kafka: none needs the broker to answer.
    if failed:
        assert max(failed) - min(failed) <= outage
    assert writes.accepted == writes_total - len(failed)
    assert final == writes.accepted
    for back in ready_at:
        assert back - answering_at <= 30


async def _count_reaches(count: Callable[[], Any], wanted: int) -> int | None:
    got = int(await count())
    assert got <= wanted, f"{got} counted for {wanted} accepted writes"
    return got if got == wanted else None
