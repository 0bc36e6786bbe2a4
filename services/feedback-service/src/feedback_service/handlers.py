"""feedback-service's use cases: each runs inside one transaction, changes the rows and writes
the events it raises to the outbox (after the rows, so that per-aggregate order holds). A new
feedback item reads nothing first, so it is one statement instead (`new_feedback`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
from pydantic import BaseModel, ValidationError

from feedback_service import repository
from feedback_service.api.schemas import (
    ComplaintCreate,
    ComplaintOut,
    FeedbackCreate,
    FeedbackOut,
    ParticipationCreate,
    ParticipationOut,
    ProviderItem,
    ProviderReportIn,
    ProviderReportOut,
    ProviderSubmissionDetail,
    ProviderSubmissionOut,
)
from feedback_service.domain import participation as rules
from feedback_service.domain.complaints import Complaint, InvalidDate, StepNotAllowed
from feedback_service.domain.feedback import (
    EARLIEST_DATE,
    PROVIDER_SOURCES,
    FieldError,
    QuestionSet,
    check_item,
)
from feedback_service.domain.provider import check_report_quarter, plan_batch
from qaf_shared.enums import ComplaintStage, FeedbackSource, PnCode
from qaf_shared.events.envelope import CloudEvent, new_event
from qaf_shared.events.feedback import (
    ComplaintClosed,
    ComplaintOpened,
    ComplaintStageChanged,
    FeedbackReceived,
    ParticipationRecorded,
    ProviderReportReceived,
)
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.http.auth import Principal
from qaf_shared.http.idempotency import Creation
from qaf_shared.http.problems import Problem
from qaf_shared.http.resources import check_if_match, not_found, resource_response
from qaf_shared.org_units import TenantUnits
from qaf_shared.outbox import add_events
from qaf_shared.text import storable

SOURCE = "/services/feedback-service"


def _event(type: str, tenant: str, subject: uuid.UUID, data: BaseModel) -> CloudEvent:
    return new_event(type=type, source=SOURCE, tenant=tenant, subject=str(subject), data=data)


def _unit(row: asyncpg.Record) -> OrgUnitRef:
    return OrgUnitRef(
        area=row["area"], district=row["district"], team=row["team"], service=row["service"]
    )


def invalid(errors: Sequence[FieldError], prefix: str = "body") -> Problem:
    """A 422 naming every bad field (rules pydantic cannot see)."""
    listed = [
        {"field": f"{prefix}.{e.field}", "message": e.message, "type": "value_error"}
        for e in errors
    ]
    detail = "; ".join(f"{item['field']}: {item['message']}" for item in listed)
    return Problem(422, detail, slug="validation", errors=listed)


def check_step_date(field: str, value: date, today: date) -> None:
    """A lifecycle step's date: it has happened, and not before the records began."""
    if value > today:
        raise invalid([FieldError(field, "cannot be in the future")])
    if value < EARLIEST_DATE:
        raise invalid([FieldError(field, f"cannot be before {EARLIEST_DATE.isoformat()}")])


# Feedback items


def feedback_out(row: asyncpg.Record | dict[str, Any]) -> dict[str, Any]:
    return FeedbackOut.model_validate(dict(row)).model_dump(mode="json")


def _feedback_event(
    tenant: str, row: asyncpg.Record | dict[str, Any], unit: OrgUnitRef
) -> CloudEvent:
    payload = FeedbackReceived(
        feedback_id=row["id"],
        org_unit=unit,
        source=row["source"],
        received_on=row["received_on"],
        respondent=row.get("respondent"),
        partner_type=row.get("partner_type"),
        conference_type=row.get("conference_type"),
        answers=dict(row.get("answers") or {}),
        provider=row.get("provider"),
    )
    return _event("uk.gov.qa.feedback.received.v1", tenant, row["id"], payload)


