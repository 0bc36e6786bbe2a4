"""activity-service's events, built from stored records. The payload class names its type
(`qaf_shared.events.activity`), so a type string is never written here. A record is known by
`child_key`, never `child_ref` (docs/activity.md, Pseudonymity)."""

from __future__ import annotations

from typing import Any

from activity_service.repository.records import StoredRecord
from qaf_shared.events.activity import RECORDED, WITHDRAWN, ActivityRecord
from qaf_shared.events.envelope import CloudEvent, new_event
from qaf_shared.events.payloads import OrgUnitRef

SOURCE = "/services/activity-service"

_TENANT_LEVEL = OrgUnitRef()


def recorded(tenant: str, record: StoredRecord) -> CloudEvent:
    """The record's whole current state: its facts, its derived facts and its version."""
    return _event(tenant, record, RECORDED[record.kind], **record.facts, **record.derived)


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
