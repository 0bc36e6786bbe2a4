"""audit-service: case file audits. `uvicorn --factory audit_service.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from audit_service.api.audits import router as audits_router
from audit_service.settings import AuditSettings
from qaf_shared.http.app import create_service_app, outbox_relay_worker


def create_app(settings: AuditSettings | None = None) -> FastAPI:
    settings = settings or AuditSettings()
    return create_service_app(
        settings=settings,
        title="audit-service",
        description="Case file audits: programmes, the audit lifecycle, moderation and actions.",
        routers=[audits_router],
        read_scope="audits:read",
        workers=[outbox_relay_worker] if settings.relay_enabled else [],
    )
