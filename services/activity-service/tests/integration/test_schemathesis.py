"""Schemathesis over activity-service's OpenAPI, against the real service process and
database: no server error, and every response matches the schema the service publishes."""

from __future__ import annotations

from collections.abc import Callable

from qaf_shared.testing.fixtures import auth
from qaf_shared.testing.processes import start_service
from qaf_shared.testing.schemathesis_run import run_schemathesis


async def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    activity_dsn: str, topic_prefix: str, token: Callable[..., str]
) -> None:
    env = {
        "QA_DATABASE_URL": activity_dsn,
        "QA_KAFKA_TOPIC_PREFIX": topic_prefix,
        "QA_CHILD_KEY_SECRET": "schemathesis-child-key-secret-of-32-bytes",
    }
    name = "activity-schemathesis"
    process, base = start_service(name, "activity_service.main:create_app", env)
    try:
        code, output = run_schemathesis(
            base, headers=auth(token("activity:read activity:write")), name=name
        )
    finally:
        process.kill()
    assert code == 0, output[-4000:]
