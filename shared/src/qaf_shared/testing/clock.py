"""A business clock stopped at one instant, to run a service at a chosen time (00:30 in
London, a quarter's last evening)."""

from __future__ import annotations

from datetime import datetime

from qaf_shared.clock import BusinessClock


def fixed_clock(instant: datetime) -> BusinessClock:
    """A clock stopped at one aware instant."""
    if instant.tzinfo is None:
        raise ValueError("the instant must be timezone-aware")
    return BusinessClock(lambda: instant)
