"""Schemathesis over feedback-service's OpenAPI, against the real service process and database:
no server error, and every response matches the schema the service publishes. Twice: as a
staff client, and as the provider (whose token reaches only /v1/provider)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from qaf_shared.testing.fixtures import auth
from qaf_shared.testing.schemathesis_run import run_schemathesis_on_service


@pytest.mark.parametrize(
    ("who", "claims"),
    [
        ("staff", {"scopes": "feedback:read feedback:write"}),
        ("provider", {"scopes": "provider:submit", "provider": "schemathesis-advocacy"}),
    ],
)
async def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    feedback_dsn: str,
    topic_prefix: str,
    token: Callable[..., str],
    who: str,
    claims: dict[str, str],
) -> None:
    env = {
        "QA_DATABASE_URL": feedback_dsn,
        "QA_KAFKA_TOPIC_PREFIX": topic_prefix,
        # Schemathesis is one client sending many requests: not what the limit is for.
        "QA_PROVIDER_RATE_BURST": "100000",
    }
    name = f"feedback-schemathesis-{who}"
    code, output = run_schemathesis_on_service(
        name, "feedback_service.main:create_app", env, auth(token(**claims))
    )
    assert code == 0, output[-4000:]
