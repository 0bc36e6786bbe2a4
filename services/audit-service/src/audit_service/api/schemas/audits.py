"""Case audit bodies, and an audit row shaped as callers see it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from audit_service.api.schemas.common import (
    AnswerValue,
    Commentary,
    Paragraph,
    QuestionId,
    SectionId,
    StaffId,
    Text,
)
from audit_service.domain.audits import is_overdue
from qaf_shared.enums import (
    AuditStatus,
    AuditTheme,
    Grade,
    PeerReviewOutcome,
    PlanType,
    ProgrammeKind,
)
from qaf_shared.http.org_units import UnitChoice
from qaf_shared.http.schemas import CASE_RECORD_FIELDS, CaseRef, Strict

Answers = Annotated[dict[QuestionId, AnswerValue | None], Field(max_length=500)]
SectionGrades = Annotated[dict[SectionId, Grade], Field(max_length=50)]
Themes = Annotated[list[AuditTheme], Field(max_length=20)]


class AuditCreate(UnitChoice):
    case_ref: CaseRef
    plan_type: PlanType
    auditor: StaffId
    due_date: date
    programme_id: uuid.UUID | None = Field(
        default=None, description="The programme the audit belongs to (of the same tenant)."
    )
    kind: ProgrammeKind | None = Field(
        default=None, description="The kind of audit; defaults to its programme's kind."
    )


class AuditDraft(Strict):
    """Draft answers while `SCHEDULED` or `IN_PROGRESS`. Only the fields given change;
    `answers` merge into the draft (an answer of `null` removes it)."""

    answers: Answers | None = None
    overall_grade: Grade | None = None
    section_grades: SectionGrades | None = None
    themes: Themes | None = None
    child_voice_evident: bool | None = None
    commentary: Commentary | None = None


class AuditSubmit(Strict):
    overall_grade: Grade
    section_grades: SectionGrades = Field(default_factory=dict)
    themes: Themes
    child_voice_evident: bool
    commentary: Commentary | None = None
    answers: Answers | None = Field(
        default=None, description="Merged into the draft answers before the template check."
    )
    submitted_on: date | None = None


class PeerReviewIn(Strict):
    reviewer: StaffId
    outcome: PeerReviewOutcome
    grade: Grade | None = Field(default=None, description="The reviewer's grade, with REGRADED.")
    comment: Text | None = None
    reviewed_on: date | None = None


class ModerationIn(Strict):
    moderator: StaffId
    grade: Grade
    rationale: Text | None = None
    moderated_on: date | None = None


class CloseIn(Strict):
    closed_on: date | None = None


class CancelIn(Strict):
    cancelled_on: date | None = None
    reason: Paragraph | None = None


class TemplateRef(BaseModel):
    id: str
    version: int


class PeerReviewOut(BaseModel):
    reviewer: str
    outcome: PeerReviewOutcome
    grade: Grade | None
    comment: str | None
    reviewed_on: date
    submission_number: int


class ModerationSelectionOut(BaseModel):
    """How the audit was chosen, or not, for moderation: `selected` is `draw < rate`, where
    `draw` is the first 8 bytes of SHA-256 of `seed` as a fraction of 2**64."""

    selected: bool
    seed: str
    draw: float
    rate: float
    decided_on: date


class ModerationOut(BaseModel):
    moderator: str
    grade_before: Grade
    grade: Grade
    rationale: str | None
    moderated_on: date


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
    kind: ProgrammeKind | None
    template: TemplateRef
    status: AuditStatus
    overdue: bool
    answers: dict[str, AnswerValue]
    overall_grade: Grade | None
    final_grade: Grade | None
    section_grades: dict[str, Grade]
    themes: list[AuditTheme]
    child_voice_evident: bool | None
    commentary: str | None
    submitted_on: date | None
    submission_number: int
    returned_on: date | None
    peer_reviewer: str | None
    peer_reviews: list[PeerReviewOut]
    moderation_selected: bool | None
    moderation_selection: ModerationSelectionOut | None
    moderator: str | None
    moderation: ModerationOut | None
    safeguarding_concern: bool
    safeguarding_concerns: int
    closed_on: date | None
    cancelled_on: date | None
    created_at: datetime
    updated_at: datetime


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_cursor: str | None


def audit_out(row: Mapping[str, Any], on: date) -> dict[str, Any]:
    """The audit as callers see it (derived fields included), checked by its model."""
    selected = row["moderation_selected"]
    body = {
        **{k: row[k] for k in _AUDIT_FIELDS},
        "template": {"id": row["template_id"], "version": row["template_version"]},
        "overdue": is_overdue(AuditStatus(row["status"]), row["due_date"], on),
        "answers": row["answers"] or {},
        "section_grades": row["section_grades"] or {},
        "themes": row["themes"] or [],
        "submission_number": row["submission_count"],
        "peer_reviews": row["peer_reviews"] or [],
        "moderation_selection": None
        if selected is None
        else {
            "selected": selected,
            "seed": row["moderation_seed"],
            "draw": row["moderation_draw"],
            "rate": row["moderation_rate"],
            "decided_on": row["moderation_decided_on"],
        },
        "moderation": None
        if row["moderated_grade"] is None
        else {
            "moderator": row["moderator"],
            "grade_before": row["grade_before_moderation"],
            "grade": row["moderated_grade"],
            "rationale": row["moderation_rationale"],
            "moderated_on": row["moderated_on"],
        },
        "safeguarding_concern": row["safeguarding_concerns"] > 0,
    }
    return AuditOut.model_validate(body).model_dump(mode="json")


_AUDIT_FIELDS = (
    *CASE_RECORD_FIELDS,
    "plan_type",
    "auditor",
    "due_date",
    "programme_id",
    "kind",
    "status",
    "overall_grade",
    "final_grade",
    "child_voice_evident",
    "commentary",
    "submitted_on",
    "returned_on",
    "peer_reviewer",
    "moderation_selected",
    "moderator",
    "safeguarding_concerns",
    "closed_on",
    "cancelled_on",
    "created_at",
    "updated_at",
)
