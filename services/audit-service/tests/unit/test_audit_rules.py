from datetime import date

import pytest

from audit_service.domain.audits import TransitionNotAllowed, check_step, final_grade, is_overdue
from qaf_shared.enums import AuditStatus, Grade

S = AuditStatus


@pytest.mark.parametrize("status", list(AuditStatus))
def test_submission_is_allowed_only_before_submission(status: AuditStatus) -> None:
    if status in (S.SCHEDULED, S.IN_PROGRESS):
        check_step("submitted", status)
    else:
        with pytest.raises(TransitionNotAllowed):
            check_step("submitted", status)


def test_the_final_grade_is_the_moderators_else_the_peer_reviewers_else_the_auditors() -> None:
    assert final_grade(Grade.GOOD) == Grade.GOOD
    assert final_grade(Grade.GOOD, Grade.REQUIRES_IMPROVEMENT) == Grade.REQUIRES_IMPROVEMENT
    assert final_grade(Grade.GOOD, Grade.REQUIRES_IMPROVEMENT, Grade.INADEQUATE) == Grade.INADEQUATE
    assert final_grade(Grade.GOOD, None, Grade.OUTSTANDING) == Grade.OUTSTANDING


def test_an_audit_is_overdue_only_when_unsubmitted_past_its_due_date() -> None:
    due = date(2026, 5, 1)
    assert not is_overdue(S.SCHEDULED, due, date(2026, 5, 1))
    assert is_overdue(S.IN_PROGRESS, due, date(2026, 5, 2))
    assert not is_overdue(S.SUBMITTED, due, date(2026, 6, 1))
