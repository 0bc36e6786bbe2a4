"""A business clock stopped at one instant, to run a service at a chosen time (00:30 in
London, a quarter's last evening)."""

from __future__ import annotations

from datetime import UTC, datetime

from qaf_shared.clock import BusinessClock

# 00:30 BST on 16 July 2026: London's date is the 16th, though UTC's is still the 15th.
HALF_PAST_MIDNIGHT_IN_LONDON = datetime(2026, 7, 15, 23, 30, tzinfo=UTC)
LONDON_DATE = "2026-07-16"
TOMORROW = "2026-07-17"  # London's tomorrow at that instant


def fixed_clock(instant: datetime) -> BusinessClock:
    """A clock stopped at one aware instant."""
    if instant.tzinfo is None:
        raise ValueError("the instant must be timezone-aware")
    return BusinessClock(lambda: instant)
