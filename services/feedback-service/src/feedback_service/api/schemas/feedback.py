"""Feedback items' bodies, and the question sets' (its README, Endpoints)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from feedback_service.api.schemas.fields import Answers, Comment, Unit
from feedback_service.domain.feedback import ANSWER_MAX, ANSWER_MIN, QuestionSet
from qaf_shared.enums import (
    ConferenceType,
    FeedbackSource,
    PartnerType,
    Respondent,
)
from qaf_shared.http.org_units import UnitChoice
from qaf_shared.http.schemas import CaseRef


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


def feedback_out(row: Mapping[str, Any]) -> dict[str, Any]:
    return FeedbackOut.model_validate(dict(row)).model_dump(mode="json")


def question_sets_out(tenant: str, questions: QuestionSet) -> dict[str, Any]:
    return {
        "tenant": tenant,
        "scale": {"min": ANSWER_MIN, "max": ANSWER_MAX},
        "question_sets": {s.value: list(q) for s, q in questions.by_source.items()},
    }
