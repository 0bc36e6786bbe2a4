"""audit-service's events (`qaf_shared.events.audit`, on qa.audit.events.v1), built from an
audit's row after the change. Each carries what places it in reports without history (the
audit's org unit, plan type, programme and kind), never answers, commentary, comments,
rationale, concern detail or action text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qaf_shared.events.audit import AuditEvent
from qaf_shared.events.envelope import CloudEvent, new_event
from qaf_shared.events.payloads import OrgUnitRef

SOURCE = "/services/audit-service"


def audit_event(
    tenant: str, audit: Mapping[str, Any], payload: type[AuditEvent], **data: Any
) -> CloudEvent:
    """An event about an audit (actions' and concerns' too: keyed by the audit so that they
    stay in order with it), of the type its payload class names."""
    body = payload(
        audit_id=audit["id"],
        org_unit=OrgUnitRef.from_row(audit),
        plan_type=audit["plan_type"],
        programme_id=audit["programme_id"],
        programme_kind=audit["kind"],
        **data,
    )
    return new_event(source=SOURCE, tenant=tenant, subject=str(audit["id"]), data=body)
