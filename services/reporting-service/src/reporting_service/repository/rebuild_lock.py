"""One rebuild at a time across every replica: a session-level PostgreSQL advisory lock,
held on a connection of its own for the rebuild's whole life.

Not process memory (each replica has its own) and not a row in a table (a process that
dies leaves the row behind and blocks every later rebuild until someone clears it by
hand): PostgreSQL releases a session lock when its connection ends, so a replica that is
killed mid-rebuild frees it as soon as its socket closes, and the next request can start."""

from __future__ import annotations

import contextlib
import zlib

import asyncpg

from qaf_shared.database import SslOption, connect

# A stable key of its own (the outbox relay's keys are crc32 of "outbox-relay:<service>").
LOCK_KEY = zlib.crc32(b"reporting-service:rebuild")

# pg_locks shows a one-bigint advisory key as classid (high half), objid (low half) and
# objsubid 1; the key is below 2**32, so classid is 0.
_HELD = """
SELECT EXISTS (
    SELECT 1 FROM pg_locks
    WHERE locktype = 'advisory' AND granted AND database = (
        SELECT oid FROM pg_database WHERE datname = current_database()
    ) AND classid = 0 AND objid = $1 AND objsubid = 1
)
"""


class LockLost(Exception):
    """The lock's connection ended, so another replica may have started a rebuild."""


class RebuildLock:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    @classmethod
    async def try_acquire(cls, dsn: str, *, ssl: SslOption = None) -> RebuildLock | None:
        """The lock, or None when a rebuild holds it somewhere."""
        conn = await connect(dsn, ssl=ssl)
        try:
            if await conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY):
                return cls(conn)
        except BaseException:
            await conn.close()
            raise
        await conn.close()
        return None

    async def confirm(self) -> None:
        """Raise LockLost unless the lock is still ours (its connection still answers)."""
        try:
            await self._conn.fetchval("SELECT 1")
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise LockLost() from exc

    async def release(self) -> None:
        """Closing the connection releases the lock (and the connection goes with it)."""
        with contextlib.suppress(Exception):
            await self._conn.close()


async def rebuild_running(conn: asyncpg.Connection) -> bool:
    """Whether any replica holds the rebuild lock now."""
    return bool(await conn.fetchval(_HELD, LOCK_KEY))
