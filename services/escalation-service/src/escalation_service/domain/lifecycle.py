"""An escalation's lifecycle, free of I/O: which step applies in which state, and which
dates a step may carry.

AWAITING_RESPONSE -> RESPONSE_RECEIVED -> RESOLVED; or escalate to the next stage (the chair
is NOT_SATISFIED with a response, or there was NO_RESPONSE by the stage's due date) ->
AWAITING_RESPONSE; any open status -> WITHDRAWN. A Cafcass referral (IRO, CIC cases) may be
recorded at any time, alongside the local process.

A step that does not apply raises `StepNotAllowed` (409), a field that breaks a rule
`RuleBroken` (422); a step's date is checked by `qaf_shared.dates`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from escalation_service.domain.stages import next_stage
from qaf_shared.enums import (
    EscalateReason,
    EscalationPlanType,
    EscalationStage,
    EscalationStatus,
    RaisedByRole,
)
from qaf_shared.rules import RuleBroken, StepNotAllowed

S = EscalationStatus
OPEN = frozenset({S.AWAITING_RESPONSE, S.RESPONSE_RECEIVED})


class Step(StrEnum):
    RESPOND = "respond"
    ESCALATE = "escalate"
    RESOLVE = "resolve"
    WITHDRAW = "withdraw"
    REFER_TO_CAFCASS = "refer to Cafcass"


# The statuses each step may start from.
ALLOWED_FROM: dict[Step, frozenset[EscalationStatus]] = {
    Step.RESPOND: frozenset({S.AWAITING_RESPONSE}),
    Step.ESCALATE: OPEN,
    Step.RESOLVE: frozenset({S.RESPONSE_RECEIVED}),
    Step.WITHDRAW: OPEN,
    Step.REFER_TO_CAFCASS: frozenset(EscalationStatus),
}

# Escalating needs the status that matches its reason: there is a response the chair is not
# satisfied with, or there is none.
ESCALATE_FROM: dict[EscalateReason, EscalationStatus] = {
    EscalateReason.NOT_SATISFIED: S.RESPONSE_RECEIVED,
    EscalateReason.NO_RESPONSE: S.AWAITING_RESPONSE,
}


def check_step(step: Step, status: EscalationStatus) -> None:
    if status not in ALLOWED_FROM[step]:
        raise StepNotAllowed(f"An escalation in status {status.value} cannot {step.value}.")


# How far ahead the chair may set the informal stage's due date.
LONGEST_INFORMAL_STAGE = timedelta(days=366)


def check_opening(
    stage: EscalationStage,
    bypass_reason: str | None,
    chair_due_date: date | None,
    raised_on: date,
) -> None:
    """An escalation opens at INFORMAL unless a recorded bypass reason justifies a higher
    stage; only the informal stage takes its due date from the chair, from the day it is
    raised to a year after."""
    if stage is EscalationStage.INFORMAL:
        if bypass_reason is not None:
            raise RuleBroken("body.bypass_reason", "only when opening above INFORMAL")
        if chair_due_date is not None and not (
            raised_on <= chair_due_date <= raised_on + LONGEST_INFORMAL_STAGE
        ):
            raise RuleBroken("body.due_date", "must fall between raised_on and a year after it")
        return
    if bypass_reason is None or not bypass_reason.strip():
        raise RuleBroken(
            "body.bypass_reason", f"required to open at {stage.value} rather than INFORMAL"
        )
    if chair_due_date is not None:
        raise RuleBroken("body.due_date", "only the informal stage takes a due date")


def escalation_target(
    *,
    stage: EscalationStage,
    status: EscalationStatus,
    reason: EscalateReason,
    stage_due_date: date,
    escalated_on: date,
) -> EscalationStage:
    """The stage an escalation moves to (the next one only), or why it cannot move."""
    check_step(Step.ESCALATE, status)
    target = next_stage(stage)
    if target is None:
        raise StepNotAllowed(f"{stage.value} is the highest stage; there is none above.")
    if status is not ESCALATE_FROM[reason]:
        raise StepNotAllowed(
            f"{reason.value} applies to an escalation in status "
            f"{ESCALATE_FROM[reason].value}, not {status.value}."
        )
    if reason is EscalateReason.NO_RESPONSE and escalated_on <= stage_due_date:
        raise StepNotAllowed(
            f"The {stage.value} stage is due on {stage_due_date.isoformat()}; "
            f"NO_RESPONSE applies only after that date."
        )
    return target


def check_cafcass_referral(
    plan_type: EscalationPlanType, raised_by_role: RaisedByRole, referred_on: date | None
) -> None:
    """A referral to Cafcass is the IRO's, for a child in care; it is recorded once.
    Another escalation is not eligible, which is about the record, not the request: 409."""
    if plan_type is not EscalationPlanType.CIC or raised_by_role is not RaisedByRole.IRO:
        raise StepNotAllowed(
            "A Cafcass referral applies only to a CIC case escalated by an IRO "
            f"(this one is {plan_type.value}, raised by {raised_by_role.value})."
        )
    if referred_on is not None:
        raise StepNotAllowed(
            f"A Cafcass referral was already recorded on {referred_on.isoformat()}."
        )


def is_overdue(status: EscalationStatus, stage_due_date: date, today: date) -> bool:
    """Past the current stage's due date with no response yet."""
    return status is S.AWAITING_RESPONSE and today > stage_due_date


def closed_on(escalation: Mapping[str, Any]) -> date | None:
    """When a resolved or withdrawn escalation closed; None while it is open."""
    closed: date | None = escalation["resolved_on"] or escalation["withdrawn_on"]
    return closed


def is_late(responded_on: date, stage_due_date: date) -> bool:
    return responded_on > stage_due_date
