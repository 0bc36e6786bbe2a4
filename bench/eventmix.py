"""A realistic stream of domain events for the consumer and rebuild benchmarks, built with the
payload models of `qaf_shared.events` and put on the topics fast.

Each aggregate gets a plausible lifecycle (an audit is scheduled, submitted, often peer
reviewed, sometimes moderated, closed, with actions raised and completed; an escalation is
raised, answered, sometimes escalated, mostly resolved; feedback, participation records and
complaints). Aggregates start in time order and each one's events follow it over the next
weeks, so the topics look like a live system's: one aggregate's events are spread through
the stream, in order on its partition (key = aggregate id), as the relays publish them.

Case activity follows referred children (activitymix.py), at three events for every
quality-assurance event once the children's histories have run their course (in the
consumer benchmark's 200,000 events, about three months of ten authorities, 60% are
activity, over half of it visits; 13% audit, 14% escalation, 14% feedback)."""

from __future__ import annotations

import asyncio
import random
import uuid
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer

from bench.activitymix import EVENTS_PER_CHILD, Child
from qaf_shared.enums import (
    ActionStatus,
    AuditTheme,
    ComplainantRole,
    ComplaintOutcome,
    ComplaintStage,
    ComplaintStatus,
    ConferenceType,
    EscalateReason,
    EscalationCategory,
    EscalationPlanType,
    EscalationStage,
    EscalationStatus,
    FeedbackSource,
    Grade,
    PeerReviewOutcome,
    PlanType,
    PnCode,
    RaisedByRole,
    ResolutionOutcome,
    Respondent,
)
from qaf_shared.events import activity as act
from qaf_shared.events import audit as a
from qaf_shared.events import escalation as e
from qaf_shared.events import feedback as f
from qaf_shared.events.catalogue import spec_for
from qaf_shared.events.envelope import kafka_headers, kafka_value
from qaf_shared.events.payloads import OrgUnitRef, Payload
from qaf_shared.kafka import client_options
from qaf_shared.org_units import OrgUnitDirectory
from qaf_shared.settings import ServiceSettings

# A large authority's year: ~1,500 audits (with their actions), ~1,500 escalations, ~6,000
# feedback items and reviews, a few hundred complaints.
PER_TENANT_YEAR = 20_000
# And its case activity, three times as many events (about 5,000 children referred a year,
# each with their records and visits; Kent's census counts about 17,000 referrals a year).
ACTIVITY_PER_QA_EVENT = 3

# (logical topic, key, value, headers)
Record = tuple[str, bytes, bytes, list[tuple[str, bytes]]]

SOURCES = {
    "audit": "/audit-service",
    "escalation": "/escalation-service",
    "feedback": "/feedback-service",
    "activity": "/activity-service",
}
QUESTIONS = {
    FeedbackSource.CP_CONFERENCE: [
        "report_shared_in_time",
        "felt_listened_to",
        "understood_concerns",
        "understood_plan",
        "able_to_bring_supporter",
    ],
    FeedbackSource.ADVOCACY: [
        "felt_listened_to",
        "views_represented",
        "understood_rights",
        "would_use_again",
    ],
}


def tenants(count: int) -> list[str]:
    """Kent and Medway, then made-up authority codes (which reuse Kent's unit codes)."""
    made_up = [str(n) for n in range(300, 300 + max(count - 2, 0))]
    return ["886", "887", *made_up][:count]


class _Units:
    """Team and service refs per tenant: 886 and 887 their own, any other Kent's."""

    def __init__(self) -> None:
        directory = OrgUnitDirectory()
        self._refs: dict[str, list[OrgUnitRef]] = {}
        for code in ("886", "887"):
            units = directory.tenant(code)
            assert units is not None
            refs = [
                OrgUnitRef(area=area, district=district, team=team)
                for area, districts in units.areas.items()
                for district, teams in districts.items()
                for team in teams
            ]
            # Most work sits in teams; county-wide services have a share.
            refs += [OrgUnitRef(service=s) for s in units.services]
            self._refs[code] = refs

    def pick(self, rng: random.Random, tenant: str) -> OrgUnitRef:
        return rng.choice(self._refs.get(tenant, self._refs["886"]))


