"""Request and response bodies of audit-service (API.md § audit-service)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from qaf_shared.enums import AuditStatus, AuditTheme, Grade, PlanType
from qaf_shared.http.auth import ACTOR_PATTERN
from qaf_shared.http.org_units import UnitChoice

CaseRef = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9/\-_.]+$")]
StaffId = Annotated[str, Field(pattern=ACTOR_PATTERN)]
SectionId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AuditCreate(UnitChoice):
    case_ref: CaseRef
    plan_type: PlanType
    auditor: StaffId
    due_date: date
    programme_id: uuid.UUID | None = None
    kind: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Z_]+$")] | None = None


class AuditSubmit(Strict):
    overall_grade: Grade
    section_grades: dict[SectionId, Grade] = Field(default_factory=dict, max_length=50)
    themes: list[AuditTheme] = Field(max_length=20)
    child_voice_evident: bool
    commentary: Annotated[str, Field(max_length=20000)] | None = None
    submitted_on: date | None = None


class AuditOut(BaseModel):
    id: uuid.UUID
    version: int
    case_ref: str
    area: str | None
    district: str | None
    team: str | None
    service: str | None
    plan_type: PlanType
    auditor: str
    due_date: date
    programme_id: uuid.UUID | None
    kind: str | None
    status: AuditStatus
    overdue: bool
    overall_grade: Grade | None
    final_grade: Grade | None
    section_grades: dict[str, Grade]
    themes: list[AuditTheme]
    child_voice_evident: bool | None
    commentary: str | None
    submitted_on: date | None
    moderation_selected: bool | None
