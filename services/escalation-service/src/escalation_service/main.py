"""escalation-service: IRO and CP chair escalations.
`uvicorn --factory escalation_service.main:create_app`."""

from __future__ import annotations

from escalation_service.api.escalations import router as escalations_router
from escalation_service.settings import EscalationSettings
from escalation_service.workers.overdue import overdue_scheduler_worker
from qaf_shared.http.app import Worker, WriteService


def _scheduler(settings: EscalationSettings) -> list[Worker]:
    return [overdue_scheduler_worker] if settings.overdue_scan_enabled else []


SERVICE = WriteService(
    EscalationSettings,
    title="escalation-service",
    description="Escalations by IROs and CP conference chairs, stage by stage, on time.",
    routers=[escalations_router],
    workers=_scheduler,
)
create_app = SERVICE.create_app
