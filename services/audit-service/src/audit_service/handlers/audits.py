"""Case audit use cases: schedule, draft, submit, peer review (and the moderation choice),
moderate, close, cancel."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

import asyncpg

from audit_service.configuration import AuditConfiguration
from audit_service.domain import moderation
from audit_service.domain.audits import (
    Step,
    check_duties,
    check_step,
    final_grade,
    next_status,
    peer_review_grade,
)
from audit_service.domain.programmes import within_scope
from audit_service.domain.templates import Template, draft_errors, submission_errors
from audit_service.events import audit_event
from audit_service.repository import audits as audit_rows
from audit_service.repository import logs
from audit_service.repository import programmes as programme_rows
from qaf_shared.dates import check_date
from qaf_shared.enums import (
    AuditStatus,
    AuditTheme,
    Grade,
    PeerReviewOutcome,
    PlanType,
    ProgrammeKind,
)
from qaf_shared.events.audit import (
    AuditCancelled,
    AuditClosed,
    AuditEvent,
    AuditModerated,
    AuditModerationSelected,
    AuditPeerReviewed,
    AuditScheduled,
    AuditSubmitted,
)
from qaf_shared.events.envelope import CloudEvent
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.http.auth import Principal
from qaf_shared.http.locking import locked_for_change
from qaf_shared.outbox import add_events
from qaf_shared.rules import RuleBroken, check_fields

# The validated input each use case takes. The API's request models (api/schemas/audits.py)
# have these shapes; the use cases name only what they read, so they never import the API.


class ScheduleInput(Protocol):
    @property
    def case_ref(self) -> str: ...
    @property
    def plan_type(self) -> PlanType: ...
    @property
    def auditor(self) -> str: ...
    @property
    def due_date(self) -> date: ...
    @property
    def programme_id(self) -> uuid.UUID | None: ...
    @property
    def kind(self) -> ProgrammeKind | None: ...
    @property
    def service(self) -> str | None: ...


class DraftInput(Protocol):
    """Only the fields given (`model_fields_set`) change."""

    @property
    def model_fields_set(self) -> set[str]: ...
    @property
    def answers(self) -> Mapping[str, Any] | None: ...
    @property
    def overall_grade(self) -> Grade | None: ...
    @property
    def section_grades(self) -> Mapping[str, Grade] | None: ...
    @property
    def themes(self) -> Sequence[AuditTheme] | None: ...
    @property
    def child_voice_evident(self) -> bool | None: ...
    @property
    def commentary(self) -> str | None: ...


class SubmitInput(Protocol):
    @property
    def overall_grade(self) -> Grade: ...
    @property
    def section_grades(self) -> Mapping[str, Grade]: ...
    @property
    def themes(self) -> Sequence[AuditTheme]: ...
    @property
    def child_voice_evident(self) -> bool: ...
    @property
    def commentary(self) -> str | None: ...
    @property
    def answers(self) -> Mapping[str, Any] | None: ...
    @property
    def submitted_on(self) -> date | None: ...


class PeerReviewInput(Protocol):
    @property
    def reviewer(self) -> str: ...
    @property
    def outcome(self) -> PeerReviewOutcome: ...
    @property
    def grade(self) -> Grade | None: ...
    @property
    def comment(self) -> str | None: ...
    @property
    def reviewed_on(self) -> date | None: ...


class ModerationInput(Protocol):
    @property
    def moderator(self) -> str: ...
    @property
    def grade(self) -> Grade: ...
    @property
    def rationale(self) -> str | None: ...
    @property
    def moderated_on(self) -> date | None: ...


class CloseInput(Protocol):
    @property
    def closed_on(self) -> date | None: ...


class CancelInput(Protocol):
    @property
    def cancelled_on(self) -> date | None: ...
    @property
    def reason(self) -> str | None: ...


@dataclass(slots=True)
class Scheduled:
    """A new audit not yet written: the row it will be (as reads give it) and the parts of
    the one statement that writes it with its event (`qaf_shared.http.idempotency.Creation`)."""

    row: dict[str, Any]
    inserts: Sequence[str]
    args: Sequence[Any]
    events: tuple[CloudEvent, ...]


async def schedule(
    pool: asyncpg.Pool,
    *,
    principal: Principal,
    actor: str,
    body: ScheduleInput,
    unit: OrgUnitRef,
    config: AuditConfiguration,
) -> Scheduled:
    """A new audit, to be written as one statement with its event (the route adds its
    answer). The programme it belongs to is read first, outside any transaction: a
    programme's kind and scope never change, and the foreign key holds it in place."""
    kind = body.kind
    if body.programme_id is not None:
        async with pool.acquire() as conn:
            programme = await programme_rows.get(conn, principal.tenant, body.programme_id)
        if programme is None:
            raise RuleBroken("body.programme_id", "no such programme")
        programme_kind = ProgrammeKind(programme["kind"])
        if kind is not None and kind is not programme_kind:
            raise RuleBroken("body.kind", f"the programme is {programme_kind.value}")
        kind = programme_kind
        if not within_scope(
            unit,
            area=programme["area"],
            district=programme["district"],
            service=programme["service"],
        ):
            field = "body.service" if body.service is not None else "body.team"
            raise RuleBroken(field, "outside the programme's scope")
    template = config.latest(config.tenant(principal.tenant).template)
    assert template is not None  # checked when the configuration was loaded
    audit = audit_rows.NewAudit(
        tenant=principal.tenant,
        case_ref=body.case_ref,
        area=unit.area,
        district=unit.district,
        team=unit.team,
        service=unit.service,
        plan_type=body.plan_type.value,
        auditor=body.auditor,
        due_date=body.due_date,
        programme_id=body.programme_id,
        kind=kind.value if kind else None,
        template_id=template.id,
        template_version=template.version,
        created_at=datetime.now(UTC),
    )
    row = audit_rows.new_row(audit)
    return Scheduled(
        row=row,
        inserts=audit_rows.INSERTS,
        args=audit_rows.insert_args(audit, principal=principal, actor=actor),
        events=(audit_event(principal.tenant, row, AuditScheduled, due_date=audit.due_date),),
    )


