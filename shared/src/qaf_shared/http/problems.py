"""RFC 9457 problem details for every error a service returns, validation included."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from qaf_shared import jsonutil
from qaf_shared.database import UNAVAILABLE
from qaf_shared.logging import get_logger
from qaf_shared.rules import RuleBroken, StepNotAllowed

PROBLEM_TYPE_BASE = "https://qa.example.gov.uk/problems/"
MEDIA_TYPE = "application/problem+json"

log = get_logger(__name__)

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    412: "Precondition failed",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class Problem(Exception):
    """Raise anywhere in a request to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        title: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug or _slug(status)
        self.title = title or _TITLES.get(status, "Error")
        self.errors = errors
        self.headers = headers or {}


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for problem documents with these status codes."""
    return {
        code: {
            "description": _TITLES.get(code, "Error"),
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for code in codes
    }


# What any authenticated route may answer, declared on every route by the app factory (503:
# a JWKS URL's keys are not to be had just now, so no token can be checked).
COMMON_PROBLEMS = (400, 401, 403, 404, 413, 422, 503)


def field_error(field: str, message: str, kind: str = "value_error") -> Problem:
    """A 422 naming one bad field (for rules pydantic cannot see, like an unknown team code)."""
    return Problem(
        422,
        f"{field}: {message}",
        slug="validation",
        errors=[{"field": field, "message": message, "type": kind}],
    )


def invalid(errors: Sequence[dict[str, Any]]) -> Problem:
    """A 422 naming every bad field (`Invalid fields: body.a, body.b`): each entry gives the
    field's dotted location, the message and the error's type (pydantic's, or
    `value_error` for a rule's)."""
    fields = ", ".join(str(e["field"]) for e in errors)
    return Problem(422, f"Invalid fields: {fields}", slug="validation", errors=list(errors))


def rule_problem(broken: RuleBroken) -> Problem:
    """A broken rule as its 422: one field is `field_error`'s answer, several `invalid`'s."""
    if len(broken.errors) == 1:
        return field_error(broken.field, broken.message)
    return invalid(
        [{"field": e.field, "message": e.message, "type": "value_error"} for e in broken.errors]
    )


def _slug(status: int) -> str:
    return _TITLES.get(status, "error").lower().replace(" ", "-")


def problem_response(problem: Problem, instance: str | None = None) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + problem.slug,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
    }
    if instance:
        body["instance"] = instance
    if problem.errors is not None:
        body["errors"] = problem.errors
    return Response(
        jsonutil.dumpb(body),
        status_code=problem.status,
        media_type=MEDIA_TYPE,
        headers=problem.headers,
    )


def _validation_problem(exc: RequestValidationError) -> Problem:
    errors = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            return Problem(400, "The request body is not valid JSON.", slug="malformed-json")
        loc = [str(p) for p in err.get("loc", ())]
        errors.append(
            {"field": ".".join(loc), "message": err.get("msg", "invalid"), "type": err.get("type")}
        )
    return invalid(errors)


def install_problem_handlers(app: FastAPI) -> None:
    """Every error as problem+json: `Problem`, pydantic's validation (422, or 400 for a body
    that is not JSON), the rules' refusals (`RuleBroken` 422, `StepNotAllowed` 409),
    Starlette's HTTP errors, PostgreSQL out of reach (503 with Retry-After), and anything
    unexpected (a 500 that names nothing of it)."""

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        return problem_response(exc, request.url.path)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return problem_response(_validation_problem(exc), request.url.path)

    async def on_rule(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RuleBroken)
        return problem_response(rule_problem(exc), request.url.path)

    async def on_step(request: Request, exc: Exception) -> Response:
        return problem_response(
            Problem(409, str(exc), slug="transition-not-allowed"), request.url.path
        )

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        detail = (
            exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "Error")
        )
        return problem_response(
            Problem(exc.status_code, detail, headers=dict(exc.headers or {})), request.url.path
        )

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        # The exception type only: messages can carry request content.
        log.error("unhandled_error", path=request.url.path, error=type(exc).__name__)
        # Starlette answers this from its outermost layer, outside the middleware that marks
        # answers no-store, so the answer says it itself.
        problem = Problem(
            500, "An unexpected error occurred.", headers={"Cache-Control": "no-store"}
        )
        return problem_response(problem, request.url.path)

    async def on_database_unavailable(request: Request, exc: Exception) -> Response:
        # A restart or failover of PostgreSQL: the request wrote nothing (its transaction
        # never committed) and may be sent again, with the same Idempotency-Key.
        log.warning("database_unavailable", error=type(exc).__name__)
        problem = Problem(
            503,
            "The database is not available; try again shortly.",
            headers={"Retry-After": "1", "Cache-Control": "no-store"},
        )
        return problem_response(problem, request.url.path)

    app.add_exception_handler(Problem, on_problem)
    for unavailable in UNAVAILABLE:
        app.add_exception_handler(unavailable, on_database_unavailable)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(RuleBroken, on_rule)
    app.add_exception_handler(StepNotAllowed, on_step)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
