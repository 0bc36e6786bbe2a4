"""Case audit rules, free of I/O: which step applies in which state, and the final grade."""

from __future__ import annotations

from datetime import date

from qaf_shared.enums import AuditStatus, Grade

S = AuditStatus


class TransitionNotAllowed(Exception):
    """A lifecycle step that does not apply to the audit's current state (answers 409)."""

    def __init__(self, step: str, status: AuditStatus) -> None:
        super().__init__(f"An audit in status {status.value} cannot be {step}.")
        self.step = step
        self.status = status


# Which states each step may start from. DOMAIN.md § Audits.
ALLOWED_FROM: dict[str, frozenset[AuditStatus]] = {
    "submitted": frozenset({S.SCHEDULED, S.IN_PROGRESS}),
}


def check_step(step: str, status: AuditStatus) -> None:
    if status not in ALLOWED_FROM[step]:
        raise TransitionNotAllowed(step, status)


def final_grade(
    overall: Grade | None, peer_reviewed: Grade | None = None, moderated: Grade | None = None
) -> Grade | None:
    """The moderator's grade, else the peer reviewer's, else the auditor's."""
    return moderated or peer_reviewed or overall


def is_overdue(status: AuditStatus, due_date: date, today: date) -> bool:
    """Not submitted by its due date."""
    return status in (S.SCHEDULED, S.IN_PROGRESS) and today > due_date
