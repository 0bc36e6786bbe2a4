"""activity-service's events, built from stored records. The payload class names its type
(`qaf_shared.events.activity`), so a type string is never written here. A record is known by
`child_key`, never `child_ref` (docs/activity.md, Pseudonymity)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic_core import PydanticUndefined

from activity_service.domain.kinds import Kind
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


def _facts_and_defaults(payload: type[ActivityRecord]) -> tuple[tuple[str, Any], ...]:
    """The payload's fields beyond the common ones, each with the value it has when the record
    gives none (None: left out, as `exclude_none` leaves it)."""
    return tuple(
        (name, None if field.default is PydanticUndefined else field.default)
        for name, field in payload.model_fields.items()
        if name not in ActivityRecord.model_fields
    )


_FIELDS = {Kind(kind): _facts_and_defaults(payload) for kind, payload in RECORDED.items()}


def _unit_json(unit: OrgUnitRef) -> dict[str, str]:
    pairs = (
        ("area", unit.area),
        ("district", unit.district),
        ("team", unit.team),
        ("service", unit.service),
    )
    return {name: value for name, value in pairs if value is not None}


def recorded(tenant: str, record: StoredRecord, *, time: str | None = None) -> PreparedEvent:
    """The record's whole current state: its facts, its derived facts and its version, as
    the payload model `RECORDED[kind]` dumps it (`exclude_none`), built directly: the facts
    are stored in their JSON form, checked when written, and a batch publishes a thousand of
    these (a test compares each kind with the model's dump). `time`: the batch's, `json_time`."""
    unit = record.unit
    data: dict[str, Any] = {
        "record_id": str(record.id),
        "child_key": record.child_key,
        "org_unit": {} if unit is None else _unit_json(unit),
        "version": record.version,
        "source": record.source,
    }
    facts, derived = record.facts, record.derived
    for name, default in _FIELDS[record.kind]:
        value = facts.get(name)
        if value is None:
            value = derived.get(name)
            if value is None:
                value = default
        if value is not None:
            data[name] = list(value) if isinstance(value, list) else value
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
        record_id=record.id,
        child_key=record.child_key,
        org_unit=record.unit or _TENANT_LEVEL,
        version=record.version,
        source=record.source,
        **fields,
    )
    return new_event(source=SOURCE, tenant=tenant, subject=str(record.id), data=data)
