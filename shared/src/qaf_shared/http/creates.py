"""The one way a create route that reads before it writes runs (open a complaint, raise an
action on an audit, ...): the business date read once, the handler run in the write's
transaction at most once per `Idempotency-Key`, and the new record answered 201 with its ETag
and `Location`. (A create that reads nothing first is one statement: `idempotent_create`.)

A create route declares its body (and any path id) and one `CreateCall` parameter
(`create_call`): the caller, X-Actor and Idempotency-Key that every create route takes.

The main creates' routers are made with `route_class=CreateRoute`: a route of exactly that
shape (the body and the `CreateCall`, answering a `Response`) is called without FastAPI's
dependency solving whenever the request is well formed, and by FastAPI's own handler
otherwise, so that every refusal is FastAPI's, word for word."""

# No `from __future__ import annotations`: `create_call` builds its dependency's signature from
# the scope it is given, and FastAPI reads that signature's annotations as objects.

import inspect
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Scope

from qaf_shared.clock import business_today
from qaf_shared.http.auth import ACTOR_PATTERN, Actor, Principal, requires
from qaf_shared.http.idempotency import IdempotencyKey, idempotent_write
from qaf_shared.http.reads import Shape
from qaf_shared.http.resources import StoredResponse, resource_response
from qaf_shared.http.schemas import Strict

Make = Callable[[asyncpg.Connection, date], Awaitable[asyncpg.Record]]
"""A route's call of its handler: the connection and the business date; the new row."""


@dataclass(frozen=True)
class CreateCall:
    """What every create route is called with besides its body and path: the request, the
    caller (holding the route's scope), the staff id it acts for (`X-Actor`) and its
    `Idempotency-Key`."""

    request: Request
    principal: Principal
    actor: str
    idempotency_key: str | None


def create_call(scope: str) -> Any:
    """The dependency of a create route whose caller needs `scope`, for
    `Annotated[CreateCall, create_call(scope)]`. Its headers come in the order the routes
    declared them one by one (X-Actor, Idempotency-Key, after the caller's authentication), so
    the OpenAPI document and the order of validation errors are what they were."""

    authenticate = requires(scope)

    async def creating(
        request: Request,
        principal: Annotated[Principal, authenticate],
        actor: Actor,
        idempotency_key: IdempotencyKey = None,
    ) -> CreateCall:
        return CreateCall(request, principal, actor, idempotency_key)

    _AUTHENTICATION[creating] = authenticate.dependency
    return Depends(creating)


Authenticate = Callable[[Request], Awaitable[Principal]]
# Each `create_call` dependency's own authentication (`requires(scope)`), for `CreateRoute`.
_AUTHENTICATION: dict[Callable[..., Any], Authenticate] = {}

Handler = Callable[[Request], Coroutine[Any, Any, Response]]

# What FastAPI accepts for the two headers (`Actor`, `IdempotencyKey`); a value this does not
# accept goes to FastAPI, which gives its own 422.
_ACTOR = re.compile(ACTOR_PATTERN)
_MAX_KEY = 255


class CreateRoute(APIRoute):
    """A create route, called without FastAPI's dependency solving when it can be.

    FastAPI's handler parses the body into a dict, validates it into the model, and solves
    the `CreateCall` dependency's parameters one by one through its general machinery: on the
    write path's profile, more Python than the create's own work. For a route declaring only
    its body model and a `CreateCall` (`create_call`) and answering a `Response`, this route
    validates the raw body once (`model_validate_json`), authenticates with the same
    dependency, reads X-Actor and Idempotency-Key from the headers and calls the endpoint.
    Anything else about the request (no JSON content type, an empty body, a body or header
    that does not validate, a body that cannot be read, overridden dependencies) goes to
    FastAPI's own handler, which reads it as it always did and answers it, so its refusals
    (400, 422 with every error in its order, 413) are FastAPI's; FastAPI authenticates before
    it validates, and so does this. The route is declared to FastAPI as usual, so the OpenAPI
    document is unchanged. Any other route of the router is FastAPI's. A `Strict` body is
    read by its `read_json` (by default `model_validate_json`)."""

    def get_route_handler(self) -> Handler:
        full = super().get_route_handler()
        return _direct_create(self, full) or full


