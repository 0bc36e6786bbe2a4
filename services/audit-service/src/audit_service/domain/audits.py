"""Case audit rules, free of I/O: which step applies in which state and where it leads, the
grades a peer review may record, the order of the lifecycle's dates, the final grade."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date
from enum import StrEnum

from qaf_shared.enums import AuditStatus, Grade, PeerReviewOutcome

S = AuditStatus


class Step(StrEnum):
    """What a caller can do to an audit (each answers 409 where it does not apply)."""

    DRAFT = "drafted"  # PATCH: draft answers; SCHEDULED becomes IN_PROGRESS
    SUBMIT = "submitted"
    PEER_REVIEW = "peer reviewed"
    MODERATE = "moderated"
    CLOSE = "closed"
    CANCEL = "cancelled"


class TransitionNotAllowed(Exception):
    """A lifecycle step that does not apply to the audit's current state (answers 409)."""

    def __init__(self, step: Step, status: AuditStatus, reason: str | None = None) -> None:
        message = f"An audit in status {status.value} cannot be {step.value}."
        super().__init__(f"{message} {reason}" if reason else message)
        self.step = step
        self.status = status


class RuleBroken(ValueError):
    """A request that is well formed but breaks a domain rule about one field (answers 422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class RulesBroken(ValueError):
    """A request that is well formed but breaks domain rules about several fields (answers
    422 naming every one): `errors` holds (field, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(", ".join(field for field, _ in errors))
        self.errors = errors


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
    """Raise TransitionNotAllowed unless `step` applies to an audit in `status` that has
    been submitted `submissions` times."""
    if status not in ALLOWED_FROM[step]:
        raise TransitionNotAllowed(step, status)
    if step is Step.CANCEL and submissions > 0:
        # A returned audit is IN_PROGRESS again, but it was submitted: it is a record.
        raise TransitionNotAllowed(
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


def check_date(field: str, day: date, *, today: date, not_before: date | None = None) -> None:
    """A lifecycle date is never in the future, nor before the step it follows."""
    if day > today:
        raise RuleBroken(field, "cannot be in the future")
    if not_before is not None and day < not_before:
        raise RuleBroken(field, f"cannot be before {not_before.isoformat()}")


def final_grade(
    overall: Grade | None, peer_reviewed: Grade | None = None, moderated: Grade | None = None
) -> Grade | None:
    """The moderator's grade, else the peer reviewer's, else the auditor's."""
    return moderated or peer_reviewed or overall


def is_overdue(status: AuditStatus, due_date: date, today: date) -> bool:
    """Not submitted by its due date (a returned audit is unsubmitted again)."""
    return status in (S.SCHEDULED, S.IN_PROGRESS) and today > due_date
