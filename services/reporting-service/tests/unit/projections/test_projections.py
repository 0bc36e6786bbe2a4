"""Each projection's arithmetic, folded in memory exactly as the engine folds it."""

from __future__ import annotations

import uuid

import pytest

from qaf_shared.enums import (
    ActionStatus,
    ComplainantRole,
    ComplaintOutcome,
    ComplaintStage,
    ComplaintStatus,
    EscalateReason,
    EscalationCategory,
    EscalationPlanType,
    EscalationStage,
    EscalationStatus,
    FeedbackSource,
    Grade,
    PeerReviewOutcome,
    PlanType,
    PnCode,
    RaisedByRole,
    ResolutionOutcome,
)
from qaf_shared.events import audit as a
from qaf_shared.events import escalation as e
from qaf_shared.events import feedback as f
from qaf_shared.events.envelope import CloudEvent
from reporting_service.domain.measures import STOCKS
from reporting_service.projections.engine import COUNTS_TABLE, MONTH, emitter

from .projection_helpers import UNIT, d, event, fold_all, value


def submitted(audit_id: uuid.UUID, on: str, grade: Grade, number: int = 1) -> a.AuditSubmitted:
    return a.AuditSubmitted(
        audit_id=audit_id,
        org_unit=UNIT,
        plan_type=PlanType.CP,
        submitted_on=d(on),
        overall_grade=grade,
        final_grade=grade,
        child_voice_evident=True,
        submission_number=number,
        themes=["DRIFT_DELAY"],
    )


def received(source: FeedbackSource, on: str, answers: dict[str, int] | None = None) -> CloudEvent:
    feedback_id = uuid.uuid4()
    data = f.FeedbackReceived(
        feedback_id=feedback_id,
        org_unit=UNIT,
        source=source,
        received_on=d(on),
        answers=answers or {},
    )
    return event("feedback.received", feedback_id, data)