def new_feedback(
    *,
    principal: Principal,
    actor: str,
    body: FeedbackCreate,
    unit: OrgUnitRef,
    questions: QuestionSet,
    today: date,
) -> Creation:
    """A feedback item as one statement with its event and answer (nothing to read first)."""
    errors = check_item(
        source=body.source,
        respondent=body.respondent,
        partner_type=body.partner_type,
        conference_type=body.conference_type,
        answers=body.answers,
        received_on=body.received_on,
        today=today,
        questions=questions,
    )
    if errors:
        raise invalid(errors)
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "version": 1,
        "source": body.source.value,
        "respondent": body.respondent.value if body.respondent else None,
        "partner_type": body.partner_type.value if body.partner_type else None,
        "conference_type": body.conference_type.value if body.conference_type else None,
        "case_ref": body.case_ref,
        "area": unit.area,
        "district": unit.district,
        "team": unit.team,
        "service": unit.service,
        "received_on": body.received_on,
        "answers": dict(body.answers),
        "comment": body.comment,
        "provider": None,
        "external_id": None,
        "created_at": datetime.now(UTC),
    }
    args = (
        row["id"],
        principal.tenant,
        row["source"],
        row["respondent"],
        row["partner_type"],
        row["conference_type"],
        row["case_ref"],
        unit.area,
        unit.district,
        unit.team,
        unit.service,
        row["received_on"],
        row["answers"],
        row["comment"],
        principal.client,
        actor,
        row["created_at"],
    )
    return Creation(
        inserts=(repository.INSERT_FEEDBACK,),
        args=args,
        events=(_feedback_event(principal.tenant, row, unit),),
        response=resource_response(
            feedback_out(row), status=201, location=f"/v1/feedback/{row['id']}"
        ),
    )


# Review participation


def participation_out(row: asyncpg.Record) -> dict[str, Any]:
    data = dict(row)
    data["participated"] = rules.participated(PnCode(row["pn_code"]))
    return ParticipationOut.model_validate(data).model_dump(mode="json")


async def record_participation(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    body: ParticipationCreate,
    unit: OrgUnitRef,
    today: date,
) -> asyncpg.Record:
    errors = rules.check_review(body.review_due, body.review_held, today)
    if errors:
        raise invalid(errors)
    timely = rules.in_timescale(body.review_due, body.review_held)
    participation_id = uuid.uuid4()
    row = await repository.insert_participation(
        conn,
        principal=principal,
        actor=actor,
        participation_id=participation_id,
        case_ref=body.case_ref,
        unit=unit,
        review_due=body.review_due,
        review_held=body.review_held,
        pn_code=body.pn_code.value,
        in_timescale=timely,
    )
    if row is None:
        existing = await repository.find_participation(
            conn, principal.tenant, body.case_ref, body.review_held
        )
        raise Problem(
            409,
            f"The review of {body.review_held.isoformat()} for this case already has its "
            f"participation record ({existing}).",
            slug="participation-already-recorded",
        )
    payload = ParticipationRecorded(
        participation_id=participation_id,
        org_unit=unit,
        pn_code=body.pn_code,
        review_due=body.review_due,
        review_held=body.review_held,
        in_timescale=timely,
    )
    await add_events(
        conn,
        [
            _event(
                "uk.gov.qa.feedback.participation_recorded.v1",
                principal.tenant,
                participation_id,
                payload,
            )
        ],
    )
    return row


# Complaints


def complaint_of(row: asyncpg.Record) -> Complaint:
    return Complaint.from_stored(
        received_on=row["received_on"],
        stages=row["stages"],
        closed_on=row["closed_on"],
        ombudsman_referred=row["ombudsman_referred"],
    )


def complaint_out(row: asyncpg.Record, today: date) -> dict[str, Any]:
    complaint = complaint_of(row)
    data = dict(row)
    data["stage_due_date"] = complaint.current.due_date
    data["overdue"] = complaint.is_overdue(today)
    data["next_stage_request_by"] = complaint.next_stage_request_by()
    data["stages"] = [
        {
            **s.to_json(),
            "due_date": s.due_date,
            "decided_in_timescale": None if s.decided_on is None else s.decided_on <= s.due_date,
        }
        for s in complaint.stages
    ]
    return ComplaintOut.model_validate(data).model_dump(mode="json")


