"""audit-service's use cases: each runs inside one transaction, changes the rows and writes
the events it raises to the outbox."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from audit_service import repository
from audit_service.api.schemas import AuditCreate, AuditOut, AuditSubmit
from audit_service.domain.audits import TransitionNotAllowed, check_step, final_grade, is_overdue
from qaf_shared.enums import AuditStatus, Grade
from qaf_shared.events.audit import AuditScheduled, AuditSubmitted
from qaf_shared.events.envelope import new_event
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.http.auth import Principal
from qaf_shared.http.problems import Problem, field_error
from qaf_shared.http.resources import check_if_match, not_found
from qaf_shared.outbox import add_events

SOURCE = "/services/audit-service"


def today() -> date:
    return datetime.now(UTC).date()


def audit_out(row: asyncpg.Record) -> dict[str, Any]:
    """The resource as callers see it (derived fields included), checked by its model."""
    data = dict(row)
    status = AuditStatus(data["status"])
    data["overdue"] = is_overdue(status, data["due_date"], today())
    data["section_grades"] = data["section_grades"] or {}
    data["themes"] = data["themes"] or []
    data["moderation_selected"] = None
    return AuditOut.model_validate(data).model_dump(mode="json")


def _unit(row: asyncpg.Record) -> OrgUnitRef:
    return OrgUnitRef(
        area=row["area"], district=row["district"], team=row["team"], service=row["service"]
    )


async def schedule_audit(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    body: AuditCreate,
    unit: OrgUnitRef,
) -> asyncpg.Record:
    audit_id = uuid.uuid4()
    row = await repository.insert_audit(
        conn,
        principal=principal,
        actor=actor,
        audit_id=audit_id,
        case_ref=body.case_ref,
        unit=unit,
        plan_type=body.plan_type.value,
        auditor=body.auditor,
        due_date=body.due_date,
        programme_id=body.programme_id,
        kind=body.kind,
    )
    payload = AuditScheduled(
        audit_id=audit_id,
        org_unit=unit,
        plan_type=body.plan_type,
        programme_id=body.programme_id,
        due_date=body.due_date,
    )
    await add_events(
        conn,
        [
            new_event(
                type="uk.gov.qa.audit.scheduled.v1",
                source=SOURCE,
                tenant=principal.tenant,
                subject=str(audit_id),
                data=payload,
            )
        ],
    )
    return row


async def submit_audit(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    audit_id: uuid.UUID,
    body: AuditSubmit,
    if_match: str | None,
) -> asyncpg.Record:
    current = await repository.get_audit(conn, principal.tenant, audit_id, for_update=True)
    if current is None:
        raise not_found("audit")
    check_if_match(if_match, current["version"])
    try:
        check_step("submitted", AuditStatus(current["status"]))
    except TransitionNotAllowed as exc:
        raise Problem(409, str(exc), slug="transition-not-allowed") from None
    submitted_on = body.submitted_on or today()
    if submitted_on > today():
        raise field_error("body.submitted_on", "cannot be in the future")
    row = await repository.submit_audit(
        conn,
        principal=principal,
        actor=actor,
        audit_id=audit_id,
        overall_grade=body.overall_grade.value,
        section_grades={k: v.value for k, v in body.section_grades.items()},
        themes=[t.value for t in body.themes],
        child_voice_evident=body.child_voice_evident,
        commentary=body.commentary,
        submitted_on=submitted_on,
    )
    grade = final_grade(Grade(row["overall_grade"]))
    assert grade is not None
    payload = AuditSubmitted(
        audit_id=audit_id,
        org_unit=_unit(row),
        plan_type=row["plan_type"],
        programme_id=row["programme_id"],
        submitted_on=submitted_on,
        overall_grade=body.overall_grade,
        final_grade=grade,
        section_grades=dict(body.section_grades),
        themes=list(body.themes),
        child_voice_evident=body.child_voice_evident,
        submission_number=row["submission_count"],
    )
    await add_events(
        conn,
        [
            new_event(
                type="uk.gov.qa.audit.submitted.v1",
                source=SOURCE,
                tenant=principal.tenant,
                subject=str(audit_id),
                data=payload,
            )
        ],
    )
    return row