class TestAudits:
    def test_a_submitted_audit_counts_once_in_every_unit_above_it(self) -> None:
        audit = uuid.uuid4()
        cells = fold_all(
            [event("audit.submitted", audit, submitted(audit, "2026-05-02", Grade.GOOD))]
        )
        for unit in [
            ("tenant", "886"),
            ("area", "SOUTH"),
            ("district", "ASHFORD"),
            ("team", "ASH-CP1"),
        ]:
            assert value(cells, "FY2026Q1", "audits.completed", unit=unit) == 1
            assert value(cells, "FY2026Q1", "audits.grades", "GOOD", unit=unit) == 1
            assert value(cells, "FY2026Q1", "audits.themes", "DRIFT_DELAY", unit=unit) == 1
        assert value(cells, "FY2026Q1", "audits.completed", unit=("area", "NORTH")) == 0

    def test_a_resubmission_moves_the_audit_to_its_latest_quarter_and_grade(self) -> None:
        audit = uuid.uuid4()
        cells = fold_all(
            [
                event("audit.submitted", audit, submitted(audit, "2026-06-30", Grade.GOOD, 1)),
                event(
                    "audit.submitted", audit, submitted(audit, "2026-07-01", Grade.INADEQUATE, 2)
                ),
            ]
        )
        assert value(cells, "FY2026Q1", "audits.completed") == 0
        assert value(cells, "FY2026Q2", "audits.completed") == 1
        assert value(cells, "FY2026Q2", "audits.grades", "INADEQUATE") == 1

    def test_an_older_submission_arriving_late_changes_nothing(self) -> None:
        audit = uuid.uuid4()
        cells = fold_all(
            [
                event("audit.submitted", audit, submitted(audit, "2026-07-01", Grade.GOOD, 2)),
                event(
                    "audit.submitted", audit, submitted(audit, "2026-06-01", Grade.INADEQUATE, 1)
                ),
            ]
        )
        assert value(cells, "FY2026Q2", "audits.grades", "GOOD") == 1
        assert value(cells, "FY2026Q1", "audits.completed") == 0

    def test_a_regrade_at_moderation_corrects_the_quarter_of_submission(self) -> None:
        audit = uuid.uuid4()
        common = {"audit_id": audit, "org_unit": UNIT, "plan_type": PlanType.CP}
        cells = fold_all(
            [
                event("audit.submitted", audit, submitted(audit, "2026-06-20", Grade.GOOD)),
                event(
                    "audit.peer_reviewed",
                    audit,
                    a.AuditPeerReviewed(
                        **common,
                        outcome=PeerReviewOutcome.REGRADED,
                        reviewed_on=d("2026-07-02"),
                        auditor_grade=Grade.GOOD,
                        reviewer_grade=Grade.REQUIRES_IMPROVEMENT,
                        final_grade=Grade.REQUIRES_IMPROVEMENT,
                    ),
                ),
                event(
                    "audit.moderated",
                    audit,
                    a.AuditModerated(
                        **common,
                        moderated_on=d("2026-10-05"),
                        grade_before=Grade.REQUIRES_IMPROVEMENT,
                        moderated_grade=Grade.INADEQUATE,
                        final_grade=Grade.INADEQUATE,
                    ),
                ),
            ]
        )
        assert value(cells, "FY2026Q1", "audits.grades", "GOOD") == 0
        assert value(cells, "FY2026Q1", "audits.grades", "INADEQUATE") == 1
        assert value(cells, "FY2026Q3", "audits.moderated") == 1
        assert value(cells, "FY2026Q3", "audits.moderation_agreed") == 0

    def test_an_action_is_overdue_at_the_end_of_each_quarter_until_it_is_done(self) -> None:
        audit, action = uuid.uuid4(), uuid.uuid4()
        common = {
            "audit_id": audit,
            "org_unit": UNIT,
            "plan_type": PlanType.CP,
            "action_id": action,
            "raised_on": d("2026-05-01"),
            "due_date": d("2026-06-30"),
        }
        cells = fold_all(
            [
                event(
                    "audit.action_raised", audit, a.ActionRaised(**common, status=ActionStatus.OPEN)
                ),
                event(
                    "audit.action_status_changed",
                    audit,
                    a.ActionStatusChanged(
                        **common,
                        status=ActionStatus.COMPLETED,
                        previous_status=ActionStatus.OPEN,
                        changed_on=d("2027-01-10"),
                        completed_on=d("2027-01-10"),
                    ),
                ),
            ]
        )
        # Due on the last day of Q1: not yet overdue at Q1's end; overdue at Q2 and Q3's; done in Q4.
        assert [
            value(cells, q, "audits.actions_overdue_at_end")
            for q in ("FY2026Q1", "FY2026Q2", "FY2026Q3", "FY2026Q4", "FY2027Q1")
        ] == [0, 1, 1, 0, 0]
        assert value(cells, "FY2026Q1", "audits.actions_raised") == 1
        assert value(cells, "FY2026Q4", "audits.actions_completed") == 1


def escalation_events(raised: str, *steps: tuple[str, dict[str, object]]) -> list:  # type: ignore[type-arg]
    ident = uuid.uuid4()
    snap: dict[str, object] = {
        "escalation_id": ident,
        "org_unit": UNIT,
        "plan_type": EscalationPlanType.CIC,
        "raised_by_role": RaisedByRole.IRO,
        "categories": [EscalationCategory.DRIFT_DELAY, EscalationCategory.HEALTH],
        "raised_on": d(raised),
        "stage": EscalationStage.INFORMAL,
        "status": EscalationStatus.AWAITING_RESPONSE,
        "stage_opened_on": d(raised),
        "stage_due_date": d(raised),
    }
    out = [event("escalation.raised", ident, e.EscalationRaised(**snap))]  # type: ignore[arg-type]
    models = {
        "response_recorded": e.EscalationResponseRecorded,
        "escalated": e.EscalationEscalated,
        "stage_overdue": e.EscalationStageOverdue,
        "resolved": e.EscalationResolved,
        "withdrawn": e.EscalationWithdrawn,
    }
    for kind, changes in steps:
        snap = {**snap, **changes}
        out.append(event(f"escalation.{kind}", ident, models[kind](**snap)))  # type: ignore[arg-type]
    return out


