"""Every step of the audit lifecycle from every state: where it is allowed it leads where
docs/domain.md says, everywhere else it is refused (409 at the HTTP edge)."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from audit_service.domain.audits import (
    ALLOWED_FROM,
    DutiesConflict,
    Step,
    check_duties,
    final_grade,
    is_overdue,
    next_status,
    peer_review_grade,
)
from qaf_shared.enums import AuditStatus, Grade, PeerReviewOutcome
from qaf_shared.rules import RuleBroken, StepNotAllowed

S = AuditStatus
R = PeerReviewOutcome

# The whole table, written out independently of ALLOWED_FROM: (step, from) -> to.
EXPECTED: dict[tuple[Step, AuditStatus], AuditStatus] = {
    (Step.DRAFT, S.SCHEDULED): S.IN_PROGRESS,
    (Step.DRAFT, S.IN_PROGRESS): S.IN_PROGRESS,
    (Step.SUBMIT, S.SCHEDULED): S.SUBMITTED,
    (Step.SUBMIT, S.IN_PROGRESS): S.SUBMITTED,
    (Step.MODERATE, S.MODERATION): S.MODERATED,
    (Step.CLOSE, S.PEER_REVIEWED): S.CLOSED,
    (Step.CLOSE, S.MODERATED): S.CLOSED,
    (Step.CANCEL, S.SCHEDULED): S.CANCELLED,
    (Step.CANCEL, S.IN_PROGRESS): S.CANCELLED,
}
SIMPLE_STEPS = [s for s in Step if s is not Step.PEER_REVIEW]


@pytest.mark.parametrize(
    ("step", "status"), list(itertools.product(SIMPLE_STEPS, list(AuditStatus)))
)
def test_each_step_from_each_state_is_allowed_only_where_the_domain_says(
    step: Step, status: AuditStatus
) -> None:
    expected = EXPECTED.get((step, status))
    if expected is None:
        with pytest.raises(StepNotAllowed) as refused:
            next_status(step, status)
        assert status.value in str(refused.value)
    else:
        assert next_status(step, status) is expected


@pytest.mark.parametrize("status", list(AuditStatus))
@pytest.mark.parametrize(
    ("outcome", "selected", "expected"),
    [
        (R.AGREED, False, S.PEER_REVIEWED),
        (R.AGREED, True, S.MODERATION),
        (R.REGRADED, False, S.PEER_REVIEWED),
        (R.REGRADED, True, S.MODERATION),
        (R.RETURNED, None, S.IN_PROGRESS),
    ],
)
def test_peer_review_applies_only_to_a_submitted_audit_and_leads_by_outcome_and_choice(
    status: AuditStatus, outcome: PeerReviewOutcome, selected: bool | None, expected: AuditStatus
) -> None:
    if status is S.SUBMITTED:
        assert (
            next_status(Step.PEER_REVIEW, status, outcome=outcome, selected_for_moderation=selected)
            is expected
        )
    else:
        with pytest.raises(StepNotAllowed):
            next_status(Step.PEER_REVIEW, status, outcome=outcome, selected_for_moderation=selected)


def test_the_table_allows_nothing_the_expectations_do_not_name() -> None:
    allowed = {(step, s) for step, states in ALLOWED_FROM.items() for s in states}
    assert allowed == set(EXPECTED) | {(Step.PEER_REVIEW, S.SUBMITTED)}


def test_a_returned_audit_cannot_be_cancelled_because_it_was_submitted() -> None:
    assert next_status(Step.CANCEL, S.IN_PROGRESS, submissions=0) is S.CANCELLED
    with pytest.raises(StepNotAllowed, match="stays a record"):
        next_status(Step.CANCEL, S.IN_PROGRESS, submissions=1)
    # Drafting and resubmitting it are still allowed.
    assert next_status(Step.DRAFT, S.IN_PROGRESS, submissions=1) is S.IN_PROGRESS
    assert next_status(Step.SUBMIT, S.IN_PROGRESS, submissions=1) is S.SUBMITTED


def test_a_completed_peer_review_needs_the_moderation_choice() -> None:
    with pytest.raises(ValueError):
        next_status(Step.PEER_REVIEW, S.SUBMITTED, outcome=R.AGREED)
    with pytest.raises(ValueError):
        next_status(Step.PEER_REVIEW, S.SUBMITTED)


class TestPeerReviewGrade:
    def test_regraded_takes_the_reviewers_own_different_grade(self) -> None:
        assert peer_review_grade(R.REGRADED, Grade.INADEQUATE, Grade.GOOD) is Grade.INADEQUATE

    @pytest.mark.parametrize("grade", [None, Grade.GOOD])
    def test_regraded_without_a_different_grade_is_refused(self, grade: Grade | None) -> None:
        with pytest.raises(RuleBroken) as broken:
            peer_review_grade(R.REGRADED, grade, Grade.GOOD)
        assert broken.value.field == "body.grade"

    @pytest.mark.parametrize("outcome", [R.AGREED, R.RETURNED])
    def test_agreed_and_returned_take_no_grade(self, outcome: PeerReviewOutcome) -> None:
        assert peer_review_grade(outcome, None, Grade.GOOD) is None
        with pytest.raises(RuleBroken):
            peer_review_grade(outcome, Grade.OUTSTANDING, Grade.GOOD)


def test_the_final_grade_is_the_moderators_else_the_peer_reviewers_else_the_auditors() -> None:
    assert final_grade(Grade.GOOD) == Grade.GOOD
    assert final_grade(Grade.GOOD, Grade.REQUIRES_IMPROVEMENT) == Grade.REQUIRES_IMPROVEMENT
    assert final_grade(Grade.GOOD, Grade.REQUIRES_IMPROVEMENT, Grade.INADEQUATE) == Grade.INADEQUATE
    assert final_grade(Grade.GOOD, None, Grade.OUTSTANDING) == Grade.OUTSTANDING
    assert final_grade(None) is None


@pytest.mark.parametrize("status", list(AuditStatus))
def test_an_audit_is_overdue_only_when_unsubmitted_past_its_due_date(status: AuditStatus) -> None:
    due = date(2026, 5, 1)
    assert not is_overdue(status, due, due)
    assert is_overdue(status, due, date(2026, 5, 2)) is (status in (S.SCHEDULED, S.IN_PROGRESS))


class TestSeparationOfDuties:
    SUBMITTED_BY = {"tm-1", "staff-1"}
    REVIEWED_BY = {"staff-2", "pr-1"}

    @pytest.mark.parametrize("people", [("staff-1", "pr-1"), ("staff-3", "staff-1")])
    def test_whoever_submitted_may_not_peer_review(self, people: tuple[str, str]) -> None:
        with pytest.raises(DutiesConflict, match="may not peer review"):
            check_duties(Step.PEER_REVIEW, people, submitted_by=self.SUBMITTED_BY)

    @pytest.mark.parametrize(
        ("people", "rule"),
        [
            (("staff-1", "mo-1"), "submitted"),
            (("mod-officer", "tm-1"), "submitted"),
            (("staff-2", "mo-1"), "peer reviewer"),
            (("mod-officer", "pr-1"), "peer reviewer"),
        ],
    )
    def test_whoever_submitted_or_peer_reviewed_may_not_moderate(
        self, people: tuple[str, str], rule: str
    ) -> None:
        with pytest.raises(DutiesConflict, match=rule):
            check_duties(
                Step.MODERATE,
                people,
                submitted_by=self.SUBMITTED_BY,
                reviewed_by=self.REVIEWED_BY,
            )

    def test_others_may_and_an_absent_person_is_no_one(self) -> None:
        check_duties(Step.PEER_REVIEW, ("staff-2", None), submitted_by=self.SUBMITTED_BY)
        check_duties(
            Step.MODERATE,
            ("mod-officer", "mo-1"),
            submitted_by=self.SUBMITTED_BY,
            reviewed_by=self.REVIEWED_BY,
        )
        # The rule is about who did the audit's earlier steps, not about other steps.
        check_duties(Step.CLOSE, ("staff-1",), submitted_by=self.SUBMITTED_BY)
