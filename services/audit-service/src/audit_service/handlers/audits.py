"""Case audit use cases: schedule, draft, submit, peer review (and the moderation choice),
moderate, close, cancel."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

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
from qaf_shared.authors import Author
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
from qaf_shared.merge_patch import merge_patch
from qaf_shared.outbox import add_events
from qaf_shared.rules import RuleBroken, check_fields


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
    who: Author,
    case_ref: str,
    plan_type: PlanType,
    auditor: str,
    due_date: date,
    programme_id: uuid.UUID | None,
    kind: ProgrammeKind | None,
    team: str | None,
    service: str | None,
    unit: OrgUnitRef,
    config: AuditConfiguration,
) -> Scheduled:
    """A new audit, to be written as one statement with its event (the route adds its
    answer), in the `unit` the body's `team` or `service` names. The programme it belongs to is read first, outside any transaction: a
    programme's kind and scope never change, and the foreign key holds it in place."""
    if programme_id is not None:
        async with pool.acquire() as conn:
            programme = await programme_rows.get(conn, who.principal.tenant, programme_id)
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
            field = "body.team" if team is not None else "body.service"
            raise RuleBroken(field, "outside the programme's scope")
    template = config.latest(config.tenant(who.principal.tenant).template)
    assert template is not None  # checked when the configuration was loaded
    audit = audit_rows.NewAudit(
        tenant=who.principal.tenant,
        case_ref=case_ref,
        **unit.columns(),
        plan_type=plan_type.value,
        auditor=auditor,
        due_date=due_date,
        programme_id=programme_id,
        kind=kind.value if kind else None,
        template_id=template.id,
        template_version=template.version,
        created_at=datetime.now(UTC),
    )
    row = audit_rows.new_row(audit)
    return Scheduled(
        row=row,
        inserts=audit_rows.INSERTS,
        args=audit_rows.insert_args(audit, principal=who.principal, actor=who.actor),
        events=(audit_event(who.principal.tenant, row, AuditScheduled, due_date=audit.due_date),),
    )


async def draft(
    conn: asyncpg.Connection,
    audit_id: uuid.UUID,
    *,
    who: Author,
    given: Collection[str],
    answers: Mapping[str, Any] | None,
    overall_grade: Grade | None,
    section_grades: Mapping[str, Grade] | None,
    themes: Sequence[AuditTheme] | None,
    child_voice_evident: bool | None,
    commentary: str | None,
    if_match: str | None,
    config: AuditConfiguration,
) -> asyncpg.Record:
    """Draft answers (PATCH): only the fields `given` change; answers merge."""
    current = await locked(conn, who.principal, audit_id, if_match, required=True)
    check_step(Step.DRAFT, AuditStatus(current["status"]))
    changes: dict[str, Any] = {}
    drafted = dict(current["answers"] or {})
    if "answers" in given:
        drafted = merge_patch(drafted, answers or {})
        changes["answers"] = drafted
    grades = current["section_grades"] or {}
    if "section_grades" in given:
        grades = {k: v.value for k, v in (section_grades or {}).items()}
        changes["section_grades"] = grades
    check_fields(draft_errors(_template(config, current), answers=drafted, section_grades=grades))
    if "overall_grade" in given:
        changes["overall_grade"] = overall_grade.value if overall_grade else None
    if "themes" in given:
        changes["themes"] = _themes(themes or [])
    if "child_voice_evident" in given:
        changes["child_voice_evident"] = child_voice_evident
    if "commentary" in given:
        changes["commentary"] = commentary
    # Drafting is no business fact for reporting: no event (none is in the catalogue).
    return await _changed(conn, who, current, Step.DRAFT, changes)


async def submit(
    conn: asyncpg.Connection,
    audit_id: uuid.UUID,
    *,
    who: Author,
    overall_grade: Grade,
    section_grades: Mapping[str, Grade],
    themes: Sequence[AuditTheme],
    child_voice_evident: bool,
    commentary: str | None,
    answers: Mapping[str, Any] | None,
    submitted_on: date | None,
    if_match: str | None,
    config: AuditConfiguration,
) -> asyncpg.Record:
    current, on = await _dated(conn, who, audit_id, if_match, Step.SUBMIT, submitted_on)
    merged = merge_patch(current["answers"], answers or {})
    grades = {k: v.value for k, v in section_grades.items()}
    check_fields(
        submission_errors(_template(config, current), answers=merged, section_grades=grades)
    )
    listed = _themes(themes)
    changes = {
        "answers": merged,
        "overall_grade": overall_grade.value,
        "final_grade": overall_grade.value,
        "section_grades": grades,
        "themes": listed,
        "child_voice_evident": child_voice_evident,
        "commentary": commentary,
        "submitted_on": on,
        "submission_count": current["submission_count"] + 1,
        # A new submission awaits a new peer review.
        "peer_review_outcome": None,
        "peer_review_grade": None,
        "reviewed_on": None,
    }
    row = await _changed(conn, who, current, Step.SUBMIT, changes)
    await emit(
        conn,
        who,
        row,
        AuditSubmitted,
        submitted_on=on,
        overall_grade=overall_grade,
        final_grade=overall_grade,
        section_grades=grades,
        themes=listed,
        child_voice_evident=child_voice_evident,
        submission_number=row["submission_count"],
    )
    return row


