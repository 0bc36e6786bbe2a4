"""HTTP routes for feedback items: parse, authorise, call a handler, shape the response."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from feedback_service.api.deps import StaffCreate, StaffGet, StaffList, StaffReader, question_sets
from feedback_service.api.filters import AreaFilter, DistrictFilter, ServiceFilter, TeamFilter
from feedback_service.api.schemas.feedback import (
    FeedbackCreate,
    FeedbackOut,
    FeedbackPage,
    QuestionSetsOut,
    feedback_out,
    question_sets_out,
)
from feedback_service.handlers import feedback as handlers
from feedback_service.repository import feedback as feedback_rows
from qaf_shared.clock import business_today
from qaf_shared.enums import FeedbackSource
from qaf_shared.http.auth import OptionalActor
from qaf_shared.http.creates import CreateRoute
from qaf_shared.http.idempotency import Creation, idempotent_create
from qaf_shared.http.org_units import resolve_org_unit
from qaf_shared.http.pagination import Cursor, decode_cursor
from qaf_shared.http.problems import problem_responses
from qaf_shared.http.reads import Reads, each_row
from qaf_shared.http.resources import resource_response

router = APIRouter(tags=["feedback"], route_class=CreateRoute)
# Each record a list shows is logged as listed.
_reads = Reads(
    "feedback item",
    each_row(lambda row, _on: feedback_out(row)),
    resource_type="feedback",
    get=feedback_rows.get,
    list_action="list",
)


@router.post(
    "/v1/feedback", status_code=201, response_model=FeedbackOut, responses=problem_responses(409)
)
async def record_feedback(body: FeedbackCreate, call: StaffCreate) -> Response:
    """Record one feedback item: conference respondents (answers to the tenant's question
    set), child in care reviews, advocacy, independent visitors, partners, staff and
    compliments. Complaints have their own lifecycle under `/v1/complaints`."""
    request, principal = call.request, call.principal
    unit = resolve_org_unit(request, principal.tenant, body)
    new = handlers.new_item(
        principal=principal,
        actor=call.actor,
        source=body.source,
        respondent=body.respondent,
        partner_type=body.partner_type,
        conference_type=body.conference_type,
        case_ref=body.case_ref,
        received_on=body.received_on,
        answers=body.answers,
        comment=body.comment,
        unit=unit,
        questions=question_sets(request).for_tenant(principal.tenant),
        today=business_today(request),
    )
    response = resource_response(
        feedback_out(new.row), status=201, location=f"/v1/feedback/{new.row['id']}"
    )
    creation = Creation(inserts=new.inserts, args=new.args, events=new.events, response=response)
    return await idempotent_create(request, principal, call.idempotency_key, creation)


@router.get("/v1/feedback", response_model=FeedbackPage)
async def list_feedback(
    call: StaffList,
    actor: OptionalActor = None,
    source: FeedbackSource | None = None,
    area: AreaFilter = None,
    district: DistrictFilter = None,
    team: TeamFilter = None,
    service: ServiceFilter = None,
    received_from: Annotated[date | None, Query(description="On or after")] = None,
    received_to: Annotated[date | None, Query(description="On or before")] = None,
    cursor: Cursor = None,
) -> Response:
    """Feedback items of the caller's tenant, direct and from the provider, oldest first."""
    units = call.units(area=area, district=district, team=team, service=service)
    only = feedback_rows.FeedbackFilters(
        source=source.value if source else None,
        received_from=received_from,
        received_to=received_to,
        units=units,
    )
    return await _reads.listed(call, actor, feedback_rows.LIST, only, decode_cursor(cursor))


@router.get("/v1/feedback/{feedback_id}", response_model=FeedbackOut)
async def get_feedback(feedback_id: str, call: StaffGet) -> Response:
    """One feedback item of the caller's tenant; the read is access-logged."""
    return await _reads.one(call, feedback_id)


@router.get("/v1/question-sets", response_model=QuestionSetsOut)
async def get_question_sets(request: Request, principal: StaffReader) -> dict[str, Any]:
    """The question ids the caller's tenant asks per source; answers are 1-5."""
    return question_sets_out(principal.tenant, question_sets(request).for_tenant(principal.tenant))
