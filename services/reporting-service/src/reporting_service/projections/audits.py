"""Audit measures: completed and graded (final grade) in the quarter of the latest
submission, themes, moderation and its agreement; actions raised, completed and overdue at
a quarter's end; safeguarding concerns."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from qaf_shared.enums import ActionStatus, AuditTheme, Grade
from qaf_shared.events import audit as ev
from qaf_shared.events.envelope import CloudEvent
from qaf_shared.events.payloads import OrgUnitRef, Payload
from reporting_service.projections.engine import (
    Contributing,
    Emissions,
    Emitter,
    Fact,
    event_uuid,
)


class AuditFact(Fact):
    unit: OrgUnitRef
    submitted_on: date | None = None
    final_grade: Grade | None = None
    submission_number: int = 0
    themes: tuple[AuditTheme, ...] = ()
    moderated_on: date | None = None
    grade_before: Grade | None = None
    moderated_grade: Grade | None = None


# The events whose own fields the fold reads; of the others, what every audit event carries.
_AUDIT_PAYLOADS: dict[str, type[ev.AuditEvent]] = {
    p.event_type: p for p in (ev.AuditSubmitted, ev.AuditPeerReviewed, ev.AuditModerated)
}


class Audits(Contributing[AuditFact]):
    kind = "audit"
    spans_partitions = False
    fact = AuditFact
    handles: frozenset[type[Payload]] = frozenset(
        {ev.AuditScheduled, ev.AuditSubmitted, ev.AuditPeerReviewed, ev.AuditModerated}
    )

    def key(self, event: CloudEvent) -> str:
        return event_uuid(event, "audit_id")

    def fold(self, fact: AuditFact | None, event: CloudEvent) -> AuditFact:
        # One validation per event, with the most specific model this fold reads.
        data = _AUDIT_PAYLOADS.get(event.type, ev.AuditEvent).model_validate(event.data)
        update: dict[str, object] = {"unit": data.org_unit}
        fact = fact or AuditFact(unit=data.org_unit)
        if isinstance(data, ev.AuditSubmitted):
            # A submission replaces an earlier one; an older one arriving late changes nothing.
            if data.submission_number >= fact.submission_number:
                update |= {
                    "submitted_on": data.submitted_on,
                    "final_grade": data.final_grade,
                    "submission_number": data.submission_number,
                    "themes": tuple(sorted(set(data.themes))),
                }
        elif isinstance(data, ev.AuditPeerReviewed):
            if data.final_grade is not None and data.submission_number >= fact.submission_number:
                update["final_grade"] = data.final_grade
        elif isinstance(data, ev.AuditModerated):
            update |= {
                "moderated_on": data.moderated_on,
                "grade_before": data.grade_before,
                "moderated_grade": data.moderated_grade,
                "final_grade": data.final_grade,
            }
        return fact.model_copy(update=update)

    def emit(self, tenant: str, fact: AuditFact, into: Emissions, sign: int) -> None:
        emit = Emitter(tenant, fact.unit, into, sign)
        if fact.submitted_on is not None and fact.final_grade is not None:
            emit.count(fact.submitted_on, "audits.completed")
            emit.count(fact.submitted_on, "audits.grades", fact.final_grade.value)
            for theme in fact.themes:
                emit.count(fact.submitted_on, "audits.themes", theme.value)
        if fact.moderated_on is not None:
            emit.count(fact.moderated_on, "audits.moderated")
            if fact.moderated_grade == fact.grade_before:
                emit.count(fact.moderated_on, "audits.moderation_agreed")


class ActionFact(Fact):
    unit: OrgUnitRef
    raised_on: date
    due_date: date
    status: ActionStatus
    completed_on: date | None = None
    closed_on: date | None = None  # when it stopped being open (completed or cancelled)


class Actions(Contributing[ActionFact]):
    kind = "action"
    spans_partitions = False
    fact = ActionFact
    handles: frozenset[type[Payload]] = frozenset({ev.ActionRaised, ev.ActionStatusChanged})

    def key(self, event: CloudEvent) -> str:
        return event_uuid(event, "action_id")

    def fold(self, fact: ActionFact | None, event: CloudEvent) -> ActionFact:
        is_change = event.type == ev.ActionStatusChanged.event_type
        data = (ev.ActionStatusChanged if is_change else ev.ActionEvent).model_validate(event.data)
        update: dict[str, Any] = {
            "unit": data.org_unit,
            "raised_on": data.raised_on,
            "due_date": data.due_date,
            "status": data.status,
        }
        if isinstance(data, ev.ActionStatusChanged):
            if data.status in (ActionStatus.COMPLETED, ActionStatus.VERIFIED):
                completed = (
                    (fact.completed_on if fact is not None else None)
                    or data.completed_on
                    or data.changed_on
                )
                update |= {"completed_on": completed, "closed_on": completed}
            elif data.status == ActionStatus.CANCELLED:
                update["closed_on"] = data.changed_on
            else:  # reopened
                update |= {"completed_on": None, "closed_on": None}
        if event.type == ev.ActionRaised.event_type or fact is None:
            return ActionFact(**update)
        return fact.model_copy(update=update)

    def emit(self, tenant: str, fact: ActionFact, into: Emissions, sign: int) -> None:
        emit = Emitter(tenant, fact.unit, into, sign)
        emit.count(fact.raised_on, "audits.actions_raised")
        if fact.completed_on is not None:
            emit.count(fact.completed_on, "audits.actions_completed")
        # Open past its due date at a quarter's end E: raised by E, due before E, not closed by E.
        overdue_from = max(fact.due_date + timedelta(days=1), fact.raised_on)
        emit.open_between(overdue_from, fact.closed_on, "audits.actions_overdue_at_end")


class ConcernFact(Fact):
    unit: OrgUnitRef
    raised_on: date


class SafeguardingConcerns(Contributing[ConcernFact]):
    kind = "concern"
    spans_partitions = False
    fact = ConcernFact
    handles: frozenset[type[Payload]] = frozenset({ev.SafeguardingConcernRaised})

    def key(self, event: CloudEvent) -> str:
        return event_uuid(event, "concern_id")

    def fold(self, fact: ConcernFact | None, event: CloudEvent) -> ConcernFact:
        data = ev.SafeguardingConcernRaised.model_validate(event.data)
        return ConcernFact(unit=data.org_unit, raised_on=data.raised_on)

    def emit(self, tenant: str, fact: ConcernFact, into: Emissions, sign: int) -> None:
        emit = Emitter(tenant, fact.unit, into, sign)
        emit.count(fact.raised_on, "audits.safeguarding_concerns")
