"""HTTP routes for feedback items: parse, authorise, call a handler, shape the response."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from feedback_service import handlers, repository
from feedback_service.api.common import (
    DEFAULT_LIMIT,
    AreaFilter,
    DistrictFilter,
    ServiceFilter,
    TeamFilter,
    logged_page,
)
from feedback_service.api.deps import StaffReader, StaffWriter, pool, question_sets
from feedback_service.api.schemas import FeedbackCreate, FeedbackOut, FeedbackPage, QuestionSetsOut
from feedback_service.domain.feedback import ANSWER_MAX, ANSWER_MIN
from qaf_shared.clock import business_today
from qaf_shared.enums import FeedbackSource
from qaf_shared.http.access_log import record_access
from qaf_shared.http.auth import Actor, OptionalActor
from qaf_shared.http.idempotency import IdempotencyKey, idempotent_create
from qaf_shared.http.org_units import resolve_org_unit
from qaf_shared.http.pagination import Cursor, Limit, decode_cursor
from qaf_shared.http.problems import problem_responses
from qaf_shared.http.resources import json_response, not_found, parse_id, resource_response

router = APIRouter(tags=["feedback"])


@router.post(
    "/v1/feedback", status_code=201, response_model=FeedbackOut, responses=problem_responses(409)
)
async def record_feedback(
    request: Request,
    body: FeedbackCreate,
    principal: StaffWriter,
    actor: Actor,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Record one feedback item: conference respondents (answers to the tenant's question
    set), child in care reviews, advocacy, independent visitors, partners, staff and
    compliments. Complaints have their own lifecycle under `/v1/complaints`."""
    unit = resolve_org_unit(request, principal.tenant, body)
    creation = handlers.new_feedback(
        principal=principal,
        actor=actor,
        body=body,
        unit=unit,
        questions=question_sets(request).for_tenant(principal.tenant),
        today=business_today(request),
    )
    return await idempotent_create(request, principal, idempotency_key, creation)


@router.get("/v1/feedback", response_model=FeedbackPage)
async def list_feedback(
    request: Request,
    principal: StaffReader,
    actor: OptionalActor = None,
    source: FeedbackSource | None = None,
    area: AreaFilter = None,
    district: DistrictFilter = None,
    team: TeamFilter = None,
    service: ServiceFilter = None,
    received_from: Annotated[date | None, Query(description="On or after")] = None,
    received_to: Annotated[date | None, Query(description="On or before")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """Feedback items of the caller's tenant, direct and from the provider, oldest first."""
    filters = repository.unit_filters(
        principal.tenant, area=area, district=district, team=team, service=service
    )
    filters.add("source = {}", source.value if source else None)
    filters.add("received_on >= {}", received_from)
    filters.add("received_on <= {}", received_to)
    filters.after(decode_cursor(cursor))
    async with pool(request).acquire() as conn, conn.transaction():
        rows = await repository.list_feedback(conn, filters, limit)
        body = await logged_page(
            conn,
            principal,
            actor,
            resource_type="feedback",
            rows=rows,
            limit=limit,
            shape=handlers.feedback_out,
        )
    return json_response(body)


@router.get("/v1/feedback/{feedback_id}", response_model=FeedbackOut)
async def get_feedback(
    request: Request, feedback_id: str, principal: StaffReader, actor: OptionalActor = None
) -> Response:
    """One feedback item of the caller's tenant; the read is access-logged."""
    ident = parse_id(feedback_id, "feedback item")
    async with pool(request).acquire() as conn, conn.transaction():
        row = await repository.get_feedback(conn, principal.tenant, ident)
        if row is None:
            raise not_found("feedback item")
        await record_access(
            conn, principal, actor=actor, resource_type="feedback", resource_id=str(ident)
        )
    body = handlers.feedback_out(row)
    return json_response(body, headers=resource_response(body).headers)


@router.get("/v1/question-sets", response_model=QuestionSetsOut)
async def get_question_sets(request: Request, principal: StaffReader) -> dict[str, Any]:
    """The question ids the caller's tenant asks per source; answers are 1-5."""
    questions = question_sets(request).for_tenant(principal.tenant)
    return {
        "tenant": principal.tenant,
        "scale": {"min": ANSWER_MIN, "max": ANSWER_MAX},
        "question_sets": {s.value: list(q) for s, q in questions.by_source.items()},
    }
