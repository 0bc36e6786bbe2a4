"""Background work that runs until its service stops: the outbox relay, the consumer, the
return loads, the publisher. A failure (the broker or the database gone, a connection lost)
never ends it: the failure is logged by its type only (its message may quote data) and the
work starts again after a pause that doubles, up to 10 s, while the failures go on."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from qaf_shared.logging import get_logger

log = get_logger(__name__)

FIRST_PAUSE_S = 0.5
LONGEST_PAUSE_S = 10.0


async def run_forever(
    work: Callable[[], Awaitable[object]],
    event: str,
    *,
    on_failure: Callable[[Exception], None] | None = None,
    **fields: str,
) -> None:
    """Run `work` again and again until cancelled; each failure is logged as `event` with
    `fields` and the failure's type, and handed to `on_failure` (a status to show)."""
    pause = FIRST_PAUSE_S
    while True:
        try:
            await work()
            pause = FIRST_PAUSE_S
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if on_failure is not None:
                on_failure(exc)
            log.warning(event, **fields, error=type(exc).__name__)
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE_S)
