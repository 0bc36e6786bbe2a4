"""The one way a lifecycle-step route runs (submit an audit, resolve an escalation, close a
complaint, ...): the record's id parsed from the path (a malformed one is 404, as an unknown
one is), the business date read once, the step run in the write's transaction at most once
per `Idempotency-Key`, and the record answered as it stands after the step.

A step route declares only its path id, its body and one `StepCall` parameter (`step_call`):
the caller, X-Actor, If-Match and Idempotency-Key that every step route takes."""

# No `from __future__ import annotations`: `step_call` builds its dependency's signature from
# the scope it is given, and FastAPI reads that signature's annotations as objects.

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Generic, TypeVar

import asyncpg
from fastapi import Depends, Request
from starlette.responses import Response

from qaf_shared.authors import Author
from qaf_shared.clock import business_today
from qaf_shared.http.auth import Actor, Principal, requires
from qaf_shared.http.idempotency import IdempotencyKey, idempotent_write
from qaf_shared.http.problems import problem_responses
from qaf_shared.http.resources import IfMatch, StoredResponse, parse_id

# What a step route declares beyond the common problems: 409 (the step does not apply, or
# the same Idempotency-Key is still running) and 412 (a stale If-Match).
STEP_PROBLEMS = problem_responses(409, 412)

Row = TypeVar("Row")

Act = Callable[[asyncpg.Connection, uuid.UUID, date], Awaitable[Row]]
"""A route's call of its handler: the connection, the record's id, the business date."""

Answer = Callable[[asyncpg.Connection, Row, date], Awaitable[StoredResponse]]
"""How a resource answers its steps: the record after the step, as callers see it."""

Handler = Callable[..., Awaitable[Row]]
"""A step's use case, the route's own arguments bound: `handler(conn, ident, who=...,
if_match=...)`, as `LifecycleSteps.step_by` calls it."""


@dataclass(frozen=True)
class StepCall:
    """What every step route is called with besides its path id and body: the request, the
    caller (holding the route's scope), the staff id it acts for (`X-Actor`), the ETag it
    read (`If-Match`) and, on a POST, its `Idempotency-Key`."""

    request: Request
    principal: Principal
    actor: str
    if_match: str | None
    idempotency_key: str | None = None


def step_call(scope: str, *, idempotent: bool = True) -> Any:
    """The dependency of a step route whose caller needs `scope`, for
    `Annotated[StepCall, step_call(scope)]`; `idempotent=False` for a PATCH, which takes no
    `Idempotency-Key`. Its headers come in the order the routes declared them one by one
    (X-Actor, If-Match, Idempotency-Key, after the caller's authentication), so the OpenAPI
    document and the order of validation errors are what they were."""
    caller = requires(scope)

    async def keyed(
        request: Request,
        principal: Annotated[Principal, caller],
        actor: Actor,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> StepCall:
        return StepCall(request, principal, actor, if_match, idempotency_key)

    async def unkeyed(
        request: Request,
        principal: Annotated[Principal, caller],
        actor: Actor,
        if_match: IfMatch = None,
    ) -> StepCall:
        return StepCall(request, principal, actor, if_match)

    return Depends(keyed if idempotent else unkeyed)


class LifecycleSteps(Generic[Row]):
    """The step routes of one kind of record (`kind` names it in a 404), all answered the
    same way (`answer`); each route gives only its handler's call."""

    def __init__(self, kind: str, answer: Answer[Row]) -> None:
        self.kind = kind
        self.answer = answer

    async def run(
        self,
        request: Request,
        principal: Principal,
        idempotency_key: str | None,
        raw_id: str,
        act: Act[Row],
    ) -> Response:
        """Run `act` on the record `raw_id` names, in the write's transaction (written once
        per key: a retry answers the first response), and answer the record after it."""
        today = business_today(request)
        ident = parse_id(raw_id, self.kind)

        async def write(conn: asyncpg.Connection) -> StoredResponse:
            row = await act(conn, ident, today)
            return await self.answer(conn, row, today)

        return await idempotent_write(request, principal, idempotency_key, write)

    async def step(self, call: StepCall, raw_id: str, act: Act[Row]) -> Response:
        """`run` for a route that took its caller as one `StepCall`."""
        return await self.run(call.request, call.principal, call.idempotency_key, raw_id, act)

    async def step_by(self, call: StepCall, raw_id: str, handler: Handler[Row]) -> Response:
        """`step` through a use case that takes what every step of the record does: the
        connection, the record's id, who takes the step (the caller, on the business date)
        and the ETag it read (`If-Match`)."""
        return await self.step(
            call,
            raw_id,
            lambda conn, ident, on: handler(
                conn, ident, who=Author(call.principal, call.actor, on), if_match=call.if_match
            ),
        )
