"""The one way a resource's read routes run: one record by its path id, or one page of a list,
read in one transaction with the access log of what it answers (every case-level record shown
is a read of it), shaped as callers see it on the business date."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any

import asyncpg
from fastapi import Request
from starlette.responses import Response

from qaf_shared.clock import business_today
from qaf_shared.http.access_log import record_access, record_accesses
from qaf_shared.http.auth import Principal
from qaf_shared.http.pagination import page
from qaf_shared.http.resources import (
    StoredResponse,
    json_response,
    not_found,
    parse_id,
    resource_response,
)

Shape = Callable[
    [asyncpg.Connection, Sequence[asyncpg.Record], date], Awaitable[list[dict[str, Any]]]
]
"""Records as callers see them on a date; given the connection, for what a shape reads beside
the rows (an escalation's stage histories, one query for a whole page)."""

Get = Callable[[asyncpg.Connection, str, uuid.UUID], Awaitable[asyncpg.Record | None]]
"""A repository's read of one record of a tenant (`get(conn, tenant, ident)`)."""

Fetch = Callable[[asyncpg.Connection, date], Awaitable[Sequence[asyncpg.Record]]]
"""A list's read of one page, `limit + 1` rows (`ListQuery.page`), on the business date."""


def each_row(shape: Callable[[asyncpg.Record, date], dict[str, Any]]) -> Shape:
    """A `Shape` for records shaped one by one from their rows alone."""

    async def shaped(
        conn: asyncpg.Connection, rows: Sequence[asyncpg.Record], on: date
    ) -> list[dict[str, Any]]:
        return [shape(row, on) for row in rows]

    return shaped


class Reads:
    """The read routes of one kind of record (`kind` names it in a 404; `resource_type` in the
    access log, with `list_action` for what a list shows), all shaped by `shape`."""

    def __init__(
        self,
        kind: str,
        shape: Shape,
        *,
        resource_type: str,
        get: Get | None = None,
        list_action: str = "read",
    ) -> None:
        self.kind = kind
        self.shape = shape
        self.resource_type = resource_type
        self.get = get
        self.list_action = list_action

    async def one(
        self,
        request: Request,
        principal: Principal,
        actor: str | None,
        raw_id: str,
        *,
        get: Get | None = None,
    ) -> Response:
        """The record `raw_id` names, as `get` (or the resource's) reads it in the caller's
        tenant (a malformed or unknown id is a 404), access-logged, with its ETag."""
        read = get or self.get
        assert read is not None, "a resource read by id needs its `get`"
        ident = parse_id(raw_id, self.kind)
        on = business_today(request)
        pool: asyncpg.Pool = request.app.state.pool
        async with pool.acquire() as conn, conn.transaction():
            row = await read(conn, principal.tenant, ident)
            if row is None:
                raise not_found(self.kind)
            await record_access(
                conn,
                principal,
                actor=actor,
                resource_type=self.resource_type,
                resource_id=str(ident),
            )
            [body] = await self.shape(conn, [row], on)
        stored = resource_response(body)
        return json_response(stored.body, headers=stored.headers)

    async def page(
        self,
        request: Request,
        principal: Principal,
        actor: str | None,
        limit: int,
        fetch: Fetch,
    ) -> Response:
        """One page of a list: the rows `fetch` reads, the page's records access-logged, and
        the next page's cursor."""
        on = business_today(request)
        pool: asyncpg.Pool = request.app.state.pool
        async with pool.acquire() as conn, conn.transaction():
            items, next_cursor = page(await fetch(conn, on), limit)
            await record_accesses(
                conn,
                principal,
                actor=actor,
                resource_type=self.resource_type,
                resource_ids=[r["id"] for r in items],
                action=self.list_action,
            )
            body = await self.shape(conn, items, on)
        return json_response({"items": body, "next_cursor": next_cursor})

    async def answer(
        self, conn: asyncpg.Connection, row: asyncpg.Record, on: date
    ) -> StoredResponse:
        """A lifecycle step's answer (`LifecycleSteps`): the record after it, with its ETag."""
        [body] = await self.shape(conn, [row], on)
        return resource_response(body)
