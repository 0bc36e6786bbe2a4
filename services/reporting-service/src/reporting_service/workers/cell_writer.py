"""A rebuild's counts, written beside its replay.

The live consumer writes a batch's count changes in the batch's own transaction: its figures
are read as it goes, and a batch must change them whole or not at all. A rebuild fills a
generation nobody reads until it is switched to, and one that fails is dropped whole
(workers/rebuild.py), so its batches commit their events' ids and facts alone and hand their
count changes here once committed. They are added up in memory and written on a connection
of their own while the replay folds the next batches: PostgreSQL's upserts, about half of
its work for a batch, run beside the replay's Python instead of after it, and a cell that
several batches change is written once. The switch waits for every change to be written
(`flush`), so a rebuilt generation holds the same figures as one built batch by batch."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Sequence
from functools import partial

import asyncpg

from qaf_shared.clock import BusinessClock
from qaf_shared.consumer import AfterCommit
from qaf_shared.events.envelope import CloudEvent
from reporting_service import projections
from reporting_service.projections import engine

# Cells waiting while a write runs, past which the replay waits for it: a write is a second
# or so of PostgreSQL's, the cells of several 20,000-event batches (a few hundred bytes
# each) at most.
MAX_PENDING_CELLS = 400_000


class CellWriter:
    """Writes the count changes of a rebuild's committed batches into `schema`, in
    transactions of its own (the quarters they change marked as the live consumer marks
    them, by `clock`'s day)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        schema: str,
        clock: BusinessClock,
        max_pending: int = MAX_PENDING_CELLS,
    ) -> None:
        self._pool = pool
        self._schema = schema
        self._clock = clock
        self._max_pending = max_pending
        self._pending: engine.Contributions = Counter()
        self._writing: asyncio.Task[None] | None = None

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[CloudEvent]
    ) -> AfterCommit:
        """The replay's applier: `projections.apply` without the counts, which come here
        once the batch has committed (a batch that fails or is retried hands over none)."""
        await self._room()
        deltas = await engine.apply(
            conn,
            schema,
            projections.PROJECTIONS,
            events,
            today=self._clock.today(),
            write_cells=False,
        )
        return partial(self._add, deltas)

    def check(self) -> None:
        """Raise what stopped a write, if one failed (the rebuild fails with it)."""
        writing = self._writing
        if writing is not None and writing.done():
            writing.result()

    async def flush(self) -> None:
        """Return once every change handed over is written; raises what stopped a write."""
        while self._writing is not None:
            await asyncio.shield(self._writing)

    async def close(self) -> None:
        """Stop writing (the rebuild failed: its generation is dropped)."""
        if self._writing is not None:
            self._writing.cancel()
            with contextlib.suppress(BaseException):
                await self._writing

    def _add(self, deltas: engine.Contributions) -> None:
        if not deltas:
            return
        if self._pending:
            self._pending.update(deltas)
        else:
            self._pending = deltas
        if self._writing is None:
            self._writing = asyncio.create_task(self._write())

    async def _room(self) -> None:
        """Wait while too many changes are waiting for a write. Never raises a write's
        failure: the loop would take it for its batch's, and set the events aside; the
        replay raises it instead (`check`)."""
        writing = self._writing
        if writing is not None and len(self._pending) > self._max_pending:
            await asyncio.wait([writing])

    async def _write(self) -> None:
        """Write what is pending, and what came meanwhile, until nothing is. A failure ends
        the task and stays with it (`flush` and the next batch raise it)."""
        while self._pending:
            deltas, self._pending = self._pending, Counter()
            async with self._pool.acquire() as conn, conn.transaction():
                await engine.write_changes(conn, self._schema, deltas, self._clock.today())
        self._writing = None
