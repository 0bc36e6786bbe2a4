"""Activity events as activity-service publishes them, for the projections' tests: a record's
`recorded` (its whole current facts, at a version) and `withdrawn` events."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from qaf_shared.events import activity as ev
from qaf_shared.events.envelope import CloudEvent, new_event
from qaf_shared.events.payloads import OrgUnitRef

from .projection_helpers import TENANT, UNIT

# England and Wales bank holidays of 2025 (gov.uk), written out so that the tests count
# working days on their own.
BANK_HOLIDAYS = {
    date(2025, 1, 1),
    date(2025, 4, 18),
    date(2025, 4, 21),
    date(2025, 5, 5),
    date(2025, 5, 26),
    date(2025, 8, 25),
    date(2025, 12, 25),
    date(2025, 12, 26),
}


def working_day(after: date, n: int) -> date:
    """The n-th working day after `after`, counted day by day."""
    day, counted = after, 0
    while counted < n:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in BANK_HOLIDAYS:
            counted += 1
    return day


def recorded(
    kind: str,
    *,
    record: uuid.UUID | None = None,
    version: int = 1,
    child: str = "child-1",
    unit: OrgUnitRef = UNIT,
    **facts: Any,
) -> CloudEvent:
    """A `<kind>.recorded` event of `record` (a new one if not given) at `version`."""
    record = record or uuid.uuid4()
    data = ev.RECORDED[kind](
        record_id=record,
        child_key=child,
        org_unit=unit,
        version=version,
        source="REST",
        **facts,
    )
    return new_event(source="/test", tenant=TENANT, subject=str(record), data=data)


def withdrawn(
    kind: str,
    record: uuid.UUID,
    key_date: date,
    *,
    version: int,
    child: str = "child-1",
    unit: OrgUnitRef = UNIT,
    **facts: Any,
) -> CloudEvent:
    data = ev.WITHDRAWN[kind](
        record_id=record,
        child_key=child,
        org_unit=unit,
        version=version,
        source="REST",
        key_date=key_date,
        **facts,
    )
    return new_event(source="/test", tenant=TENANT, subject=str(record), data=data)


def record_of(event: CloudEvent) -> uuid.UUID:
    return uuid.UUID(str(event.data["record_id"]))
