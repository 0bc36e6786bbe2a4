"""The operations settings, through a real service: the API documentation switched off, the
metrics on an internal port of their own, and every line a service process prints is JSON
(uvicorn's own start-up, error and shutdown lines included)."""

from __future__ import annotations

import json
import signal
import socket
import uuid
from collections.abc import Callable

import httpx

from audit_service.main import create_app
from audit_service.settings import AuditSettings
from qaf_shared.testing.fixtures import DatabaseFactory, serve
from qaf_shared.testing.processes import free_port, start_service

DOC_PATHS = ("/docs", "/redoc", "/openapi.json")


async def test_the_api_documentation_is_served_by_default_and_not_when_switched_off(
    make_database: DatabaseFactory, topic_prefix: str
) -> None:
    dsn = await make_database("audit_service")
    on = AuditSettings(database_url=dsn, kafka_topic_prefix=topic_prefix, relay_enabled=False)
    async with serve(create_app(on)) as client:
        assert [(await client.get(p)).status_code for p in DOC_PATHS] == [200, 200, 200]
    off = on.model_copy(update={"docs_enabled": False})
    async with serve(create_app(off)) as client:
        assert [(await client.get(p)).status_code for p in DOC_PATHS] == [404, 404, 404]
        assert (await client.get("/healthz")).status_code == 200


async def test_metrics_move_to_the_internal_port_when_one_is_set(
    make_database: DatabaseFactory, topic_prefix: str
) -> None:
    dsn = await make_database("audit_service")
    public = AuditSettings(database_url=dsn, kafka_topic_prefix=topic_prefix, relay_enabled=False)
    async with serve(create_app(public)) as client:
        assert "qa_http_requests_total" in (await client.get("/metrics")).text
    port = free_port()
    internal = public.model_copy(update={"metrics_port": port})
    async with serve(create_app(internal)) as client:
        await client.get("/healthz")
        assert (await client.get("/metrics")).status_code == 404
        async with httpx.AsyncClient() as scraper:
            scraped = await scraper.get(f"http://127.0.0.1:{port}/metrics")
        assert scraped.status_code == 200
        assert 'qa_http_requests_total{method="GET",route="/healthz"' in scraped.text
    # The port is closed with the app.
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0


async def test_every_line_a_service_process_prints_is_json(
    make_database: DatabaseFactory, topic_prefix: str, token: Callable[..., str]
) -> None:
    env = {
        "QA_DATABASE_URL": await make_database("audit_service"),
        "QA_KAFKA_TOPIC_PREFIX": topic_prefix,
    }
    process, base = start_service(
        f"audit-json-logs-{uuid.uuid4().hex[:8]}", "audit_service.main:create_app", env
    )
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            assert (await client.get("/readyz")).status_code == 200
            assert (await client.get("/v1/audits")).status_code == 401
        # Not HTTP at all: uvicorn's own warning line.
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as raw:
            raw.sendall(b"\x16\x03\x01 not http\r\n\r\n")
            raw.recv(1024)
    finally:
        # uvicorn shuts down gracefully, then raises the SIGTERM again for its exit status.
        assert process.stop() in (0, -signal.SIGTERM)
    lines = process.log_path.read_text().splitlines()
    records = [json.loads(line) for line in lines]  # fails on the first line that is not JSON
    events = [r["event"] for r in records]
    # uvicorn's start-up, error and shutdown lines, and the service's own, all among them
    assert any(e.startswith("Started server process") for e in events), events
    assert "service_started" in events
    assert any("Invalid HTTP request" in e for e in events), events
    assert any(e.startswith("Finished server process") for e in events), events