class _Lifecycles:
    """Builds each aggregate's events as (day, order, record)."""

    def __init__(self, rng: random.Random, units: _Units) -> None:
        self.rng = rng
        self.units = units

    def _record(
        self, domain: str, type_: str, tenant: str, subject: uuid.UUID, day: date, data: Payload
    ) -> Record:
        full = f"uk.gov.qa.{type_}.v1"
        spec = spec_for(full)
        if not isinstance(data, spec.payload):
            raise TypeError(f"{full} carries {spec.payload.__name__}")
        event_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        source = SOURCES[domain]
        envelope: dict[str, Any] = {
            "specversion": "1.0",
            "id": event_id,
            "source": source,
            "type": full,
            "time": datetime.combine(day, time(9 + self.rng.randrange(9)), UTC).isoformat(),
            "subject": str(subject),
            "tenant": tenant,
            "datacontenttype": "application/json",
            "dataschema": spec.dataschema,
            "data": data.model_dump(mode="json", exclude_none=True),
        }
        return (spec.topic, str(subject).encode(), kafka_value(envelope), kafka_headers(envelope))

    def _id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def audit(self, tenant: str, start: date) -> list[tuple[date, Record]]:
        rng = self.rng
        audit_id = self._id()
        common: dict[str, Any] = {
            "audit_id": audit_id,
            "org_unit": self.units.pick(rng, tenant),
            "plan_type": rng.choice(list(PlanType)),
        }
        out: list[tuple[date, Record]] = []

        def emit(day: date, type_: str, data: Payload) -> None:
            out.append((day, self._record("audit", type_, tenant, audit_id, day, data)))

        emit(start, "audit.scheduled", a.AuditScheduled(**common, due_date=start + timedelta(21)))
        submitted = start + timedelta(rng.randrange(5, 30))
        grade = rng.choices(list(Grade), weights=(10, 45, 35, 10))[0]
        emit(
            submitted,
            "audit.submitted",
            a.AuditSubmitted(
                **common,
                submitted_on=submitted,
                overall_grade=grade,
                final_grade=grade,
                section_grades={s: rng.choice(list(Grade)) for s in ("plan", "voice", "risk")},
                themes=rng.sample(list(AuditTheme), rng.randrange(0, 4)),
                child_voice_evident=rng.random() < 0.8,
            ),
        )
        final = grade
        if rng.random() < 0.75:
            reviewed = submitted + timedelta(rng.randrange(1, 10))
            regraded = rng.random() < 0.2
            final = rng.choice(list(Grade)) if regraded else grade
            emit(
                reviewed,
                "audit.peer_reviewed",
                a.AuditPeerReviewed(
                    **common,
                    outcome=PeerReviewOutcome.REGRADED if regraded else PeerReviewOutcome.AGREED,
                    reviewed_on=reviewed,
                    auditor_grade=grade,
                    reviewer_grade=final if regraded else None,
                    final_grade=final,
                ),
            )
        decided = submitted + timedelta(rng.randrange(10, 20))
        selected = rng.random() < 0.15
        emit(
            decided,
            "audit.moderation_selected",
            a.AuditModerationSelected(**common, selected=selected, decided_on=decided, rate=0.15),
        )
        closed = decided
        if selected:
            moderated_on = decided + timedelta(rng.randrange(5, 40))
            moderated = final if rng.random() < 0.7 else rng.choice(list(Grade))
            emit(
                moderated_on,
                "audit.moderated",
                a.AuditModerated(
                    **common,
                    moderated_on=moderated_on,
                    grade_before=final,
                    moderated_grade=moderated,
                    final_grade=moderated,
                ),
            )
            closed, final = moderated_on, moderated
        emit(closed, "audit.closed", a.AuditClosed(**common, closed_on=closed, final_grade=final))
        if rng.random() < 0.03:
            emit(
                submitted,
                "audit.safeguarding_concern_raised",
                a.SafeguardingConcernRaised(**common, concern_id=self._id(), raised_on=submitted),
            )
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
            action: dict[str, Any] = {
                **common,
                "action_id": self._id(),
                "raised_on": submitted,
                "due_date": submitted + timedelta(rng.randrange(14, 90)),
            }
            emit(submitted, "audit.action_raised", a.ActionRaised(**action, status="OPEN"))
            if rng.random() < 0.8:
                done = submitted + timedelta(rng.randrange(7, 120))
                emit(
                    done,
                    "audit.action_status_changed",
                    a.ActionStatusChanged(
                        **action,
                        status=ActionStatus.COMPLETED,
                        previous_status=ActionStatus.OPEN,
                        changed_on=done,
                        completed_on=done,
                    ),
                )
        return out

    def escalation(self, tenant: str, start: date) -> list[tuple[date, Record]]:
        rng = self.rng
        esc_id = self._id()
        snap: dict[str, Any] = {
            "escalation_id": esc_id,
            "org_unit": self.units.pick(rng, tenant),
            "plan_type": rng.choice(list(EscalationPlanType)),
            "raised_by_role": rng.choice(list(RaisedByRole)),
            "categories": rng.sample(list(EscalationCategory), rng.randrange(1, 4)),
            "raised_on": start,
            "stage": EscalationStage.INFORMAL,
            "status": EscalationStatus.AWAITING_RESPONSE,
            "stage_opened_on": start,
            "stage_due_date": start + timedelta(5),
        }
        out: list[tuple[date, Record]] = []

        def emit(day: date, type_: str, data: Payload) -> None:
            out.append((day, self._record("escalation", type_, tenant, esc_id, day, data)))

        emit(start, "escalation.raised", e.EscalationRaised(**snap))
        day = start
        for stage in list(EscalationStage)[1:]:
            if rng.random() < 0.15:
                day = snap["stage_due_date"] + timedelta(1)
                emit(
                    day,
                    "escalation.stage_overdue",
                    e.EscalationStageOverdue(**snap, detected_on=day),
                )
            elif rng.random() < 0.9:
                day = snap["stage_opened_on"] + timedelta(rng.randrange(1, 8))
                snap["status"] = EscalationStatus.RESPONSE_RECEIVED
                emit(
                    day,
                    "escalation.response_recorded",
                    e.EscalationResponseRecorded(
                        **snap, responded_on=day, late=day > snap["stage_due_date"]
                    ),
                )
            if rng.random() > 0.25:
                break
            day += timedelta(rng.randrange(1, 5))
            previous = snap["stage"]
            snap |= {
                "stage": stage,
                "status": EscalationStatus.AWAITING_RESPONSE,
                "stage_opened_on": day,
                "stage_due_date": day + timedelta(7),
            }
            emit(
                day,
                "escalation.escalated",
                e.EscalationEscalated(
                    **snap,
                    from_stage=previous,
                    reason=rng.choice(list(EscalateReason)),
                    escalated_on=day,
                ),
            )
        end = day + timedelta(rng.randrange(0, 60))
        roll = rng.random()
        if roll < 0.75:
            snap["status"] = EscalationStatus.RESOLVED
            emit(
                end,
                "escalation.resolved",
                e.EscalationResolved(
                    **snap, outcome=rng.choice(list(ResolutionOutcome)), resolved_on=end
                ),
            )
        elif roll < 0.85:
            snap["status"] = EscalationStatus.WITHDRAWN
            emit(end, "escalation.withdrawn", e.EscalationWithdrawn(**snap, withdrawn_on=end))
        return out

    def feedback(self, tenant: str, start: date) -> list[tuple[date, Record]]:
        rng = self.rng
        fid = self._id()
        source = rng.choices(list(FeedbackSource), weights=(30, 10, 15, 5, 5, 15, 10, 10))[0]
        answers = {q: rng.randrange(1, 6) for q in QUESTIONS.get(source, []) if rng.random() < 0.9}
        data = f.FeedbackReceived(
            feedback_id=fid,
            org_unit=self.units.pick(rng, tenant),
            source=source,
            received_on=start,
            respondent=rng.choice(list(Respondent)),
            conference_type=(
                rng.choice(list(ConferenceType)) if source == FeedbackSource.CP_CONFERENCE else None
            ),
            answers=answers,
        )
        return [(start, self._record("feedback", "feedback.received", tenant, fid, start, data))]

    def participation(self, tenant: str, start: date) -> list[tuple[date, Record]]:
        rng = self.rng
        pid = self._id()
        data = f.ParticipationRecorded(
            participation_id=pid,
            org_unit=self.units.pick(rng, tenant),
            pn_code=rng.choice(list(PnCode)),
            review_due=start,
            review_held=start + timedelta(rng.randrange(0, 5)),
            in_timescale=rng.random() < 0.9,
        )
        return [
            (
                start,
                self._record(
                    "feedback", "feedback.participation_recorded", tenant, pid, start, data
                ),
            )
        ]

    def complaint(self, tenant: str, start: date) -> list[tuple[date, Record]]:
        rng = self.rng
        cid = self._id()
        snap: dict[str, Any] = {
            "complaint_id": cid,
            "org_unit": self.units.pick(rng, tenant),
            "received_on": start,
            "complainant_role": rng.choice(list(ComplainantRole)),
            "status": ComplaintStatus.STAGE1,
            "highest_stage": ComplaintStage.STAGE1,
            "stage_due_date": start + timedelta(14),
        }
        out: list[tuple[date, Record]] = []

        def emit(day: date, type_: str, data: Payload) -> None:
            out.append((day, self._record("feedback", type_, tenant, cid, day, data)))

        emit(start, "feedback.complaint_opened", f.ComplaintOpened(**snap))
        decided = start + timedelta(rng.randrange(5, 20))
        outcome = rng.choice(list(ComplaintOutcome))
        snap["outcomes"] = {ComplaintStage.STAGE1: outcome}
        emit(
            decided,
            "feedback.complaint_stage_changed",
            f.ComplaintStageChanged(
                **snap, stage=ComplaintStage.STAGE1, outcome=outcome, decided_on=decided
            ),
        )
        snap["status"] = ComplaintStatus.CLOSED
        emit(decided, "feedback.complaint_closed", f.ComplaintClosed(**snap, closed_on=decided))
        return out

    def child(self, tenant: str, start: date) -> list[tuple[date, Record]]:
        child = Child(self.rng, self.units.pick(self.rng, tenant), self._id)
        return [
            (day, self._record("activity", _short(p), tenant, p.record_id, day, p))
            for day, p in child.history(start)
            if isinstance(p, act.ActivityRecord)
        ]


