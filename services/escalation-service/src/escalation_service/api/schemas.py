"""Request and response bodies of escalation-service (its README)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from escalation_service.domain.stages import AddresseeRole
from qaf_shared.enums import (
    EscalateReason,
    EscalationCategory,
    EscalationPlanType,
    EscalationStage,
    EscalationStatus,
    RaisedByRole,
    ResolutionOutcome,
)
from qaf_shared.http.auth import ACTOR_PATTERN
from qaf_shared.http.org_units import UnitChoice
from qaf_shared.text import StorableStr

# Business dates before this are taken for typing mistakes (and holiday tables for year 1
# are of no use); the date fields say so in their description.
EARLIEST_DATE = date(2000, 1, 1)

CaseRef = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9/\-_.]+$")]
StaffId = Annotated[str, Field(pattern=ACTOR_PATTERN)]
# Free text: something other than blanks, and storable (no NUL, no unpaired surrogates).
_NOT_BLANK = r"\S"
Text = Annotated[StorableStr, Field(min_length=1, max_length=10_000, pattern=_NOT_BLANK)]
Reason = Annotated[StorableStr, Field(min_length=1, max_length=2_000, pattern=_NOT_BLANK)]


def _not_too_early(day: date) -> date:
    if day < EARLIEST_DATE:
        raise ValueError(f"must not be before {EARLIEST_DATE.isoformat()}")
    return day


BusinessDate = Annotated[
    date,
    AfterValidator(_not_too_early),
    Field(description="A date from 2000-01-01, never in the future."),
]


def _distinct(categories: list[EscalationCategory]) -> list[EscalationCategory]:
    if len(set(categories)) != len(categories):
        raise ValueError("each category at most once")
    return categories


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EscalationCreate(UnitChoice):
    """Raise an escalation about one child's case. It opens at INFORMAL unless `stage` names
    a higher one with a `bypass_reason`."""

    case_ref: CaseRef
    plan_type: EscalationPlanType
    raised_by: StaffId
    raised_by_role: RaisedByRole
    categories: Annotated[
        list[EscalationCategory],
        Field(min_length=1, max_length=len(EscalationCategory)),
        AfterValidator(_distinct),
    ]
    summary: Text
    desired_outcome: Text | None = None
    stage: EscalationStage = EscalationStage.INFORMAL
    bypass_reason: Reason | None = None
    due_date: date | None = Field(
        default=None,
        description="The informal stage's due date, set by the chair (from `raised_on` to a "
        "year after it); default 5 working days after `raised_on`.",
    )
    raised_on: BusinessDate | None = Field(default=None, description="Default today.")


class ResponseCreate(Strict):
    responder: StaffId
    response: Text
    responded_on: BusinessDate | None = Field(
        default=None, description="Default today; not before the stage opened."
    )


class EscalateRequest(Strict):
    reason: EscalateReason
    note: Text | None = None
    escalated_on: BusinessDate | None = Field(
        default=None,
        description="Default today. NO_RESPONSE applies only after the stage's due date.",
    )


class ResolveRequest(Strict):
    outcome: ResolutionOutcome
    note: Text | None = None
    resolved_on: BusinessDate | None = Field(default=None, description="Default today.")


class WithdrawRequest(Strict):
    reason: Reason
    withdrawn_on: BusinessDate | None = Field(default=None, description="Default today.")


class CafcassReferralCreate(Strict):
    referred_on: BusinessDate


class StageClosure(StrEnum):
    ESCALATED = "ESCALATED"
    RESOLVED = "RESOLVED"
    WITHDRAWN = "WITHDRAWN"


class ResponseOut(BaseModel):
    responder: str
    response: str
    responded_on: date
    late: bool = Field(description="Responded after the stage's due date.")


class StageOut(BaseModel):
    stage: EscalationStage
    addressee_role: AddresseeRole
    opened_on: date
    due_date: date
    overdue: bool = Field(description="Past its due date with no response (derived).")
    response: ResponseOut | None
    closed_on: date | None
    closed_by: StageClosure | None
    escalate_reason: EscalateReason | None
    escalate_note: str | None


class EscalationOut(BaseModel):
    id: uuid.UUID
    version: int
    case_ref: str
    area: str | None
    district: str | None
    team: str | None
    service: str | None
    plan_type: EscalationPlanType
    raised_by: str
    raised_by_role: RaisedByRole
    categories: list[EscalationCategory]
    summary: str
    desired_outcome: str | None
    raised_on: date
    bypass_reason: str | None
    stage: EscalationStage
    addressee_role: AddresseeRole
    status: EscalationStatus
    stage_opened_on: date
    stage_due_date: date
    overdue: bool = Field(description="The current stage is past its due date with no response.")
    formal_started_on: date | None = Field(description="When the first formal stage opened.")
    formal_deadline: date | None = Field(
        description="The formal stages together should close by this date."
    )
    formal_limit_breached: bool
    outcome: ResolutionOutcome | None
    resolution_note: str | None
    resolved_on: date | None
    withdrawn_on: date | None
    withdrawal_reason: str | None
    cafcass_referred_on: date | None
    cafcass_referred_at: datetime | None = Field(description="When the referral was recorded.")
    stages: list[StageOut] = Field(description="Every stage so far, the current one last.")


class EscalationPage(BaseModel):
    items: list[EscalationOut]
    next_cursor: str | None
