"""escalation-service: IRO and CP chair escalations.
`uvicorn --factory escalation_service.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from escalation_service.api.escalations import router as escalations_router
from escalation_service.settings import EscalationSettings
from escalation_service.workers.overdue import overdue_scheduler_worker
from qaf_shared.clock import BusinessClock
from qaf_shared.http.app import create_service_app, write_service_workers


def create_app(
    settings: EscalationSettings | None = None, *, clock: BusinessClock | None = None
) -> FastAPI:
    """The app; `clock` replaces the business clock (tests pin the date the rules and the
    overdue scheduler see)."""
    settings = settings or EscalationSettings()
    workers = write_service_workers(settings)
    if settings.overdue_scan_enabled:
        workers.append(overdue_scheduler_worker)
    app = create_service_app(
        settings=settings,
        title="escalation-service",
        description="Escalations by IROs and CP conference chairs, stage by stage, on time.",
        routers=[escalations_router],
        workers=workers,
        clock=clock,
    )
    return app
