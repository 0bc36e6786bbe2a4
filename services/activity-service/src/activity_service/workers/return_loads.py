"""The worker that runs queued return loads (docs/activity.md, The returns).

A load is claimed with a session advisory lock on the worker's own connection, so two
replicas never run one load, and a load whose process died (its connection, and so its lock,
gone with it) is claimed again and run from the beginning: its status says VALIDATING or
APPLYING, but nothing of the dead run was committed. The worker is woken by NOTIFY when a
load is uploaded and polls as well, in case a notification is missed (and to find, at start,
loads a dead process left)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

import asyncpg
from fastapi import FastAPI

from activity_service.handlers.loads import LoadContext, fail_load, run_load
from activity_service.repository import loads as load_rows
from activity_service.settings import ActivitySettings
from qaf_shared.clock import BusinessClock
from qaf_shared.database import SslOption, connect, database_ssl
from qaf_shared.logging import get_logger
from qaf_shared.restarts import run_forever

log = get_logger(__name__)


class ReturnLoadWorker:
    def __init__(
        self,
        context: LoadContext,
        dsn: str,
        *,
        poll_interval_s: float,
        ssl: SslOption = None,
    ) -> None:
        self._context = context
        self._dsn = dsn
        self._ssl = ssl
        self._poll_interval_s = poll_interval_s
        self._wake = asyncio.Event()

    async def run_forever(self) -> None:
        """Run loads until cancelled; recover from any failure (the type is logged only)."""
        await run_forever(self._serve, "return_load_worker_failed")

    async def _serve(self) -> None:
        conn = await connect(self._dsn, ssl=self._ssl)
        try:
            await conn.add_listener(load_rows.NOTIFY_CHANNEL, self._on_notify)
            while True:
                self._wake.clear()
                while await self.run_one(conn):
                    pass
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_interval_s)
                if conn.is_closed():
                    raise ConnectionError("the worker's connection was lost")
        finally:
            with contextlib.suppress(Exception):
                await conn.close()

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def run_one(self, conn: asyncpg.Connection) -> bool:
        """Claim one unfinished load and run it to its end; False when none could be claimed."""
        for load_id in await load_rows.candidates(conn):
            if not await load_rows.try_lock(conn, load_id):
                continue  # another replica runs it
            try:
                async with self._context.pool.acquire() as pooled:
                    load = await load_rows.start(pooled, load_id)
                if load is None:
                    continue  # it finished between the look and the lock
                if load["attempts"] > 1:
                    log.info("return_load_restarted", load_id=str(load_id))
                try:
                    await run_load(self._context, load)
                except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError):
                    raise  # the database is away: the load is run again once it is back
                except Exception as exc:
                    # Nothing of the run was committed; a load that fails the same way each
                    # time must not be run for ever. The type only: a message could quote
                    # the file.
                    log.error("return_load_failed", load_id=str(load_id), error=type(exc).__name__)
                    await fail_load(self._context.pool, load_id)
                return True
            finally:
                await load_rows.unlock(conn, load_id)
        return False


def return_load_worker(app: FastAPI) -> Coroutine[Any, Any, None]:
    """The return loads' worker as one of the app's workers."""
    settings: ActivitySettings = app.state.settings
    clock: BusinessClock = app.state.clock
    context = LoadContext(
        pool=app.state.pool,
        keys=app.state.child_keys,
        org_units=app.state.org_units,
        today=clock.today,
    )
    worker = ReturnLoadWorker(
        context,
        settings.database_url.get_secret_value(),
        poll_interval_s=settings.return_load_poll_interval_s,
        ssl=database_ssl(settings),
    )
    return worker.run_forever()
