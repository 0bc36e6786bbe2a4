"""What reporting's integration tests feed the service: events as the other services publish
them, and the service's settings over a database and topics of a test's own."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

import asyncpg

from qaf_shared.database import create_pool
from qaf_shared.enums import (
    EscalationCategory,
    EscalationPlanType,
    EscalationStage,
    EscalationStatus,
    FeedbackSource,
    Grade,
    PlanType,
    RaisedByRole,
)
from qaf_shared.events import escalation as e
from qaf_shared.events.audit import AuditSubmitted
from qaf_shared.events.envelope import CloudEvent, new_event
from qaf_shared.events.feedback import FeedbackReceived
from qaf_shared.events.payloads import OrgUnitRef, Payload
from qaf_shared.testing.fixtures import eventually
from reporting_service.settings import ReportingSettings

UNIT = OrgUnitRef(area="SOUTH", district="ASHFORD", team="ASH-CP1")


class Own(NamedTuple):
    """A database and a set of topics of one test's own (the `own` fixture)."""

    dsn: str
    prefix: str


def event(
    data: Payload, subject: uuid.UUID, tenant: str = "886", at: datetime | None = None
) -> CloudEvent:
    """`data` as its service publishes it, about the aggregate `subject` (at `at`: now)."""
    return new_event(source="/test", tenant=tenant, subject=str(subject), time=at, data=data)


def audit_submitted(
    tenant: str = "886",
    *,
    unit: OrgUnitRef = UNIT,
    on: date = date(2025, 5, 1),
    grade: Grade = Grade.GOOD,
    at: datetime | None = None,
) -> CloudEvent:
    """A new CIN audit submitted on `on`, graded `grade` by its auditor and finally."""
    audit_id = uuid.uuid4()
    data = AuditSubmitted(
        audit_id=audit_id,
        org_unit=unit,
        plan_type=PlanType.CIN,
        submitted_on=on,
        overall_grade=grade,
        final_grade=grade,
        child_voice_evident=True,
    )
    return event(data, audit_id, tenant, at)


def escalation_raised(on: date, tenant: str = "886", unit: OrgUnitRef = UNIT) -> CloudEvent:
    """An escalation raised on `on` in `unit` and still open: a state (open at the end) from
    then on."""
    escalation = uuid.uuid4()
    data = e.EscalationRaised(
        escalation_id=escalation,
        org_unit=unit,
        plan_type=EscalationPlanType.CP,
        raised_by_role=RaisedByRole.CP_CHAIR,
        categories=[EscalationCategory.DRIFT_DELAY],
        raised_on=on,
        stage=EscalationStage.INFORMAL,
        status=EscalationStatus.AWAITING_RESPONSE,
        stage_opened_on=on,
        stage_due_date=on + timedelta(days=7),
    )
    return event(data, escalation, tenant)


def feedback_received(tenant: str = "886", at: datetime | None = None) -> CloudEvent:
    """A compliment received on 2 May 2025."""
    feedback_id = uuid.uuid4()
    data = FeedbackReceived(
        feedback_id=feedback_id,
        org_unit=UNIT,
        source=FeedbackSource.COMPLIMENT,
        received_on=date(2025, 5, 2),
    )
    return event(data, feedback_id, tenant, at)


def settings_for(dsn: str, prefix: str, group: str) -> ReportingSettings:
    """The service over a test's database and topics, consuming as a group of its own
    (`group` and a random suffix), so that it reads the topics from their start."""
    return ReportingSettings(
        database_url=dsn,
        kafka_topic_prefix=prefix,
        consumer_group=f"{group}-{uuid.uuid4().hex[:8]}",
    )


async def all_applied(dsn: str, count: int) -> None:
    """Wait until the active generation has applied `count` distinct events and every
    quarter they changed is published (a read then shows them all, whichever quarter)."""
    pool = await create_pool(dsn, size=1)

    async def applied() -> bool:
        schema = await pool.fetchval("SELECT active_schema FROM projection_state")
        done = await pool.fetchval(f"SELECT count(*) FROM {schema}.processed_events")
        waiting = await pool.fetchval(f"SELECT count(*) FROM {schema}.changed_quarters")
        return bool(done == count and waiting == 0)

    try:
        await eventually(applied, timeout=60)
    finally:
        await pool.close()


async def rows_of(pool: asyncpg.Pool, schema: str, table: str) -> set[tuple[Any, ...]]:
    """A generation's table, its count cells without the zeros (a cell that went back to
    nothing keeps its row)."""
    where = " WHERE value <> 0" if table in ("counts", "running") else ""
    return {tuple(r) for r in await pool.fetch(f"SELECT * FROM {schema}.{table}{where}")}
