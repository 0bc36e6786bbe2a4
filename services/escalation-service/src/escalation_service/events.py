"""The events escalation-service raises, built from an escalation row after the change.

Each carries a snapshot of the reportable facts (stage, status, categories, dates, org unit,
the raiser's role), never the summary, desired outcome, responses' text or notes. The
formal-limit flag is as of the event's own business date."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import asyncpg

from escalation_service.domain.lifecycle import closed_on
from escalation_service.domain.timescales import formal_limit_breached
from qaf_shared.enums import EscalateReason, EscalationStage, ResolutionOutcome
from qaf_shared.events.envelope import CloudEvent, new_event
from qaf_shared.events.escalation import (
    EscalationCafcassReferred,
    EscalationEscalated,
    EscalationEvent,
    EscalationRaised,
    EscalationResolved,
    EscalationResponseRecorded,
    EscalationStageOverdue,
    EscalationWithdrawn,
)
from qaf_shared.events.payloads import OrgUnitRef

SOURCE = "/services/escalation-service"


def _snapshot(row: Mapping[str, Any], as_of: date) -> dict[str, Any]:
    return {
        "escalation_id": row["id"],
        "org_unit": OrgUnitRef.from_row(row),
        "plan_type": row["plan_type"],
        "raised_by_role": row["raised_by_role"],
        "categories": list(row["categories"]),
        "raised_on": row["raised_on"],
        "stage": row["stage"],
        "status": row["status"],
        "stage_opened_on": row["stage_opened_on"],
        "stage_due_date": row["stage_due_date"],
        "formal_deadline": row["formal_deadline"],
        "formal_limit_breached": formal_limit_breached(
            row["formal_deadline"], closed_on(row), as_of
        ),
    }


def _event(row: Mapping[str, Any], payload: EscalationEvent) -> CloudEvent:
    # The payload's class names the event's type.
    return new_event(source=SOURCE, tenant=row["tenant"], subject=str(row["id"]), data=payload)


def raised(row: Mapping[str, Any]) -> CloudEvent:
    payload = EscalationRaised(
        **_snapshot(row, row["raised_on"]),
        bypassed=row["stage"] != EscalationStage.INFORMAL,
    )
    return _event(row, payload)


def response_recorded(row: asyncpg.Record, *, responded_on: date, late: bool) -> CloudEvent:
    payload = EscalationResponseRecorded(
        **_snapshot(row, responded_on), responded_on=responded_on, late=late
    )
    return _event(row, payload)


def escalated(
    row: asyncpg.Record,
    *,
    from_stage: EscalationStage,
    reason: EscalateReason,
    escalated_on: date,
) -> CloudEvent:
    payload = EscalationEscalated(
        **_snapshot(row, escalated_on),
        from_stage=from_stage,
        reason=reason,
        escalated_on=escalated_on,
    )
    return _event(row, payload)


def stage_overdue(row: asyncpg.Record, *, detected_on: date) -> CloudEvent:
    payload = EscalationStageOverdue(**_snapshot(row, detected_on), detected_on=detected_on)
    return _event(row, payload)


def resolved(row: asyncpg.Record) -> CloudEvent:
    payload = EscalationResolved(
        **_snapshot(row, row["resolved_on"]),
        outcome=ResolutionOutcome(row["outcome"]),
        resolved_on=row["resolved_on"],
    )
    return _event(row, payload)


def withdrawn(row: asyncpg.Record) -> CloudEvent:
    payload = EscalationWithdrawn(
        **_snapshot(row, row["withdrawn_on"]), withdrawn_on=row["withdrawn_on"]
    )
    return _event(row, payload)


def cafcass_referred(row: asyncpg.Record) -> CloudEvent:
    referred_on: date = row["cafcass_referred_on"]
    payload = EscalationCafcassReferred(**_snapshot(row, referred_on), referred_on=referred_on)
    return _event(row, payload)
