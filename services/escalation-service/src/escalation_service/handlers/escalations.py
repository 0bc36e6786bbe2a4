"""The escalation's use cases. Each step runs inside the caller's transaction: it locks the
escalation row first, checks the step against the rules, changes the rows, and writes the
events it raises to the outbox (so per-escalation event order follows the row lock)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import asyncpg

from escalation_service import events
from escalation_service.domain.lifecycle import (
    Step,
    check_cafcass_referral,
    check_opening,
    check_step,
    escalation_target,
    is_late,
    is_overdue,
)
from escalation_service.domain.stages import ADDRESSEE, is_formal
from escalation_service.domain.timescales import (
    Timescales,
    formal_deadline,
    stage_due_date,
)
from escalation_service.repository import activity
from escalation_service.repository import escalations as escalation_rows
from qaf_shared.authors import Author
from qaf_shared.dates import EARLIEST_DATE, check_date
from qaf_shared.enums import (
    EscalateReason,
    EscalationCategory,
    EscalationPlanType,
    EscalationStage,
    EscalationStatus,
    RaisedByRole,
    ResolutionOutcome,
)
from qaf_shared.events.envelope import PreparedEvent
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.http.locking import locked_for_change
from qaf_shared.outbox import add_events


@dataclass(slots=True, kw_only=True)
class RaiseEscalation:
    """What raising an escalation takes, its fields already checked one by one. (Not frozen:
    a frozen dataclass's construction, a setattr per field, cost the create path.)"""

    case_ref: str
    unit: OrgUnitRef
    plan_type: EscalationPlanType
    raised_by: str
    raised_by_role: RaisedByRole
    categories: Sequence[EscalationCategory]
    summary: str
    desired_outcome: str | None
    stage: EscalationStage
    bypass_reason: str | None
    chair_due_date: date | None
    raised_on: date | None


@dataclass(frozen=True)
class Raised:
    """A new escalation: its rows (written by one statement, as a create is) and its event."""

    rows: escalation_rows.Insertion
    events: tuple[PreparedEvent, ...]


def raise_escalation(*, who: Author, command: RaiseEscalation, timescales: Timescales) -> Raised:
    """A new escalation, built whole here (nothing to read first): its rows and its event."""
    raised_on = who.date_of("raised_on", command.raised_on, not_before=EARLIEST_DATE)
    check_opening(command.stage, command.bypass_reason, command.chair_due_date, raised_on)
    stage = command.stage
    due = stage_due_date(stage, raised_on, timescales, chair_due_date=command.chair_due_date)
    formal = is_formal(stage)
    new = escalation_rows.NewEscalation(
        tenant=who.principal.tenant,
        case_ref=command.case_ref,
        **command.unit.columns(),
        plan_type=command.plan_type.value,
        raised_by=command.raised_by,
        raised_by_role=command.raised_by_role.value,
        categories=[c.value for c in command.categories],
        summary=command.summary,
        desired_outcome=command.desired_outcome,
        raised_on=raised_on,
        bypass_reason=command.bypass_reason,
        stage=stage.value,
        stage_due_date=due,
        formal_started_on=raised_on if formal else None,
        formal_deadline=formal_deadline(raised_on, timescales) if formal else None,
        created_at=datetime.now(UTC),
    )
    rows = escalation_rows.insertion(
        new=new,
        client=who.principal.client,
        actor=who.actor,
        addressee_role=ADDRESSEE[stage].value,
    )
    return Raised(rows=rows, events=(events.raised(rows.row),))


async def record_response(
    conn: asyncpg.Connection,
    escalation_id: uuid.UUID,
    *,
    who: Author,
    responder: str,
    response: str,
    responded_on: date | None,
    if_match: str | None,
) -> asyncpg.Record:
    step = await _step_of(
        conn, who, escalation_id, if_match, Step.RESPOND, "responded_on", responded_on
    )
    row = await escalation_rows.record_response(
        conn, step.change, responder=responder, response=response, responded_on=step.on
    )
    late = is_late(step.on, step.change.current["stage_due_date"])
    event = events.response_recorded(row, responded_on=step.on, late=late)
    return await _done(conn, step, event, row)


async def escalate(
    conn: asyncpg.Connection,
    escalation_id: uuid.UUID,
    *,
    who: Author,
    reason: EscalateReason,
    note: str | None,
    escalated_on: date | None,
    if_match: str | None,
    timescales: Timescales,
) -> asyncpg.Record:
    step = await _step_of(
        conn, who, escalation_id, if_match, Step.ESCALATE, "escalated_on", escalated_on
    )
    current, on = step.change.current, step.on
    from_stage = EscalationStage(current["stage"])
    target = escalation_target(
        stage=from_stage,
        status=EscalationStatus(current["status"]),
        reason=reason,
        stage_due_date=current["stage_due_date"],
        escalated_on=on,
    )
    row = await escalation_rows.escalate(
        conn,
        step.change,
        reason=reason.value,
        note=note,
        escalated_on=on,
        stage=target.value,
        addressee_role=ADDRESSEE[target].value,
        due_date=stage_due_date(target, on, timescales),
        formal_deadline=current["formal_deadline"] or formal_deadline(on, timescales),
    )
    event = events.escalated(row, from_stage=from_stage, reason=reason, escalated_on=on)
    return await _done(conn, step, event, row)


async def resolve(
    conn: asyncpg.Connection,
    escalation_id: uuid.UUID,
    *,
    who: Author,
    outcome: ResolutionOutcome,
    note: str | None,
    resolved_on: date | None,
    if_match: str | None,
) -> asyncpg.Record:
    step = await _step_of(
        conn, who, escalation_id, if_match, Step.RESOLVE, "resolved_on", resolved_on
    )
    row = await escalation_rows.resolve(
        conn, step.change, outcome=outcome.value, note=note, resolved_on=step.on
    )
    return await _done(conn, step, events.resolved(row), row)


async def withdraw(
    conn: asyncpg.Connection,
    escalation_id: uuid.UUID,
    *,
    who: Author,
    reason: str,
    withdrawn_on: date | None,
    if_match: str | None,
) -> asyncpg.Record:
    step = await _step_of(
        conn, who, escalation_id, if_match, Step.WITHDRAW, "withdrawn_on", withdrawn_on
    )
    row = await escalation_rows.withdraw(conn, step.change, reason=reason, withdrawn_on=step.on)
    return await _done(conn, step, events.withdrawn(row), row)


async def refer_to_cafcass(
    conn: asyncpg.Connection,
    escalation_id: uuid.UUID,
    *,
    who: Author,
    referred_on: date,
    if_match: str | None,
) -> asyncpg.Record:
    current = await _locked(conn, who, escalation_id, if_match)
    check_step(Step.REFER_TO_CAFCASS, EscalationStatus(current["status"]))
    check_cafcass_referral(
        EscalationPlanType(current["plan_type"]),
        RaisedByRole(current["raised_by_role"]),
        current["cafcass_referred_on"],
    )
    # At any time alongside the local process: only after the escalation was raised.
    check_date(
        "body.referred_on",
        referred_on,
        not_before=current["raised_on"],
        today=who.today,
    )
    change = escalation_rows.Change(who.principal, who.actor, current)
    row = await escalation_rows.refer_to_cafcass(conn, change, referred_on=referred_on)
    await add_events(conn, [events.cafcass_referred(row)])
    return row


@dataclass(frozen=True, slots=True)
class _Dated:
    """A dated step under way: the change of the locked escalation, the step's date, and the
    events raised before the step's own (its stage's going overdue, announced now)."""

    change: escalation_rows.Change
    on: date
    raised: list[PreparedEvent]


async def _step_of(
    conn: asyncpg.Connection,
    who: Author,
    escalation_id: uuid.UUID,
    if_match: str | None,
    step: Step,
    field: str,
    day: date | None,
) -> _Dated:
    """What every dated step does first: lock the escalation, check the step applies to its
    status, check the step's date (default today), never before the last activity, and
    announce the stage overdue if the step shows it went so unannounced. (A step refused
    after this writes nothing: its transaction is rolled back.)"""
    current = await _locked(conn, who, escalation_id, if_match)
    check_step(step, EscalationStatus(current["status"]))
    on = who.date_of(field, day, not_before=current["last_activity_on"])
    raised = await _announce_if_overdue(conn, who, current, on)
    return _Dated(escalation_rows.Change(who.principal, who.actor, current), on, raised)


async def _done(
    conn: asyncpg.Connection, step: _Dated, event: PreparedEvent, row: asyncpg.Record
) -> asyncpg.Record:
    """What every dated step does last (its row was written with its activity): its events
    after those it raised first."""
    await add_events(conn, [*step.raised, event])
    return row


async def _locked(
    conn: asyncpg.Connection, who: Author, escalation_id: uuid.UUID, if_match: str | None
) -> asyncpg.Record:
    """The escalation, locked for this transaction (404 when not the caller's tenant's)."""
    fetch = escalation_rows.get(conn, who.principal.tenant, escalation_id, for_update=True)
    return await locked_for_change(fetch, "escalation", if_match=if_match)


async def _announce_if_overdue(
    conn: asyncpg.Connection, who: Author, current: asyncpg.Record, on: date
) -> list[PreparedEvent]:
    """A step dated after the current stage's due date, with no response by then, shows the
    stage went overdue. If the scheduler has not announced that yet (a backdated entry, or
    the step came first), it is announced now, once, before the step's own event."""
    status = EscalationStatus(current["status"])
    if current["stage_overdue_announced_at"] is not None or not is_overdue(
        status, current["stage_due_date"], on
    ):
        return []
    row = await escalation_rows.announce_overdue(conn, current, on)
    if row is None:
        return []
    await _activity(conn, who, row, "stage_overdue", on)
    return [events.stage_overdue(row, detected_on=on)]


async def _activity(
    conn: asyncpg.Connection, who: Author, row: asyncpg.Record, action: str, on_date: date
) -> None:
    await activity.add(
        conn, row=row, action=action, on_date=on_date, client=who.principal.client, actor=who.actor
    )
