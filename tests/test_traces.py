"""OpenTelemetry traces end to end: audit-service and reporting-service as real processes on
real PostgreSQL and Kafka, exporting by OTLP/HTTP to a receiver of the test's own. One write's
spans (the request, the relay's publish, reporting's apply) share one trace id, through the
outbox row's and the published event's `traceparent`; no span names personal data. Without an
endpoint a service traces nothing and its events carry no trace context."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from audit_service.main import create_app
from audit_service.settings import AuditSettings
from qaf_shared.database import connect
from qaf_shared.events.catalogue import AUDIT_TOPIC
from qaf_shared.testing.fixtures import (
    DatabaseFactory,
    TopicsFactory,
    auth,
    eventually,
    owner_dsn,
    serve,
)
from qaf_shared.testing.kafka import read_topic
from qaf_shared.testing.otlp import ReceivedSpan, otlp_receiver
from qaf_shared.testing.processes import start_service


def new_audit(case_ref: str, auditor: str) -> dict[str, Any]:
    return {
        "case_ref": case_ref,
        "team": "ASH-CP1",
        "plan_type": "CIC",
        "auditor": auditor,
        "due_date": "2027-01-31",
    }


async def test_one_writes_spans_from_both_services_share_one_trace_id(
    make_database: DatabaseFactory, make_topics: TopicsFactory, token: Callable[..., str]
) -> None:
    prefix = await make_topics()
    audit_db = await make_database("audit_service")
    reporting_db = await make_database("reporting_service")
    case_ref, auditor = f"C-TRACE-{uuid.uuid4().hex[:6]}", f"auditor-{uuid.uuid4().hex[:6]}"
    with otlp_receiver() as receiver:
        common = {
            "QA_KAFKA_TOPIC_PREFIX": prefix,
            "QA_OTLP_ENDPOINT": receiver.endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "100",  # export within a tenth of a second
        }
        run = uuid.uuid4().hex[:8]
        audit, audit_base = start_service(
            f"traces-audit-{run}",
            "audit_service.main:create_app",
            {**common, "QA_DATABASE_URL": audit_db, "QA_RELAY_POLL_INTERVAL_S": "0.2"},
        )
        reporting, _ = start_service(
            f"traces-reporting-{run}",
            "reporting_service.main:create_app",
            {**common, "QA_DATABASE_URL": reporting_db, "QA_CONSUMER_GROUP": f"traces-{run}"},
        )
        try:
            async with httpx.AsyncClient(base_url=audit_base) as client:
                created = await client.post(
                    "/v1/audits",
                    json=new_audit(case_ref, auditor),
                    headers=auth(token("audits:write audits:read")),
                )
            assert created.status_code == 201, created.text

            def the_write() -> list[ReceivedSpan]:
                return [
                    s
                    for s in receiver.spans
                    if s.service == "audit-service" and s.name == "POST /v1/audits"
                ]

            (request,) = await eventually(_async(the_write))

            def applied() -> list[ReceivedSpan]:
                return [
                    s
                    for s in receiver.spans
                    if s.service == "reporting-service" and s.trace_id == request.trace_id
                ]

            (apply,) = await eventually(_async(applied), timeout=30)
        finally:
            audit.stop()
            reporting.stop()
        spans = receiver.spans

    assert request.kind == "SERVER"
    assert request.attributes["http.route"] == "/v1/audits"
    assert request.attributes["http.response.status_code"] == 201

    # The outbox row holds the request span's context, and the published event carries it.
    conn = await connect(owner_dsn(audit_db))
    try:
        (stored,) = await conn.fetch("SELECT id, payload FROM outbox")
    finally:
        await conn.close()
    traceparent = stored["payload"]["traceparent"]
    assert traceparent.startswith(f"00-{request.trace_id}-{request.span_id}-")
    ((_, published),) = await read_topic(prefix + AUDIT_TOPIC, 1)
    assert published.id == stored["id"] and published.traceparent == traceparent

    (publish,) = [s for s in spans if s.service == "audit-service" and s.kind == "PRODUCER"]
    assert (publish.trace_id, publish.parent_span_id) == (request.trace_id, request.span_id)
    assert publish.name == f"publish {prefix}{AUDIT_TOPIC}"
    assert publish.attributes["messaging.message.id"] == str(stored["id"])

    assert apply.kind == "CONSUMER"
    assert apply.name == f"apply {AUDIT_TOPIC}"
    assert apply.parent_span_id == request.span_id
    assert apply.attributes["messaging.message.id"] == str(stored["id"])

    # Ids, types, topics and route templates only: nothing of what was written.
    for span in spans:
        text = repr((span.name, span.attributes))
        assert case_ref not in text and auditor not in text, span
        assert str(created.json()["id"]) not in span.name, span


async def test_without_an_endpoint_nothing_is_traced_and_events_carry_no_context(
    make_database: DatabaseFactory, topic_prefix: str, token: Callable[..., str]
) -> None:
    dsn = await make_database("audit_service")
    settings = AuditSettings(database_url=dsn, kafka_topic_prefix=topic_prefix, relay_enabled=False)
    app = create_app(settings)
    assert app.state.tracer is None
    async with serve(app) as client:
        created = await client.post(
            "/v1/audits",
            json=new_audit("C-UNTRACED", "a-1"),
            # A caller's own trace is not continued: this service exports none.
            headers={
                **auth(token("audits:write")),
                "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            },
        )
        assert created.status_code == 201, created.text
    conn = await connect(owner_dsn(dsn))
    try:
        payload = await conn.fetchval("SELECT payload FROM outbox")
    finally:
        await conn.close()
    assert "traceparent" not in payload and "tracestate" not in payload


def _async(check: Callable[[], Any]) -> Callable[[], Any]:
    async def run() -> Any:
        return check()

    return run
