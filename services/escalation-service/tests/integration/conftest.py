from collections.abc import Callable
from functools import partial

import asyncpg
import httpx
import pytest

from escalation_service.main import create_app
from escalation_service.settings import EscalationSettings
from qaf_shared.testing.fixtures import auth
from qaf_shared.testing.service_fixtures import service_fixtures

from .calls import CLOCK, Escalations

# The overdue scheduler is off here (it has tests, and databases, of its own); today is
# pinned.
escalation_dsn, escalation_settings, escalation_client, escalation_db = service_fixtures(
    "escalation",
    EscalationSettings,
    partial(create_app, clock=CLOCK),
    overdue_scan_enabled=False,
)


@pytest.fixture
def writer(token: Callable[..., str]) -> dict[str, str]:
    return auth(token("escalations:write escalations:read"))


@pytest.fixture
def escalations(
    escalation_client: httpx.AsyncClient, writer: dict[str, str], escalation_db: asyncpg.Connection
) -> Escalations:
    return Escalations(escalation_client, writer, escalation_db)
