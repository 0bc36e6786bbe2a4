"""The problem documents audit-service answers beyond the shared ones: the error answers
its writes declare in the OpenAPI, and the domain's refusals (raised below the API, which
knows nothing of HTTP) as problem+json."""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import Response

from audit_service.domain.actions import ActionTransitionNotAllowed
from audit_service.domain.audits import (
    DutiesConflict,
    RuleBroken,
    RulesBroken,
    TransitionNotAllowed,
)
from qaf_shared.http.problems import Problem, field_error, problem_response, problem_responses

# Lifecycle POSTs: 409 (step not applicable, or the same Idempotency-Key still running),
# 412 (stale If-Match). PATCH also answers 428 without If-Match.
POST_ERRORS = problem_responses(409, 412)
PATCH_ERRORS = problem_responses(409, 412, 428)
CREATE_ERRORS = problem_responses(409)


def invalid(errors: list[tuple[str, str]]) -> Problem:
    """A 422 naming every bad field."""
    fields = ", ".join(field for field, _ in errors)
    return Problem(
        422,
        f"Invalid fields: {fields}",
        slug="validation",
        errors=[{"field": f, "message": m, "type": "value_error"} for f, m in errors],
    )


def install_domain_problems(app: FastAPI) -> None:
    """The domain's refusals as problem documents: a step that does not apply is 409, a
    broken rule about fields is 422, a step the acting person may not take on this audit
    (separation of duties) is 403."""

    async def on_transition(request: Request, exc: Exception) -> Response:
        return problem_response(
            Problem(409, str(exc), slug="transition-not-allowed"), request.url.path
        )

    async def on_rule(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RuleBroken)
        return problem_response(field_error(exc.field, exc.message), request.url.path)

    async def on_rules(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RulesBroken)
        return problem_response(invalid(exc.errors), request.url.path)

    async def on_duties(request: Request, exc: Exception) -> Response:
        return problem_response(
            Problem(403, str(exc), slug="separation-of-duties"), request.url.path
        )

    app.add_exception_handler(TransitionNotAllowed, on_transition)
    app.add_exception_handler(DutiesConflict, on_duties)
    app.add_exception_handler(ActionTransitionNotAllowed, on_transition)
    app.add_exception_handler(RuleBroken, on_rule)
    app.add_exception_handler(RulesBroken, on_rules)
