"""Schemathesis over reporting-service's OpenAPI, against the real service process: no server
error and every response matches the published schema."""

from __future__ import annotations

from collections.abc import Callable

from qaf_shared.testing.fixtures import DatabaseFactory, auth
from qaf_shared.testing.schemathesis_run import run_schemathesis_on_service


async def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    make_database: DatabaseFactory, topic_prefix: str, token: Callable[..., str]
) -> None:
    env = {
        "QA_DATABASE_URL": await make_database("reporting_service"),
        "QA_KAFKA_TOPIC_PREFIX": topic_prefix,
    }
    # Not `admin`: a fuzzer starting rebuilds would only test the 409 of a busy rebuild.
    code, output = run_schemathesis_on_service(
        "reporting-schemathesis",
        "reporting_service.main:create_app",
        env,
        auth(token("reports:read")),
    )
    assert code == 0, output[-4000:]


async def test_schemathesis_finds_no_server_error_in_the_benchmark_loads(
    make_database: DatabaseFactory, topic_prefix: str, token: Callable[..., str]
) -> None:
    """The reference loads with the scope they need, so that the fuzzer's files reach the
    reading of the file (422) and the loads (200) rather than stopping at 403."""
    env = {
        "QA_DATABASE_URL": await make_database("reporting_service"),
        "QA_KAFKA_TOPIC_PREFIX": topic_prefix,
    }
    code, output = run_schemathesis_on_service(
        "reporting-schemathesis-benchmarks",
        "reporting_service.main:create_app",
        env,
        auth(token("reports:admin")),
        options=["--include-path-regex", "^/v1/benchmarks"],
    )
    assert code == 0, output[-4000:]
