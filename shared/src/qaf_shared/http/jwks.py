"""The keys tokens are verified with: a JWKS file read once at start-up, or a JWKS URL fetched
in the background with httpx (never a blocking fetch inside a request), trusted for a TTL.

A key set from a URL is trusted for `ttl_s` from the moment its fetch began (a response can
reflect the JWKS as it was at any time after that) and refreshed at half that age, so a key the
identity provider removes stops verifying within the TTL; when no refresh has succeeded by then
the set is no longer trusted at all, and requests answer 503 rather than verify with keys that
may have been withdrawn. A token naming a key the set lacks (the provider has just rotated)
fetches again at once, but at most once per `cooldown_s`, so a storm of made-up `kid`s costs
the provider one request per cool-down. A request waits at most `wait_s` for a fetch under way;
the fetch itself carries on in the background for the requests that follow."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import jwt

from qaf_shared.logging import get_logger

log = get_logger(__name__)

ALGORITHMS = ("RS256", "ES256")

# A JWKS is a few kilobytes; a URL answering with more is not one.
MAX_JWKS_BYTES = 1024 * 1024
# The longest one fetch may take, whatever the TTL (a quarter of it when that is shorter: a
# refresh that starts at half the TTL then ends before the set it replaces expires).
FETCH_TIMEOUT_S = 5.0


class UnknownKey(Exception):
    """The token names a key the trusted set does not hold."""


class KeysUnavailable(Exception):
    """No trusted key set: the JWKS URL has not answered within the TTL."""

    def __init__(self, retry_after_s: float) -> None:
        super().__init__("no trusted key set")
        self.retry_after_s = retry_after_s


class SigningKeys(Protocol):
    """Where the Authenticator finds the key a token names."""

    async def key(self, kid: str | None) -> jwt.PyJWK:
        """The key for this `kid`; raises UnknownKey or KeysUnavailable."""
        ...

    def trusts(self, kid: str | None, key: jwt.PyJWK) -> bool:
        """Whether `key` is still the trusted key for `kid` (a verified token is reused only
        while its key is)."""
        ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class _Key:
    jwk: jwt.PyJWK
    data: dict[str, Any]


def signing_keys(document: Any, previous: Mapping[str | None, _Key]) -> dict[str | None, _Key]:
    """The usable signing keys of a JWKS document by `kid`: keys for another use, of another
    algorithm or that do not parse are left out. A key unchanged since `previous` is kept as the
    same object, so that tokens verified with it stay cached across a refresh."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document")
    keys: dict[str | None, _Key] = {}
    for data in document["keys"]:
        if not isinstance(data, dict) or data.get("use", "sig") != "sig":
            continue
        kid = data.get("kid")
        if kid is not None and not isinstance(kid, str):
            continue
        old = previous.get(kid)
        if old is not None and old.data == data:
            keys[kid] = old
            continue
        try:
            jwk = jwt.PyJWK(data)
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            continue
        if jwk.algorithm_name in ALGORITHMS:
            keys[kid] = _Key(jwk, data)
    return keys


def _lookup(keys: Mapping[str | None, _Key], kid: str | None) -> jwt.PyJWK | None:
    # A token without a `kid` is verified only against a set of one key (a pinned dev key).
    if kid is None:
        return next(iter(keys.values())).jwk if len(keys) == 1 else None
    found = keys.get(kid)
    return found.jwk if found is not None else None


class FileKeys:
    """A JWKS file, read once at start-up (changing it means a restart)."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise RuntimeError(
                f"QA_AUTH_JWKS names no file: {path} (locally, `make token` creates it)"
            )
        self._keys = signing_keys(json.loads(path.read_text()), {})

    async def key(self, kid: str | None) -> jwt.PyJWK:
        found = _lookup(self._keys, kid)
        if found is None:
            raise UnknownKey
        return found

    def trusts(self, kid: str | None, key: jwt.PyJWK) -> bool:
        return _lookup(self._keys, kid) is key

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


class RemoteKeys:
    """A JWKS URL's keys, fetched in the background and trusted for a TTL (module docstring)."""

    def __init__(self, url: str, *, ttl_s: float, cooldown_s: float, wait_s: float) -> None:
        self._url = url
        self._ttl_s = ttl_s
        self._cooldown_s = cooldown_s
        self._wait_s = wait_s
        self._fetch_timeout_s = min(FETCH_TIMEOUT_S, ttl_s / 4)
        self._keys: dict[str | None, _Key] = {}
        self._trusted_until = -math.inf  # time.monotonic()
        self._last_attempt = -math.inf
        self._fetching: asyncio.Task[bool] | None = None
        self._refresher: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        """Begin the first fetch and the refreshes; returns at once (a service starts, and
        answers 503 to tokens, while the URL does not answer)."""
        if self._refresher is None:
            self._refresher = asyncio.create_task(self._refresh_forever())

    async def close(self) -> None:
        for task in (self._refresher, self._fetching):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._refresher = self._fetching = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _fresh(self) -> bool:
        return time.monotonic() < self._trusted_until

    def trusts(self, kid: str | None, key: jwt.PyJWK) -> bool:
        return self._fresh() and _lookup(self._keys, kid) is key

    async def key(self, kid: str | None) -> jwt.PyJWK:
        if self._fresh():
            found = _lookup(self._keys, kid)
            if found is not None:
                return found
        # An unknown kid, or no trusted set: fetch again, at most once per cool-down.
        fetch = self._in_flight()
        if fetch is None and time.monotonic() - self._last_attempt >= self._cooldown_s:
            fetch = self._begin_fetch()
        if fetch is not None:
            # shield: a request giving up waiting does not cancel the fetch.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(fetch), self._wait_s)
        if not self._fresh():
            raise KeysUnavailable(self._cooldown_s)
        found = _lookup(self._keys, kid)
        if found is None:
            raise UnknownKey
        return found

    def _in_flight(self) -> asyncio.Task[bool] | None:
        if self._fetching is not None and not self._fetching.done():
            return self._fetching
        return None

    def _begin_fetch(self) -> asyncio.Task[bool]:
        self._last_attempt = time.monotonic()
        self._fetching = asyncio.create_task(self._fetch(self._last_attempt))
        return self._fetching

    async def _refresh_forever(self) -> None:
        while True:
            if await (self._in_flight() or self._begin_fetch()):
                # At half the set's age, so the next set is in before this one expires.
                delay = self._trusted_until - self._ttl_s / 2 - time.monotonic()
            else:
                delay = self._cooldown_s
            await asyncio.sleep(max(delay, 0.0))

    async def _fetch(self, started: float) -> bool:
        try:
            async with asyncio.timeout(self._fetch_timeout_s):
                document = await self._download()
            keys = signing_keys(document, self._keys)
        except Exception as exc:
            # The current set stays trusted until its TTL; the refresher tries again after a
            # cool-down. The URL is configuration, not personal data, but the type says enough.
            log.warning("jwks_fetch_failed", error=type(exc).__name__)
            return False
        self._keys = keys
        self._trusted_until = started + self._ttl_s
        log.debug("jwks_fetched", keys=len(keys))
        return True

    async def _download(self) -> Any:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._fetch_timeout_s)
        async with self._client.stream("GET", self._url) as response:
            response.raise_for_status()
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_JWKS_BYTES:
                    raise ValueError("the JWKS document is too large")
        return json.loads(body)
