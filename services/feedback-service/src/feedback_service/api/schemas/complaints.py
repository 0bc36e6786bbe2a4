"""Complaints' bodies (its README, Endpoints)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from feedback_service.api.schemas.fields import Unit
from feedback_service.repository.complaints import complaint_of
from qaf_shared.enums import (
    ComplainantRole,
    ComplaintOutcome,
    ComplaintStage,
    ComplaintStatus,
)
from qaf_shared.http.org_units import UnitChoice
from qaf_shared.http.schemas import CaseRef, Strict

Category = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{0,39}$")]


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


def complaint_out(row: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The complaint with what its rules derive: due dates, overdue, the next stage's
    window, whether each stage was decided in time."""
    complaint = complaint_of(row)
    data = dict(row)
    data["stage_due_date"] = complaint.current.due_date
    data["overdue"] = complaint.is_overdue(today)
    data["next_stage_request_by"] = complaint.next_stage_request_by()
    data["stages"] = [
        {
            **s.to_json(),
            "due_date": s.due_date,
            "decided_in_timescale": None if s.decided_on is None else s.decided_on <= s.due_date,
        }
        for s in complaint.stages
    ]
    return ComplaintOut.model_validate(data).model_dump(mode="json")
