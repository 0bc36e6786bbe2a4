"""Schemathesis over audit-service's OpenAPI, against the real service process and database:
no server error, and every response matches the schema the service publishes."""

from __future__ import annotations

from collections.abc import Callable

from qaf_shared.testing.fixtures import auth
from qaf_shared.testing.schemathesis_run import run_schemathesis_on_service


async def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    audit_dsn: str, topic_prefix: str, token: Callable[..., str]
) -> None:
    env = {"QA_DATABASE_URL": audit_dsn, "QA_KAFKA_TOPIC_PREFIX": topic_prefix}
    headers = auth(token("audits:read audits:write audits:moderate"))
    code, output = run_schemathesis_on_service(
        "audit-schemathesis", "audit_service.main:create_app", env, headers
    )
    assert code == 0, output[-4000:]
