"""The one way a create route that reads before it writes runs (open a complaint, raise an
action on an audit, ...): the business date read once, the handler run in the write's
transaction at most once per `Idempotency-Key`, and the new record answered 201 with its ETag
and `Location`. (A create that reads nothing first is one statement: `idempotent_create`.)

A create route declares its body (and any path id) and one `CreateCall` parameter
(`create_call`): the caller, X-Actor and Idempotency-Key that every create route takes."""

# No `from __future__ import annotations`: `create_call` builds its dependency's signature from
# the scope it is given, and FastAPI reads that signature's annotations as objects.

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
from starlette.responses import Response

from qaf_shared.clock import business_today
from qaf_shared.http.auth import Actor, Principal, requires
from qaf_shared.http.idempotency import IdempotencyKey, idempotent_write
from qaf_shared.http.reads import Shape
from qaf_shared.http.resources import StoredResponse, resource_response

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

    async def creating(
        request: Request,
        principal: Annotated[Principal, requires(scope)],
        actor: Actor,
        idempotency_key: IdempotencyKey = None,
    ) -> CreateCall:
        return CreateCall(request, principal, actor, idempotency_key)

    return Depends(creating)


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
