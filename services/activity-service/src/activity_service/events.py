"""activity-service's events, built from stored records. The payload class names its type
(`qaf_shared.events.activity`), so a type string is never written here. A record is known by
`child_key`, never `child_ref` (docs/activity.md, Pseudonymity)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic_core import PydanticUndefined

from activity_service.domain.kinds import FACTS, Kind
from activity_service.repository.records import StoredRecord
from qaf_shared.events.activity import RECORDED, WITHDRAWN, ActivityRecord
from qaf_shared.events.envelope import (
    CloudEvent,
    PreparedEvent,
    json_time,
    new_event,
    prepared_event,
)
from qaf_shared.events.payloads import OrgUnitRef

SOURCE = "/services/activity-service"

_TENANT_LEVEL = OrgUnitRef()


def _defaults(payload: type[ActivityRecord]) -> tuple[tuple[str, Any], ...]:
    """The payload's fields beyond the common ones that have a value when the record gives
    none (the others are left out then, as `exclude_none` leaves them)."""
    return tuple(
        (name, field.default)
        for name, field in payload.model_fields.items()
        if name not in ActivityRecord.model_fields
        and field.default is not PydanticUndefined
        and field.default is not None
    )


def _published(payload: type[ActivityRecord]) -> frozenset[str]:
    return frozenset(payload.model_fields) - frozenset(ActivityRecord.model_fields)


_DEFAULTS = {Kind(kind): _defaults(payload) for kind, payload in RECORDED.items()}
# Every fact a record can hold is a field of its kind's payload (so the facts go into the
# event as they are, none to leave out).
for _kind, _payload in RECORDED.items():
    if not FACTS[Kind(_kind)].keys() <= _published(_payload):
        raise RuntimeError(f"{_payload.__name__} does not publish every fact of a {_kind}")


def _unit_json(unit: OrgUnitRef) -> dict[str, str]:
    pairs = (
        ("area", unit.area),
        ("district", unit.district),
        ("team", unit.team),
        ("service", unit.service),
    )
    return {name: value for name, value in pairs if value is not None}


class UnitsJson:
    """Units in their JSON form, each worked out once for a batch's events (a batch's
    thousand records name a few dozen units, each one object)."""

    __slots__ = ("_made",)

    def __init__(self) -> None:
        self._made: dict[int, tuple[OrgUnitRef, dict[str, str]]] = {}

    def of(self, unit: OrgUnitRef) -> dict[str, str]:
        # By identity, holding the unit so that its id is not reused while this lives.
        made = self._made.get(id(unit))
        if made is None:
            made = self._made[id(unit)] = (unit, _unit_json(unit))
        return made[1]


def recorded(
    tenant: str, record: StoredRecord, *, time: str | None = None, units: UnitsJson | None = None
) -> PreparedEvent:
    """The record's whole current state: its facts, its derived facts and its version, as
    the payload model `RECORDED[kind]` dumps it (`exclude_none`), built directly: the facts
    are stored in their JSON form, checked when written, and a batch publishes a thousand of
    these (a test compares each kind with the model's dump). `time`: the batch's, `json_time`;
    `units`: the batch's."""
    unit = record.unit
    data: dict[str, Any] = {
        "record_id": record.id,
        "child_key": record.child_key,
        "org_unit": {} if unit is None else units.of(unit) if units else _unit_json(unit),
        "version": record.version,
        "source": record.source,
    }
    # A stored fact is never None, and wins over a derived one of the same name.
    data.update(record.facts)
    for name, value in record.derived.items():
        if value is not None and name not in data:
            data[name] = value
    for name, default in _DEFAULTS[record.kind]:
        if name not in data:
            data[name] = list(default) if isinstance(default, list) else default
    return prepared_event(
        source=SOURCE,
        tenant=tenant,
        subject=data["record_id"],
        payload=RECORDED[record.kind],
        data=data,
        time=time or json_time(datetime.now(UTC)),
    )


def withdrawn(tenant: str, record: StoredRecord) -> CloudEvent:
    """The record leaves every figure (a visit's plan type is part of what it was)."""
    extra = {"plan_type": record.plan_type} if record.plan_type else {}
    return _event(tenant, record, WITHDRAWN[record.kind], key_date=record.key_date, **extra)


def _event(
    tenant: str, record: StoredRecord, payload: type[ActivityRecord], **fields: Any
) -> CloudEvent:
    """An event of `record`'s: what every one carries, with `fields`."""
    data = payload(
        record_id=uuid.UUID(record.id),
        child_key=record.child_key,
        org_unit=record.unit or _TENANT_LEVEL,
        version=record.version,
        source=record.source,
        **fields,
    )
    return new_event(source=SOURCE, tenant=tenant, subject=record.id, data=data)
