"""A seeded workload of domain records across quarters, the events they produce, and the
Deep Dive figures computed from the records directly (not through the projections)."""

from __future__ import annotations

import random
import statistics
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from qaf_shared.enums import (
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
)
from qaf_shared.events import audit as a
from qaf_shared.events import escalation as e
from qaf_shared.events import feedback as f
from qaf_shared.events.envelope import CloudEvent
from qaf_shared.events.payloads import OrgUnitRef, Payload
from qaf_shared.org_units import OrgUnitDirectory
from qaf_shared.quarters import quarter_bounds
from qaf_shared.testing.kafka import publish
from qaf_shared.working_days import working_days_between

from ..feed import event

START = date(2025, 4, 1)
DAYS = 540  # six quarters


def _pct(n: int, d: int) -> Any:
    if d == 0:
        return "z"
    return float((Decimal(n * 100) / Decimal(d)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass
class Audit:
    id: uuid.UUID
    tenant: str
    unit: OrgUnitRef
    submitted_on: date
    grade: Grade
    regrade: Grade | None = None  # the peer reviewer's
    moderated_on: date | None = None
    moderated_grade: Grade | None = None

    @property
    def final(self) -> Grade:
        return self.moderated_grade or self.regrade or self.grade


@dataclass
class Escalation:
    id: uuid.UUID
    tenant: str
    unit: OrgUnitRef
    raised_on: date
    categories: list[EscalationCategory]
    escalated_on: date | None = None
    resolved_on: date | None = None

    @property
    def resolved_stage(self) -> EscalationStage:
        return EscalationStage.TEAM_MANAGER if self.escalated_on else EscalationStage.INFORMAL


@dataclass
class Workload:
    audits: list[Audit] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)
    feedback: list[tuple[str, OrgUnitRef, FeedbackSource, date, dict[str, int]]] = field(
        default_factory=list
    )
    reviews: list[tuple[str, OrgUnitRef, date, PnCode]] = field(default_factory=list)
    events: list[CloudEvent] = field(default_factory=list)

    # The figures, straight from the records.
    def expected(self, tenant: str, quarter: str, area: str | None = None) -> dict[str, Any]:
        start, end = quarter_bounds(quarter)

        def mine(tenant_: str, unit: OrgUnitRef) -> bool:
            return tenant_ == tenant and (area is None or unit.area == area)

        done = [x for x in self.audits if mine(x.tenant, x.unit) and start <= x.submitted_on <= end]
        grades = {g.value: sum(1 for x in done if x.final == g) for g in Grade}
        moderated = [
            x
            for x in self.audits
            if mine(x.tenant, x.unit) and x.moderated_on and start <= x.moderated_on <= end
        ]
        agreed = sum(1 for x in moderated if x.moderated_grade == (x.regrade or x.grade))
        esc = [x for x in self.escalations if mine(x.tenant, x.unit)]
        raised = [x for x in esc if start <= x.raised_on <= end]
        resolved = [x for x in esc if x.resolved_on and start <= x.resolved_on <= end]
        open_at_end = [
            x for x in esc if x.raised_on <= end and not (x.resolved_on and x.resolved_on <= end)
        ]
        days = [working_days_between(x.raised_on, x.resolved_on) for x in resolved if x.resolved_on]
        med: Any = "z" if not days else statistics.median(days)
        if isinstance(med, float):
            med = (
                int(med)
                if med == int(med)
                else float(Decimal(str(med)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
            )
        fb = [x for x in self.feedback if mine(x[0], x[1]) and start <= x[3] <= end]
        conf = [x for x in fb if x[2] == FeedbackSource.CP_CONFERENCE]
        questions = sorted({q for x in conf for q in x[4]})
        means = {}
        for q in questions:
            answers = [x[4][q] for x in conf if q in x[4]]
            means[q] = float(
                (Decimal(sum(answers)) / Decimal(len(answers))).quantize(
                    Decimal("0.1"), rounding=ROUND_HALF_UP
                )
            )
        rv = [x for x in self.reviews if mine(x[0], x[1]) and start <= x[2] <= end]
        eligible = [x for x in rv if x[3] != PnCode.PN0]
        took_part = [x for x in eligible if x[3] != PnCode.PN7]
        return {
            "audits.completed": len(done),
            "audits.grades": grades,
            "audits.good_or_better_pct": _pct(grades["OUTSTANDING"] + grades["GOOD"], len(done)),
            "audits.moderated": len(moderated),
            "audits.moderation_agreement_pct": _pct(agreed, len(moderated)),
            "escalations.raised": len(raised),
            "escalations.resolved": len(resolved),
            "escalations.open_at_end": len(open_at_end),
            "escalations.by_category": {
                c.value: sum(1 for x in raised if c in x.categories) for c in EscalationCategory
            },
            "escalations.median_working_days_to_resolve": med,
            "escalations.resolved_early_pct": _pct(
                len(resolved), len(resolved)
            ),  # all resolve early here
            "feedback.by_source": {
                s.value: sum(1 for x in fb if x[2] == s) for s in FeedbackSource
            },
            "feedback.conference_question_means": means,
            "feedback.cic_reviews": len(rv),
            "feedback.cic_participation_pct": _pct(len(took_part), len(eligible)),
        }


def build(seed: int, size: int = 60) -> Workload:
    rng = random.Random(seed)
    directory = OrgUnitDirectory()
    load = Workload()

    def day() -> date:
        return START + timedelta(days=rng.randrange(DAYS))

    def unit(tenant: str) -> OrgUnitRef:
        units = directory.tenant(tenant)
        assert units is not None
        area = rng.choice(list(units.areas))
        district = rng.choice(list(units.areas[area]))
        return OrgUnitRef(
            area=area, district=district, team=rng.choice(units.areas[area][district])
        )

    def emit(tenant: str, subject: uuid.UUID, data: Payload) -> None:
        load.events.append(event(data, subject, tenant))

    for _ in range(size):
        tenant = rng.choice(["886", "886", "887"])
        # An audit, sometimes regraded at peer review and moderated a little later.
        x = Audit(uuid.uuid4(), tenant, unit(tenant), day(), rng.choice(list(Grade)))
        common = {"audit_id": x.id, "org_unit": x.unit, "plan_type": PlanType.CIN}
        emit(
            tenant,
            x.id,
            a.AuditSubmitted(
                **common,
                submitted_on=x.submitted_on,
                overall_grade=x.grade,
                final_grade=x.grade,
                child_voice_evident=True,
            ),
        )
        if rng.random() < 0.3:
            x.regrade = rng.choice(list(Grade))
            emit(
                tenant,
                x.id,
                a.AuditPeerReviewed(
                    **common,
                    outcome=PeerReviewOutcome.REGRADED,
                    reviewed_on=x.submitted_on + timedelta(days=3),
                    auditor_grade=x.grade,
                    reviewer_grade=x.regrade,
                    final_grade=x.regrade,
                ),
            )
        if rng.random() < 0.3:
            x.moderated_on = x.submitted_on + timedelta(days=rng.randrange(5, 80))
            x.moderated_grade = rng.choice(list(Grade))
            emit(
                tenant,
                x.id,
                a.AuditModerated(
                    **common,
                    moderated_on=x.moderated_on,
                    grade_before=x.regrade or x.grade,
                    moderated_grade=x.moderated_grade,
                    final_grade=x.moderated_grade,
                ),
            )
        load.audits.append(x)

        # An escalation, sometimes escalated once, often resolved months later.
        y = Escalation(
            uuid.uuid4(),
            tenant,
            unit(tenant),
            day(),
            rng.sample(list(EscalationCategory), rng.randrange(1, 4)),
        )
        snap: dict[str, Any] = {
            "escalation_id": y.id,
            "org_unit": y.unit,
            "plan_type": EscalationPlanType.CP,
            "raised_by_role": RaisedByRole.CP_CHAIR,
            "categories": y.categories,
            "raised_on": y.raised_on,
            "stage": EscalationStage.INFORMAL,
            "status": EscalationStatus.AWAITING_RESPONSE,
            "stage_opened_on": y.raised_on,
            "stage_due_date": y.raised_on + timedelta(days=7),
        }
        emit(tenant, y.id, e.EscalationRaised(**snap))
        if rng.random() < 0.4:
            y.escalated_on = y.raised_on + timedelta(days=rng.randrange(1, 20))
            snap |= {
                "stage": EscalationStage.TEAM_MANAGER,
                "stage_opened_on": y.escalated_on,
                "stage_due_date": y.escalated_on + timedelta(days=7),
            }
            emit(
                tenant,
                y.id,
                e.EscalationEscalated(
                    **snap,
                    from_stage=EscalationStage.INFORMAL,
                    reason="NOT_SATISFIED",
                    escalated_on=y.escalated_on,
                ),
            )
        if rng.random() < 0.7:
            y.resolved_on = (y.escalated_on or y.raised_on) + timedelta(days=rng.randrange(0, 120))
            snap |= {"status": EscalationStatus.RESOLVED}
            emit(
                tenant,
                y.id,
                e.EscalationResolved(
                    **snap, outcome=ResolutionOutcome.PLAN_CHANGED, resolved_on=y.resolved_on
                ),
            )
        load.escalations.append(y)

        # Feedback and a review.
        source = rng.choice(list(FeedbackSource))
        answers = (
            {
                q: rng.randrange(1, 6)
                for q in ("felt_listened_to", "understood_plan")
                if rng.random() < 0.8
            }
            if source == FeedbackSource.CP_CONFERENCE
            else {}
        )
        fu = unit(tenant)
        on = day()
        ident = uuid.uuid4()
        emit(
            tenant,
            ident,
            f.FeedbackReceived(
                feedback_id=ident, org_unit=fu, source=source, received_on=on, answers=answers
            ),
        )
        load.feedback.append((tenant, fu, source, on, answers))
        ru, held, pn = unit(tenant), day(), rng.choice(list(PnCode))
        ident = uuid.uuid4()
        emit(
            tenant,
            ident,
            f.ParticipationRecorded(
                participation_id=ident,
                org_unit=ru,
                pn_code=pn,
                review_due=held,
                review_held=held,
                in_timescale=True,
            ),
        )
        load.reviews.append((tenant, ru, held, pn))
    return load


async def produce(topic_prefix: str, load: Workload, seed: int) -> int:
    """Every event, aggregates interleaved at random (each aggregate's own order kept, as its
    partition keeps it), and a tenth of them delivered twice."""
    rng = random.Random(seed)
    queues: dict[str, list[Any]] = {}
    for each in load.events:
        queues.setdefault(each.subject, []).append(each)
    order = []
    while queues:
        subject = rng.choice(list(queues))
        order.append(queues[subject].pop(0))
        if not queues[subject]:
            del queues[subject]
    order += rng.sample(order, len(order) // 10)
    await publish(topic_prefix, order)
    return len(order)
