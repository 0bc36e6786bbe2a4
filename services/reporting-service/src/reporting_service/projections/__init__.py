"""Projections built only from events. `apply` is the consumer loop's applier."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import asyncpg

from qaf_shared.clock import BusinessClock
from qaf_shared.consumer.loop import Turn
from qaf_shared.events.envelope import CloudEvent
from reporting_service.projections import engine
from reporting_service.projections.activity import ActivityChildren, ActivityOwnRecords
from reporting_service.projections.audits import Actions, Audits, SafeguardingConcerns
from reporting_service.projections.escalations import Escalations
from reporting_service.projections.feedback import Complaints, Feedback, Participation

PROJECTIONS: tuple[engine.Projection[Any], ...] = (
    Audits(),
    Actions(),
    SafeguardingConcerns(),
    Escalations(),
    Feedback(),
    Participation(),
    Complaints(),
    ActivityChildren(),
    ActivityOwnRecords(),
)


_BY_TYPE = engine.by_event_type(PROJECTIONS)
# The business clock of an app made without one of its own (`create_app`'s default).
_LONDON = BusinessClock()


def fact_of(event: CloudEvent) -> Hashable:
    """The fact an event folds into (the event itself when none does): the consumer applies
    every event of one fact in one of its concurrent transactions, so that two never save
    over each other's change to it."""
    projection = _BY_TYPE.get(event.type)
    if projection is None:
        return event.id
    return (event.tenant, projection.kind, projection.key(event))


async def apply(
    conn: asyncpg.Connection,
    schema: str,
    events: Sequence[CloudEvent],
    *,
    clock: BusinessClock = _LONDON,
    turn: Turn | None = None,
) -> None:
    """Apply new events to every projection; types no projection handles are recorded as
    processed and otherwise ignored (a consumer ignores what it does not use). `clock` is
    the app's business clock (the consumer and the rebuild are given the app's: a state's
    change marks the quarters up to its today). `turn`: its place in the pipelined live
    loop (`engine.apply`)."""
    await engine.apply(conn, schema, PROJECTIONS, events, today=clock.today(), turn=turn)
