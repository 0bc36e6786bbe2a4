"""Action bodies, and an action row shaped as callers see it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import asyncpg
from pydantic import BaseModel, Field

from audit_service.api.schemas.common import StaffId, Text
from audit_service.domain.actions import action_is_overdue
from qaf_shared.enums import ActionStatus
from qaf_shared.http.schemas import Strict


class ActionCreate(Strict):
    description: Text
    owner: StaffId
    due_date: date | None = Field(
        default=None, description="Default: the tenant's working days (20) after `raised_on`."
    )
    raised_on: date | None = Field(default=None, description="Default: today.")


class ActionUpdate(Strict):
    status: ActionStatus
    completed_on: date | None = Field(
        default=None, description="Only when the status becomes COMPLETED; default today."
    )


class ActionOut(BaseModel):
    id: uuid.UUID
    version: int
    audit_id: uuid.UUID
    description: str
    owner: str
    raised_on: date
    due_date: date
    status: ActionStatus
    overdue: bool
    status_changed_on: date
    completed_on: date | None
    area: str | None
    district: str | None
    team: str | None
    service: str | None
    created_at: datetime
    updated_at: datetime


class ActionPage(BaseModel):
    items: list[ActionOut]
    next_cursor: str | None


def action_out(row: asyncpg.Record, on: date) -> dict[str, Any]:
    """The action as callers see it (overdue as of `on`), checked by its model."""
    body = {
        **dict(row),
        "overdue": action_is_overdue(ActionStatus(row["status"]), row["due_date"], on),
    }
    return ActionOut.model_validate(body).model_dump(mode="json")
