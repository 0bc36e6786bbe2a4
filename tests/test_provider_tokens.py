"""A token with a `provider` claim is refused (403) everywhere outside `/v1/provider`, on every
service and whatever scopes it carries (docs/architecture.md, Security); it still works on the
provider's own routes in feedback-service. Every authenticated operation of each app's
OpenAPI document is called, so a route added later is covered without editing this test."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from activity_service.main import create_app as create_activity_app
from activity_service.settings import ActivitySettings
from audit_service.main import create_app as create_audit_app
from audit_service.settings import AuditSettings
from escalation_service.main import create_app as create_escalation_app
from escalation_service.settings import EscalationSettings
from feedback_service.main import create_app as create_feedback_app
from feedback_service.settings import FeedbackSettings
from qaf_shared.testing.fixtures import DatabaseFactory, auth, serve
from reporting_service.main import create_app as create_reporting_app
from reporting_service.settings import ReportingSettings

# Every scope (docs/architecture.md, Security) and the activity and reference-data ones once
# planned, so that nothing but the `provider` claim can refuse the token.
ALL_SCOPES = (
    "audits:read audits:write audits:moderate escalations:read escalations:write "
    "feedback:read feedback:write provider:submit activity:read activity:write reports:read "
    "reports:read_unsuppressed reports:admin admin"
)


def _audit(dsn: str, prefix: str) -> FastAPI:
    return create_audit_app(
        AuditSettings(database_url=dsn, kafka_topic_prefix=prefix, relay_enabled=False)
    )


def _escalation(dsn: str, prefix: str) -> FastAPI:
    return create_escalation_app(
        EscalationSettings(
            database_url=dsn,
            kafka_topic_prefix=prefix,
            relay_enabled=False,
            overdue_scan_enabled=False,
        )
    )


def _feedback(dsn: str, prefix: str) -> FastAPI:
    return create_feedback_app(
        FeedbackSettings(database_url=dsn, kafka_topic_prefix=prefix, relay_enabled=False)
    )


def _reporting(dsn: str, prefix: str) -> FastAPI:
    return create_reporting_app(
        ReportingSettings(database_url=dsn, kafka_topic_prefix=prefix), consume=False
    )


def _activity(dsn: str, prefix: str) -> FastAPI:
    return create_activity_app(
        ActivitySettings(
            database_url=dsn,
            kafka_topic_prefix=prefix,
            relay_enabled=False,
            child_key_secret="00" * 32,
        )
    )


APPS: dict[str, Callable[[str, str], FastAPI]] = {
    "audit_service": _audit,
    "escalation_service": _escalation,
    "feedback_service": _feedback,
    "reporting_service": _reporting,
    "activity_service": _activity,
}


@asynccontextmanager
async def service(
    package: str, make_database: DatabaseFactory, topic_prefix: str
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = APPS[package](await make_database(package), topic_prefix)
    async with serve(app) as client:
        yield app, client


def authenticated_operations(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every operation the app's OpenAPI document says needs a token, its
    path parameters filled in (a well-formed id that names nothing; a quarter)."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            if operation.get("security"):
                filled = re.sub(
                    r"\{([^}]+)\}",
                    lambda m: "FY2025Q1" if m.group(1) == "quarter" else str(uuid.uuid4()),
                    path,
                )
                found.append((method.upper(), filled))
    return found


def _outside_provider(path: str) -> bool:
    return not path.startswith("/v1/provider/")


@pytest.mark.parametrize("package", sorted(APPS))
async def test_a_provider_token_with_every_scope_is_refused_outside_v1_provider(
    package: str,
    make_database: DatabaseFactory,
    topic_prefix: str,
    token: Callable[..., str],
) -> None:
    provider = auth(token(ALL_SCOPES, provider="brighter-futures"))
    staff = auth(token(ALL_SCOPES))
    async with service(package, make_database, topic_prefix) as (app, client):
        operations = [op for op in authenticated_operations(app) if _outside_provider(op[1])]
        # The service's everyday routes are among them (the list is not vacuous).
        assert ("GET", "/v1/org-units") in operations
        assert len(operations) > 1
        for method, path in operations:
            response = await client.request(method, path, headers=provider)
            assert response.status_code == 403, (method, path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert "/v1/provider" in response.json()["detail"]
            # The same scopes without the claim get past authentication: the claim alone
            # refused it. (Reads only: a staff POST here could start real work.)
            if method == "GET":
                control = await client.request(method, path, headers=staff)
                assert control.status_code not in (401, 403), (method, path, control.text)


async def test_a_provider_token_with_every_scope_still_works_on_the_provider_routes(
    make_database: DatabaseFactory, topic_prefix: str, token: Callable[..., str]
) -> None:
    provider = auth(token(ALL_SCOPES, provider="brighter-futures"), actor=None)
    async with service("feedback_service", make_database, topic_prefix) as (_, client):
        reference = await client.get("/v1/provider/reference-data", headers=provider)
        assert reference.status_code == 200, reference.text
        assert reference.json()["themes"]
        submissions = await client.get("/v1/provider/submissions", headers=provider)
        assert submissions.status_code == 200, submissions.text
        assert submissions.json()["items"] == []