def _short(payload: Payload) -> str:
    """`activity.visit.recorded` of `uk.gov.qa.activity.visit.recorded.v1`."""
    return payload.event_type.removeprefix("uk.gov.qa.").removesuffix(".v1")


def stream(
    count: int,
    *,
    seed: int = 7,
    tenant_count: int = 10,
    first_day: date = date(2023, 4, 1),
    per_tenant_year: int = PER_TENANT_YEAR,
    activity_per_qa_event: int = ACTIVITY_PER_QA_EVENT,
    tenant_codes: list[str] | None = None,
) -> Iterator[Record]:
    """`count` records: aggregates start in time order from `first_day`, as many a day as
    `tenant_count` authorities of `per_tenant_year` quality-assurance events a year (and
    `activity_per_qa_event` times as many of case activity) make, each one's events in
    order, interleaved with the others' by day as a live system emits them."""
    rng = random.Random(seed)
    life = _Lifecycles(rng, _Units())
    codes = tenant_codes or tenants(tenant_count)
    tenant_count = len(codes)
    makers = (
        [life.audit] * 2
        + [life.escalation] * 4
        + [life.feedback] * 6
        + [life.participation] * 4
        + [life.complaint]
    )
    # About 2.4 events per aggregate on average (see the makers' weights).
    per_day = max(per_tenant_year * tenant_count / 365 / 2.4, 1.0)
    children_per_day = per_tenant_year * activity_per_qa_event * tenant_count / 365
    children_per_day /= EVENTS_PER_CHILD
    pending: list[tuple[date, int, Record]] = []
    emitted = 0
    order = 0
    day_index = 0
    while emitted < count:
        today = first_day + timedelta(day_index)
        starts = int(per_day) + (1 if rng.random() < per_day % 1 else 0)
        for _ in range(starts):
            maker = rng.choice(makers)
            for day, record in maker(rng.choice(codes), today):
                pending.append((day, order, record))
                order += 1
        children = int(children_per_day) + (1 if rng.random() < children_per_day % 1 else 0)
        for _ in range(children):
            for day, record in life.child(rng.choice(codes), today):
                pending.append((day, order, record))
                order += 1
        # Everything dated up to today is due; the rest waits for its day.
        pending.sort(key=lambda item: (item[0], item[1]))
        due = 0
        while due < len(pending) and pending[due][0] <= today:
            due += 1
        for _, _, record in pending[:due]:
            if emitted == count:
                return
            yield record
            emitted += 1
        del pending[:due]
        day_index += 1


