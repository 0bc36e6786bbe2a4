"""Rebuilding by itself when the projections changed.

Each generation records the projections' version that built it (projections/version.py).
On start and then every `auto_rebuild_check_s`, each replica compares the active
generation's version with its own code's. When its code is newer, it takes the rebuild lock
(repository/rebuild_lock.py) if it can, and the one replica that gets it rebuilds
(workers/rebuild.py: new generation, replay, switch, drop) while every replica keeps
answering from the old generation; the others find the lock held, or on their next look
the version current.

Only a newer version rebuilds: during a rolling upgrade, a replica still on the old code
leaves the new code's generation alone (versions only go forward, so two versions never
rebuild each other's generation in turn). A generation from before versions (NULL) is older
than any. A rebuild that failed (its error recorded in projection_state) is not tried again
for its version until `auto_rebuild_retry_s` after it started, across restarts and replicas,
so a rebuild that cannot succeed does not run again and again; `POST /v1/admin/rebuild`
still starts one at any time. A rebuild stopped with its replica (a deploy) did not fail:
the next look starts it again."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import asyncpg
from fastapi import FastAPI
from prometheus_client import Gauge

from qaf_shared.clock import BusinessClock
from qaf_shared.database import database_ssl
from qaf_shared.logging import get_logger
from reporting_service.projections.version import PROJECTIONS_VERSION
from reporting_service.repository import generations
from reporting_service.repository.generations import RebuildState
from reporting_service.repository.rebuild_lock import RebuildLock
from reporting_service.settings import ReportingSettings
from reporting_service.workers.rebuild import run_rebuild

log = get_logger(__name__)

VERSION = Gauge(
    "qa_reporting_projections_version",
    "The projections' version of this replica's code and of the active generation"
    " (0: built before versions)",
    ["of"],
)
VERSION.labels(of="code").set(PROJECTIONS_VERSION)

# What a rebuild cancelled with its task records as its error (workers/rebuild.py).
_STOPPED = "CancelledError"


def outdated(state: RebuildState, now: datetime, retry_after: timedelta) -> bool:
    """Whether this code should rebuild the active generation now: it was built by older
    projections, and no rebuild to this code's version failed less than `retry_after` ago."""
    if state.version is not None and state.version >= PROJECTIONS_VERSION:
        return False
    failed_lately = (
        state.error not in (None, _STOPPED)
        and state.rebuild_version == PROJECTIONS_VERSION
        and state.started_at is not None
        and now - state.started_at < retry_after
    )
    return not failed_lately


async def _outdated(pool: asyncpg.Pool, retry_after: timedelta) -> bool:
    async with pool.acquire() as conn:
        await generations.active_schema(conn)  # a new database's gen_0 is current
        state = await generations.rebuild_state(conn)
        # The database's clock, which stamped the failed rebuild's start.
        now: datetime = await conn.fetchval("SELECT now()")
    VERSION.labels(of="active").set(state.version or 0)
    return outdated(state, now, retry_after)


async def rebuild_if_outdated(
    settings: ReportingSettings, pool: asyncpg.Pool, clock: BusinessClock
) -> str | None:
    """One look: rebuild when the active generation is outdated and no replica rebuilds;
    returns the new generation's schema, or None when none was made."""
    retry_after = timedelta(seconds=settings.auto_rebuild_retry_s)
    if not await _outdated(pool, retry_after):
        return None
    lock = await RebuildLock.try_acquire(
        settings.database_url.get_secret_value(), ssl=database_ssl(settings)
    )
    if lock is None:
        return None
    # Another replica may have rebuilt between the look and the lock.
    if not await _outdated(pool, retry_after):
        await lock.release()
        return None
    log.info("auto_rebuild_started", code_version=PROJECTIONS_VERSION)
    schema = await run_rebuild(settings, pool, lock, "projections_version", clock)
    await _outdated(pool, retry_after)  # the active version's gauge
    return schema


async def auto_rebuild_worker(app: FastAPI) -> None:
    """Look on start and then every `auto_rebuild_check_s`, rebuilding when outdated."""
    settings: ReportingSettings = app.state.settings
    while True:
        try:
            await rebuild_if_outdated(settings, app.state.pool, app.state.clock)
        except Exception as exc:  # the database not up yet: look again later
            log.warning("auto_rebuild_check_failed", error=type(exc).__name__)
        await asyncio.sleep(settings.auto_rebuild_check_s)
