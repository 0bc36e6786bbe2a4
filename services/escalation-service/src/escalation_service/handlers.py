"""escalation-service's use cases. Each runs inside the caller's transaction: it locks the
escalation row first, checks the step against the rules, changes the rows, and writes the
events it raises to the outbox (so per-escalation event order follows the row lock)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from escalation_service import events, repository
from escalation_service.api.schemas import (
    EARLIEST_DATE,
    CafcassReferralCreate,
    EscalateRequest,
    EscalationCreate,
    EscalationOut,
    ResolveRequest,
    ResponseCreate,
    WithdrawRequest,
)
from escalation_service.domain.lifecycle import (
    InvalidRequest,
    Step,
    TransitionNotAllowed,
    check_cafcass_referral,
    check_date,
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
    formal_limit_breached,
    stage_due_date,
)
from qaf_shared.enums import (
    EscalationPlanType,
    EscalationStage,
    EscalationStatus,
    RaisedByRole,
)
from qaf_shared.events.envelope import CloudEvent
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.http.auth import Principal
from qaf_shared.http.idempotency import Creation
from qaf_shared.http.problems import Problem, field_error
from qaf_shared.http.resources import check_if_match, not_found, resource_response
from qaf_shared.outbox import add_events


@dataclass(frozen=True)
class Writer:
    """Who writes (the client and the person it acts for) and the service's today."""

    principal: Principal
    actor: str
    today: date


@contextlib.contextmanager
def _rules_as_problems() -> Iterator[None]:
    try:
        yield
    except TransitionNotAllowed as exc:
        raise Problem(409, str(exc), slug="transition-not-allowed") from None
    except InvalidRequest as exc:
        raise field_error(exc.field, exc.message) from None


def escalation_out(
    row: Mapping[str, Any], stages: Sequence[Mapping[str, Any]], today: date
) -> dict[str, Any]:
    """The resource as callers see it (derived fields included), checked by its model."""
    status = EscalationStatus(row["status"])
    stage_rows = [
        {
            "stage": s["stage"],
            "addressee_role": s["addressee_role"],
            "opened_on": s["opened_on"],
            "due_date": s["due_date"],
            "overdue": s["closed_on"] is None
            and s["seq"] == row["stage_seq"]
            and is_overdue(status, s["due_date"], today),
            "response": None
            if s["responded_on"] is None
            else {
                "responder": s["responder"],
                "response": s["response"],
                "responded_on": s["responded_on"],
                "late": is_late(s["responded_on"], s["due_date"]),
            },
            "closed_on": s["closed_on"],
            "closed_by": s["closed_by"],
            "escalate_reason": s["escalate_reason"],
            "escalate_note": s["escalate_note"],
        }
        for s in stages
    ]
    data = {
        **{k: row[k] for k in _RESOURCE_FIELDS},
        "categories": list(row["categories"]),
        "addressee_role": ADDRESSEE[EscalationStage(row["stage"])],
        "overdue": is_overdue(status, row["stage_due_date"], today),
        "formal_limit_breached": formal_limit_breached(
            row["formal_deadline"], events.closed_on(row), today
        ),
        "stages": stage_rows,
    }
    return EscalationOut.model_validate(data).model_dump(mode="json")


_RESOURCE_FIELDS = (
    "id",
    "version",
    "case_ref",
    "area",
    "district",
    "team",
    "service",
    "plan_type",
    "raised_by",
    "raised_by_role",
    "summary",
    "desired_outcome",
    "raised_on",
    "bypass_reason",
    "stage",
    "status",
    "stage_opened_on",
    "stage_due_date",
    "formal_started_on",
    "formal_deadline",
    "outcome",
    "resolution_note",
    "resolved_on",
    "withdrawn_on",
    "withdrawal_reason",
    "cafcass_referred_on",
    "cafcass_referred_at",
)


async def resources(
    conn: asyncpg.Connection, tenant: str, rows: Sequence[asyncpg.Record], today: date
) -> list[dict[str, Any]]:
    """Escalation rows with their stage histories (one query for all of them)."""
    stages = await repository.get_stages(conn, tenant, [r["id"] for r in rows])
    return [escalation_out(r, stages.get(r["id"], []), today) for r in rows]


async def resource(conn: asyncpg.Connection, row: asyncpg.Record, today: date) -> dict[str, Any]:
    return (await resources(conn, row["tenant"], [row], today))[0]