class TestEscalations:
    def test_open_at_end_spans_quarters_until_resolution(self) -> None:
        events = escalation_events(
            "2026-06-29",
            (
                "escalated",
                {
                    "from_stage": EscalationStage.INFORMAL,
                    "stage": EscalationStage.TEAM_MANAGER,
                    "reason": EscalateReason.NO_RESPONSE,
                    "escalated_on": d("2026-07-06"),
                    "stage_opened_on": d("2026-07-06"),
                    "stage_due_date": d("2026-07-13"),
                },
            ),
            (
                "resolved",
                {
                    "status": EscalationStatus.RESOLVED,
                    "outcome": ResolutionOutcome.ACTION_AGREED,
                    "resolved_on": d("2026-10-01"),
                },
            ),
        )
        cells = fold_all(events)
        assert [
            value(cells, q, "escalations.open_at_end") for q in ("FY2026Q1", "FY2026Q2", "FY2026Q3")
        ] == [1, 1, 0]
        assert value(cells, "FY2026Q1", "escalations.raised") == 1
        assert value(cells, "FY2026Q3", "escalations.resolved") == 1
        assert value(cells, "FY2026Q1", "escalations.raised", "category:HEALTH") == 1
        assert value(cells, "FY2026Q1", "escalations.by_stage_reached", "TEAM_MANAGER") == 1
        assert value(cells, "FY2026Q3", "escalations.resolved_early") == 1
        # 29 June to 1 October 2026: 1 + 23 + 20 + 22 + 1 = 67 working days (31 August is a bank holiday).
        assert value(cells, "FY2026Q3", "escalations.resolve_days", "67") == 1
        # Open at the end by stage: informal at Q1's end, team manager at Q2's.
        assert value(cells, "FY2026Q1", "escalations.open_at_end", "stage:INFORMAL") == 1
        assert value(cells, "FY2026Q2", "escalations.open_at_end", "stage:INFORMAL") == 0
        assert value(cells, "FY2026Q2", "escalations.open_at_end", "stage:TEAM_MANAGER") == 1

    def test_a_stage_past_its_due_date_without_a_response_breaches_in_the_quarter_it_fell_due(
        self,
    ) -> None:
        events = escalation_events(
            "2026-06-22",
            ("stage_overdue", {"detected_on": d("2026-07-01")}),
            (
                "response_recorded",
                {
                    "status": EscalationStatus.RESPONSE_RECEIVED,
                    "responded_on": d("2026-07-02"),
                    "late": True,
                },
            ),
        )
        cells = fold_all(events)
        assert value(cells, "FY2026Q1", "escalations.breached_timescale") == 1

    def test_a_response_in_time_is_no_breach(self) -> None:
        events = escalation_events(
            "2026-06-22",
            (
                "response_recorded",
                {
                    "status": EscalationStatus.RESPONSE_RECEIVED,
                    "responded_on": d("2026-06-22"),
                    "late": False,
                },
            ),
            ("withdrawn", {"status": EscalationStatus.WITHDRAWN, "withdrawn_on": d("2026-09-01")}),
        )
        cells = fold_all(events)
        assert value(cells, "FY2026Q1", "escalations.breached_timescale") == 0
        assert value(cells, "FY2026Q2", "escalations.open_at_end") == 0
        assert value(cells, "FY2026Q1", "escalations.open_at_end") == 1


class TestFeedback:
    def test_sources_answers_and_participation(self) -> None:
        cells = fold_all(
            [
                received(FeedbackSource.CP_CONFERENCE, "2026-04-10", {"felt_listened_to": 4}),
                received(FeedbackSource.COMPLIMENT, "2026-04-11"),
                event(
                    "feedback.participation_recorded",
                    uuid.uuid4(),
                    f.ParticipationRecorded(
                        participation_id=uuid.uuid4(),
                        org_unit=UNIT,
                        pn_code=PnCode.PN1,
                        review_due=d("2026-05-01"),
                        review_held=d("2026-05-01"),
                        in_timescale=True,
                    ),
                ),
            ]
        )
        assert value(cells, "FY2026Q1", "feedback.by_source", "CP_CONFERENCE") == 1
        assert value(cells, "FY2026Q1", "feedback.compliments") == 1
        assert value(cells, "FY2026Q1", "feedback.answer_sum", "felt_listened_to") == 4
        assert value(cells, "FY2026Q1", "feedback.pn_codes", "PN1") == 1

    def test_a_complaint_counts_in_its_received_quarter_by_its_highest_stage(self) -> None:
        ident = uuid.uuid4()
        base = {
            "complaint_id": ident,
            "org_unit": UNIT,
            "received_on": d("2026-06-01"),
            "complainant_role": ComplainantRole.PARENT,
        }
        at_stage2 = {
            **base,
            "status": ComplaintStatus.STAGE2,
            "highest_stage": ComplaintStage.STAGE2,
            "stage": ComplaintStage.STAGE2,
        }
        cells = fold_all(
            [
                event(
                    "feedback.complaint_opened",
                    ident,
                    f.ComplaintOpened(
                        **base, status=ComplaintStatus.STAGE1, highest_stage=ComplaintStage.STAGE1
                    ),
                ),
                event(
                    "feedback.complaint_stage_changed",
                    ident,
                    f.ComplaintStageChanged(
                        **at_stage2,
                        stage_opened=True,
                        outcomes={ComplaintStage.STAGE1: ComplaintOutcome.NOT_UPHELD},
                    ),
                ),
                event(
                    "feedback.complaint_stage_changed",
                    ident,
                    f.ComplaintStageChanged(
                        **at_stage2,
                        outcome=ComplaintOutcome.PARTLY_UPHELD,
                        decided_on=d("2026-09-01"),
                        outcomes={
                            ComplaintStage.STAGE1: ComplaintOutcome.NOT_UPHELD,
                            ComplaintStage.STAGE2: ComplaintOutcome.PARTLY_UPHELD,
                        },
                    ),
                ),
            ]
        )
        assert value(cells, "FY2026Q1", "feedback.complaints_received") == 1
        assert value(cells, "FY2026Q1", "feedback.complaints_by_stage", "STAGE1") == 0
        assert value(cells, "FY2026Q1", "feedback.complaints_by_stage", "STAGE2") == 1
        assert value(cells, "FY2026Q1", "feedback.complaints_upheld") == 1


