"""Actions: every status change from every status, default due dates in working days
across weekends and England and Wales bank holidays, and the overdue rule."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from audit_service.domain.actions import (
    action_is_overdue,
    check_action_transition,
    default_due_date,
)
from qaf_shared.enums import ActionStatus
from qaf_shared.rules import StepNotAllowed
from qaf_shared.working_days import is_working_day

A = ActionStatus
ALLOWED = {
    (A.OPEN, A.IN_PROGRESS),
    (A.OPEN, A.CANCELLED),
    (A.IN_PROGRESS, A.COMPLETED),
    (A.IN_PROGRESS, A.CANCELLED),
    (A.COMPLETED, A.VERIFIED),
}


@pytest.mark.parametrize(("current", "wanted"), list(itertools.product(A, A)))
def test_each_status_change_is_allowed_only_along_the_lifecycle(
    current: ActionStatus, wanted: ActionStatus
) -> None:
    if (current, wanted) in ALLOWED:
        check_action_transition(current, wanted)
    else:
        with pytest.raises(StepNotAllowed):
            check_action_transition(current, wanted)


@pytest.mark.parametrize(
    ("raised_on", "days", "due"),
    [
        # Monday + 20 working days: four whole weeks later.
        (date(2026, 6, 1), 20, date(2026, 6, 29)),
        # Raised on a Friday: the weekend does not count.
        (date(2026, 6, 5), 1, date(2026, 6, 8)),
        # Raised on a Saturday: Monday is the first working day after it.
        (date(2026, 6, 6), 1, date(2026, 6, 8)),
        # Easter 2026: Good Friday 3 April and Easter Monday 6 April are skipped.
        (date(2026, 4, 2), 1, date(2026, 4, 7)),
        (date(2026, 3, 30), 20, date(2026, 4, 29)),
        # Christmas 2026: 25 Dec (Fri), Boxing Day on a Saturday observed Mon 28 Dec,
        # New Year's Day Fri 1 Jan 2027.
        (date(2026, 12, 21), 20, date(2027, 1, 21)),
        (date(2026, 12, 24), 1, date(2026, 12, 29)),
        # Spring bank holiday Monday 25 May 2026.
        (date(2026, 5, 22), 1, date(2026, 5, 26)),
    ],
)
def test_the_default_due_date_counts_working_days_only(
    raised_on: date, days: int, due: date
) -> None:
    assert default_due_date(raised_on, days) == due


def test_twenty_working_days_span_exactly_twenty_working_days() -> None:
    start = date(2026, 1, 1)
    for offset in range(0, 365, 7):
        raised_on = start + timedelta(days=offset)
        due = default_due_date(raised_on, 20)
        between = [raised_on + timedelta(days=d) for d in range(1, (due - raised_on).days + 1)]
        assert sum(map(is_working_day, between)) == 20 and is_working_day(due)


@pytest.mark.parametrize("status", list(A))
def test_an_action_is_overdue_only_while_still_to_be_done_after_its_due_date(
    status: ActionStatus,
) -> None:
    due = date(2026, 7, 1)
    assert not action_is_overdue(status, due, due)
    assert action_is_overdue(status, due, date(2026, 7, 2)) is (status in (A.OPEN, A.IN_PROGRESS))
