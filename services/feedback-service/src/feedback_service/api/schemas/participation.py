"""Review participation's bodies (its README, Endpoints)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from feedback_service.api.schemas.fields import Unit
from feedback_service.domain.participation import participated
from qaf_shared.enums import (
    PnCode,
)
from qaf_shared.http.org_units import UnitChoice
from qaf_shared.http.schemas import CaseRef


class ParticipationCreate(UnitChoice):
    case_ref: CaseRef
    review_due: date
    review_held: date
    pn_code: PnCode


class ParticipationOut(Unit):
    id: uuid.UUID
    version: int
    case_ref: str
    review_due: date
    review_held: date
    pn_code: PnCode
    in_timescale: bool
    participated: bool | None = Field(
        description="PN1-PN6 true, PN7 false, PN0 null (outside the participation rate)"
    )
    created_at: datetime


class ParticipationPage(BaseModel):
    items: list[ParticipationOut]
    next_cursor: str | None


def participation_out(row: Mapping[str, Any]) -> dict[str, Any]:
    data = dict(row)
    data["participated"] = participated(PnCode(row["pn_code"]))
    return ParticipationOut.model_validate(data).model_dump(mode="json")
