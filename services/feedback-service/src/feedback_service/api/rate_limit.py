"""A per-client token bucket for the provider integration.

In-process: each replica keeps its own buckets, so with N replicas behind a load balancer a
client may get up to N times the configured rate. That is acceptable for one commissioned
provider; a shared limit would belong in the gateway or in PostgreSQL/Redis."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable


class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up; one request costs one token."""

    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 10_000,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, client: str) -> float:
        """Spend one token for `client`: 0 when allowed, else the seconds until a token is
        available again (what `Retry-After` says)."""
        now = self._clock()
        tokens, last = self._buckets.pop(client, (self._burst, now))
        tokens = min(self._burst, tokens + (now - last) * self._rate)
        if tokens >= 1:
            tokens -= 1
            wait = 0.0
        else:
            wait = (1 - tokens) / self._rate
        self._buckets[client] = (tokens, now)
        if len(self._buckets) > self._max_clients:
            # The least recently seen client: a full bucket again when it returns, which
            # only ever errs towards allowing.
            self._buckets.popitem(last=False)
        return wait


def retry_after_seconds(wait: float) -> int:
    """`Retry-After` is whole seconds; round up so that a retry then succeeds."""
    return max(1, math.ceil(wait))
