"""Audit programme bodies, and a programme row shaped as callers see it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

import asyncpg
from pydantic import BaseModel, Field

from audit_service.api.schemas.common import Name, Paragraph, UnitCode
from audit_service.domain.programmes import PERIOD_PATTERN, programme_is_overdue
from audit_service.handlers.programmes import AuditProgress
from qaf_shared.enums import ProgrammeKind
from qaf_shared.http.schemas import Strict

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


def programme_out(row: asyncpg.Record, progress: AuditProgress, on: date) -> dict[str, Any]:
    """The programme as callers see it, with the progress of its audits, checked by its
    model."""
    body = {
        **dict(row),
        "overdue": programme_is_overdue(row["due_date"], progress.by_status, on),
        "progress": {
            "total": sum(progress.by_status.values()),
            "by_status": progress.by_status,
            "overdue": progress.overdue,
        },
    }
    return ProgrammeOut.model_validate(body).model_dump(mode="json")
