"""Audit measures: completed and graded (final grade) in the quarter of the latest
submission, themes, moderation and its agreement; actions raised, completed and overdue at
a quarter's end; safeguarding concerns."""

from __future__ import annotations

from datetime import date, timedelta

from qaf_shared.enums import ActionStatus, AuditTheme, Grade
from qaf_shared.events import audit as ev
from qaf_shared.events.envelope import CloudEvent
from qaf_shared.events.payloads import OrgUnitRef
from reporting_service.projections.engine import Contributions, Fact, emitter, event_uuid


class AuditFact(Fact):
    unit: OrgUnitRef
    submitted_on: date | None = None
    final_grade: Grade | None = None
    submission_number: int = 0
    themes: tuple[AuditTheme, ...] = ()
    moderated_on: date | None = None
    grade_before: Grade | None = None
    moderated_grade: Grade | None = None


class Audits:
    kind = "audit"
    fact = AuditFact
    handles = frozenset(
        {
            "uk.gov.qa.audit.scheduled.v1",
            "uk.gov.qa.audit.submitted.v1",
            "uk.gov.qa.audit.peer_reviewed.v1",
            "uk.gov.qa.audit.moderated.v1",
        }
    )

    def key(self, event: CloudEvent) -> str:
        return event_uuid(event, "audit_id")

    def fold(self, fact: AuditFact | None, event: CloudEvent) -> AuditFact:
        data = ev.AuditEvent.model_validate(event.data)
        fact = (fact or AuditFact(unit=data.org_unit)).model_copy(update={"unit": data.org_unit})
        if event.type == "uk.gov.qa.audit.submitted.v1":
            sub = ev.AuditSubmitted.model_validate(event.data)
            # A submission replaces an earlier one; an older one arriving late changes nothing.
            if sub.submission_number >= fact.submission_number:
                fact = fact.model_copy(
                    update={
                        "submitted_on": sub.submitted_on,
                        "final_grade": sub.final_grade,
                        "submission_number": sub.submission_number,
                        "themes": tuple(sorted(set(sub.themes))),
                    }
                )
        elif event.type == "uk.gov.qa.audit.peer_reviewed.v1":
            review = ev.AuditPeerReviewed.model_validate(event.data)
            if (
                review.final_grade is not None
                and review.submission_number >= fact.submission_number
            ):
                fact = fact.model_copy(update={"final_grade": review.final_grade})
        elif event.type == "uk.gov.qa.audit.moderated.v1":
            mod = ev.AuditModerated.model_validate(event.data)
            fact = fact.model_copy(
                update={
                    "moderated_on": mod.moderated_on,
                    "grade_before": mod.grade_before,
                    "moderated_grade": mod.moderated_grade,
                    "final_grade": mod.final_grade,
                }
            )
        return fact

    def contributions(self, tenant: str, fact: AuditFact) -> Contributions:
        emit = emitter(tenant, fact.unit)
        if fact.submitted_on is not None and fact.final_grade is not None:
            emit.count(fact.submitted_on, "audits.completed")
            emit.count(fact.submitted_on, "audits.grades", fact.final_grade.value)
            for theme in fact.themes:
                emit.count(fact.submitted_on, "audits.themes", theme.value)
        if fact.moderated_on is not None:
            emit.count(fact.moderated_on, "audits.moderated")
            if fact.moderated_grade == fact.grade_before:
                emit.count(fact.moderated_on, "audits.moderation_agreed")
        return emit.out


class ActionFact(Fact):
    unit: OrgUnitRef
    raised_on: date
    due_date: date
    status: ActionStatus
    completed_on: date | None = None
    closed_on: date | None = None  # when it stopped being open (completed or cancelled)


class Actions:
    kind = "action"
    fact = ActionFact
    handles = frozenset(
        {"uk.gov.qa.audit.action_raised.v1", "uk.gov.qa.audit.action_status_changed.v1"}
    )

    def key(self, event: CloudEvent) -> str:
        return event_uuid(event, "action_id")

    def fold(self, fact: ActionFact | None, event: CloudEvent) -> ActionFact:
        data = ev.ActionEvent.model_validate(event.data)
        base = {
            "unit": data.org_unit,
            "raised_on": data.raised_on,
            "due_date": data.due_date,
            "status": data.status,
        }
        if event.type == "uk.gov.qa.audit.action_raised.v1" or fact is None:
            fact = ActionFact(**base)
        else:
            fact = fact.model_copy(update=base)
        if event.type == "uk.gov.qa.audit.action_status_changed.v1":
            change = ev.ActionStatusChanged.model_validate(event.data)
            if change.status in (ActionStatus.COMPLETED, ActionStatus.VERIFIED):
                completed = fact.completed_on or change.completed_on or change.changed_on
                fact = fact.model_copy(update={"completed_on": completed, "closed_on": completed})
            elif change.status == ActionStatus.CANCELLED:
                fact = fact.model_copy(update={"closed_on": change.changed_on})
            else:  # reopened
                fact = fact.model_copy(update={"completed_on": None, "closed_on": None})
        return fact

    def contributions(self, tenant: str, fact: ActionFact) -> Contributions:
        emit = emitter(tenant, fact.unit)
        emit.count(fact.raised_on, "audits.actions_raised")
        if fact.completed_on is not None:
            emit.count(fact.completed_on, "audits.actions_completed")
        # Open past its due date at a quarter's end E: raised by E, due before E, not closed by E.
        overdue_from = max(fact.due_date + timedelta(days=1), fact.raised_on)
        emit.open_between(overdue_from, fact.closed_on, "audits.actions_overdue_at_end")
        return emit.out


class ConcernFact(Fact):
    unit: OrgUnitRef
    raised_on: date


class SafeguardingConcerns:
    kind = "concern"
    fact = ConcernFact
    handles = frozenset({"uk.gov.qa.audit.safeguarding_concern_raised.v1"})

    def key(self, event: CloudEvent) -> str:
        return event_uuid(event, "concern_id")

    def fold(self, fact: ConcernFact | None, event: CloudEvent) -> ConcernFact:
        data = ev.SafeguardingConcernRaised.model_validate(event.data)
        return ConcernFact(unit=data.org_unit, raised_on=data.raised_on)

    def contributions(self, tenant: str, fact: ConcernFact) -> Contributions:
        emit = emitter(tenant, fact.unit)
        emit.count(fact.raised_on, "audits.safeguarding_concerns")
        return emit.out
