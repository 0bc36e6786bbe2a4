"""The service's "today": the date in England, where the escalations' working days are."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def today_in_england() -> date:
    return datetime.now(LONDON).date()
