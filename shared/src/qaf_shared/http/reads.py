"""The one way a resource's read routes run: one record by its path id, or one page of a list,
read in one transaction with the access log of what it answers (every case-level record shown
is a read of it), shaped as callers see it on the business date.

A get route declares its path id and one `ReadCall` parameter (`read_call`): the caller and
X-Actor. A list route declares its filters, X-Actor, its cursor and one `ListCall` parameter
(`list_call`): the caller and the page's limit."""

# No `from __future__ import annotations`: `read_call` and `list_call` build their
# dependencies' signatures from the scope they are given, and FastAPI reads those signatures'
# annotations as objects.

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, TypeVar

import asyncpg
from fastapi import Depends, Request
from starlette.responses import Response

from qaf_shared.clock import business_today
from qaf_shared.http.access_log import record_access, record_accesses
from qaf_shared.http.auth import OptionalActor, Principal, requires
from qaf_shared.http.list_query import UnitFilters, unit_filters
from qaf_shared.http.pagination import Limit, page
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


@dataclass(frozen=True)
class ReadCall:
    """What every get route is called with besides its path id: the request, the caller
    (holding the route's scope) and the staff id it reads for (`X-Actor`, optional)."""

    request: Request
    principal: Principal
    actor: str | None


def read_call(scope: str) -> Any:
    """The dependency of a get route whose caller needs `scope`, for
    `Annotated[ReadCall, read_call(scope)]`. A get route's only other parameter is its path
    id, so the OpenAPI document and the order of validation errors are what they were when it
    declared the caller and X-Actor one by one."""

    async def reading(
        request: Request,
        principal: Annotated[Principal, requires(scope)],
        actor: OptionalActor = None,
    ) -> ReadCall:
        return ReadCall(request, principal, actor)

    return Depends(reading)


@dataclass(frozen=True)
class ListCall:
    """What every list route is called with besides its filters, X-Actor and cursor: the
    request, the caller (holding the route's scope) and the page's `limit`."""

    request: Request
    principal: Principal
    limit: int

    def units(
        self, *, area: str | None, district: str | None, team: str | None, service: str | None
    ) -> UnitFilters:
        """The list's org-unit filters, each checked against the caller's tenant's tree
        (`unit_filters`: an unknown code is a 422 naming the query parameter)."""
        return unit_filters(
            self.request,
            self.principal.tenant,
            area=area,
            district=district,
            team=team,
            service=service,
        )


def list_call(scope: str) -> Any:
    """The dependency of a list route whose caller needs `scope`, for
    `Annotated[ListCall, list_call(scope)]`. It holds what FastAPI resolves before a route's
    own parameters anyway (the caller, then `limit`, itself a dependency), so the OpenAPI
    document and the order of validation errors are what they were; X-Actor and the cursor
    stay the route's own, after its filters."""

    async def listing(
        request: Request, principal: Annotated[Principal, requires(scope)], limit: Limit
    ) -> ListCall:
        return ListCall(request, principal, limit)

    return Depends(listing)


def each_row(shape: Callable[[asyncpg.Record, date], dict[str, Any]]) -> Shape:
    """A `Shape` for records shaped one by one from their rows alone."""

    async def shaped(
        conn: asyncpg.Connection, rows: Sequence[asyncpg.Record], on: date
    ) -> list[dict[str, Any]]:
        return [shape(row, on) for row in rows]

    return shaped


Found = TypeVar("Found")

Lookup = Callable[
    [asyncpg.Connection, str, list[uuid.UUID], date], Awaitable[Mapping[uuid.UUID, Found]]
]
"""What records are shown with, read for a whole page at once (`lookup(conn, tenant, ids,
on)`), by record id."""


def each_row_with(
    lookup: Lookup[Found], shape: Callable[[asyncpg.Record, Found, date], dict[str, Any]]
) -> Shape:
    """A `Shape` for records shaped one by one, each with what one `lookup` for the whole page
    found under its id (no lookup for an empty page). The rows are all of one tenant, the
    caller's."""

    async def shaped(
        conn: asyncpg.Connection, rows: Sequence[asyncpg.Record], on: date
    ) -> list[dict[str, Any]]:
        if not rows:
            return []
        found = await lookup(conn, rows[0]["tenant"], [r["id"] for r in rows], on)
        return [shape(row, found[row["id"]], on) for row in rows]

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

    async def one(self, call: ReadCall, raw_id: str, *, get: Get | None = None) -> Response:
        """The record `raw_id` names, as `get` (or the resource's) reads it in the caller's
        tenant (a malformed or unknown id is a 404), access-logged, with its ETag."""
        read = get or self.get
        assert read is not None, "a resource read by id needs its `get`"
        ident = parse_id(raw_id, self.kind)
        on = business_today(call.request)
        pool: asyncpg.Pool = call.request.app.state.pool
        async with pool.acquire() as conn, conn.transaction():
            row = await read(conn, call.principal.tenant, ident)
            if row is None:
                raise not_found(self.kind)
            await record_access(
                conn,
                call.principal,
                actor=call.actor,
                resource_type=self.resource_type,
                resource_id=str(ident),
            )
            [body] = await self.shape(conn, [row], on)
        stored = resource_response(body)
        return json_response(stored.body, headers=stored.headers)

    async def page(self, call: ListCall, actor: str | None, fetch: Fetch) -> Response:
        """One page of a list: the rows `fetch` reads, the page's records access-logged, and
        the next page's cursor."""
        on = business_today(call.request)
        pool: asyncpg.Pool = call.request.app.state.pool
        async with pool.acquire() as conn, conn.transaction():
            items, next_cursor = page(await fetch(conn, on), call.limit)
            await record_accesses(
                conn,
                call.principal,
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
