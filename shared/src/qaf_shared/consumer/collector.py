"""CPython's cyclic garbage collector held off while a batch is applied.

A batch of 10,000 events keeps a few million objects alive (the parsed events, the facts
before and after, the emissions and cells) until it commits. While they live, the
collector's full collections walk every one of them, again and again, and find nothing:
the batch's objects are freed by their reference counts as it ends. Measured in process
(`python -m bench.fold`), that was almost half the consumer's Python time (105 against
57 us an event). Paused, the batch's garbage with cycles (rare: an exception's traceback)
waits for the next collection after it, and a batch's peak memory is what it was
(bench/README.md, "Consumer and rebuild")."""

from __future__ import annotations

import gc
from types import TracebackType


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


paused_collector = PausedCollector()
"""The process's one pause: every consumer loop of the process goes through it."""
