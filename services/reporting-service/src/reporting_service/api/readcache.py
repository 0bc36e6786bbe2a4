"""Built report responses, kept while the projections they were built from are unchanged.

A Deep Dive or a trend is tens of milliseconds of queries and disclosure control, the same
for every reader until the consumer applies something. The projections' version is the
active generation and the number of events applied to it (its `consumer_stats`), which
every batch that changes anything moves, with the benchmark reference data's version (the
newest load's id: a Deep Dive shows what was last loaded). It is read again, in the background, once it is
`recheck` seconds old (0.1 by default), so a report answers at most that much (and one
query) behind what the consumer has committed, which is less than the consumer's own lag;
a cached report costs no database round trip at all. (The version moves with any tenant's events: a busy system
rebuilds more often, it never serves figures older than that.)

Concurrent requests for a response that is being built wait for that one build.

What several responses are built from is kept too (`shared`), by a key that names everything
it is computed from: a quarter's disclosure decision, keyed by the quarter's figures, is made
once and every response over those figures (the Deep Dives, the aggregates, the trends)
shows it, so no two views disagree, and an event that changes another quarter or another
tenant does not make it again."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from reporting_service.repository import benchmarks, consumer_state, generations


@dataclass(frozen=True)
class Built:
    body: bytes
    media_type: str
    headers: dict[str, str]

    @classmethod
    def of(cls, response: Response) -> Built:
        headers = {
            k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")
        }
        return cls(bytes(response.body), response.media_type or "application/json", headers)

    def response(self) -> Response:
        return Response(self.body, media_type=self.media_type, headers=self.headers)


Build = Callable[[asyncpg.Connection, str], Awaitable[Response]]
Version = tuple[str, int, int]  # active schema, events applied to it, reference data loads
T = TypeVar("T")
V = TypeVar("V")


class _Kept(Generic[V]):
    """Values by key, the `size` most recently used kept; concurrent requests for a value
    being computed wait for that one computation (and a failed one is not kept)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._pending: dict[Hashable, asyncio.Future[V]] = {}

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[V]]) -> V:
        if key in self._values:
            self._values.move_to_end(key)
            return self._values[key]
        pending = self._pending.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            value = await compute()
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)
                future.exception()  # retrieved: nobody need be waiting
            raise
        finally:
            del self._pending[key]
        future.set_result(value)
        self._values[key] = value
        if len(self._values) > self._size:
            self._values.popitem(last=False)
        return value


class ResponseCache:
    def __init__(self, *, recheck: float = 0.1, size: int = 128, shared_size: int = 256) -> None:
        self._recheck = recheck
        self._responses: _Kept[Built] = _Kept(size)
        self._shared: _Kept[Any] = _Kept(shared_size)
        self._version: Version | None = None
        self._checked_at = 0.0
        self._checking: asyncio.Task[Version] | None = None
        self._changes = 0  # times `stale` was called: a check older than the last is not kept

    async def _current(self, pool: asyncpg.Pool) -> Version:
        """The projections' version. Once it is older than `recheck`, one request starts
        reading it again and every request goes on with the one known until that answers:
        nobody waits for the database here but the first request."""
        if self._checking is None and (
            self._version is None or time.monotonic() - self._checked_at >= self._recheck
        ):
            self._checking = asyncio.create_task(self._check(pool))
            # A failed check is retried by the next request; its error is not left unread.
            self._checking.add_done_callback(lambda t: t.cancelled() or t.exception())
        if self._version is None:
            assert self._checking is not None
            return await asyncio.shield(self._checking)
        return self._version

    def stale(self) -> None:
        """This replica changed what reports are built from (a reference load): the next
        request reads the version again before answering, rather than up to `recheck` later."""
        self._version, self._checking = None, None
        self._changes += 1

    async def _check(self, pool: asyncpg.Pool) -> Version:
        try:
            return await self._read_version(pool)
        finally:
            self._checking = None

    async def _read_version(self, pool: asyncpg.Pool) -> Version:
        started, changes = time.monotonic(), self._changes
        async with pool.acquire() as conn:
            schema = await generations.active_schema(conn)
            applied = await consumer_state.events_applied(conn, schema)
            loads = await benchmarks.version(conn)
        version = (schema, applied, loads)
        if changes == self._changes:
            self._version, self._checked_at = version, started
        return version

    async def respond(self, pool: asyncpg.Pool, key: Hashable, build: Build) -> Response:
        """The response for `key` at the current projections: cached, or built by `build`
        (given a connection and the active schema) and kept."""
        version = await self._current(pool)
        built = await self._responses.get((version, key), lambda: self._build(pool, version, build))
        return built.response()

    async def shared(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        """The value for `key`, computed by `compute` once and kept for every other response
        that asks for it; `key` names everything the value is computed from."""
        value: T = await self._shared.get(key, compute)
        return value

    async def _build(self, pool: asyncpg.Pool, version: Version, build: Build) -> Built:
        async with pool.acquire() as conn:
            try:
                return Built.of(await build(conn, version[0]))
            except (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError):
                # A rebuild switched generations and dropped this one since the last check.
                schema = (await self._read_version(pool))[0]
                return Built.of(await build(conn, schema))


def report_cache(request: Request) -> ResponseCache:
    """The app's one report cache, made on first use with the configured recheck."""
    cache: ResponseCache | None = getattr(request.app.state, "report_cache", None)
    if cache is None:
        recheck = request.app.state.settings.report_recheck_ms / 1000
        cache = request.app.state.report_cache = ResponseCache(recheck=recheck)
    return cache