async def peer_review(
    conn: asyncpg.Connection,
    audit_id: uuid.UUID,
    *,
    who: Author,
    reviewer: str,
    outcome: PeerReviewOutcome,
    grade: Grade | None,
    comment: str | None,
    reviewed_on: date | None,
    if_match: str | None,
    config: AuditConfiguration,
) -> asyncpg.Record:
    """Record the peer review; when it completes the audit (AGREED or REGRADED), choose at
    random whether it goes to moderation, and record how."""
    current, on = await _dated(conn, who, audit_id, if_match, Step.PEER_REVIEW, reviewed_on)
    done = await _done_by(conn, who.principal, current)
    check_duties(Step.PEER_REVIEW, (who.actor, reviewer), submitted_by=done.submitted)
    auditor_grade = Grade(current["overall_grade"])
    reviewer_grade = peer_review_grade(outcome, grade, auditor_grade)
    returned = outcome is PeerReviewOutcome.RETURNED
    selection = (
        None if returned else moderation.select(config.tenant(who.principal.tenant).moderation_rate)
    )
    final = None if returned else final_grade(auditor_grade, reviewer_grade)
    review = {
        "reviewer": reviewer,
        "outcome": outcome.value,
        "grade": reviewer_grade.value if reviewer_grade else None,
        "comment": comment,
        "reviewed_on": on.isoformat(),
        "submission_number": current["submission_count"],
    }
    changes: dict[str, Any] = {
        "peer_reviewer": reviewer,
        "peer_review_outcome": outcome.value,
        "peer_review_grade": review["grade"],
        "reviewed_on": on,
        "peer_reviews": [*(current["peer_reviews"] or []), review],
        "final_grade": final.value if final else None,
    }
    if returned:
        changes["returned_on"] = on
    if selection is not None:
        changes.update(
            moderation_selected=selection.selected,
            moderation_seed=selection.seed,
            moderation_draw=selection.draw,
            moderation_rate=selection.rate,
            moderation_decided_on=on,
        )
    row = await _changed(
        conn,
        who,
        current,
        Step.PEER_REVIEW,
        changes,
        outcome=outcome,
        selected_for_moderation=selection.selected if selection else None,
    )
    events = [
        audit_event(
            who.principal.tenant,
            row,
            AuditPeerReviewed,
            outcome=outcome,
            reviewed_on=on,
            auditor_grade=auditor_grade,
            reviewer_grade=reviewer_grade,
            final_grade=final,
            submission_number=row["submission_count"],
        )
    ]
    if selection is not None:
        events.append(
            audit_event(
                who.principal.tenant,
                row,
                AuditModerationSelected,
                selected=selection.selected,
                decided_on=on,
                rate=selection.rate,
            )
        )
    await add_events(conn, events)
    return row


async def moderate(
    conn: asyncpg.Connection,
    audit_id: uuid.UUID,
    *,
    who: Author,
    moderator: str,
    grade: Grade,
    rationale: str | None,
    moderated_on: date | None,
    if_match: str | None,
) -> asyncpg.Record:
    current, on = await _dated(conn, who, audit_id, if_match, Step.MODERATE, moderated_on)
    done = await _done_by(conn, who.principal, current)
    check_duties(
        Step.MODERATE,
        (who.actor, moderator),
        submitted_by=done.submitted,
        reviewed_by=done.reviewed,
    )
    before = Grade(current["final_grade"])
    changes = {
        "moderator": moderator,
        "grade_before_moderation": before.value,
        "moderated_grade": grade.value,
        "moderation_rationale": rationale,
        "moderated_on": on,
        "final_grade": grade.value,
    }
    row = await _changed(conn, who, current, Step.MODERATE, changes)
    await emit(
        conn,
        who,
        row,
        AuditModerated,
        moderated_on=on,
        grade_before=before,
        moderated_grade=grade,
        final_grade=grade,
    )
    return row


