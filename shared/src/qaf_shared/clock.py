"""The one business clock. "Today" is the date in England (Europe/London), where the
authorities' working days, due dates and "not in the future" rules are: a write at 00:30 in
British Summer Time belongs to that day, not to the day before as in UTC. Timestamps
(`created_at`, an event's `time`) stay UTC instants; only business dates come from here.

The app holds one instance on `app.state.clock`; tests replace it (or pass their own to the
service's `create_app`) to run a service at a chosen instant."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from starlette.requests import Request

LONDON = ZoneInfo("Europe/London")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class BusinessClock:
    """Today's business date; `now` (an aware instant) is injectable for tests."""

    def __init__(self, now: Callable[[], datetime] = _utc_now) -> None:
        self._now = now

    def today(self) -> date:
        return self._now().astimezone(LONDON).date()


def business_today(request: Request) -> date:
    """Today's business date by the clock of the app serving `request`."""
    clock: BusinessClock = request.app.state.clock
    return clock.today()
