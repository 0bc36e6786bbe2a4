"""audit-service: case file audits. `uvicorn --factory audit_service.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import Response

from audit_service.api.actions import router as actions_router
from audit_service.api.audits import router as audits_router
from audit_service.api.programmes import router as programmes_router
from audit_service.api.templates import router as templates_router
from audit_service.configuration import load_configuration
from audit_service.domain.actions import ActionTransitionNotAllowed
from audit_service.domain.audits import DutiesConflict, RuleBroken, TransitionNotAllowed
from audit_service.settings import AuditSettings
from qaf_shared.clock import BusinessClock
from qaf_shared.http.app import create_service_app, outbox_relay_worker
from qaf_shared.http.idempotency_retention import idempotency_retention_worker
from qaf_shared.http.problems import Problem, field_error, problem_response


def create_app(
    settings: AuditSettings | None = None, *, clock: BusinessClock | None = None
) -> FastAPI:
    """The app; `clock` replaces the business clock (tests run it at a chosen instant)."""
    settings = settings or AuditSettings()
    app = create_service_app(
        settings=settings,
        title="audit-service",
        description=(
            "Case file audits: programmes, the audit lifecycle (scheduled, in progress, "
            "submitted, peer reviewed, moderation, moderated, closed, cancelled), versioned "
            "templates, safeguarding concerns and actions."
        ),
        routers=[programmes_router, audits_router, actions_router, templates_router],
        workers=[
            *([outbox_relay_worker] if settings.relay_enabled else []),
            idempotency_retention_worker,
        ],
        clock=clock,
    )
    app.state.audit_configuration = load_configuration(settings.config_dir)
    _install_domain_errors(app)
    return app


def _install_domain_errors(app: FastAPI) -> None:
    """The domain's refusals as problem documents: a step that does not apply is 409, a
    broken rule about one field is 422, a step the acting person may not take on this audit
    (separation of duties) is 403."""

    async def on_transition(request: Request, exc: Exception) -> Response:
        return problem_response(
            Problem(409, str(exc), slug="transition-not-allowed"), request.url.path
        )

    async def on_rule(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RuleBroken)
        return problem_response(field_error(exc.field, exc.message), request.url.path)

    async def on_duties(request: Request, exc: Exception) -> Response:
        return problem_response(
            Problem(403, str(exc), slug="separation-of-duties"), request.url.path
        )

    app.add_exception_handler(TransitionNotAllowed, on_transition)
    app.add_exception_handler(DutiesConflict, on_duties)
    app.add_exception_handler(ActionTransitionNotAllowed, on_transition)
    app.add_exception_handler(RuleBroken, on_rule)
