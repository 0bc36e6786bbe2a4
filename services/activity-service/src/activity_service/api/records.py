"""HTTP routes for activity records: a batch written record by record, withdrawals, and the
list. Thin: read each record on its own, call the handler in one transaction, answer."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Query
from starlette.responses import Response

from activity_service.api.deps import ReaderList, WriterBatch, child_keys
from activity_service.api.schemas.records import (
    ActivityBatch,
    BatchResult,
    RecordPage,
    WithdrawalBatch,
    WithdrawalResults,
    read_key,
    read_records,
    record_out,
    results_out,
)
from activity_service.domain.kinds import Kind
from activity_service.handlers import records as handlers
from activity_service.repository import records as record_rows
from qaf_shared.clock import business_today
from qaf_shared.http.auth import OptionalActor
from qaf_shared.http.creates import CreateCall, CreateRoute
from qaf_shared.http.idempotency import idempotent_write
from qaf_shared.http.org_units import UnitCode, tenant_units
from qaf_shared.http.pagination import Cursor, decode_cursor
from qaf_shared.http.problems import problem_responses
from qaf_shared.http.reads import Reads, each_row
from qaf_shared.http.resources import StoredResponse

router = APIRouter(tags=["activity"], route_class=CreateRoute)
# Each record a list shows is logged as listed: a record names a child.
_reads = Reads(
    "activity record",
    each_row(lambda row, _on: record_out(row)),
    resource_type="activity_record",
    list_action="list",
)


@router.post("/v1/activity", response_model=BatchResult, responses=problem_responses(409))
async def write_records(body: ActivityBatch, call: WriterBatch) -> Response:
    """A batch of 1-1000 records from the case-management system, each created or replaced
    by its natural key (`child_ref`, the kind's first date, a visit's `plan_type`) and
    answered in `results`, in order: `ACCEPTED` (stored; published), `UNCHANGED` (the same
    as stored; nothing published) or `REJECTED` (with `errors`, each naming the field and
    the rule). A fact left out keeps its stored value; null clears it (`"team": null`
    moves the record to tenant level). A bad record never loses the others: always 200 when
    the batch itself is well-formed."""
    units = tenant_units(call.request, call.principal.tenant)
    records = read_records(body.records, units)
    writing = _writing(call)

    async def write(conn: asyncpg.Connection) -> StoredResponse:
        results = await handlers.apply_records(conn, records, writing=writing)
        return StoredResponse(200, results_out(results))

    return await idempotent_write(call.request, call.principal, call.idempotency_key, write)


@router.post(
    "/v1/activity/withdrawals", response_model=WithdrawalResults, responses=problem_responses(409)
)
async def withdraw_records(body: WithdrawalBatch, call: WriterBatch) -> Response:
    """Records entered in error, each by its natural key: `WITHDRAWN` (removed from every
    list and figure; published), `NOT_FOUND` (no current record has the key) or `REJECTED`
    (the key could not be read). A later write of the same key brings the record back."""
    keys = [read_key(raw) for raw in body.records]
    writing = _writing(call)

    async def withdraw(conn: asyncpg.Connection) -> StoredResponse:
        results = await handlers.withdraw_records(conn, keys, writing=writing)
        return StoredResponse(200, results_out(results))

    return await idempotent_write(call.request, call.principal, call.idempotency_key, withdraw)


def _writing(call: CreateCall) -> handlers.Writing:
    """A REST batch is written with today's code lists and supplied by no load."""
    return handlers.Writing(
        tenant=call.principal.tenant,
        client=call.principal.client,
        actor=call.actor,
        today=business_today(call.request),
        keys=child_keys(call.request),
    )


@router.get("/v1/activity/records", response_model=RecordPage)
async def list_records(
    call: ReaderList,
    actor: OptionalActor = None,
    kind: Kind | None = None,
    child_ref: Annotated[
        str | None,
        Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9/\-_.]+$", description="A child"),
    ] = None,
    team: Annotated[UnitCode | None, Query(description="A team code")] = None,
    area: Annotated[UnitCode | None, Query(description="An area code")] = None,
    service: Annotated[UnitCode | None, Query(description="A county-wide service code")] = None,
    key_from: Annotated[
        date | None, Query(alias="from", description="The kind's first date on or after")
    ] = None,
    key_to: Annotated[
        date | None, Query(alias="to", description="The kind's first date on or before")
    ] = None,
    cursor: Cursor = None,
) -> Response:
    """The tenant's current records (withdrawn ones are not listed), oldest first; each
    record shown is written to the access log."""
    only = record_rows.RecordFilters(
        kind=kind.value if kind else None,
        child_ref=child_ref,
        key_from=key_from,
        key_to=key_to,
        units=call.units(area=area, district=None, team=team, service=service),
    )
    after = decode_cursor(cursor)

    async def rows(conn: asyncpg.Connection, _on: date) -> list[asyncpg.Record]:
        return await record_rows.LIST.page(
            conn, call.principal.tenant, only, after=after, limit=call.limit
        )

    return await _reads.page(call, actor, rows)
