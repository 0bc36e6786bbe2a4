"""Projections built only from events. `apply` is the consumer loop's applier."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from qaf_shared.events.envelope import CloudEvent
from reporting_service.projections import audits


async def apply(conn: asyncpg.Connection, events: Sequence[CloudEvent]) -> None:
    """Route each event to the projection that handles its type; others are recorded as
    processed and otherwise ignored (a consumer ignores what it does not use)."""
    await audits.apply(conn, [e for e in events if e.type in audits.HANDLED])
