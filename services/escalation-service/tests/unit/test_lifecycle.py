"""The escalation state machine: every step from every status, allowed or refused."""

from __future__ import annotations

from datetime import date

import pytest

from escalation_service.domain.lifecycle import (
    ALLOWED_FROM,
    Step,
    check_cafcass_referral,
    check_opening,
    check_step,
    escalation_target,
    is_late,
    is_overdue,
)
from qaf_shared.enums import (
    EscalateReason,
    EscalationPlanType,
    EscalationStage,
    EscalationStatus,
    RaisedByRole,
)
from qaf_shared.rules import RuleBroken, StepNotAllowed

S = EscalationStatus
G = EscalationStage
R = EscalateReason

# What docs/domain.md allows, written out independently of ALLOWED_FROM.
EXPECTED: dict[Step, set[EscalationStatus]] = {
    Step.RESPOND: {S.AWAITING_RESPONSE},
    Step.ESCALATE: {S.AWAITING_RESPONSE, S.RESPONSE_RECEIVED},
    Step.RESOLVE: {S.RESPONSE_RECEIVED},
    Step.WITHDRAW: {S.AWAITING_RESPONSE, S.RESPONSE_RECEIVED},
    Step.REFER_TO_CAFCASS: set(EscalationStatus),
}


@pytest.mark.parametrize("status", list(EscalationStatus))
@pytest.mark.parametrize("step", list(Step))
def test_each_step_applies_only_from_its_statuses(step: Step, status: EscalationStatus) -> None:
    if status in EXPECTED[step]:
        check_step(step, status)
    else:
        with pytest.raises(StepNotAllowed, match=status.value):
            check_step(step, status)


def test_every_step_has_a_rule() -> None:
    assert set(ALLOWED_FROM) == set(Step)


@pytest.mark.parametrize("status", [S.RESOLVED, S.WITHDRAWN])
def test_a_closed_escalation_is_final_except_for_a_cafcass_referral(
    status: EscalationStatus,
) -> None:
    for step in (Step.RESPOND, Step.ESCALATE, Step.RESOLVE, Step.WITHDRAW):
        with pytest.raises(StepNotAllowed):
            check_step(step, status)
    check_step(Step.REFER_TO_CAFCASS, status)


DUE = date(2026, 5, 8)


def _target(
    stage: EscalationStage = G.INFORMAL,
    status: EscalationStatus = S.RESPONSE_RECEIVED,
    reason: EscalateReason = R.NOT_SATISFIED,
    on: date = date(2026, 5, 6),
) -> EscalationStage:
    return escalation_target(
        stage=stage, status=status, reason=reason, stage_due_date=DUE, escalated_on=on
    )


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        (G.INFORMAL, G.TEAM_MANAGER),
        (G.TEAM_MANAGER, G.SERVICE_MANAGER),
        (G.SERVICE_MANAGER, G.HEAD_OF_SERVICE),
        (G.HEAD_OF_SERVICE, G.DIRECTOR),
    ],
)
def test_escalating_moves_to_the_next_stage_only(
    stage: EscalationStage, expected: EscalationStage
) -> None:
    assert _target(stage) == expected


def test_there_is_no_stage_above_director() -> None:
    with pytest.raises(StepNotAllowed, match="highest stage"):
        _target(G.DIRECTOR)


def test_not_satisfied_needs_a_response() -> None:
    with pytest.raises(StepNotAllowed, match="RESPONSE_RECEIVED"):
        _target(status=S.AWAITING_RESPONSE, reason=R.NOT_SATISFIED)


def test_no_response_is_refused_once_a_response_came() -> None:
    with pytest.raises(StepNotAllowed, match="AWAITING_RESPONSE"):
        _target(status=S.RESPONSE_RECEIVED, reason=R.NO_RESPONSE, on=date(2026, 5, 11))