def _direct_create(route: APIRoute, full: Handler) -> Handler | None:
    """The direct handler of `route` (falling back to `full`), or None when `route` is not a
    create of the shape `CreateRoute` knows."""
    d = route.dependant
    special = (
        d.path_params,
        d.query_params,
        d.header_params,
        d.cookie_params,
        d.request_param_name,
        d.websocket_param_name,
        d.http_connection_param_name,
        d.response_param_name,
        d.background_tasks_param_name,
        d.security_scopes_param_name,
    )
    if any(special) or len(d.body_params) != 1 or len(d.dependencies) != 1:
        return None
    [body_field], [call_dependant] = d.body_params, d.dependencies
    authenticate = _AUTHENTICATION.get(call_dependant.call)  # type: ignore[arg-type]
    model = body_field.field_info.annotation
    endpoint = d.call
    if (
        authenticate is None
        or getattr(body_field.field_info, "embed", False)
        or not (isinstance(model, type) and issubclass(model, BaseModel))
        or endpoint is None
        or not inspect.iscoroutinefunction(endpoint)
        or not _answers_response(endpoint)
    ):
        return None
    body_name, call_name = body_field.name, call_dependant.name
    assert call_name is not None
    read_json = model.read_json if issubclass(model, Strict) else model.model_validate_json

    async def create(request: Request) -> Response:
        scope = request.scope
        if request.app.dependency_overrides or not _is_json(scope):
            return await full(request)
        try:
            raw = await request.body()
        except HTTPException:  # the body limit's 413, as FastAPI lets it through
            raise
        except Exception:
            return await full(request)
        try:
            body = read_json(raw)
        except ValidationError:
            return await full(request)
        principal = await authenticate(request)
        headers = _create_headers(scope)
        if headers is None:
            return await full(request)
        call = CreateCall(request, principal, *headers)
        answer: Response = await endpoint(**{body_name: body, call_name: call})
        return answer

    return create


def _answers_response(endpoint: Callable[..., Any]) -> bool:
    """The endpoint answers a `Response` itself (no response model to apply)."""
    answers: object = inspect.signature(endpoint, eval_str=True).return_annotation
    return bool(isinstance(answers, type) and issubclass(answers, Response))


def _is_json(scope: Scope) -> bool:
    """The request says its body is `application/json` (FastAPI's handler decides anything
    else)."""
    name: bytes
    value: bytes
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower() == b"application/json"
    return False


def _create_headers(scope: Scope) -> tuple[str, str | None] | None:
    """X-Actor and Idempotency-Key (the first of each, as Starlette reads them) when FastAPI
    would accept both; None otherwise."""
    actor: str | None = None
    key: str | None = None
    for name, value in scope["headers"]:
        if name == b"x-actor" and actor is None:
            actor = value.decode("latin-1")
        elif name == b"idempotency-key" and key is None:
            key = value.decode("latin-1")
    if actor is None or not _ACTOR.fullmatch(actor):
        return None
    if key is not None and not 1 <= len(key) <= _MAX_KEY:
        return None
    return actor, key


class Creates:
    """The create routes of one kind of record: the new row shaped by `shape` (the resource's
    `Reads.shape`, so that a create answers what a read of it would), at `location(row)`."""

    def __init__(self, shape: Shape, location: Callable[[asyncpg.Record], str]) -> None:
        self.shape = shape
        self.location = location

    async def create(self, call: CreateCall, make: Make) -> Response:
        """Run `make` in the write's transaction (written once per key: a retry answers the
        first response) and answer the new record, 201 with its Location."""
        today = business_today(call.request)

        async def write(conn: asyncpg.Connection) -> StoredResponse:
            row = await make(conn, today)
            [body] = await self.shape(conn, [row], today)
            return resource_response(body, status=201, location=self.location(row))

        return await idempotent_write(call.request, call.principal, call.idempotency_key, write)
