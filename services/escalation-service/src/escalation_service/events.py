"""The events escalation-service raises, built from an escalation row after the change.

Each carries a snapshot of the reportable facts (stage, status, categories, dates, org unit,
the raiser's role), never the summary, desired outcome, responses' text or notes. The
formal-limit flag is as of the event's own business date.

Each is built straight in its JSON form (`prepared_event`), what the payload model and
`new_event` would make of the same row (`exclude_none`), without them: the row's values are
the ones the service checked when it wrote them, and three pydantic passes per event (the
payload, the envelope, their dump) were about a tenth of a create's own Python
(tests/unit/test_events.py compares every event with the models' for varied rows)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from escalation_service.domain.lifecycle import closed_on
from escalation_service.domain.timescales import formal_limit_breached
from qaf_shared.enums import EscalateReason, EscalationStage, ResolutionOutcome
from qaf_shared.events.envelope import PreparedEvent, json_time, prepared_event
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
from qaf_shared.events.payloads import unit_json

SOURCE = "/services/escalation-service"


def _snapshot(row: Mapping[str, Any], as_of: date) -> dict[str, Any]:
    """`EscalationEvent`'s fields of `row` in their JSON form (a formal deadline only once
    there is one, as `exclude_none` leaves it out)."""
    deadline: date | None = row["formal_deadline"]
    data: dict[str, Any] = {
        "escalation_id": str(row["id"]),
        "org_unit": unit_json(row),
        "plan_type": row["plan_type"],
        "raised_by_role": row["raised_by_role"],
        "categories": list(row["categories"]),
        "raised_on": row["raised_on"].isoformat(),
        "stage": row["stage"],
        "status": row["status"],
        "stage_opened_on": row["stage_opened_on"].isoformat(),
        "stage_due_date": row["stage_due_date"].isoformat(),
    }
    if deadline is not None:
        data["formal_deadline"] = deadline.isoformat()
    data["formal_limit_breached"] = formal_limit_breached(deadline, closed_on(row), as_of)
    return data


def _event(
    row: Mapping[str, Any],
    payload: type[EscalationEvent],
    data: dict[str, Any],
    time: datetime | None = None,
) -> PreparedEvent:
    # The payload's class names the event's type.
    return prepared_event(
        source=SOURCE,
        tenant=row["tenant"],
        subject=data["escalation_id"],
        payload=payload,
        data=data,
        time=json_time(time or datetime.now(UTC)),
    )


def raised(row: Mapping[str, Any]) -> PreparedEvent:
    """A new escalation, at the instant its row was created."""
    data = _snapshot(row, row["raised_on"])
    data["bypassed"] = row["stage"] != EscalationStage.INFORMAL
    return _event(row, EscalationRaised, data, row["created_at"])


def response_recorded(row: Mapping[str, Any], *, responded_on: date, late: bool) -> PreparedEvent:
    data = _snapshot(row, responded_on)
    data["responded_on"] = responded_on.isoformat()
    data["late"] = late
    return _event(row, EscalationResponseRecorded, data)


def escalated(
    row: Mapping[str, Any],
    *,
    from_stage: EscalationStage,
    reason: EscalateReason,
    escalated_on: date,
) -> PreparedEvent:
    data = _snapshot(row, escalated_on)
    data["from_stage"] = from_stage.value
    data["reason"] = reason.value
    data["escalated_on"] = escalated_on.isoformat()
    return _event(row, EscalationEscalated, data)


def stage_overdue(row: Mapping[str, Any], *, detected_on: date) -> PreparedEvent:
    data = _snapshot(row, detected_on)
    data["detected_on"] = detected_on.isoformat()
    return _event(row, EscalationStageOverdue, data)


def resolved(row: Mapping[str, Any]) -> PreparedEvent:
    resolved_on: date = row["resolved_on"]
    data = _snapshot(row, resolved_on)
    data["outcome"] = ResolutionOutcome(row["outcome"]).value
    data["resolved_on"] = resolved_on.isoformat()
    return _event(row, EscalationResolved, data)


def withdrawn(row: Mapping[str, Any]) -> PreparedEvent:
    withdrawn_on: date = row["withdrawn_on"]
    data = _snapshot(row, withdrawn_on)
    data["withdrawn_on"] = withdrawn_on.isoformat()
    return _event(row, EscalationWithdrawn, data)


def cafcass_referred(row: Mapping[str, Any]) -> PreparedEvent:
    referred_on: date = row["cafcass_referred_on"]
    data = _snapshot(row, referred_on)
    data["referred_on"] = referred_on.isoformat()
    return _event(row, EscalationCafcassReferred, data)