def _state(complaint: Complaint) -> repository.ComplaintState:
    return repository.ComplaintState(
        status=complaint.status.value,
        stage=complaint.stage.value,
        awaiting_due=complaint.awaiting_due,
        stages=complaint.stages_json(),
        closed_on=complaint.closed_on,
        ombudsman_referred=complaint.ombudsman_referred,
    )


def _snapshot(row: asyncpg.Record, complaint: Complaint) -> dict[str, Any]:
    """The reportable facts every complaint event carries (ComplaintEvent)."""
    return {
        "complaint_id": row["id"],
        "org_unit": _unit(row),
        "received_on": row["received_on"],
        "complainant_role": row["complainant_role"],
        "categories": list(row["categories"]),
        "status": complaint.status,
        "highest_stage": complaint.stage,
        "stage_due_date": complaint.current.due_date,
        "outcomes": complaint.outcomes,
    }


async def open_complaint(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    body: ComplaintCreate,
    unit: OrgUnitRef,
    today: date,
) -> asyncpg.Record:
    check_step_date("received_on", body.received_on, today)
    if len(set(body.categories)) != len(body.categories):
        raise invalid([FieldError("categories", "lists a category twice")])
    complaint = Complaint.open(body.received_on)
    complaint_id = uuid.uuid4()
    row = await repository.insert_complaint(
        conn,
        principal=principal,
        actor=actor,
        complaint_id=complaint_id,
        case_ref=body.case_ref,
        unit=unit,
        received_on=body.received_on,
        complainant_role=body.complainant_role.value,
        categories=list(body.categories),
        state=_state(complaint),
    )
    payload = ComplaintOpened(**_snapshot(row, complaint))
    await add_events(
        conn,
        [_event("uk.gov.qa.feedback.complaint_opened.v1", principal.tenant, complaint_id, payload)],
    )
    return row


ComplaintStep = Callable[[Complaint], Complaint]
EventFacts = Callable[[Complaint], dict[str, Any]]


async def change_complaint(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    complaint_id: uuid.UUID,
    if_match: str | None,
    step: ComplaintStep,
    facts: EventFacts | None,
) -> asyncpg.Record:
    """Lock the complaint, apply one lifecycle step, store it and write its event:
    `complaint_stage_changed` with `facts`, or `complaint_closed` when there are none."""
    current = await repository.get_complaint(conn, principal.tenant, complaint_id, for_update=True)
    if current is None:
        raise not_found("complaint")
    check_if_match(if_match, current["version"])
    try:
        changed = step(complaint_of(current))
    except StepNotAllowed as exc:
        raise Problem(409, str(exc), slug="transition-not-allowed") from None
    except InvalidDate as exc:
        raise invalid([FieldError(exc.field.removeprefix("body."), exc.message)]) from None
    row = await repository.update_complaint(
        conn, principal=principal, actor=actor, complaint_id=complaint_id, state=_state(changed)
    )
    snapshot = _snapshot(row, changed)
    event: CloudEvent
    if facts is None:
        assert changed.closed_on is not None
        closed_payload = ComplaintClosed(
            **snapshot,
            closed_on=changed.closed_on,
            ombudsman_referred=changed.ombudsman_referred,
        )
        event = _event(
            "uk.gov.qa.feedback.complaint_closed.v1", principal.tenant, complaint_id, closed_payload
        )
    else:
        changed_payload = ComplaintStageChanged(**snapshot, **facts(changed))
        event = _event(
            "uk.gov.qa.feedback.complaint_stage_changed.v1",
            principal.tenant,
            complaint_id,
            changed_payload,
        )
    await add_events(conn, [event])
    return row