def test_no_response_applies_only_after_the_due_date() -> None:
    with pytest.raises(StepNotAllowed, match="2026-05-08"):
        _target(status=S.AWAITING_RESPONSE, reason=R.NO_RESPONSE, on=DUE)
    assert (
        _target(status=S.AWAITING_RESPONSE, reason=R.NO_RESPONSE, on=date(2026, 5, 9))
        == G.TEAM_MANAGER
    )


@pytest.mark.parametrize("status", [S.RESOLVED, S.WITHDRAWN])
def test_a_closed_escalation_cannot_be_escalated(status: EscalationStatus) -> None:
    with pytest.raises(StepNotAllowed):
        _target(status=status)


RAISED = date(2026, 4, 27)


class TestOpening:
    def test_informal_needs_no_bypass_reason_and_refuses_one(self) -> None:
        check_opening(G.INFORMAL, None, date(2026, 5, 1), RAISED)
        with pytest.raises(RuleBroken) as refused:
            check_opening(G.INFORMAL, "urgent", None, RAISED)
        assert refused.value.field == "body.bypass_reason"

    @pytest.mark.parametrize("stage", [s for s in EscalationStage if s is not G.INFORMAL])
    def test_opening_above_informal_needs_a_bypass_reason(self, stage: EscalationStage) -> None:
        check_opening(stage, "risk of significant harm", None, RAISED)
        for missing in (None, "   "):
            with pytest.raises(RuleBroken) as refused:
                check_opening(stage, missing, None, RAISED)
            assert refused.value.field == "body.bypass_reason"

    def test_only_the_informal_stage_takes_the_chairs_due_date(self) -> None:
        with pytest.raises(RuleBroken) as refused:
            check_opening(G.TEAM_MANAGER, "urgent", date(2026, 5, 1), RAISED)
        assert refused.value.field == "body.due_date"

    def test_the_chairs_due_date_falls_within_a_year_of_raising(self) -> None:
        check_opening(G.INFORMAL, None, RAISED, RAISED)
        check_opening(G.INFORMAL, None, date(2027, 4, 27), RAISED)
        for outside in (date(2026, 4, 26), date(2027, 4, 29)):
            with pytest.raises(RuleBroken) as refused:
                check_opening(G.INFORMAL, None, outside, RAISED)
            assert refused.value.field == "body.due_date"


class TestCafcass:
    def test_an_iros_cic_escalation_may_be_referred_once(self) -> None:
        check_cafcass_referral(EscalationPlanType.CIC, RaisedByRole.IRO, None)
        with pytest.raises(StepNotAllowed, match="already"):
            check_cafcass_referral(EscalationPlanType.CIC, RaisedByRole.IRO, date(2026, 5, 1))

    @pytest.mark.parametrize(
        ("plan_type", "role"),
        [
            (EscalationPlanType.CP, RaisedByRole.IRO),
            (EscalationPlanType.CIN, RaisedByRole.IRO),
            (EscalationPlanType.CIC, RaisedByRole.CP_CHAIR),
            (EscalationPlanType.CP, RaisedByRole.CP_CHAIR),
        ],
    )
    def test_other_escalations_cannot_be_referred(
        self, plan_type: EscalationPlanType, role: RaisedByRole
    ) -> None:
        with pytest.raises(StepNotAllowed, match="only to a CIC case escalated by an IRO"):
            check_cafcass_referral(plan_type, role, None)


def test_overdue_means_awaiting_a_response_after_the_due_date() -> None:
    assert not is_overdue(S.AWAITING_RESPONSE, DUE, DUE)
    assert is_overdue(S.AWAITING_RESPONSE, DUE, date(2026, 5, 9))
    for status in (S.RESPONSE_RECEIVED, S.RESOLVED, S.WITHDRAWN):
        assert not is_overdue(status, DUE, date(2026, 6, 1))


def test_a_response_after_the_due_date_is_late() -> None:
    assert not is_late(DUE, DUE)
    assert is_late(date(2026, 5, 11), DUE)
