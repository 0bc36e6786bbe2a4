"""Escalation measures and trends: raised, resolved and open at a period's end, by category,
stage and unit; the highest stage reached; working days to resolve; resolution at an early
stage; stages that passed their due date without a response."""

from __future__ import annotations

from datetime import date

from qaf_shared.enums import STAGE_ORDER, EscalationCategory, EscalationStage, ResolutionOutcome
from qaf_shared.events import escalation as ev
from qaf_shared.events.envelope import CloudEvent
from qaf_shared.events.payloads import OrgUnitRef, Payload
from qaf_shared.quarters import quarter_of
from qaf_shared.working_days import working_days_between
from reporting_service.projections.engine import (
    Contributing,
    Emissions,
    Emitter,
    Fact,
    event_uuid,
)

EARLY = (EscalationStage.INFORMAL, EscalationStage.TEAM_MANAGER)


class StageFact(Fact):
    stage: EscalationStage
    opened_on: date
    due: date
    responded_on: date | None = None
    ended_on: date | None = None
    overdue_seen: bool = False

    @property
    def breached(self) -> bool:
        """Past its due date without a response, as far as the events tell (never the clock,
        so that a replay gives the same answer)."""
        if self.responded_on is not None:
            return self.responded_on > self.due
        return self.overdue_seen or (self.ended_on is not None and self.ended_on > self.due)


class EscalationFact(Fact):
    unit: OrgUnitRef
    categories: tuple[EscalationCategory, ...]
    raised_on: date
    stages: tuple[StageFact, ...] = ()
    resolved_on: date | None = None
    resolved_stage: EscalationStage | None = None
    outcome: ResolutionOutcome | None = None
    withdrawn_on: date | None = None

    @property
    def closed_on(self) -> date | None:
        return self.resolved_on or self.withdrawn_on


def _with_stage(stages: tuple[StageFact, ...], stage: StageFact) -> tuple[StageFact, ...]:
    return tuple(stage if s.stage == stage.stage else s for s in stages)


# The events whose own fields the fold reads; of the others, the snapshot every one carries.
_PAYLOADS: dict[str, type[ev.EscalationEvent]] = {
    p.event_type: p
    for p in (
        ev.EscalationResponseRecorded,
        ev.EscalationEscalated,
        ev.EscalationResolved,
        ev.EscalationWithdrawn,
    )
}


class Escalations(Contributing[EscalationFact]):
    kind = "escalation"
    spans_partitions = False
    fact = EscalationFact
    handles: frozenset[type[Payload]] = frozenset(
        {
            ev.EscalationRaised,
            ev.EscalationResponseRecorded,
            ev.EscalationEscalated,
            ev.EscalationStageOverdue,
            ev.EscalationResolved,
            ev.EscalationWithdrawn,
        }
    )

    def key(self, event: CloudEvent) -> str:
        return event_uuid(event, "escalation_id")

    def fold(self, fact: EscalationFact | None, event: CloudEvent) -> EscalationFact:
        # One validation per event, with the most specific model this fold reads.
        snap = _PAYLOADS.get(event.type, ev.EscalationEvent).model_validate(event.data)
        stages = fact.stages if fact else ()
        if isinstance(snap, ev.EscalationEscalated):
            stages = tuple(
                s.model_copy(update={"ended_on": snap.escalated_on})
                if s.stage == snap.from_stage
                else s
                for s in stages
            )
        current = next((s for s in stages if s.stage == snap.stage), None)
        if current is None:
            current = StageFact(
                stage=snap.stage, opened_on=snap.stage_opened_on, due=snap.stage_due_date
            )
            stages = (*stages, current)
        change: dict[str, object] = {"due": snap.stage_due_date}
        update: dict[str, object] = {}
        if fact is not None:
            update = {
                "resolved_on": fact.resolved_on,
                "resolved_stage": fact.resolved_stage,
                "outcome": fact.outcome,
                "withdrawn_on": fact.withdrawn_on,
            }
        if isinstance(snap, ev.EscalationResponseRecorded):
            if current.responded_on is None:
                change["responded_on"] = snap.responded_on
        elif isinstance(snap, ev.EscalationResolved):
            change["ended_on"] = snap.resolved_on
            update |= {
                "resolved_on": snap.resolved_on,
                "resolved_stage": snap.stage,
                "outcome": snap.outcome,
            }
        elif isinstance(snap, ev.EscalationWithdrawn):
            change["ended_on"] = snap.withdrawn_on
            update["withdrawn_on"] = snap.withdrawn_on
        elif event.type == ev.EscalationStageOverdue.event_type:
            change["overdue_seen"] = True
        current = current.model_copy(update=change)
        base = EscalationFact(
            unit=snap.org_unit,
            categories=tuple(sorted(set(snap.categories))),
            raised_on=snap.raised_on,
            stages=_with_stage(stages, current),
        )
        return base.model_copy(update=update) if update else base

    def emit(self, tenant: str, fact: EscalationFact, into: Emissions, sign: int) -> None:
        emit = Emitter(tenant, fact.unit, into, sign)
        closed = fact.closed_on
        # Raised, resolved and open at the end, in all and by category and stage (the trends).
        keys = ["", *(f"category:{c.value}" for c in fact.categories)]
        for key in keys:
            emit.count(fact.raised_on, "escalations.raised", key)
            emit.open_between(fact.raised_on, closed, "escalations.open_at_end", key)
            if fact.resolved_on is not None:
                emit.count(fact.resolved_on, "escalations.resolved", key)
        if fact.stages:
            first = fact.stages[0].stage.value
            emit.count(fact.raised_on, "escalations.raised", f"stage:{first}")
            reached = max(fact.stages, key=lambda s: STAGE_ORDER.index(s.stage)).stage
            emit.count(fact.raised_on, "escalations.by_stage_reached", reached.value)
        for stage in fact.stages:
            emit.open_between(
                stage.opened_on,
                stage.ended_on,
                "escalations.open_at_end",
                f"stage:{stage.stage.value}",
            )
        # Once per escalation per quarter, however many of its stages breached in it.
        breached = {quarter_of(s.due): s.due for s in fact.stages if s.breached}
        for due in breached.values():
            emit.count(due, "escalations.breached_timescale")
        if fact.resolved_on is not None and fact.resolved_stage is not None:
            emit.count(
                fact.resolved_on,
                "escalations.resolved",
                f"stage:{fact.resolved_stage.value}",
            )
            if fact.resolved_stage in EARLY:
                emit.count(fact.resolved_on, "escalations.resolved_early")
            days = working_days_between(fact.raised_on, fact.resolved_on)
            emit.count(fact.resolved_on, "escalations.resolve_days", str(days))