async def produce(settings: ServiceSettings, prefix: str, records: Iterator[Record]) -> int:
    """Put the records on `prefix` + topic; returns how many. Batches are built directly
    (`create_batch`) and partitioned by a C hash of the key (one aggregate, one partition, as
    the relays do; aiokafka's murmur2 is pure Python and cost more than the rest together); acks from the leader only, since the benchmark needs the
    records there, not their durability."""
    producer = AIOKafkaProducer(
        **client_options(settings),
        acks=1,
        linger_ms=50,
        max_batch_size=1024 * 1024,
        max_request_size=8 * 1024 * 1024,
    )
    await producer.start()
    sent = 0
    try:
        counts: dict[str, int] = {}
        open_batches: dict[tuple[str, int], Any] = {}
        in_flight: list[asyncio.Future[Any]] = []

        async def ship(topic: str, partition: int) -> None:
            batch = open_batches.pop((topic, partition))
            in_flight.append(await producer.send_batch(batch, topic, partition=partition))

        for topic, key, value, headers in records:
            real = prefix + topic
            if real not in counts:
                counts[real] = len(await producer.partitions_for(real))
            partition = zlib.crc32(key) % counts[real]
            batch = open_batches.get((real, partition))
            if batch is None:
                batch = open_batches[(real, partition)] = producer.create_batch()
            if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:
                await ship(real, partition)
                batch = open_batches[(real, partition)] = producer.create_batch()
                batch.append(key=key, value=value, timestamp=None, headers=headers)
            sent += 1
            if len(in_flight) > 64:
                await asyncio.gather(*in_flight)
                in_flight.clear()
        for topic, partition in list(open_batches):
            await ship(topic, partition)
        await asyncio.gather(*in_flight)
    finally:
        await producer.stop()
    return sent