async def close(
    conn: asyncpg.Connection,
    audit_id: uuid.UUID,
    *,
    who: Author,
    closed_on: date | None,
    if_match: str | None,
) -> asyncpg.Record:
    current, on = await _dated(conn, who, audit_id, if_match, Step.CLOSE, closed_on)
    row = await _changed(conn, who, current, Step.CLOSE, {"closed_on": on})
    await emit(conn, who, row, AuditClosed, closed_on=on, final_grade=row["final_grade"])
    return row


async def cancel(
    conn: asyncpg.Connection,
    audit_id: uuid.UUID,
    *,
    who: Author,
    cancelled_on: date | None,
    reason: str | None,
    if_match: str | None,
) -> asyncpg.Record:
    current, on = await _dated(conn, who, audit_id, if_match, Step.CANCEL, cancelled_on)
    changes = {"cancelled_on": on, "cancel_reason": reason}
    row = await _changed(conn, who, current, Step.CANCEL, changes)
    await emit(conn, who, row, AuditCancelled, cancelled_on=on)
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
    included, keep their order), after the If-Match check (`required` for a PATCH)."""
    fetch = audit_rows.get(conn, principal.tenant, audit_id, for_update=True)
    return await locked_for_change(fetch, "audit", if_match=if_match, required=required)


# Each dated step's body field for its date (default today), and the audit's dates of the step
# it follows: its date is never before the first of them the audit has (a resubmission
# follows its return; a close, the moderation if there was one, else the peer review).
_DATES: dict[Step, tuple[str, tuple[str, ...]]] = {
    Step.SUBMIT: ("submitted_on", ("returned_on",)),
    Step.PEER_REVIEW: ("reviewed_on", ("submitted_on",)),
    Step.MODERATE: ("moderated_on", ("reviewed_on",)),
    Step.CLOSE: ("closed_on", ("moderated_on", "reviewed_on")),
    Step.CANCEL: ("cancelled_on", ()),
}


async def _dated(
    conn: asyncpg.Connection,
    who: Author,
    audit_id: uuid.UUID,
    if_match: str | None,
    step: Step,
    day: date | None,
) -> tuple[asyncpg.Record, date]:
    """What every dated step does first: lock the audit (after If-Match), check the step
    applies to it, and check the step's date (`day`, default today). (A step refused after
    this writes nothing: its transaction is rolled back.)"""
    current = await locked(conn, who.principal, audit_id, if_match)
    check_step(step, AuditStatus(current["status"]), submissions=current["submission_count"])
    field, follows = _DATES[step]
    last = next((current[c] for c in follows if current[c] is not None), None)
    return current, who.date_of(field, day, not_before=last)


# What the change log calls each step: separation of duties reads the names back (`_done_by`).
_LOGGED_AS = {
    Step.DRAFT: "drafted",
    Step.SUBMIT: "submitted",
    Step.PEER_REVIEW: "peer_reviewed",
    Step.MODERATE: "moderated",
    Step.CLOSE: "closed",
    Step.CANCEL: "cancelled",
}


async def _changed(
    conn: asyncpg.Connection,
    who: Author,
    current: asyncpg.Record,
    step: Step,
    changes: Mapping[str, Any],
    **outcome: Any,
) -> asyncpg.Record:
    """What every step does last but raise its events: the audit moved on to the status
    `step` leads to (a peer review's by its `outcome`, `next_status`) with its columns
    changed, and the step in the change log."""
    status = next_status(
        step, AuditStatus(current["status"]), submissions=current["submission_count"], **outcome
    )
    row = await audit_rows.update(conn, who, current["id"], {"status": status.value, **changes})
    await logs.record_step(conn, who, "audit", current, row, _LOGGED_AS[step])
    return row


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


async def emit(
    conn: asyncpg.Connection,
    who: Author,
    audit: asyncpg.Record,
    payload: type[AuditEvent],
    **data: Any,
) -> None:
    """Write one event about the audit (`payload` with `data`: an action's and a concern's
    events are the audit's too) to the outbox, in the step's transaction."""
    await add_events(conn, [audit_event(who.principal.tenant, audit, payload, **data)])


def _template(config: AuditConfiguration, row: asyncpg.Record) -> Template:
    """The template version the audit was scheduled with: it keeps that one for ever."""
    template = config.template(row["template_id"], row["template_version"])
    if template is None:
        # A published version's file was removed: a deployment error, not the caller's.
        raise RuntimeError(f"template {row['template_id']} v{row['template_version']} is missing")
    return template


def _themes(themes: Iterable[AuditTheme]) -> list[str]:
    """Each theme once, in the order given."""
    return list(dict.fromkeys(t.value for t in themes))
