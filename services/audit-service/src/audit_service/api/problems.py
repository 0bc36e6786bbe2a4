"""The problem documents audit-service answers beyond the shared ones: the error answers
its writes declare in the OpenAPI, and separation of duties (raised below the API, which
knows nothing of HTTP) as problem+json. The rules' refusals (`RuleBroken`,
`StepNotAllowed`) are answered by the app factory, as in every service."""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import Response

from audit_service.domain.audits import DutiesConflict
from qaf_shared.http.problems import Problem, problem_response, problem_responses

# Lifecycle POSTs: 409 (step not applicable, or the same Idempotency-Key still running),
# 412 (stale If-Match). PATCH also answers 428 without If-Match.
PATCH_ERRORS = problem_responses(409, 412, 428)
CREATE_ERRORS = problem_responses(409)


def install_domain_problems(app: FastAPI) -> None:
    """A step the acting person may not take on this audit (separation of duties) is 403,
    naming the rule."""

    async def on_duties(request: Request, exc: Exception) -> Response:
        return problem_response(
            Problem(403, str(exc), slug="separation-of-duties"), request.url.path
        )

    app.add_exception_handler(DutiesConflict, on_duties)
