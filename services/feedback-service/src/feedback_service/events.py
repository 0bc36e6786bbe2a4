"""feedback-service's events, built from domain results. The payload class names its type
(`qaf_shared.events.feedback`), so a type string is never written here."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from feedback_service.domain.complaints import Complaint
from qaf_shared.enums import ComplaintStage, PnCode
from qaf_shared.events.envelope import CloudEvent, new_event
from qaf_shared.events.feedback import (
    ComplaintClosed,
    ComplaintOpened,
    ComplaintStageChanged,
    FeedbackReceived,
    ParticipationRecorded,
    ProviderReportReceived,
)
from qaf_shared.events.payloads import OrgUnitRef, Payload

SOURCE = "/services/feedback-service"


def _event(tenant: str, subject: uuid.UUID, payload: Payload) -> CloudEvent:
    return new_event(source=SOURCE, tenant=tenant, subject=str(subject), data=payload)


def feedback_received(tenant: str, item: Mapping[str, Any], unit: OrgUnitRef) -> CloudEvent:
    """An item recorded directly or by the provider (`item` names its columns; what it does
    not carry is absent)."""
    payload = FeedbackReceived(
        feedback_id=item["id"],
        org_unit=unit,
        source=item["source"],
        received_on=item["received_on"],
        respondent=item.get("respondent"),
        partner_type=item.get("partner_type"),
        conference_type=item.get("conference_type"),
        answers=dict(item.get("answers") or {}),
        provider=item.get("provider"),
    )
    return _event(tenant, item["id"], payload)


def participation_recorded(
    tenant: str,
    participation_id: uuid.UUID,
    *,
    unit: OrgUnitRef,
    pn_code: PnCode,
    review_due: date,
    review_held: date,
    in_timescale: bool,
) -> CloudEvent:
    payload = ParticipationRecorded(
        participation_id=participation_id,
        org_unit=unit,
        pn_code=pn_code,
        review_due=review_due,
        review_held=review_held,
        in_timescale=in_timescale,
    )
    return _event(tenant, participation_id, payload)


def _snapshot(row: Mapping[str, Any], complaint: Complaint) -> dict[str, Any]:
    """The reportable facts every complaint event carries (ComplaintEvent)."""
    return {
        "complaint_id": row["id"],
        "org_unit": OrgUnitRef.from_row(row),
        "received_on": row["received_on"],
        "complainant_role": row["complainant_role"],
        "categories": list(row["categories"]),
        "status": complaint.status,
        "highest_stage": complaint.stage,
        "stage_due_date": complaint.current.due_date,
        "outcomes": complaint.outcomes,
    }


def complaint_opened(tenant: str, row: Mapping[str, Any], complaint: Complaint) -> CloudEvent:
    return _event(tenant, row["id"], ComplaintOpened(**_snapshot(row, complaint)))


def complaint_stage_changed(
    tenant: str,
    row: Mapping[str, Any],
    complaint: Complaint,
    stage: ComplaintStage,
    facts: Mapping[str, Any],
) -> CloudEvent:
    """A step within or between stages: `facts` say what changed (stage_opened and
    requested_on, outcome and decided_on, extended_on, panel_held_on or
    panel_report_issued_on)."""
    payload = ComplaintStageChanged(**_snapshot(row, complaint), stage=stage, **facts)
    return _event(tenant, row["id"], payload)


def complaint_closed(tenant: str, row: Mapping[str, Any], complaint: Complaint) -> CloudEvent:
    assert complaint.closed_on is not None
    payload = ComplaintClosed(
        **_snapshot(row, complaint),
        closed_on=complaint.closed_on,
        ombudsman_referred=complaint.ombudsman_referred,
    )
    return _event(tenant, row["id"], payload)


def provider_report_received(
    tenant: str, report_id: uuid.UUID, *, provider: str, quarter: str, counts: Mapping[str, Any]
) -> CloudEvent:
    """`counts` names the report's counts (`repository.provider.REPORT_COUNTS`)."""
    payload = ProviderReportReceived(
        report_id=report_id, provider=provider, quarter=quarter, **counts
    )
    return _event(tenant, report_id, payload)