async def draft(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    audit_id: uuid.UUID,
    body: DraftInput,
    if_match: str | None,
    config: AuditConfiguration,
) -> asyncpg.Record:
    """Draft answers (PATCH): only the fields given change; answers merge."""
    current = await locked(conn, principal, audit_id, if_match, required=True)
    status = next_status(Step.DRAFT, AuditStatus(current["status"]))
    given = body.model_fields_set
    changes: dict[str, Any] = {"status": status.value}
    answers = dict(current["answers"] or {})
    if "answers" in given:
        answers = _merge(answers, body.answers or {})
        changes["answers"] = answers
    section_grades = current["section_grades"] or {}
    if "section_grades" in given:
        section_grades = {k: v.value for k, v in (body.section_grades or {}).items()}
        changes["section_grades"] = section_grades
    check_fields(
        draft_errors(_template(config, current), answers=answers, section_grades=section_grades)
    )
    if "overall_grade" in given:
        changes["overall_grade"] = body.overall_grade.value if body.overall_grade else None
    if "themes" in given:
        changes["themes"] = _themes(body.themes or [])
    for field in ("child_voice_evident", "commentary"):
        if field in given:
            changes[field] = getattr(body, field)
    row = await audit_rows.update(
        conn, principal=principal, actor=actor, audit_id=audit_id, changes=changes
    )
    # Drafting is no business fact for reporting: no event (none is in the catalogue).
    await _log(conn, principal, actor, row, "drafted", current["status"])
    return row


async def submit(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    audit_id: uuid.UUID,
    body: SubmitInput,
    if_match: str | None,
    config: AuditConfiguration,
    today: date,
) -> asyncpg.Record:
    current = await locked(conn, principal, audit_id, if_match)
    status = next_status(Step.SUBMIT, AuditStatus(current["status"]))
    on = today
    submitted_on = body.submitted_on or on
    # A returned audit is resubmitted after its return; the latest submission counts.
    check_date("body.submitted_on", submitted_on, today=on, not_before=current["returned_on"])
    answers = _merge(dict(current["answers"] or {}), body.answers or {})
    section_grades = {k: v.value for k, v in body.section_grades.items()}
    check_fields(
        submission_errors(
            _template(config, current), answers=answers, section_grades=section_grades
        )
    )
    grade = body.overall_grade
    themes = _themes(body.themes)
    row = await audit_rows.update(
        conn,
        principal=principal,
        actor=actor,
        audit_id=audit_id,
        changes={
            "status": status.value,
            "answers": answers,
            "overall_grade": grade.value,
            "final_grade": grade.value,
            "section_grades": section_grades,
            "themes": themes,
            "child_voice_evident": body.child_voice_evident,
            "commentary": body.commentary,
            "submitted_on": submitted_on,
            "submission_count": current["submission_count"] + 1,
            # A new submission awaits a new peer review.
            "peer_review_outcome": None,
            "peer_review_grade": None,
            "reviewed_on": None,
        },
    )
    await _log(conn, principal, actor, row, "submitted", current["status"])
    await _emit(
        conn,
        principal,
        row,
        AuditSubmitted,
        submitted_on=submitted_on,
        overall_grade=grade,
        final_grade=grade,
        section_grades=section_grades,
        themes=themes,
        child_voice_evident=body.child_voice_evident,
        submission_number=row["submission_count"],
    )
    return row


