"""Safeguarding concern bodies, and a concern row shaped as callers see it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import asyncpg
from pydantic import BaseModel, Field

from audit_service.api.schemas.common import StaffId, Text
from qaf_shared.http.schemas import Strict


class ConcernCreate(Strict):
    raised_by: StaffId
    detail: Text
    raised_on: date | None = Field(default=None, description="Default: today.")


class ConcernOut(BaseModel):
    id: uuid.UUID
    version: int
    audit_id: uuid.UUID
    raised_by: str
    detail: str
    raised_on: date
    created_at: datetime


class ConcernPage(BaseModel):
    items: list[ConcernOut]
    next_cursor: str | None


def concern_out(row: asyncpg.Record) -> dict[str, Any]:
    """The concern as callers see it (its detail only ever goes here), checked by its model."""
    return ConcernOut.model_validate(dict(row)).model_dump(mode="json")
