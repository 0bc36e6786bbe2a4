"""The overdue scheduler: finds stages past their due date without a response and announces
each one once (`EscalationStageOverdue`).

Safe with several replicas: each pass claims escalations with `FOR UPDATE SKIP LOCKED` and
marks them announced in the same transaction that writes their events to the outbox, so a
stage is announced by exactly one transaction, and a crash before commit announces nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import date
from typing import Any

import asyncpg
from fastapi import FastAPI

from escalation_service import events
from escalation_service.repository import activity
from escalation_service.repository import escalations as escalation_rows
from qaf_shared.logging import get_logger
from qaf_shared.outbox import add_events

log = get_logger(__name__)

# Who the activity log names for what the scheduler does.
SCHEDULER_CLIENT = "escalation-service"
SCHEDULER_ACTOR = "overdue-scheduler"


async def announce_overdue(pool: asyncpg.Pool, *, today: date, batch_size: int = 200) -> int:
    """One pass over every tenant: announce each stage overdue on `today`; returns how many."""
    announced = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await escalation_rows.claim_overdue(conn, today=today, limit=batch_size)
            for row in rows:
                await activity.add(
                    conn,
                    row=row,
                    action="stage_overdue",
                    on_date=today,
                    client=SCHEDULER_CLIENT,
                    actor=SCHEDULER_ACTOR,
                )
            if rows:
                await add_events(conn, [events.stage_overdue(r, detected_on=today) for r in rows])
        announced += len(rows)
        if len(rows) < batch_size:
            return announced


async def run_overdue_scheduler(
    pool: asyncpg.Pool,
    *,
    today: Callable[[], date],
    interval_s: float,
    batch_size: int,
) -> None:
    """Announce overdue stages now and then every `interval_s` seconds, for ever."""
    while True:
        try:
            count = await announce_overdue(pool, today=today(), batch_size=batch_size)
            if count:
                log.info("stages_announced_overdue", count=count)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # The type only (messages can carry row content); the next pass tries again.
            log.error("overdue_scan_failed", error=type(exc).__name__)
        await asyncio.sleep(interval_s)


def overdue_scheduler_worker(app: FastAPI) -> Coroutine[Any, Any, None]:
    """The scheduler as one of the app's background workers (settings and clock from the app)."""
    settings = app.state.settings
    return run_overdue_scheduler(
        app.state.pool,
        today=app.state.clock.today,
        interval_s=settings.overdue_scan_interval_s,
        batch_size=settings.overdue_scan_batch_size,
    )
