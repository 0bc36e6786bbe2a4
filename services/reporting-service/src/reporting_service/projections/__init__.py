"""Projections built only from events. `apply` is the consumer loop's applier."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

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


async def apply(conn: asyncpg.Connection, schema: str, events: Sequence[CloudEvent]) -> None:
    """Apply new events to every projection; types no projection handles are recorded as
    processed and otherwise ignored (a consumer ignores what it does not use)."""
    await engine.apply(conn, schema, PROJECTIONS, events)
