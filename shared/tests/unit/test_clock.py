"""The one business clock: today is the date in England, whatever the instant's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from qaf_shared.clock import BusinessClock
from qaf_shared.testing.clock import fixed_clock


@pytest.mark.parametrize(
    ("instant", "today"),
    [
        # British Summer Time (UTC+1): from 23:00 UTC it is already the next day in London.
        (datetime(2026, 7, 15, 22, 59, tzinfo=UTC), date(2026, 7, 15)),
        (datetime(2026, 7, 15, 23, 30, tzinfo=UTC), date(2026, 7, 16)),
        # The quarter turns at London's midnight too.
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), date(2026, 7, 1)),
        # Greenwich Mean Time: London's date is UTC's.
        (datetime(2026, 1, 15, 23, 30, tzinfo=UTC), date(2026, 1, 15)),
        (datetime(2026, 1, 16, 0, 0, tzinfo=UTC), date(2026, 1, 16)),
        # Any aware instant, not only UTC ones.
        (datetime(2026, 7, 16, 8, 0, tzinfo=timezone(timedelta(hours=9))), date(2026, 7, 16)),
        (datetime(2026, 7, 15, 19, 30, tzinfo=timezone(timedelta(hours=-4))), date(2026, 7, 16)),
    ],
)
def test_today_is_the_date_in_london(instant: datetime, today: date) -> None:
    assert fixed_clock(instant).today() == today
    assert BusinessClock(lambda: instant).today() == today


def test_the_real_clock_gives_a_date_within_a_day_of_utcs() -> None:
    utc_today = datetime.now(UTC).date()
    assert BusinessClock().today() in (utc_today, utc_today + timedelta(days=1))


def test_a_stopped_clock_needs_an_aware_instant() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        fixed_clock(datetime(2026, 7, 15, 23, 30))
