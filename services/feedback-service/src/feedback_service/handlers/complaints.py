"""Complaints under the statutory children's procedure: opening one, and each step of its
lifecycle. A step is described first (its date checked, before any write, so that a date in
the future is 422 whatever is stored), then applied to the locked complaint by `change`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import asyncpg

from feedback_service import events
from feedback_service.domain.complaints import Complaint, check_categories
from feedback_service.repository import complaints as complaint_rows
from qaf_shared.dates import EARLIEST_DATE, check_date
from qaf_shared.enums import ComplainantRole, ComplaintOutcome, ComplaintStage
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.http.auth import Principal
from qaf_shared.http.locking import locked_for_change
from qaf_shared.outbox import add_events
from qaf_shared.rules import check_fields


def _state(complaint: Complaint) -> complaint_rows.ComplaintState:
    return complaint_rows.ComplaintState(
        status=complaint.status.value,
        stage=complaint.stage.value,
        awaiting_due=complaint.awaiting_due,
        stages=complaint.stages_json(),
        closed_on=complaint.closed_on,
        ombudsman_referred=complaint.ombudsman_referred,
    )


async def open_complaint(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    case_ref: str | None,
    received_on: date,
    complainant_role: ComplainantRole,
    categories: list[str],
    unit: OrgUnitRef,
    today: date,
) -> asyncpg.Record:
    _dated("received_on", received_on, today)
    check_fields(check_categories(categories), prefix="body")
    complaint = Complaint.open(received_on)
    row = await complaint_rows.insert(
        conn,
        principal=principal,
        actor=actor,
        facts={
            "id": uuid.uuid4(),
            "case_ref": case_ref,
            **unit.columns(),
            "received_on": received_on,
            "complainant_role": complainant_role.value,
            "categories": list(categories),
        },
        state=_state(complaint),
    )
    await add_events(conn, [events.complaint_opened(principal.tenant, row, complaint)])
    return row


@dataclass(frozen=True)
class Step:
    """One lifecycle step: `apply` the domain's rule; `stage` and `facts` are what its
    `complaint_stage_changed` event says changed (no stage: the close, `complaint_closed`)."""

    apply: Callable[[Complaint], Complaint]
    stage: ComplaintStage | None
    facts: dict[str, Any] = field(default_factory=dict)


def _dated(field_name: str, value: date, today: date) -> None:
    """A lifecycle step's date: it has happened, and not before the records began."""
    check_date(f"body.{field_name}", value, today=today, not_before=EARLIEST_DATE)


def request_stage(stage: ComplaintStage, requested_on: date, *, today: date) -> Step:
    """The complainant asks for the next stage (a closed complaint reopens)."""
    _dated("requested_on", requested_on, today)
    return Step(
        lambda complaint: complaint.request_stage(stage, requested_on),
        stage,
        {"stage_opened": True, "requested_on": requested_on},
    )


def extend_stage(stage: ComplaintStage, extended_on: date, *, today: date) -> Step:
    _dated("extended_on", extended_on, today)
    return Step(
        lambda complaint: complaint.extend(stage, extended_on),
        stage,
        {"extended_on": extended_on},
    )


def record_panel(held_on: date, *, today: date) -> Step:
    _dated("held_on", held_on, today)
    return Step(
        lambda complaint: complaint.record_panel(held_on),
        ComplaintStage.STAGE3,
        {"panel_held_on": held_on},
    )


def record_panel_report(issued_on: date, *, today: date) -> Step:
    _dated("issued_on", issued_on, today)
    return Step(
        lambda complaint: complaint.record_panel_report(issued_on),
        ComplaintStage.STAGE3,
        {"panel_report_issued_on": issued_on},
    )


def record_outcome(
    stage: ComplaintStage, outcome: ComplaintOutcome, decided_on: date, *, today: date
) -> Step:
    _dated("decided_on", decided_on, today)
    return Step(
        lambda complaint: complaint.decide(stage, outcome, decided_on),
        stage,
        {"outcome": outcome, "decided_on": decided_on},
    )


def close(closed_on: date, ombudsman_referred: bool, *, today: date) -> Step:
    _dated("closed_on", closed_on, today)
    return Step(lambda complaint: complaint.close(closed_on, ombudsman_referred), None)


async def change(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    complaint_id: uuid.UUID,
    if_match: str | None,
    step: Step,
) -> asyncpg.Record:
    """Lock the complaint, apply one lifecycle step, store it and write its event."""
    fetch = complaint_rows.get(conn, principal.tenant, complaint_id, for_update=True)
    current = await locked_for_change(fetch, "complaint", if_match=if_match)
    changed = step.apply(complaint_rows.complaint_of(current))
    row = await complaint_rows.update(
        conn, principal=principal, actor=actor, complaint_id=complaint_id, state=_state(changed)
    )
    if step.stage is None:
        event = events.complaint_closed(principal.tenant, row, changed)
    else:
        event = events.complaint_stage_changed(
            principal.tenant, row, changed, step.stage, step.facts
        )
    await add_events(conn, [event])
    return row
