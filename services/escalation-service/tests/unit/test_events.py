"""The escalation events, built straight in their JSON form (`events`), against what the
payload models and `new_event` make of the same row: the same envelope and the same data, for
every event, at team and at tenant level, before and after a formal stage opens, open,
resolved and withdrawn, inside and past the formal limit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from escalation_service import events
from escalation_service.domain.lifecycle import closed_on
from escalation_service.domain.timescales import formal_limit_breached
from qaf_shared.enums import EscalateReason, EscalationStage, ResolutionOutcome
from qaf_shared.events.envelope import PreparedEvent, new_event
from qaf_shared.events.escalation import (
    EscalationCafcassReferred,
    EscalationEscalated,
    EscalationEvent,
    EscalationRaised,
    EscalationResolved,
    EscalationResponseRecorded,
    EscalationStageOverdue,
    EscalationWithdrawn,
)
from qaf_shared.events.payloads import OrgUnitRef

from .rows import ROWS


def _by_the_models(
    row: Any, payload: type[EscalationEvent], as_of: date, **fields: Any
) -> EscalationEvent:
    """The payload as the models made it before the events were built in their JSON form."""
    return payload(
        escalation_id=row["id"],
        org_unit=OrgUnitRef.from_row(row),
        plan_type=row["plan_type"],
        raised_by_role=row["raised_by_role"],
        categories=list(row["categories"]),
        raised_on=row["raised_on"],
        stage=row["stage"],
        status=row["status"],
        stage_opened_on=row["stage_opened_on"],
        stage_due_date=row["stage_due_date"],
        formal_deadline=row["formal_deadline"],
        formal_limit_breached=formal_limit_breached(row["formal_deadline"], closed_on(row), as_of),
        **fields,
    )


Made = Callable[[Any], tuple[PreparedEvent, EscalationEvent]]
ON = date(2026, 3, 30)

EVENTS: dict[str, Made] = {
    "raised": lambda row: (
        events.raised(row),
        _by_the_models(
            row,
            EscalationRaised,
            row["raised_on"],
            bypassed=row["stage"] != EscalationStage.INFORMAL,
        ),
    ),
    "response_recorded": lambda row: (
        events.response_recorded(row, responded_on=ON, late=True),
        _by_the_models(row, EscalationResponseRecorded, ON, responded_on=ON, late=True),
    ),
    "escalated": lambda row: (
        events.escalated(
            row,
            from_stage=EscalationStage.TEAM_MANAGER,
            reason=EscalateReason.NO_RESPONSE,
            escalated_on=ON,
        ),
        _by_the_models(
            row,
            EscalationEscalated,
            ON,
            from_stage=EscalationStage.TEAM_MANAGER,
            reason=EscalateReason.NO_RESPONSE,
            escalated_on=ON,
        ),
    ),
    "stage_overdue": lambda row: (
        events.stage_overdue(row, detected_on=ON),
        _by_the_models(row, EscalationStageOverdue, ON, detected_on=ON),
    ),
    "resolved": lambda row: (
        events.resolved(row),
        _by_the_models(
            row,
            EscalationResolved,
            row["resolved_on"],
            outcome=ResolutionOutcome(row["outcome"]),
            resolved_on=row["resolved_on"],
        ),
    ),
    "withdrawn": lambda row: (
        events.withdrawn(row),
        _by_the_models(
            row, EscalationWithdrawn, row["withdrawn_on"], withdrawn_on=row["withdrawn_on"]
        ),
    ),
    "cafcass_referred": lambda row: (
        events.cafcass_referred(row),
        _by_the_models(
            row,
            EscalationCafcassReferred,
            row["cafcass_referred_on"],
            referred_on=row["cafcass_referred_on"],
        ),
    ),
}
_NEEDS = {
    "resolved": "resolved_on",
    "withdrawn": "withdrawn_on",
    "cafcass_referred": "cafcass_referred_on",
}


@pytest.mark.parametrize("name", EVENTS)
def test_each_event_is_what_the_models_make_of_the_same_row(name: str) -> None:
    made = EVENTS[name]
    compared = 0
    for row in ROWS:
        if name in _NEEDS and row[_NEEDS[name]] is None:
            continue
        prepared, payload = made(row)
        time = datetime.fromisoformat(prepared.json["time"])
        expected = new_event(
            source=events.SOURCE,
            tenant=row["tenant"],
            subject=str(row["id"]),
            data=payload,
            time=time,
        ).to_json()
        expected["id"] = str(prepared.id)
        assert prepared.to_json() == expected
        assert (prepared.type, prepared.subject, prepared.tenant) == (
            expected["type"],
            expected["subject"],
            expected["tenant"],
        )
        compared += 1
    assert compared >= len(ROWS) // 3


def test_the_rows_cover_what_the_data_leaves_out_and_both_sides_of_the_limit() -> None:
    """The comparison above sees each optional part both present and absent."""
    data = [events.raised(row).json["data"] for row in ROWS]
    withdrawn = [events.withdrawn(r).json["data"] for r in ROWS if r["withdrawn_on"]]
    assert {"formal_deadline" in d for d in data} == {True, False}
    assert {d["bypassed"] for d in data} == {True, False}
    assert {len(d["org_unit"]) for d in data} == {0, 2, 3}
    assert {d["formal_limit_breached"] for d in withdrawn} == {True, False}


def test_a_new_escalation_is_announced_at_the_instant_it_was_created() -> None:
    row = ROWS[0]
    assert events.raised(row).json["time"] == "2026-03-02T09:30:01.123456Z"
