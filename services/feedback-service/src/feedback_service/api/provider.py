"""The commissioned advocacy and independent visitor provider's integration: per-case
feedback in batches, the quarterly report, and its own submissions. A provider token (scope
`provider:submit` and a `provider` claim) sees nothing but its own; each client is rate
limited (429 with Retry-After)."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Header, Query, Request
from starlette.responses import Response

from feedback_service.api.deps import ProviderClient, question_sets
from feedback_service.api.schemas.provider import (
    EXTERNAL_ID_PATTERN,
    ProviderBatch,
    ProviderBatchResult,
    ProviderReferenceOut,
    ProviderReportIn,
    ProviderReportOut,
    ProviderSubmissionDetail,
    ProviderSubmissionPage,
    batch_result,
    read_item,
    reference_out,
    report_out,
    submission_out,
)
from feedback_service.handlers import provider as handlers
from feedback_service.repository import provider as provider_rows
from qaf_shared.clock import business_today
from qaf_shared.http.access_log import record_access
from qaf_shared.http.app import app_pool
from qaf_shared.http.auth import ACTOR_PATTERN, PROVIDER_PREFIX, Principal
from qaf_shared.http.idempotency import IdempotencyKey, idempotent_write
from qaf_shared.http.org_units import tenant_units
from qaf_shared.http.pagination import Cursor, Limit, decode_cursor, page
from qaf_shared.http.problems import problem_responses
from qaf_shared.http.resources import (
    StoredResponse,
    json_response,
    not_found,
    parse_id,
    resource_response,
)

router = APIRouter(prefix=PROVIDER_PREFIX, tags=["provider"])

_LIMITED = problem_responses(429)
# Optional here: the provider's staff are not the authority's, so there is no staff id to
# insist on; when the provider passes its own worker id it is recorded with the client.
ProviderActor = Annotated[
    str | None,
    Header(
        alias="X-Actor",
        pattern=ACTOR_PATTERN,
        description="Optional: the provider's own id for the person submitting; recorded.",
    ),
]


def _provider(principal: Principal) -> str:
    assert principal.provider is not None  # the dependency refused tokens without one
    return principal.provider


@router.post("/feedback", response_model=ProviderBatchResult, responses=problem_responses(409, 429))
async def submit_feedback(
    request: Request,
    body: ProviderBatch,
    principal: ProviderClient,
    actor: ProviderActor = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """A batch of 1-500 per-case feedback items. Every item is checked on its own and
    answered in `results`, in order: `ACCEPTED` (a new record, with its `id`), `DUPLICATE`
    (the provider already submitted this `external_id`; nothing new is stored, the existing
    record's `id` is given) or `REJECTED` (with `errors`). A bad item never loses the good
    ones. Always 200 when the batch itself is well-formed."""
    on = business_today(request)
    units = tenant_units(request, principal.tenant)
    questions = question_sets(request).for_tenant(principal.tenant)

    async def submit(conn: asyncpg.Connection) -> Any:
        outcome = await handlers.submit_batch(
            conn,
            principal=principal,
            provider=_provider(principal),
            actor=actor,
            items=[read_item(raw) for raw in body.items],
            units=units,
            questions=questions,
            today=on,
        )
        return StoredResponse(200, batch_result(outcome))

    return await idempotent_write(request, principal, idempotency_key, submit)


@router.post(
    "/reports",
    status_code=201,
    response_model=ProviderReportOut,
    responses=problem_responses(409, 429),
)
async def submit_report(
    request: Request,
    body: ProviderReportIn,
    principal: ProviderClient,
    actor: ProviderActor = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """The quarterly report (one per quarter; a second for the same quarter is 409)."""
    on = business_today(request)

    async def submit(conn: asyncpg.Connection) -> Any:
        row = await handlers.submit_report(
            conn,
            principal=principal,
            provider=_provider(principal),
            actor=actor,
            quarter=body.quarter,
            counts=body.model_dump(mode="json", exclude={"quarter"}),
            today=on,
        )
        return resource_response(
            report_out(row), status=201, location=f"/v1/provider/reports/{row['id']}"
        )

    return await idempotent_write(request, principal, idempotency_key, submit)


@router.get("/reports/{report_id}", response_model=ProviderReportOut, responses=_LIMITED)
async def get_report(request: Request, report_id: str, principal: ProviderClient) -> Response:
    """One of this provider's own reports."""
    ident = parse_id(report_id, "report")
    async with app_pool(request).acquire() as conn:
        row = await provider_rows.get_report(conn, principal.tenant, _provider(principal), ident)
    if row is None:
        raise not_found("report")
    body = report_out(row)
    return json_response(body, headers=resource_response(body).headers)


@router.get("/submissions", response_model=ProviderSubmissionPage, responses=_LIMITED)
async def list_submissions(
    request: Request,
    principal: ProviderClient,
    kind: Annotated[
        str | None,
        Query(pattern="^(FEEDBACK_BATCH|REPORT)$", description="FEEDBACK_BATCH or REPORT"),
    ] = None,
    external_id: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            pattern=EXTERNAL_ID_PATTERN,
            description="Only batches that held this item",
        ),
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """This provider's own submissions (its batches and reports) with what each came to,
    oldest first; nothing of anyone else's."""
    only = provider_rows.SubmissionFilters(
        provider=_provider(principal), kind=kind, external_id=external_id
    )
    after = decode_cursor(cursor)
    async with app_pool(request).acquire() as conn:
        rows = await provider_rows.SUBMISSION_LIST.page(
            conn, principal.tenant, only, after=after, limit=limit
        )
    items, next_cursor = page(rows, limit)
    return json_response({"items": [submission_out(r) for r in items], "next_cursor": next_cursor})


@router.get(
    "/submissions/{submission_id}", response_model=ProviderSubmissionDetail, responses=_LIMITED
)
async def get_submission(
    request: Request, submission_id: str, principal: ProviderClient, actor: ProviderActor = None
) -> Response:
    """One of this provider's own submissions with the result for each item."""
    ident = parse_id(submission_id, "submission")
    async with app_pool(request).acquire() as conn, conn.transaction():
        row = await provider_rows.get_submission(
            conn, principal.tenant, _provider(principal), ident
        )
        if row is None:
            raise not_found("submission")
        await record_access(
            conn,
            principal,
            actor=actor,
            resource_type="provider_submission",
            resource_id=str(ident),
        )
    return json_response(submission_out(row, detail=True))


@router.get("/reference-data", response_model=ProviderReferenceOut, responses=_LIMITED)
async def reference_data(request: Request, principal: ProviderClient) -> dict[str, Any]:
    """What a provider needs to build valid items: the tenant's team and service codes,
    the question ids it asks per source (answers 1-5), and the report's themes."""
    units = tenant_units(request, principal.tenant).to_json()
    return reference_out(units, question_sets(request).for_tenant(principal.tenant))
