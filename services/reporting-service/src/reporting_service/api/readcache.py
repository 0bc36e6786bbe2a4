"""Built report responses, kept while what they were built from is unchanged.

A Deep Dive or a trend is milliseconds to tens of milliseconds of work, the same for every
reader until its tenant's figures change. A response is kept by the version of what it is
built from: the active generation, the tenant's version (`tenant_versions`: the batches that
changed its cells and the snapshots published for it, repository/publications.py; a
response that shows peers' figures names those tenants too) and the benchmark reference
data's version (the newest load's id: a Deep Dive shows what was last loaded). Another
tenant's events leave it cached. The versions (one small row per tenant) are read again,
in the background, once `recheck` seconds old (0.1 by default), so a report answers at most
that much (and one query) behind what the consumer and the publisher have committed; a
cached report costs no database round trip at all.

Concurrent requests for a response that is being built wait for that one build.

What several responses are built from is kept too (`shared`, `kept`/`keep`), by a key that
names everything it is computed from: a quarter's published snapshot by its tenant, quarter,
the figures' version and the settings it was decided under; a quarter decided inline (no
snapshot yet) by its figures. Every response over the same snapshot shows the same decision,
so no two views disagree."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import asyncpg
from prometheus_client import Counter
from starlette.requests import Request
from starlette.responses import Response

from reporting_service.repository import benchmarks, generations, publications

BUILT = Counter("qa_report_builds_total", "Report responses built, not answered from the cache")


@dataclass(frozen=True)
class Built:
    body: bytes
    media_type: str
    headers: dict[str, str]
    # The answer's status line headers as Starlette sends them (content-length and
    # content-type included), for the fast path (api/fast_reads.py) to send as they are.
    raw_headers: tuple[tuple[bytes, bytes], ...]

    @classmethod
    def of(cls, response: Response) -> Built:
        headers = {
            k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")
        }
        media_type = response.media_type or "application/json"
        body = bytes(response.body)
        raw = Response(body, media_type=media_type, headers=headers).raw_headers
        return cls(body, media_type, headers, tuple(raw))

    def response(self) -> Response:
        return Response(self.body, media_type=self.media_type, headers=self.headers)


Build = Callable[[asyncpg.Connection, str], Awaitable[Response]]
# The active schema, each tenant's (changes, publications), the reference data's loads.
Version = tuple[str, dict[str, publications.TenantVersion], int]
T = TypeVar("T")
V = TypeVar("V")


class _Kept(Generic[V]):
    """Values by key, the `size` most recently used kept; concurrent requests for a value
    being computed wait for that one computation (and a failed one is not kept)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._pending: dict[Hashable, asyncio.Future[V]] = {}

    def peek(self, key: Hashable) -> V | None:
        """The value kept for `key`, if there is one."""
        if key in self._values:
            self._values.move_to_end(key)
            return self._values[key]
        return None

    def put(self, key: Hashable, value: V) -> None:
        self._values[key] = value
        if len(self._values) > self._size:
            self._values.popitem(last=False)

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
        self.put(key, value)
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
        version = self._known(pool)
        if version is None:
            assert self._checking is not None
            return await asyncio.shield(self._checking)
        return version

    def _known(self, pool: asyncpg.Pool) -> Version | None:
        """The version known now (None before the first check answers), a check started in
        the background when it is older than `recheck`."""
        if self._checking is None and (
            self._version is None or time.monotonic() - self._checked_at >= self._recheck
        ):
            self._checking = asyncio.create_task(self._check(pool))
            # A failed check is retried by the next request; its error is not left unread.
            self._checking.add_done_callback(lambda t: t.cancelled() or t.exception())
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
            tenants = await publications.tenant_versions(conn, schema)
            loads = await benchmarks.version(conn)
        version = (schema, tenants, loads)
        if changes == self._changes:
            self._version, self._checked_at = version, started
        return version

    async def respond(
        self, pool: asyncpg.Pool, key: Hashable, build: Build, tenants: Sequence[str]
    ) -> Response:
        """The response for `key`, built from the figures of `tenants`: cached, or built by
        `build` (given a connection and the active schema) and kept."""
        version = await self._current(pool)
        built = await self._responses.get(
            (_of(version, tenants), key), lambda: self._build(pool, version, build)
        )
        return built.response()

    def ready(self, pool: asyncpg.Pool, key: Hashable, tenants: Sequence[str]) -> Built | None:
        """The response `respond` would answer for `key` now, if it is kept: without waiting
        for anything (None when the version is not known yet, or the response is not kept or
        is being built; `respond` then answers). Checks the version as `respond` does."""
        version = self._known(pool)
        if version is None:
            return None
        return self._responses.peek((_of(version, tenants), key))

    async def shared(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        """The value for `key`, computed by `compute` once and kept for every other response
        that asks for it; `key` names everything the value is computed from."""
        value: T = await self._shared.get(key, compute)
        return value

    def kept(self, key: Hashable) -> Any:
        """The shared value kept for `key` (None when there is none)."""
        return self._shared.peek(key)

    def keep(self, key: Hashable, value: Any) -> None:
        """Keep a shared value computed elsewhere (several at once, from one query)."""
        self._shared.put(key, value)

    async def _build(self, pool: asyncpg.Pool, version: Version, build: Build) -> Built:
        BUILT.inc()
        async with pool.acquire() as conn:
            try:
                return Built.of(await build(conn, version[0]))
            except (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError):
                # A rebuild switched generations and dropped this one since the last check.
                schema = (await self._read_version(pool))[0]
                return Built.of(await build(conn, schema))


def _of(version: Version, tenants: Sequence[str]) -> Hashable:
    """What a response over the figures of `tenants` is kept by, beside its own key."""
    schema, versions, loads = version
    return (schema, loads, tuple(versions.get(t, (0, 0)) for t in tenants))


def report_cache(request: Request) -> ResponseCache:
    """The app's one report cache, made on first use with the configured recheck."""
    cache: ResponseCache | None = getattr(request.app.state, "report_cache", None)
    if cache is None:
        recheck = request.app.state.settings.report_recheck_ms / 1000
        cache = request.app.state.report_cache = ResponseCache(recheck=recheck)
    return cache
