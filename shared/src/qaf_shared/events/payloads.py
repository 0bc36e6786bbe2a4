"""Event payloads. Structured facts only (ids, org unit, dates, enums, grades, counts):
no free text and no names ever go into an event.

Within a `.v1` type only optional fields are added; consumers ignore unknown fields."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict

from qaf_shared.enums import AuditTheme, Grade, PlanType


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class OrgUnitRef(Payload):
    """The resolved org unit, so that reporting never needs a lookup."""

    area: str | None = None
    district: str | None = None
    team: str | None = None
    service: str | None = None


class AuditScheduled(Payload):
    audit_id: uuid.UUID
    org_unit: OrgUnitRef
    plan_type: PlanType
    programme_id: uuid.UUID | None = None
    due_date: date


class AuditSubmitted(Payload):
    audit_id: uuid.UUID
    org_unit: OrgUnitRef
    plan_type: PlanType
    programme_id: uuid.UUID | None = None
    submitted_on: date
    overall_grade: Grade
    final_grade: Grade
    section_grades: dict[str, Grade] = {}
    themes: list[AuditTheme] = []
    child_voice_evident: bool
    # A returned audit is submitted again; the latest submission date counts.
    submission_number: int = 1
