"""CPython's cyclic garbage collector held off while a batch is applied.

A batch of 10,000 events keeps a few million objects alive (the parsed events, the facts
before and after, the emissions and cells) until it commits. While they live, the
collector's full collections walk every one of them, again and again, and find nothing:
the batch's objects are freed by their reference counts as it ends. Measured in process
(`python -m bench.fold`), that was almost half the consumer's Python time (105 against
57 us an event). Paused, the batch's garbage with cycles (rare: an exception's traceback)
waits for the next collection after it, and a batch's peak memory is what it was
(bench/README.md, "Consumer and rebuild").

Switched back on between two batches of a backlog, it collected at once (the allocations
of the paused batch had long passed the young generation's threshold) and walked the next
batch, already fetched and parsed, to no purpose: 6 us of the 56 an event of the live
consumer's Python. A loop with batches waiting therefore keeps it off between them
(`Backlog`), and lets one full collection through every `LONGEST_HOLD_S` while the backlog
lasts, so that garbage in cycles is still found (a failed batch's traceback can hold the
batch it failed in)."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from types import TracebackType

LONGEST_HOLD_S = 10.0


class PausedCollector:
    """`with paused_collector:` — automatic collection off inside, back as it was after.
    Re-entrant and shared: batches that overlap on one event loop (the live consumer's and
    a rebuild's) switch it back on only when the last one ends, and only if it was on
    before the first began."""

    def __init__(self) -> None:
        self._depth = 0
        self._resume = False

    def __enter__(self) -> None:
        if self._depth == 0:
            self._resume = gc.isenabled()
            gc.disable()
        self._depth += 1

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth == 0 and self._resume:
            gc.enable()

    def collect(self) -> None:
        """Inside the pause: a full collection now, if the process had collection on before
        it."""
        if self._depth and self._resume:
            gc.collect()


paused_collector = PausedCollector()
"""The process's one pause: every consumer loop of the process goes through it."""


class Backlog:
    """A loop's hold on the pause between its batches: `busy` as each batch is taken while
    more follow, `idle` once nothing is waiting (and when the loop ends). Held for
    `longest_hold_s`, `busy` runs one full collection and holds on."""

    def __init__(
        self,
        paused: PausedCollector = paused_collector,
        *,
        longest_hold_s: float = LONGEST_HOLD_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._paused = paused
        self._longest_hold_s = longest_hold_s
        self._clock = clock
        self._since: float | None = None

    def busy(self) -> None:
        now = self._clock()
        if self._since is None:
            self._paused.__enter__()
            self._since = now
        elif now - self._since >= self._longest_hold_s:
            self._paused.collect()
            self._since = now

    def idle(self) -> None:
        if self._since is not None:
            self._since = None
            self._paused.__exit__(None, None, None)
