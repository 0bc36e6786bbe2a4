"""Case audit rules, free of I/O: which step applies in which state and where it leads, the
grades a peer review may record, the final grade. (A step's date is checked by
`qaf_shared.dates`: never in the future, nor before the step it follows.)"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date
from enum import StrEnum

from qaf_shared.enums import AuditStatus, Grade, PeerReviewOutcome
from qaf_shared.rules import RuleBroken, StepNotAllowed

S = AuditStatus


class Step(StrEnum):
    """What a caller can do to an audit (each answers 409 where it does not apply)."""

    DRAFT = "drafted"  # PATCH: draft answers; SCHEDULED becomes IN_PROGRESS
    SUBMIT = "submitted"
    PEER_REVIEW = "peer reviewed"
    MODERATE = "moderated"
    CLOSE = "closed"
    CANCEL = "cancelled"


def _not_allowed(step: Step, status: AuditStatus, reason: str | None = None) -> StepNotAllowed:
    """A lifecycle step that does not apply to the audit's current state (answers 409)."""
    message = f"An audit in status {status.value} cannot be {step.value}."
    return StepNotAllowed(f"{message} {reason}" if reason else message)


class DutiesConflict(Exception):
    """A step the acting person may not take on this audit: separation of duties (answers
    403, naming the rule; never the person)."""

    def __init__(self, rule: str) -> None:
        super().__init__(f"Separation of duties: {rule}.")
        self.rule = rule


# Which states each step may start from (docs/domain.md, Audits).
ALLOWED_FROM: dict[Step, frozenset[AuditStatus]] = {
    Step.DRAFT: frozenset({S.SCHEDULED, S.IN_PROGRESS}),
    Step.SUBMIT: frozenset({S.SCHEDULED, S.IN_PROGRESS}),
    Step.PEER_REVIEW: frozenset({S.SUBMITTED}),
    # Only an audit chosen for moderation is ever in MODERATION.
    Step.MODERATE: frozenset({S.MODERATION}),
    # Peer reviewed and not chosen for moderation, or moderated.
    Step.CLOSE: frozenset({S.PEER_REVIEWED, S.MODERATED}),
    Step.CANCEL: frozenset({S.SCHEDULED, S.IN_PROGRESS}),
}

_SIMPLE_TARGET: dict[Step, AuditStatus] = {
    Step.DRAFT: S.IN_PROGRESS,
    Step.SUBMIT: S.SUBMITTED,
    Step.MODERATE: S.MODERATED,
    Step.CLOSE: S.CLOSED,
    Step.CANCEL: S.CANCELLED,
}


def check_step(step: Step, status: AuditStatus, *, submissions: int = 0) -> None:
    """Raise StepNotAllowed unless `step` applies to an audit in `status` that has
    been submitted `submissions` times."""
    if status not in ALLOWED_FROM[step]:
        raise _not_allowed(step, status)
    if step is Step.CANCEL and submissions > 0:
        # A returned audit is IN_PROGRESS again, but it was submitted: it is a record.
        raise _not_allowed(
            step, status, "It was submitted once, and a submitted audit stays a record."
        )


def next_status(
    step: Step,
    status: AuditStatus,
    *,
    submissions: int = 0,
    outcome: PeerReviewOutcome | None = None,
    selected_for_moderation: bool | None = None,
) -> AuditStatus:
    """The state `step` leads to from `status` (after checking that it applies)."""
    check_step(step, status, submissions=submissions)
    if step is not Step.PEER_REVIEW:
        return _SIMPLE_TARGET[step]
    if outcome is None:
        raise ValueError("a peer review needs its outcome")
    if outcome is PeerReviewOutcome.RETURNED:
        return S.IN_PROGRESS
    if selected_for_moderation is None:
        raise ValueError("a completed peer review needs the moderation choice")
    return S.MODERATION if selected_for_moderation else S.PEER_REVIEWED


def peer_review_grade(
    outcome: PeerReviewOutcome, grade: Grade | None, auditor_grade: Grade
) -> Grade | None:
    """The reviewer's own grade: given with REGRADED (and different from the auditor's),
    never with AGREED or RETURNED."""
    if outcome is PeerReviewOutcome.REGRADED:
        if grade is None:
            raise RuleBroken("body.grade", "a REGRADED review gives the reviewer's grade")
        if grade == auditor_grade:
            raise RuleBroken(
                "body.grade", "the same grade as the auditor's is an AGREED review, not REGRADED"
            )
        return grade
    if grade is not None:
        raise RuleBroken("body.grade", f"only a REGRADED review gives a grade, not {outcome.value}")
    return None


def check_duties(
    step: Step,
    people: Iterable[str | None],
    *,
    submitted_by: Collection[str],
    reviewed_by: Collection[str] = (),
) -> None:
    """Raise DutiesConflict when anyone taking `step` (the caller's actor, the person the
    body names) submitted the audit, or, for moderation, peer reviewed it. Those who did are
    everyone recorded for any round (a returned audit's earlier submitters and reviewers
    too): a person's own work is checked by someone else."""
    acting = {p for p in people if p}
    if step is Step.PEER_REVIEW and acting & set(submitted_by):
        raise DutiesConflict(
            "whoever submitted an audit, or is its auditor, may not peer review it"
        )
    if step is Step.MODERATE:
        if acting & set(submitted_by):
            raise DutiesConflict(
                "whoever submitted an audit, or is its auditor, may not moderate it"
            )
        if acting & set(reviewed_by):
            raise DutiesConflict("an audit's peer reviewer may not moderate it")


def final_grade(
    overall: Grade | None, peer_reviewed: Grade | None = None, moderated: Grade | None = None
) -> Grade | None:
    """The moderator's grade, else the peer reviewer's, else the auditor's."""
    return moderated or peer_reviewed or overall


def is_overdue(status: AuditStatus, due_date: date, today: date) -> bool:
    """Not submitted by its due date (a returned audit is unsubmitted again)."""
    return status in (S.SCHEDULED, S.IN_PROGRESS) and today > due_date