async def peer_review(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    audit_id: uuid.UUID,
    body: PeerReviewInput,
    if_match: str | None,
    config: AuditConfiguration,
    today: date,
) -> asyncpg.Record:
    """Record the peer review; when it completes the audit (AGREED or REGRADED), choose at
    random whether it goes to moderation, and record how."""
    current = await locked(conn, principal, audit_id, if_match)
    check_step(Step.PEER_REVIEW, AuditStatus(current["status"]))
    on = today
    reviewed_on = body.reviewed_on or on
    check_date("body.reviewed_on", reviewed_on, today=on, not_before=current["submitted_on"])
    done = await _done_by(conn, principal, current)
    check_duties(Step.PEER_REVIEW, (actor, body.reviewer), submitted_by=done.submitted)
    auditor_grade = Grade(current["overall_grade"])
    reviewer_grade = peer_review_grade(body.outcome, body.grade, auditor_grade)
    returned = body.outcome is PeerReviewOutcome.RETURNED
    selection = (
        None if returned else moderation.select(config.tenant(principal.tenant).moderation_rate)
    )
    status = next_status(
        Step.PEER_REVIEW,
        AuditStatus(current["status"]),
        outcome=body.outcome,
        selected_for_moderation=selection.selected if selection else None,
    )
    grade = None if returned else final_grade(auditor_grade, reviewer_grade)
    review = {
        "reviewer": body.reviewer,
        "outcome": body.outcome.value,
        "grade": reviewer_grade.value if reviewer_grade else None,
        "comment": body.comment,
        "reviewed_on": reviewed_on.isoformat(),
        "submission_number": current["submission_count"],
    }
    changes: dict[str, Any] = {
        "status": status.value,
        "peer_reviewer": body.reviewer,
        "peer_review_outcome": body.outcome.value,
        "peer_review_grade": review["grade"],
        "reviewed_on": reviewed_on,
        "peer_reviews": [*(current["peer_reviews"] or []), review],
        "final_grade": grade.value if grade else None,
    }
    if returned:
        changes["returned_on"] = reviewed_on
    if selection is not None:
        changes.update(
            moderation_selected=selection.selected,
            moderation_seed=selection.seed,
            moderation_draw=selection.draw,
            moderation_rate=selection.rate,
            moderation_decided_on=reviewed_on,
        )
    row = await audit_rows.update(
        conn, principal=principal, actor=actor, audit_id=audit_id, changes=changes
    )
    await _log(conn, principal, actor, row, "peer_reviewed", current["status"])
    events = [
        audit_event(
            principal.tenant,
            row,
            AuditPeerReviewed,
            outcome=body.outcome,
            reviewed_on=reviewed_on,
            auditor_grade=auditor_grade,
            reviewer_grade=reviewer_grade,
            final_grade=grade,
            submission_number=row["submission_count"],
        )
    ]
    if selection is not None:
        events.append(
            audit_event(
                principal.tenant,
                row,
                AuditModerationSelected,
                selected=selection.selected,
                decided_on=reviewed_on,
                rate=selection.rate,
            )
        )
    await add_events(conn, events)
    return row


async def moderate(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    audit_id: uuid.UUID,
    body: ModerationInput,
    if_match: str | None,
    today: date,
) -> asyncpg.Record:
    current = await locked(conn, principal, audit_id, if_match)
    status = next_status(Step.MODERATE, AuditStatus(current["status"]))
    on = today
    moderated_on = body.moderated_on or on
    check_date("body.moderated_on", moderated_on, today=on, not_before=current["reviewed_on"])
    done = await _done_by(conn, principal, current)
    check_duties(
        Step.MODERATE,
        (actor, body.moderator),
        submitted_by=done.submitted,
        reviewed_by=done.reviewed,
    )
    before = Grade(current["final_grade"])
    row = await audit_rows.update(
        conn,
        principal=principal,
        actor=actor,
        audit_id=audit_id,
        changes={
            "status": status.value,
            "moderator": body.moderator,
            "grade_before_moderation": before.value,
            "moderated_grade": body.grade.value,
            "moderation_rationale": body.rationale,
            "moderated_on": moderated_on,
            "final_grade": body.grade.value,
        },
    )
    await _log(conn, principal, actor, row, "moderated", current["status"])
    await _emit(
        conn,
        principal,
        row,
        AuditModerated,
        moderated_on=moderated_on,
        grade_before=before,
        moderated_grade=body.grade,
        final_grade=body.grade,
    )
    return row


