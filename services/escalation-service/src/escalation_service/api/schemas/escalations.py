"""The escalation resource: its request bodies, the escalation as callers see it, and the
shaping of a row and its stage history into that."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field

from escalation_service.api.schemas.common import (
    BusinessDate,
    Reason,
    Text,
)
from escalation_service.domain.lifecycle import closed_on, is_late, is_overdue
from escalation_service.domain.stages import ADDRESSEE, AddresseeRole
from escalation_service.domain.timescales import formal_limit_breached
from qaf_shared.enums import (
    EscalateReason,
    EscalationCategory,
    EscalationPlanType,
    EscalationStage,
    EscalationStatus,
    RaisedByRole,
    ResolutionOutcome,
)
from qaf_shared.events.envelope import json_time
from qaf_shared.http.org_units import UnitChoice
from qaf_shared.http.schemas import CaseRef, StaffId, Strict


def _distinct(categories: list[EscalationCategory]) -> list[EscalationCategory]:
    if len(set(categories)) != len(categories):
        raise ValueError("each category at most once")
    return categories


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


def escalation_out(
    row: Mapping[str, Any], stages: Sequence[Mapping[str, Any]], today: date
) -> dict[str, Any]:
    """The resource as callers see it (derived fields included), in its JSON form: what
    `EscalationOut` dumps (`mode="json"`) of the same values, built without validating and
    dumping the model, which took half the shaping's time on every create, step and read (the
    row's values are the ones the service checked when it wrote them; tests/unit/
    test_escalation_out.py compares the two byte for byte for varied rows)."""
    status = EscalationStatus(row["status"])
    current = row["stage_seq"]
    return {
        "id": str(row["id"]),
        "version": row["version"],
        "case_ref": row["case_ref"],
        "area": row["area"],
        "district": row["district"],
        "team": row["team"],
        "service": row["service"],
        "plan_type": row["plan_type"],
        "raised_by": row["raised_by"],
        "raised_by_role": row["raised_by_role"],
        "categories": list(row["categories"]),
        "summary": row["summary"],
        "desired_outcome": row["desired_outcome"],
        "raised_on": row["raised_on"].isoformat(),
        "bypass_reason": row["bypass_reason"],
        "stage": row["stage"],
        "addressee_role": _ADDRESSEE[row["stage"]],
        "status": row["status"],
        "stage_opened_on": row["stage_opened_on"].isoformat(),
        "stage_due_date": row["stage_due_date"].isoformat(),
        "overdue": is_overdue(status, row["stage_due_date"], today),
        "formal_started_on": _day(row["formal_started_on"]),
        "formal_deadline": _day(row["formal_deadline"]),
        "formal_limit_breached": formal_limit_breached(
            row["formal_deadline"], closed_on(row), today
        ),
        "outcome": row["outcome"],
        "resolution_note": row["resolution_note"],
        "resolved_on": _day(row["resolved_on"]),
        "withdrawn_on": _day(row["withdrawn_on"]),
        "withdrawal_reason": row["withdrawal_reason"],
        "cafcass_referred_on": _day(row["cafcass_referred_on"]),
        "cafcass_referred_at": _instant(row["cafcass_referred_at"]),
        "stages": [
            {
                "stage": s["stage"],
                "addressee_role": s["addressee_role"],
                "opened_on": s["opened_on"].isoformat(),
                "due_date": s["due_date"].isoformat(),
                "overdue": s["closed_on"] is None
                and s["seq"] == current
                and is_overdue(status, s["due_date"], today),
                "response": None
                if s["responded_on"] is None
                else {
                    "responder": s["responder"],
                    "response": s["response"],
                    "responded_on": s["responded_on"].isoformat(),
                    "late": is_late(s["responded_on"], s["due_date"]),
                },
                "closed_on": _day(s["closed_on"]),
                "closed_by": s["closed_by"],
                "escalate_reason": s["escalate_reason"],
                "escalate_note": s["escalate_note"],
            }
            for s in stages
        ],
    }


# Each stage's addressee as rows hold them (text), for the resource: no enum made per row.
_ADDRESSEE = {stage.value: role.value for stage, role in ADDRESSEE.items()}


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _instant(value: datetime | None) -> str | None:
    """An instant as pydantic writes it in JSON (UTC as `Z`)."""
    return None if value is None else json_time(value)
