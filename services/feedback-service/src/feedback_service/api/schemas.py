"""Request and response bodies of feedback-service (its README, Endpoints)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from feedback_service.domain.provider import MAX_BATCH
from feedback_service.question_sets import QUESTION_ID_PATTERN
from qaf_shared.enums import (
    ComplainantRole,
    ComplaintOutcome,
    ComplaintStage,
    ComplaintStatus,
    ConferenceType,
    FeedbackSource,
    PartnerType,
    PnCode,
    ProviderTheme,
    Respondent,
)
from qaf_shared.http.org_units import UnitChoice
from qaf_shared.text import StorableStr

CaseRef = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9/\-_.]+$")]
QuestionId = Annotated[str, Field(pattern=QUESTION_ID_PATTERN)]
Answer = Annotated[int, Field(strict=True, ge=1, le=5, description="1 (worst) to 5 (best)")]
Answers = Annotated[
    dict[QuestionId, Answer],
    Field(max_length=50, description="question id -> answer; the tenant's question set"),
]
Comment = Annotated[
    StorableStr, Field(max_length=5000, description="Free text; never leaves this service")
]
Category = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{0,39}$")]
EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9._:/\-]+$"
ExternalId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=EXTERNAL_ID_PATTERN,
        description="The provider's own id for the item; resubmitting it never makes a second record",
    ),
]
Count = Annotated[int, Field(strict=True, ge=0, le=1_000_000)]
Quarter = Annotated[str, Field(pattern=r"^FY\d{4}Q[1-4]$", examples=["FY2026Q1"])]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Unit(BaseModel):
    area: str | None
    district: str | None
    team: str | None
    service: str | None


# Feedback items


class FeedbackCreate(UnitChoice):
    source: FeedbackSource
    respondent: Respondent | None = None
    partner_type: PartnerType | None = None
    case_ref: CaseRef | None = None
    received_on: date
    conference_type: ConferenceType | None = None
    answers: Answers = Field(default_factory=dict)
    comment: Comment | None = None


class FeedbackOut(Unit):
    id: uuid.UUID
    version: int
    source: FeedbackSource
    respondent: Respondent | None
    partner_type: PartnerType | None
    conference_type: ConferenceType | None
    case_ref: str | None
    received_on: date
    answers: dict[str, int]
    comment: str | None
    provider: str | None
    external_id: str | None
    created_at: datetime


class FeedbackPage(BaseModel):
    items: list[FeedbackOut]
    next_cursor: str | None


class QuestionSetsOut(BaseModel):
    tenant: str
    scale: dict[str, int]
    question_sets: dict[FeedbackSource, list[str]]


# Review participation


class ParticipationCreate(UnitChoice):
    case_ref: CaseRef
    review_due: date
    review_held: date
    pn_code: PnCode


class ParticipationOut(Unit):
    id: uuid.UUID
    version: int
    case_ref: str
    review_due: date
    review_held: date
    pn_code: PnCode
    in_timescale: bool
    participated: bool | None = Field(
        description="PN1-PN6 true, PN7 false, PN0 null (outside the participation rate)"
    )
    created_at: datetime


class ParticipationPage(BaseModel):
    items: list[ParticipationOut]
    next_cursor: str | None


# Complaints


class ComplaintCreate(UnitChoice):
    case_ref: CaseRef | None = None
    received_on: date
    complainant_role: ComplainantRole
    categories: list[Category] = Field(min_length=1, max_length=10)


class ComplaintStageRequest(Strict):
    stage: Literal[ComplaintStage.STAGE2, ComplaintStage.STAGE3]
    requested_on: date


class ComplaintOutcomeIn(Strict):
    stage: ComplaintStage
    outcome: ComplaintOutcome
    decided_on: date


class ComplaintExtension(Strict):
    stage: Literal[ComplaintStage.STAGE1, ComplaintStage.STAGE2]
    extended_on: date


class ComplaintPanel(Strict):
    held_on: date


class ComplaintPanelReport(Strict):
    issued_on: date


class ComplaintClose(Strict):
    closed_on: date
    ombudsman_referred: bool = False


class ComplaintStageOut(BaseModel):
    stage: ComplaintStage
    started_on: date
    due_date: date
    extended_on: date | None
    panel_held_on: date | None
    panel_report_issued_on: date | None
    outcome: ComplaintOutcome | None
    decided_on: date | None
    decided_in_timescale: bool | None


class ComplaintOut(Unit):
    id: uuid.UUID
    version: int
    case_ref: str | None
    received_on: date
    complainant_role: ComplainantRole
    categories: list[str]
    status: ComplaintStatus
    stage: ComplaintStage = Field(description="The highest stage reached")
    stage_due_date: date = Field(description="When the current stage's next step is due")
    overdue: bool
    next_stage_request_by: date | None
    stages: list[ComplaintStageOut]
    closed_on: date | None
    ombudsman_referred: bool
    created_at: datetime


class ComplaintPage(BaseModel):
    items: list[ComplaintOut]
    next_cursor: str | None


# The provider integration


class ProviderItem(UnitChoice):
    """One per-case feedback item from the commissioned provider."""

    external_id: ExternalId
    source: Literal[FeedbackSource.ADVOCACY, FeedbackSource.INDEPENDENT_VISITOR]
    case_ref: CaseRef | None = None
    received_on: date
    answers: Answers = Field(default_factory=dict)
    comment: Comment | None = None


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its `$defs` written in place, for embedding in OpenAPI."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    inlined: dict[str, Any] = walk(schema)
    return inlined


class ProviderBatch(Strict):
    """Items are checked one by one (a bad item is answered REJECTED and never loses the
    others), so the body only insists on a list of 1-500; each item's shape is documented."""

    items: list[Any] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        json_schema_extra={"items": _inline_refs(ProviderItem.model_json_schema())},
    )


