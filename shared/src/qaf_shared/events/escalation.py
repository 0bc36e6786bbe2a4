"""escalation-service's events (`uk.gov.qa.escalation.*.v1` on qa.escalation.events.v1,
key = escalation id). Never the summary, desired outcome, responses or notes."""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar

from qaf_shared.enums import (
    EscalateReason,
    EscalationCategory,
    EscalationPlanType,
    EscalationStage,
    EscalationStatus,
    RaisedByRole,
    ResolutionOutcome,
)
from qaf_shared.events.payloads import OrgUnitRef, Payload
from qaf_shared.events.spec import ESCALATION_TOPIC, EventSpec


class EscalationEvent(Payload):
    """What every escalation event carries: a snapshot of the reportable facts after the
    change, so that reporting can place any event without the ones before it."""

    escalation_id: uuid.UUID
    org_unit: OrgUnitRef
    plan_type: EscalationPlanType
    raised_by_role: RaisedByRole
    categories: list[EscalationCategory]
    raised_on: date
    stage: EscalationStage  # current stage after the change
    status: EscalationStatus  # current status after the change
    stage_opened_on: date
    stage_due_date: date
    # The 20-working-day limit for the formal stages together (None until a formal stage opens).
    formal_deadline: date | None = None
    formal_limit_breached: bool = False


class EscalationRaised(EscalationEvent):
    event_type: ClassVar[str] = "uk.gov.qa.escalation.raised.v1"

    bypassed: bool = False  # opened above INFORMAL, with a recorded bypass reason


class EscalationResponseRecorded(EscalationEvent):
    event_type: ClassVar[str] = "uk.gov.qa.escalation.response_recorded.v1"

    responded_on: date
    late: bool  # responded after the stage's due date


class EscalationEscalated(EscalationEvent):
    event_type: ClassVar[str] = "uk.gov.qa.escalation.escalated.v1"

    from_stage: EscalationStage
    reason: EscalateReason
    escalated_on: date


class EscalationStageOverdue(EscalationEvent):
    """Announced once per stage: the due date passed without a response."""

    event_type: ClassVar[str] = "uk.gov.qa.escalation.stage_overdue.v1"

    detected_on: date


class EscalationResolved(EscalationEvent):
    event_type: ClassVar[str] = "uk.gov.qa.escalation.resolved.v1"

    outcome: ResolutionOutcome
    resolved_on: date


class EscalationWithdrawn(EscalationEvent):
    event_type: ClassVar[str] = "uk.gov.qa.escalation.withdrawn.v1"

    withdrawn_on: date


class EscalationCafcassReferred(EscalationEvent):
    event_type: ClassVar[str] = "uk.gov.qa.escalation.cafcass_referred.v1"

    referred_on: date


ESCALATION_EVENTS = (
    EventSpec(EscalationRaised, ESCALATION_TOPIC, "escalation"),
    EventSpec(EscalationResponseRecorded, ESCALATION_TOPIC, "escalation"),
    EventSpec(EscalationEscalated, ESCALATION_TOPIC, "escalation"),
    EventSpec(EscalationStageOverdue, ESCALATION_TOPIC, "escalation"),
    EventSpec(EscalationResolved, ESCALATION_TOPIC, "escalation"),
    EventSpec(EscalationWithdrawn, ESCALATION_TOPIC, "escalation"),
    EventSpec(EscalationCafcassReferred, ESCALATION_TOPIC, "escalation"),
)
