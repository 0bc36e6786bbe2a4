"""Escalation rows and stage histories as reads give them, varied in every way the events and
the resource show: at every unit level, informal and formal (the formal deadline before and
after the dates they are as of), open, resolved and withdrawn, referred to Cafcass or not,
with stages open, answered (in time and late) and closed."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from escalation_service.repository.escalations import COLUMNS
from escalation_service.repository.stages import COLUMNS as STAGE_COLUMNS

RAISED_ON = date(2026, 3, 2)
UNITS = [
    {"area": "SOUTH", "district": "ASHFORD", "team": "ASH-CP1", "service": None},
    {"area": "NORTH", "district": None, "team": None, "service": "FOSTERING"},
    {"area": None, "district": None, "team": None, "service": None},
]
REFERRALS: list[dict[str, Any]] = [
    {},
    {
        "cafcass_referred_on": date(2026, 3, 25),
        "cafcass_referred_at": datetime(2026, 3, 25, 10, 4, 5, 120034, tzinfo=UTC),
    },
    {
        "cafcass_referred_on": date(2026, 3, 25),
        "cafcass_referred_at": datetime(2026, 3, 25, 10, 4, tzinfo=UTC),
    },
]
CLOSINGS: list[dict[str, Any]] = [
    {},
    {
        "status": "RESOLVED",
        "outcome": "PLAN_CHANGED",
        "resolution_note": "Secret note",
        "resolved_on": date(2026, 4, 1),
    },
    {"status": "WITHDRAWN", "withdrawn_on": date(2026, 3, 20), "withdrawal_reason": "Secret"},
]


def _row(
    unit: dict[str, str | None], stage: str, deadline: date | None, **changes: Any
) -> dict[str, Any]:
    """An escalation row as a read gives it (every column), with `changes`."""
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(
        id=uuid.uuid4(),
        version=3,
        tenant="886",
        case_ref="CASE-1",
        **unit,
        plan_type="CIC",
        raised_by="iro-7",
        raised_by_role="IRO",
        categories=["DRIFT_DELAY", "PERMANENCE_PLANNING"],
        summary="Secret summary",
        raised_on=RAISED_ON,
        status="AWAITING_RESPONSE",
        stage=stage,
        stage_seq=2,
        stage_opened_on=RAISED_ON + timedelta(days=7),
        stage_due_date=RAISED_ON + timedelta(days=14),
        formal_started_on=None if deadline is None else RAISED_ON + timedelta(days=7),
        formal_deadline=deadline,
        last_activity_on=RAISED_ON + timedelta(days=7),
        created_at=datetime(2026, 3, 2, 9, 30, 1, 123456, tzinfo=UTC),
    )
    row.update(changes)
    return row


def _rows() -> list[dict[str, Any]]:
    rows = []
    deadlines = [None, RAISED_ON + timedelta(days=10), RAISED_ON + timedelta(days=60)]
    for n, (unit, deadline, closing, referral) in enumerate(
        itertools.product(UNITS, deadlines, CLOSINGS, REFERRALS)
    ):
        stage = "INFORMAL" if deadline is None else "SERVICE_MANAGER"
        extra = {"bypass_reason": "Secret bypass", "desired_outcome": "Secret"} if n % 2 else {}
        rows.append(_row(unit, stage, deadline, **closing, **referral, **extra))
    return rows


ROWS = _rows()


def stages_of(row: dict[str, Any]) -> list[dict[str, Any]]:
    """A history of two stages for `row`: the first answered late and closed by escalation,
    the second (current) answered in time, or open, or closed with the escalation."""
    first: dict[str, Any] = dict.fromkeys(STAGE_COLUMNS)
    first.update(
        escalation_id=row["id"],
        seq=1,
        stage="INFORMAL",
        addressee_role="SOCIAL_WORKER_OR_TEAM_MANAGER",
        opened_on=RAISED_ON,
        due_date=RAISED_ON + timedelta(days=5),
        responder="sw-3",
        response="Secret reply",
        responded_on=RAISED_ON + timedelta(days=6),
        closed_on=RAISED_ON + timedelta(days=7),
        closed_by="ESCALATED",
        escalate_reason="NOT_SATISFIED",
        escalate_note="Secret note",
    )
    current: dict[str, Any] = dict.fromkeys(STAGE_COLUMNS)
    current.update(
        escalation_id=row["id"],
        seq=2,
        stage=row["stage"],
        addressee_role="SERVICE_MANAGER",
        opened_on=row["stage_opened_on"],
        due_date=row["stage_due_date"],
        closed_on=row["resolved_on"] or row["withdrawn_on"],
        closed_by={"RESOLVED": "RESOLVED", "WITHDRAWN": "WITHDRAWN"}.get(row["status"]),
    )
    if row["status"] == "RESOLVED":
        current.update(responder="hos-1", response="Secret", responded_on=row["stage_due_date"])
    return [first, current]
