"""The one way a lifecycle-step route runs (submit an audit, resolve an escalation, close a
complaint, ...): the record's id parsed from the path (a malformed one is 404, as an unknown
one is), the business date read once, the step run in the write's transaction at most once
per `Idempotency-Key`, and the record answered as it stands after the step."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Generic, TypeVar

import asyncpg
from fastapi import Request
from starlette.responses import Response

from qaf_shared.clock import business_today
from qaf_shared.http.auth import Principal
from qaf_shared.http.idempotency import idempotent_write
from qaf_shared.http.problems import problem_responses
from qaf_shared.http.resources import StoredResponse, parse_id

# What a step route declares beyond the common problems: 409 (the step does not apply, or
# the same Idempotency-Key is still running) and 412 (a stale If-Match).
STEP_PROBLEMS = problem_responses(409, 412)

Row = TypeVar("Row")

Act = Callable[[asyncpg.Connection, uuid.UUID, date], Awaitable[Row]]
"""A route's call of its handler: the connection, the record's id, the business date."""

Answer = Callable[[asyncpg.Connection, Row, date], Awaitable[StoredResponse]]
"""How a resource answers its steps: the record after the step, as callers see it."""


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
