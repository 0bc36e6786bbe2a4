"""escalation-service: IRO and CP chair escalations.
`uvicorn --factory escalation_service.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from escalation_service.settings import EscalationSettings
from qaf_shared.http.app import create_service_app, outbox_relay_worker


def create_app(settings: EscalationSettings | None = None) -> FastAPI:
    settings = settings or EscalationSettings()
    return create_service_app(
        settings=settings,
        title="escalation-service",
        description="Escalations by IROs and CP conference chairs, stage by stage, on time.",
        routers=[],
        read_scope="escalations:read",
        workers=[outbox_relay_worker] if settings.relay_enabled else [],
    )
