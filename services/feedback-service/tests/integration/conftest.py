from collections.abc import Callable

import pytest

from feedback_service.main import create_app
from feedback_service.settings import FeedbackSettings
from qaf_shared.testing.fixtures import auth
from qaf_shared.testing.service_fixtures import service_fixtures

# The relay is off here, as everywhere but test_events_published, which runs it.
feedback_dsn, feedback_settings, feedback_client, feedback_db = service_fixtures(
    "feedback", FeedbackSettings, create_app, provider_rate_burst=10_000
)


@pytest.fixture
def writer(token: Callable[..., str]) -> dict[str, str]:
    return auth(token("feedback:write feedback:read"))


@pytest.fixture
def provider_token(token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """Headers for the commissioned provider's client (no X-Actor: it is optional there)."""

    def headers(
        provider: str = "brighter-futures",
        *,
        tenant: str = "886",
        subject: str = "provider-client",
        actor: str | None = None,
    ) -> dict[str, str]:
        return auth(
            token("provider:submit", tenant=tenant, provider=provider, subject=subject),
            actor=actor,
        )

    return headers
