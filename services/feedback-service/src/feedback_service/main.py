"""feedback-service: the voices of children, families, partners and staff.
`uvicorn --factory feedback_service.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from feedback_service.settings import FeedbackSettings
from qaf_shared.http.app import create_service_app, outbox_relay_worker


def create_app(settings: FeedbackSettings | None = None) -> FastAPI:
    settings = settings or FeedbackSettings()
    return create_service_app(
        settings=settings,
        title="feedback-service",
        description="Feedback, review participation, complaints and the advocacy provider's integration.",
        routers=[],
        read_scope="feedback:read",
        workers=[outbox_relay_worker] if settings.relay_enabled else [],
    )