def raise_escalation(
    *,
    who: Writer,
    body: EscalationCreate,
    unit: OrgUnitRef,
    timescales: Timescales,
) -> Creation:
    """A new escalation as one statement with its event and answer (nothing to read first)."""
    raised_on = body.raised_on or who.today
    with _rules_as_problems():
        check_date("body.raised_on", raised_on, not_before=EARLIEST_DATE, today=who.today)
        check_opening(body.stage, body.bypass_reason, body.due_date, raised_on)
    due = stage_due_date(body.stage, raised_on, timescales, chair_due_date=body.due_date)
    formal = is_formal(body.stage)
    new = repository.NewEscalation(
        id=uuid.uuid4(),
        case_ref=body.case_ref,
        unit=unit,
        plan_type=body.plan_type.value,
        raised_by=body.raised_by,
        raised_by_role=body.raised_by_role.value,
        categories=[c.value for c in body.categories],
        summary=body.summary,
        desired_outcome=body.desired_outcome,
        raised_on=raised_on,
        bypass_reason=body.bypass_reason,
        stage=body.stage.value,
        addressee_role=ADDRESSEE[body.stage].value,
        stage_due_date=due,
        formal_started_on=raised_on if formal else None,
        formal_deadline=formal_deadline(raised_on, timescales) if formal else None,
    )
    created_at = datetime.now(UTC)
    row, stages = repository.inserted(principal=who.principal, new=new, created_at=created_at)
    return Creation(
        inserts=repository.INSERTS,
        args=repository.insert_args(
            principal=who.principal, actor=who.actor, new=new, created_at=created_at
        ),
        events=(events.raised(row),),
        response=resource_response(
            escalation_out(row, stages, who.today),
            status=201,
            location=f"/v1/escalations/{new.id}",
        ),
    )


async def record_response(
    conn: asyncpg.Connection,
    *,
    who: Writer,
    escalation_id: uuid.UUID,
    body: ResponseCreate,
    if_match: str | None,
) -> asyncpg.Record:
    current = await _locked(conn, who, escalation_id, if_match)
    responded_on = body.responded_on or who.today
    with _rules_as_problems():
        check_step(Step.RESPOND, EscalationStatus(current["status"]))
        check_date(
            "body.responded_on",
            responded_on,
            not_before=current["last_activity_on"],
            today=who.today,
        )
    raised = await _announce_if_overdue(conn, who, current, responded_on)
    row = await repository.record_response(
        conn,
        principal=who.principal,
        actor=who.actor,
        current=current,
        responder=body.responder,
        response=body.response,
        responded_on=responded_on,
    )
    await _activity(conn, who, row, "response_recorded", responded_on)
    late = is_late(responded_on, current["stage_due_date"])
    raised.append(events.response_recorded(row, responded_on=responded_on, late=late))
    await add_events(conn, raised)
    return row


async def escalate(
    conn: asyncpg.Connection,
    *,
    who: Writer,
    escalation_id: uuid.UUID,
    body: EscalateRequest,
    if_match: str | None,
    timescales: Timescales,
) -> asyncpg.Record:
    current = await _locked(conn, who, escalation_id, if_match)
    escalated_on = body.escalated_on or who.today
    from_stage = EscalationStage(current["stage"])
    with _rules_as_problems():
        check_step(Step.ESCALATE, EscalationStatus(current["status"]))
        check_date(
            "body.escalated_on",
            escalated_on,
            not_before=current["last_activity_on"],
            today=who.today,
        )
        target = escalation_target(
            stage=from_stage,
            status=EscalationStatus(current["status"]),
            reason=body.reason,
            stage_due_date=current["stage_due_date"],
            escalated_on=escalated_on,
        )
    raised = await _announce_if_overdue(conn, who, current, escalated_on)
    row = await repository.escalate(
        conn,
        principal=who.principal,
        actor=who.actor,
        current=current,
        reason=body.reason.value,
        note=body.note,
        escalated_on=escalated_on,
        stage=target.value,
        addressee_role=ADDRESSEE[target].value,
        due_date=stage_due_date(target, escalated_on, timescales),
        formal_deadline=current["formal_deadline"] or formal_deadline(escalated_on, timescales),
    )
    await _activity(conn, who, row, "escalated", escalated_on)
    raised.append(
        events.escalated(row, from_stage=from_stage, reason=body.reason, escalated_on=escalated_on)
    )
    await add_events(conn, raised)
    return row


