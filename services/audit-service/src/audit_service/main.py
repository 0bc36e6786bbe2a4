"""audit-service: case file audits. `uvicorn --factory audit_service.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from audit_service.api.actions import router as actions_router
from audit_service.api.audits import router as audits_router
from audit_service.api.problems import install_domain_problems
from audit_service.api.programmes import router as programmes_router
from audit_service.api.templates import router as templates_router
from audit_service.configuration import load_configuration
from audit_service.settings import AuditSettings
from qaf_shared.http.app import WriteService


def _configured(app: FastAPI, settings: AuditSettings) -> None:
    app.state.audit_configuration = load_configuration(settings.config_dir)
    install_domain_problems(app)


SERVICE = WriteService(
    AuditSettings,
    title="audit-service",
    description=(
        "Case file audits: programmes, the audit lifecycle (scheduled, in progress, "
        "submitted, peer reviewed, moderation, moderated, closed, cancelled), versioned "
        "templates, safeguarding concerns and actions."
    ),
    routers=[programmes_router, audits_router, actions_router, templates_router],
    setup=_configured,
)
create_app = SERVICE.create_app
