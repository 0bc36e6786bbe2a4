"""escalation-service: IRO and CP chair escalations.
`uvicorn --factory escalation_service.main:create_app`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi import FastAPI

from escalation_service.api.escalations import router as escalations_router
from escalation_service.clock import today_in_england
from escalation_service.overdue import overdue_scheduler_worker
from escalation_service.settings import EscalationSettings
from qaf_shared.http.app import Worker, create_service_app, outbox_relay_worker


def create_app(
    settings: EscalationSettings | None = None, *, today: Callable[[], date] | None = None
) -> FastAPI:
    """The app; `today` replaces the clock (tests pin the date the rules and the overdue
    scheduler see)."""
    settings = settings or EscalationSettings()
    workers: list[Worker] = []
    if settings.relay_enabled:
        workers.append(outbox_relay_worker)
    if settings.overdue_scan_enabled:
        workers.append(overdue_scheduler_worker)
    app = create_service_app(
        settings=settings,
        title="escalation-service",
        description="Escalations by IROs and CP conference chairs, stage by stage, on time.",
        routers=[escalations_router],
        workers=workers,
    )
    app.state.today = today or today_in_england
    return app
