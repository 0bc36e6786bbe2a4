"""feedback-service's events (`uk.gov.qa.feedback.*.v1` on qa.feedback.events.v1, key = the
record's id). Never comments or free text."""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar

from qaf_shared.enums import (
    ComplainantRole,
    ComplaintOutcome,
    ComplaintStage,
    ComplaintStatus,
    ConferenceType,
    FeedbackSource,
    PartnerType,
    PnCode,
    ProviderTheme,
    Respondent,
)
from qaf_shared.events.payloads import OrgUnitRef, Payload
from qaf_shared.events.spec import FEEDBACK_TOPIC, EventSpec


class FeedbackReceived(Payload):
    event_type: ClassVar[str] = "uk.gov.qa.feedback.received.v1"

    feedback_id: uuid.UUID
    org_unit: OrgUnitRef
    source: FeedbackSource
    received_on: date
    respondent: Respondent | None = None
    partner_type: PartnerType | None = None
    conference_type: ConferenceType | None = None
    answers: dict[str, int] = {}  # question id -> 1..5
    provider: str | None = None  # set when the commissioned provider submitted it


class ParticipationRecorded(Payload):
    event_type: ClassVar[str] = "uk.gov.qa.feedback.participation_recorded.v1"

    participation_id: uuid.UUID
    org_unit: OrgUnitRef
    pn_code: PnCode
    review_due: date
    review_held: date
    in_timescale: bool


class ComplaintEvent(Payload):
    """A snapshot of the complaint's reportable facts after the change."""

    complaint_id: uuid.UUID
    org_unit: OrgUnitRef
    received_on: date
    complainant_role: ComplainantRole
    categories: list[str] = []
    status: ComplaintStatus
    highest_stage: ComplaintStage
    stage_due_date: date | None = None
    outcomes: dict[ComplaintStage, ComplaintOutcome] = {}


class ComplaintOpened(ComplaintEvent):
    event_type: ClassVar[str] = "uk.gov.qa.feedback.complaint_opened.v1"


class ComplaintStageChanged(ComplaintEvent):
    """A stage was opened (`stage_opened`), decided (`outcome` set), extended
    (`extended_on` set: stage 1 to 20 working days, stage 2 to 65), or, at stage 3, its
    review panel held (`panel_held_on`) or the panel's report issued
    (`panel_report_issued_on`). `stage_due_date` is then the stage's new due date."""

    event_type: ClassVar[str] = "uk.gov.qa.feedback.complaint_stage_changed.v1"

    stage: ComplaintStage
    stage_opened: bool = False
    requested_on: date | None = None
    outcome: ComplaintOutcome | None = None
    decided_on: date | None = None
    extended_on: date | None = None
    panel_held_on: date | None = None
    panel_report_issued_on: date | None = None


class ComplaintClosed(ComplaintEvent):
    event_type: ClassVar[str] = "uk.gov.qa.feedback.complaint_closed.v1"

    closed_on: date
    ombudsman_referred: bool = False


class ProviderReportReceived(Payload):
    event_type: ClassVar[str] = "uk.gov.qa.feedback.provider_report_received.v1"

    report_id: uuid.UUID
    provider: str
    quarter: str
    referrals_received: int
    children_advocated_for: int
    issues_by_theme: dict[ProviderTheme, int] = {}
    outcomes_achieved: int
    iv_matched: int
    iv_waiting: int


FEEDBACK_EVENTS = (
    EventSpec(FeedbackReceived, FEEDBACK_TOPIC, "feedback"),
    EventSpec(ParticipationRecorded, FEEDBACK_TOPIC, "participation"),
    EventSpec(ComplaintOpened, FEEDBACK_TOPIC, "complaint"),
    EventSpec(ComplaintStageChanged, FEEDBACK_TOPIC, "complaint"),
    EventSpec(ComplaintClosed, FEEDBACK_TOPIC, "complaint"),
    EventSpec(ProviderReportReceived, FEEDBACK_TOPIC, "provider_report"),
)