def stage_facts(stage: ComplaintStage, **facts: Any) -> EventFacts:
    return lambda _complaint: {"stage": stage, **facts}


# The provider integration


@dataclass(frozen=True)
class ItemVerdict:
    external_id: str | None
    item: ProviderItem | None
    unit: OrgUnitRef | None
    errors: list[FieldError]

    @property
    def ok(self) -> bool:
        return not self.errors


def _pydantic_errors(exc: ValidationError) -> list[FieldError]:
    # Field paths can hold the caller's own keys (`answers.<anything>`): made storable,
    # since the answer is kept with the submission.
    return [
        FieldError(storable(".".join(str(p) for p in err["loc"]))[:200] or "item", err["msg"])
        for err in exc.errors()
    ]


def check_provider_item(
    raw: Any, units: TenantUnits, questions: QuestionSet, on: date
) -> ItemVerdict:
    """One item of a batch, checked on its own: its shape, its org unit, its answers."""
    external_id = None
    if isinstance(raw, dict) and isinstance(raw.get("external_id"), str):
        external_id = storable(raw["external_id"][:100])
    if not isinstance(raw, dict):
        return ItemVerdict(None, None, None, [FieldError("item", "must be a JSON object")])
    try:
        item = ProviderItem.model_validate(raw)
    except ValidationError as exc:
        return ItemVerdict(external_id, None, None, _pydantic_errors(exc))
    if item.team is not None:
        unit = units.team(item.team)
        unit_error = FieldError("team", f"unknown team {item.team!r} for tenant {units.tenant}")
    else:
        assert item.service is not None
        unit = units.service(item.service)
        unit_error = FieldError(
            "service", f"unknown service {item.service!r} for tenant {units.tenant}"
        )
    errors = [] if unit is not None else [unit_error]
    errors += check_item(
        source=FeedbackSource(item.source),
        respondent=None,
        partner_type=None,
        conference_type=None,
        answers=item.answers,
        received_on=item.received_on,
        today=on,
        questions=questions,
        allowed_sources=PROVIDER_SOURCES,
    )
    return ItemVerdict(item.external_id, item, unit, errors)


async def submit_provider_batch(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    provider: str,
    actor: str | None,
    items: list[Any],
    units: TenantUnits,
    questions: QuestionSet,
    today: date,
) -> dict[str, Any]:
    """Check every item, store the good new ones (one record per external id), answer per
    item, and keep the submission so that the provider can look it up."""
    verdicts = [check_provider_item(raw, units, questions, today) for raw in items]
    plan = plan_batch([v.external_id for v in verdicts], [v.ok for v in verdicts])
    submission_id = uuid.uuid4()
    rows = []
    for index in plan.insert:
        verdict = verdicts[index]
        assert verdict.item is not None and verdict.unit is not None
        rows.append(
            repository.ProviderRow(
                id=uuid.uuid4(),
                external_id=verdict.item.external_id,
                source=verdict.item.source.value,
                case_ref=verdict.item.case_ref,
                unit=verdict.unit,
                received_on=verdict.item.received_on,
                answers=dict(verdict.item.answers),
                comment=verdict.item.comment,
            )
        )
    inserted = await repository.insert_provider_feedback(
        conn,
        principal=principal,
        provider=provider,
        actor=actor,
        submission_id=submission_id,
        rows=rows,
    )
    existing = await repository.existing_provider_ids(
        conn,
        principal.tenant,
        provider,
        [r.external_id for r in rows if r.external_id not in inserted],
    )
    results: list[dict[str, Any]] = []
    counts = {"ACCEPTED": 0, "DUPLICATE": 0, "REJECTED": 0}
    for index, verdict in enumerate(verdicts):
        result: dict[str, Any] = {"index": index, "external_id": verdict.external_id}
        if not verdict.ok:
            result["status"] = "REJECTED"
            result["errors"] = [{"field": e.field, "message": e.message} for e in verdict.errors]
        else:
            assert verdict.external_id is not None
            new = index not in plan.repeats and verdict.external_id in inserted
            result["status"] = "ACCEPTED" if new else "DUPLICATE"
            known = inserted.get(verdict.external_id) or existing.get(verdict.external_id)
            if known is not None:
                result["id"] = str(known)
        counts[result["status"]] += 1
        results.append(result)
    events = [
        _feedback_event(
            principal.tenant,
            {
                "id": row.id,
                "source": row.source,
                "received_on": row.received_on,
                "answers": row.answers,
                "provider": provider,
            },
            row.unit,
        )
        for row in rows
        if row.external_id in inserted
    ]
    if events:
        await add_events(conn, events)
    await repository.insert_submission(
        conn,
        principal=principal,
        provider=provider,
        actor=actor,
        submission_id=submission_id,
        kind="FEEDBACK_BATCH",
        item_count=len(items),
        accepted=counts["ACCEPTED"],
        duplicates=counts["DUPLICATE"],
        rejected=counts["REJECTED"],
        results=results,
    )
    return {
        "submission_id": str(submission_id),
        "accepted": counts["ACCEPTED"],
        "duplicates": counts["DUPLICATE"],
        "rejected": counts["REJECTED"],
        "results": results,
    }


