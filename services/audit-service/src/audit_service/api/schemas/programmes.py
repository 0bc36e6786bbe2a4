"""Audit programme bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from audit_service.api.schemas.common import Name, Paragraph, Strict, UnitCode
from audit_service.domain.programmes import PERIOD_PATTERN
from qaf_shared.enums import ProgrammeKind

Period = Annotated[
    str,
    Field(pattern=PERIOD_PATTERN, description="A month (`2026-04`) or a quarter (`FY2026Q1`)."),
]


class ProgrammeCreate(Strict):
    kind: ProgrammeKind
    name: Name
    period: Period
    area: UnitCode | None = None
    district: UnitCode | None = None
    service: UnitCode | None = None
    theme: Name | None = None
    hypothesis: Paragraph | None = None
    due_date: date


class StatusCounts(BaseModel):
    SCHEDULED: int = 0
    IN_PROGRESS: int = 0
    SUBMITTED: int = 0
    PEER_REVIEWED: int = 0
    MODERATION: int = 0
    MODERATED: int = 0
    CLOSED: int = 0
    CANCELLED: int = 0


class Progress(BaseModel):
    total: int
    by_status: StatusCounts
    overdue: int = Field(description="Audits not submitted by their due date.")


class ProgrammeOut(BaseModel):
    id: uuid.UUID
    version: int
    kind: ProgrammeKind
    name: str
    period: str
    area: str | None
    district: str | None
    service: str | None
    theme: str | None
    hypothesis: str | None
    due_date: date
    overdue: bool = Field(description="Past its due date with audits still unsubmitted.")
    progress: Progress
    created_at: datetime
    updated_at: datetime


class ProgrammePage(BaseModel):
    items: list[ProgrammeOut]
    next_cursor: str | None