class ItemError(BaseModel):
    field: str
    message: str


class ProviderItemResult(BaseModel):
    index: int = Field(description="The item's position in the batch, from 0")
    external_id: str | None
    status: Literal["ACCEPTED", "DUPLICATE", "REJECTED"]
    id: uuid.UUID | None = Field(
        default=None, description="The record's id (ACCEPTED, and DUPLICATE of a stored item)"
    )
    errors: list[ItemError] | None = Field(default=None, description="Why (REJECTED)")


class ProviderBatchResult(BaseModel):
    submission_id: uuid.UUID
    accepted: int
    duplicates: int
    rejected: int
    results: list[ProviderItemResult]


class ProviderReportIn(Strict):
    quarter: Quarter
    referrals_received: Count
    children_advocated_for: Count
    issues_by_theme: dict[ProviderTheme, Count] = Field(default_factory=dict)
    outcomes_achieved: Count
    iv_matched: Count
    iv_waiting: Count


class ProviderReportOut(BaseModel):
    id: uuid.UUID
    version: int
    provider: str
    quarter: str
    referrals_received: int
    children_advocated_for: int
    issues_by_theme: dict[ProviderTheme, int]
    outcomes_achieved: int
    iv_matched: int
    iv_waiting: int
    submission_id: uuid.UUID
    created_at: datetime


class ProviderSubmissionOut(BaseModel):
    id: uuid.UUID
    kind: Literal["FEEDBACK_BATCH", "REPORT"]
    received_at: datetime
    items: int
    accepted: int
    duplicates: int
    rejected: int
    report_id: uuid.UUID | None
    quarter: str | None


class ProviderSubmissionDetail(ProviderSubmissionOut):
    results: list[ProviderItemResult]


class ProviderSubmissionPage(BaseModel):
    items: list[ProviderSubmissionOut]
    next_cursor: str | None


class ProviderReferenceOut(BaseModel):
    tenant: str
    areas: list[dict[str, Any]]
    services: list[str]
    question_sets: dict[FeedbackSource, list[str]]
    themes: list[ProviderTheme]
