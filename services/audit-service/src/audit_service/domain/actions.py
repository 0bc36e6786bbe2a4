"""Audit actions, free of I/O: their lifecycle, default due date and overdue rule."""

from __future__ import annotations

from datetime import date

from qaf_shared.enums import ActionStatus
from qaf_shared.rules import StepNotAllowed
from qaf_shared.working_days import add_working_days

A = ActionStatus

# OPEN -> IN_PROGRESS -> COMPLETED -> VERIFIED; or CANCELLED while still open.
NEXT: dict[ActionStatus, frozenset[ActionStatus]] = {
    A.OPEN: frozenset({A.IN_PROGRESS, A.CANCELLED}),
    A.IN_PROGRESS: frozenset({A.COMPLETED, A.CANCELLED}),
    A.COMPLETED: frozenset({A.VERIFIED}),
    A.VERIFIED: frozenset(),
    A.CANCELLED: frozenset(),
}


def check_action_transition(current: ActionStatus, wanted: ActionStatus) -> None:
    """Raise StepNotAllowed (answers 409) unless the lifecycle allows `wanted` next."""
    if wanted not in NEXT[current]:
        allowed = ", ".join(sorted(NEXT[current])) or "none (it is final)"
        raise StepNotAllowed(
            f"An action in status {current.value} cannot become {wanted.value}; "
            f"allowed next: {allowed}."
        )


def default_due_date(raised_on: date, working_days: int) -> date:
    """The tenant's number of working days after the day it was raised."""
    return add_working_days(raised_on, working_days)


def action_is_overdue(status: ActionStatus, due_date: date, today: date) -> bool:
    """Still to be done (open or in progress) after its due date."""
    return status in (A.OPEN, A.IN_PROGRESS) and today > due_date