async def close(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    audit_id: uuid.UUID,
    body: CloseInput,
    if_match: str | None,
    today: date,
) -> asyncpg.Record:
    current = await locked(conn, principal, audit_id, if_match)
    status = next_status(Step.CLOSE, AuditStatus(current["status"]))
    on = today
    closed_on = body.closed_on or on
    last = current["moderated_on"] or current["reviewed_on"]
    check_date("body.closed_on", closed_on, today=on, not_before=last)
    row = await audit_rows.update(
        conn,
        principal=principal,
        actor=actor,
        audit_id=audit_id,
        changes={"status": status.value, "closed_on": closed_on},
    )
    await _log(conn, principal, actor, row, "closed", current["status"])
    await _emit(
        conn,
        principal,
        row,
        AuditClosed,
        closed_on=closed_on,
        final_grade=row["final_grade"],
    )
    return row


async def cancel(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    audit_id: uuid.UUID,
    body: CancelInput,
    if_match: str | None,
    today: date,
) -> asyncpg.Record:
    current = await locked(conn, principal, audit_id, if_match)
    status = next_status(
        Step.CANCEL, AuditStatus(current["status"]), submissions=current["submission_count"]
    )
    on = today
    cancelled_on = body.cancelled_on or on
    check_date("body.cancelled_on", cancelled_on, today=on)
    row = await audit_rows.update(
        conn,
        principal=principal,
        actor=actor,
        audit_id=audit_id,
        changes={
            "status": status.value,
            "cancelled_on": cancelled_on,
            "cancel_reason": body.reason,
        },
    )
    await _log(conn, principal, actor, row, "cancelled", current["status"])
    await _emit(conn, principal, row, AuditCancelled, cancelled_on=cancelled_on)
    return row


async def locked(
    conn: asyncpg.Connection,
    principal: Principal,
    audit_id: uuid.UUID,
    if_match: str | None = None,
    *,
    required: bool = False,
) -> asyncpg.Record:
    """The audit, locked for this transaction (so that its events, its actions' and concerns'
    included, keep their order), after the If-Match check."""
    fetch = audit_rows.get(conn, principal.tenant, audit_id, for_update=True)
    return await locked_for_change(fetch, "audit", if_match=if_match, required=required)


@dataclass(frozen=True)
class _DoneBy:
    submitted: set[str]
    reviewed: set[str]


async def _done_by(
    conn: asyncpg.Connection, principal: Principal, current: asyncpg.Record
) -> _DoneBy:
    """Who submitted the audit (every submitting `X-Actor`, and its auditor) and who peer
    reviewed it (every reviewing `X-Actor`, and every `reviewer` a review named), over all
    its rounds: the change log records each step's actor."""
    actors = await logs.actors_of(
        conn,
        principal.tenant,
        resource_type="audit",
        resource_id=current["id"],
        changes=("submitted", "peer_reviewed"),
    )
    named = {review["reviewer"] for review in current["peer_reviews"] or []}
    return _DoneBy(
        submitted=actors["submitted"] | {current["auditor"]},
        reviewed=actors["peer_reviewed"] | named,
    )


async def _log(
    conn: asyncpg.Connection,
    principal: Principal,
    actor: str,
    row: asyncpg.Record,
    change: str,
    from_status: str | None,
) -> None:
    await logs.record_change(
        conn,
        principal,
        actor=actor,
        resource_type="audit",
        resource_id=row["id"],
        change=change,
        from_status=from_status,
        to_status=row["status"],
    )


async def _emit(
    conn: asyncpg.Connection,
    principal: Principal,
    row: asyncpg.Record,
    payload: type[AuditEvent],
    **data: Any,
) -> None:
    await add_events(conn, [audit_event(principal.tenant, row, payload, **data)])


def _template(config: AuditConfiguration, row: asyncpg.Record) -> Template:
    """The template version the audit was scheduled with: it keeps that one for ever."""
    template = config.template(row["template_id"], row["template_version"])
    if template is None:
        # A published version's file was removed: a deployment error, not the caller's.
        raise RuntimeError(f"template {row['template_id']} v{row['template_version']} is missing")
    return template


def _merge(answers: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(answers)
    for question, value in changes.items():
        if value is None:
            merged.pop(question, None)
        else:
            merged[question] = value
    return merged


def _themes(themes: Iterable[AuditTheme]) -> list[str]:
    """Each theme once, in the order given."""
    return list(dict.fromkeys(t.value for t in themes))
