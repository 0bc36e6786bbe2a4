"""audit-service's events (`uk.gov.qa.audit.*.v1` on qa.audit.events.v1, key = audit id;
action events are keyed by their audit so that they stay in order with it)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar

from qaf_shared.enums import (
    ActionStatus,
    AuditTheme,
    Grade,
    PeerReviewOutcome,
    PlanType,
    ProgrammeKind,
)
from qaf_shared.events.payloads import OrgUnitRef, Payload
from qaf_shared.events.spec import AUDIT_TOPIC, EventSpec


class AuditEvent(Payload):
    """What every audit event carries, so that reporting can place it without history."""

    audit_id: uuid.UUID
    org_unit: OrgUnitRef
    plan_type: PlanType
    programme_id: uuid.UUID | None = None
    programme_kind: ProgrammeKind | None = None


class AuditScheduled(AuditEvent):
    event_type: ClassVar[str] = "uk.gov.qa.audit.scheduled.v1"

    due_date: date


class AuditSubmitted(AuditEvent):
    event_type: ClassVar[str] = "uk.gov.qa.audit.submitted.v1"

    submitted_on: date
    overall_grade: Grade
    final_grade: Grade
    section_grades: dict[str, Grade] = {}
    themes: list[AuditTheme] = []
    child_voice_evident: bool
    # A returned audit is submitted again; the latest submission date counts.
    submission_number: int = 1


class AuditPeerReviewed(AuditEvent):
    event_type: ClassVar[str] = "uk.gov.qa.audit.peer_reviewed.v1"

    outcome: PeerReviewOutcome
    reviewed_on: date
    auditor_grade: Grade
    reviewer_grade: Grade | None = None  # REGRADED: the reviewer's own grade
    final_grade: Grade | None = None  # None when RETURNED to the auditor
    submission_number: int = 1


class AuditModerationSelected(AuditEvent):
    event_type: ClassVar[str] = "uk.gov.qa.audit.moderation_selected.v1"

    selected: bool
    decided_on: date
    rate: float  # the share the tenant moderates, 0..1


class AuditModerated(AuditEvent):
    event_type: ClassVar[str] = "uk.gov.qa.audit.moderated.v1"

    moderated_on: date
    grade_before: Grade  # the final grade before moderation (peer reviewer's, else auditor's)
    moderated_grade: Grade
    final_grade: Grade


class AuditClosed(AuditEvent):
    event_type: ClassVar[str] = "uk.gov.qa.audit.closed.v1"

    closed_on: date
    final_grade: Grade | None = None


class AuditCancelled(AuditEvent):
    event_type: ClassVar[str] = "uk.gov.qa.audit.cancelled.v1"

    cancelled_on: date


class SafeguardingConcernRaised(AuditEvent):
    event_type: ClassVar[str] = "uk.gov.qa.audit.safeguarding_concern_raised.v1"

    concern_id: uuid.UUID
    raised_on: date


class ActionEvent(AuditEvent):
    action_id: uuid.UUID
    status: ActionStatus
    raised_on: date
    due_date: date


class ActionRaised(ActionEvent):
    event_type: ClassVar[str] = "uk.gov.qa.audit.action_raised.v1"


class ActionStatusChanged(ActionEvent):
    event_type: ClassVar[str] = "uk.gov.qa.audit.action_status_changed.v1"

    previous_status: ActionStatus
    changed_on: date
    completed_on: date | None = None


AUDIT_EVENTS = (
    EventSpec(AuditScheduled, AUDIT_TOPIC, "audit"),
    EventSpec(AuditSubmitted, AUDIT_TOPIC, "audit"),
    EventSpec(AuditPeerReviewed, AUDIT_TOPIC, "audit"),
    EventSpec(AuditModerationSelected, AUDIT_TOPIC, "audit"),
    EventSpec(AuditModerated, AUDIT_TOPIC, "audit"),
    EventSpec(AuditClosed, AUDIT_TOPIC, "audit"),
    EventSpec(AuditCancelled, AUDIT_TOPIC, "audit"),
    EventSpec(SafeguardingConcernRaised, AUDIT_TOPIC, "audit"),
    EventSpec(ActionRaised, AUDIT_TOPIC, "audit"),
    EventSpec(ActionStatusChanged, AUDIT_TOPIC, "audit"),
)
