"""Feedback measures: items by source and compliments, conference answers (sum and count per
question, for the mean), child in care reviews and their participation codes, complaints
received, by the highest stage reached and upheld."""

from __future__ import annotations

from datetime import date

from qaf_shared.enums import ComplaintOutcome, ComplaintStage, FeedbackSource, PnCode
from qaf_shared.events import feedback as ev
from qaf_shared.events.envelope import CloudEvent
from qaf_shared.events.payloads import OrgUnitRef, Payload
from reporting_service.projections.engine import (
    Contributing,
    Emissions,
    Emitter,
    Fact,
    event_uuid,
)

UPHELD = (ComplaintOutcome.UPHELD, ComplaintOutcome.PARTLY_UPHELD)


class FeedbackFact(Fact):
    unit: OrgUnitRef
    source: FeedbackSource
    received_on: date
    answers: dict[str, int] = {}


class Feedback(Contributing[FeedbackFact]):
    kind = "feedback"
    spans_partitions = False
    fact = FeedbackFact
    handles: frozenset[type[Payload]] = frozenset({ev.FeedbackReceived})

    def key(self, event: CloudEvent) -> str:
        return event_uuid(event, "feedback_id")

    def fold(self, fact: FeedbackFact | None, event: CloudEvent) -> FeedbackFact:
        data = ev.FeedbackReceived.model_validate(event.data)
        return FeedbackFact(
            unit=data.org_unit,
            source=data.source,
            received_on=data.received_on,
            answers=data.answers,
        )

    def emit(self, tenant: str, fact: FeedbackFact, into: Emissions, sign: int) -> None:
        emit = Emitter(tenant, fact.unit, into, sign)
        emit.count(fact.received_on, "feedback.by_source", fact.source.value)
        if fact.source == FeedbackSource.COMPLIMENT:
            emit.count(fact.received_on, "feedback.compliments")
        if fact.source == FeedbackSource.CP_CONFERENCE:
            for question, answer in fact.answers.items():
                emit.count(fact.received_on, "feedback.answer_sum", question, value=answer)
                emit.count(fact.received_on, "feedback.answer_count", question)


class ParticipationFact(Fact):
    unit: OrgUnitRef
    review_held: date
    pn_code: PnCode


class Participation(Contributing[ParticipationFact]):
    kind = "participation"
    spans_partitions = False
    fact = ParticipationFact
    handles: frozenset[type[Payload]] = frozenset({ev.ParticipationRecorded})

    def key(self, event: CloudEvent) -> str:
        return event_uuid(event, "participation_id")

    def fold(self, fact: ParticipationFact | None, event: CloudEvent) -> ParticipationFact:
        data = ev.ParticipationRecorded.model_validate(event.data)
        return ParticipationFact(
            unit=data.org_unit, review_held=data.review_held, pn_code=data.pn_code
        )

    def emit(self, tenant: str, fact: ParticipationFact, into: Emissions, sign: int) -> None:
        emit = Emitter(tenant, fact.unit, into, sign)
        emit.count(fact.review_held, "feedback.cic_reviews")
        emit.count(fact.review_held, "feedback.pn_codes", fact.pn_code.value)


class ComplaintFact(Fact):
    unit: OrgUnitRef
    received_on: date
    highest_stage: ComplaintStage
    outcomes: dict[ComplaintStage, ComplaintOutcome] = {}

    @property
    def upheld(self) -> bool:
        """The outcome at the highest stage decided so far upholds it, wholly or in part."""
        decided = [s for s in ComplaintStage if s in self.outcomes]
        return bool(decided) and self.outcomes[decided[-1]] in UPHELD


class Complaints(Contributing[ComplaintFact]):
    kind = "complaint"
    spans_partitions = False
    fact = ComplaintFact
    handles: frozenset[type[Payload]] = frozenset(
        {ev.ComplaintOpened, ev.ComplaintStageChanged, ev.ComplaintClosed}
    )

    def key(self, event: CloudEvent) -> str:
        return event_uuid(event, "complaint_id")

    def fold(self, fact: ComplaintFact | None, event: CloudEvent) -> ComplaintFact:
        data = ev.ComplaintEvent.model_validate(event.data)
        return ComplaintFact(
            unit=data.org_unit,
            received_on=data.received_on,
            highest_stage=data.highest_stage,
            outcomes=data.outcomes,
        )

    def emit(self, tenant: str, fact: ComplaintFact, into: Emissions, sign: int) -> None:
        emit = Emitter(tenant, fact.unit, into, sign)
        emit.count(fact.received_on, "feedback.complaints_received")
        emit.count(fact.received_on, "feedback.complaints_by_stage", fact.highest_stage.value)
        if fact.upheld:
            emit.count(fact.received_on, "feedback.complaints_upheld")
