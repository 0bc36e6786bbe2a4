"""activity-service's events, built from stored records. The payload class names its type
(`qaf_shared.events.activity`), so a type string is never written here. A record is known by
`child_key`, never `child_ref` (docs/activity.md, Pseudonymity)."""

from __future__ import annotations

from activity_service.repository.records import StoredRecord
from qaf_shared.events.activity import RECORDED, WITHDRAWN
from qaf_shared.events.envelope import CloudEvent, new_event
from qaf_shared.events.payloads import OrgUnitRef

SOURCE = "/services/activity-service"

_TENANT_LEVEL = OrgUnitRef()


def recorded(tenant: str, record: StoredRecord) -> CloudEvent:
    """The record's whole current state: its facts, its derived facts and its version."""
    payload = RECORDED[record.kind](
        record_id=record.id,
        child_key=record.child_key,
        org_unit=record.unit or _TENANT_LEVEL,
        version=record.version,
        source=record.source,
        **record.facts,
        **record.derived,
    )
    return new_event(source=SOURCE, tenant=tenant, subject=str(record.id), data=payload)


def withdrawn(tenant: str, record: StoredRecord) -> CloudEvent:
    """The record leaves every figure (a visit's plan type is part of what it was)."""
    extra = {"plan_type": record.plan_type} if record.plan_type else {}
    payload = WITHDRAWN[record.kind](
        record_id=record.id,
        child_key=record.child_key,
        org_unit=record.unit or _TENANT_LEVEL,
        version=record.version,
        source=record.source,
        key_date=record.key_date,
        **extra,
    )
    return new_event(source=SOURCE, tenant=tenant, subject=str(record.id), data=payload)