async def resolve(
    conn: asyncpg.Connection,
    *,
    who: Writer,
    escalation_id: uuid.UUID,
    body: ResolveRequest,
    if_match: str | None,
) -> asyncpg.Record:
    current = await _locked(conn, who, escalation_id, if_match)
    resolved_on = body.resolved_on or who.today
    with _rules_as_problems():
        check_step(Step.RESOLVE, EscalationStatus(current["status"]))
        check_date(
            "body.resolved_on",
            resolved_on,
            not_before=current["last_activity_on"],
            today=who.today,
        )
    raised = await _announce_if_overdue(conn, who, current, resolved_on)
    row = await repository.resolve(
        conn,
        principal=who.principal,
        actor=who.actor,
        current=current,
        outcome=body.outcome.value,
        note=body.note,
        resolved_on=resolved_on,
    )
    await _activity(conn, who, row, "resolved", resolved_on)
    raised.append(events.resolved(row))
    await add_events(conn, raised)
    return row


async def withdraw(
    conn: asyncpg.Connection,
    *,
    who: Writer,
    escalation_id: uuid.UUID,
    body: WithdrawRequest,
    if_match: str | None,
) -> asyncpg.Record:
    current = await _locked(conn, who, escalation_id, if_match)
    withdrawn_on = body.withdrawn_on or who.today
    with _rules_as_problems():
        check_step(Step.WITHDRAW, EscalationStatus(current["status"]))
        check_date(
            "body.withdrawn_on",
            withdrawn_on,
            not_before=current["last_activity_on"],
            today=who.today,
        )
    raised = await _announce_if_overdue(conn, who, current, withdrawn_on)
    row = await repository.withdraw(
        conn,
        principal=who.principal,
        actor=who.actor,
        current=current,
        reason=body.reason,
        withdrawn_on=withdrawn_on,
    )
    await _activity(conn, who, row, "withdrawn", withdrawn_on)
    raised.append(events.withdrawn(row))
    await add_events(conn, raised)
    return row


async def refer_to_cafcass(
    conn: asyncpg.Connection,
    *,
    who: Writer,
    escalation_id: uuid.UUID,
    body: CafcassReferralCreate,
    if_match: str | None,
) -> asyncpg.Record:
    current = await _locked(conn, who, escalation_id, if_match)
    with _rules_as_problems():
        check_step(Step.REFER_TO_CAFCASS, EscalationStatus(current["status"]))
        check_cafcass_referral(
            EscalationPlanType(current["plan_type"]),
            RaisedByRole(current["raised_by_role"]),
            current["cafcass_referred_on"],
        )
        # At any time alongside the local process: only after the escalation was raised.
        check_date(
            "body.referred_on",
            body.referred_on,
            not_before=current["raised_on"],
            today=who.today,
        )
    row = await repository.refer_to_cafcass(
        conn,
        principal=who.principal,
        actor=who.actor,
        current=current,
        referred_on=body.referred_on,
    )
    await _activity(conn, who, row, "cafcass_referred", body.referred_on)
    await add_events(conn, [events.cafcass_referred(row)])
    return row


async def _locked(
    conn: asyncpg.Connection, who: Writer, escalation_id: uuid.UUID, if_match: str | None
) -> asyncpg.Record:
    """The escalation, locked for this transaction (404 when not the caller's tenant's)."""
    current = await repository.get_escalation(
        conn, who.principal.tenant, escalation_id, for_update=True
    )
    if current is None:
        raise not_found("escalation")
    check_if_match(if_match, current["version"])
    return current


async def _announce_if_overdue(
    conn: asyncpg.Connection, who: Writer, current: asyncpg.Record, on: date
) -> list[CloudEvent]:
    """A step dated after the current stage's due date, with no response by then, shows the
    stage went overdue. If the scheduler has not announced that yet (a backdated entry, or
    the step came first), it is announced now, once, before the step's own event."""
    status = EscalationStatus(current["status"])
    if current["stage_overdue_announced_at"] is not None or not is_overdue(
        status, current["stage_due_date"], on
    ):
        return []
    row = await repository.announce_overdue(conn, current, on)
    if row is None:
        return []
    await _activity(conn, who, row, "stage_overdue", on)
    return [events.stage_overdue(row, detected_on=on)]


async def _activity(
    conn: asyncpg.Connection, who: Writer, row: asyncpg.Record, action: str, on_date: date
) -> None:
    await repository.add_activity(
        conn, row=row, action=action, on_date=on_date, client=who.principal.client, actor=who.actor
    )