def test_every_measure_is_kept_by_month_in_every_unit_but_the_team() -> None:
    audit = uuid.uuid4()
    events = [
        *escalation_events("2026-05-15"),
        event("audit.submitted", audit, submitted(audit, "2026-05-20", Grade.GOOD)),
        received(FeedbackSource.COMPLIMENT, "2026-06-02"),
    ]
    cells = fold_all(events)
    monthly = {k for k in cells if k[0] == COUNTS_TABLE and k[2] == MONTH}
    for measure, month in (
        ("escalations.raised", "2026-05"),
        ("escalations.by_stage_reached", "2026-05"),
        ("audits.completed", "2026-05"),
        ("audits.grades", "2026-05"),
        ("feedback.compliments", "2026-06"),
    ):
        units = {(k[4], k[5]) for k in monthly if k[6] == measure and k[3] == month}
        assert units == {("tenant", "886"), ("area", "SOUTH"), ("district", "ASHFORD")}, measure
    assert not [k for k in cells if k[2] == MONTH and k[4] == "team"]


def test_a_quarters_counts_are_the_sums_of_its_months_and_its_stocks_its_last_months() -> None:
    # Raised in May, resolved in August: raised once in FY2026Q1 (in May), open at the end
    # of May and June (so of the quarter), resolved in August.
    events = escalation_events(
        "2026-05-15",
        (
            "resolved",
            {
                "status": EscalationStatus.RESOLVED,
                "outcome": ResolutionOutcome.ACTION_AGREED,
                "resolved_on": d("2026-08-03"),
            },
        ),
    )
    cells = fold_all(events)
    for measure in ("escalations.raised", "escalations.resolved", "escalations.open_at_end"):
        for quarter, months in (
            ("FY2026Q1", ["2026-04", "2026-05", "2026-06"]),
            ("FY2026Q2", ["2026-07", "2026-08", "2026-09"]),
        ):
            by_month = [value(cells, m, measure, grain=MONTH) for m in months]
            expected = by_month[-1] if measure in STOCKS else sum(by_month)
            assert value(cells, quarter, measure) == expected, (measure, quarter)
    assert value(cells, "2026-05", "escalations.raised", grain=MONTH) == 1
    assert value(cells, "2026-08", "escalations.resolved", grain=MONTH) == 1
    open_by_month = [
        value(cells, m, "escalations.open_at_end", grain=MONTH)
        for m in ("2026-04", "2026-05", "2026-06", "2026-07", "2026-08")
    ]
    assert open_by_month == [0, 1, 1, 1, 0]


def test_a_state_kept_under_a_measure_not_named_a_stock_is_refused() -> None:
    # The decision equates a quarter's stock with its last month's and any other count with
    # the sum of its months': a state it did not know of would be equated wrongly.
    emit = emitter("886", UNIT)
    with pytest.raises(ValueError, match="STOCKS"):
        emit.open_between(d("2026-05-01"), None, "audits.completed")