def submission_out(row: asyncpg.Record, *, detail: bool = False) -> dict[str, Any]:
    data = {
        "id": row["id"],
        "kind": row["kind"],
        "received_at": row["created_at"],
        "items": row["item_count"],
        "accepted": row["accepted"],
        "duplicates": row["duplicates"],
        "rejected": row["rejected"],
        "report_id": row["report_id"],
        "quarter": row["quarter"],
    }
    if not detail:
        return ProviderSubmissionOut.model_validate(data).model_dump(mode="json")
    # The results as they were answered (keys that did not apply are absent, not null).
    checked = ProviderSubmissionDetail.model_validate({**data, "results": row["results"]})
    return {**checked.model_dump(mode="json", exclude={"results"}), "results": row["results"]}


def report_out(row: asyncpg.Record) -> dict[str, Any]:
    return ProviderReportOut.model_validate(dict(row)).model_dump(mode="json")


async def submit_provider_report(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    provider: str,
    actor: str | None,
    body: ProviderReportIn,
    today: date,
) -> asyncpg.Record:
    errors = check_report_quarter(body.quarter, today)
    if errors:
        raise invalid(errors)
    report_id, submission_id = uuid.uuid4(), uuid.uuid4()
    counts = body.model_dump(mode="json", exclude={"quarter"})
    row = await repository.insert_report(
        conn,
        principal=principal,
        provider=provider,
        actor=actor,
        report_id=report_id,
        submission_id=submission_id,
        quarter=body.quarter,
        counts=counts,
    )
    if row is None:
        existing = await repository.find_report(conn, principal.tenant, provider, body.quarter)
        raise Problem(
            409,
            f"{body.quarter} already has this provider's report ({existing}); an accepted "
            "report is final. Ask the authority's contract manager to correct it.",
            slug="report-already-received",
        )
    await repository.insert_submission(
        conn,
        principal=principal,
        provider=provider,
        actor=actor,
        submission_id=submission_id,
        kind="REPORT",
        item_count=1,
        accepted=1,
        duplicates=0,
        rejected=0,
        results=[],
        report_id=report_id,
        quarter=body.quarter,
    )
    payload = ProviderReportReceived(
        report_id=report_id,
        provider=provider,
        quarter=body.quarter,
        referrals_received=body.referrals_received,
        children_advocated_for=body.children_advocated_for,
        issues_by_theme=dict(body.issues_by_theme),
        outcomes_achieved=body.outcomes_achieved,
        iv_matched=body.iv_matched,
        iv_waiting=body.iv_waiting,
    )
    await add_events(
        conn,
        [
            _event(
                "uk.gov.qa.feedback.provider_report_received.v1",
                principal.tenant,
                report_id,
                payload,
            )
        ],
    )
    return row
