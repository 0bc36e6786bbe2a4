"""Audit programme use cases, and the progress of a programme's audits."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg

from audit_service.api.schemas.programmes import ProgrammeCreate, ProgrammeOut
from audit_service.domain.programmes import kind_errors
from audit_service.handlers.common import invalid, new_id
from audit_service.repository import audits as audit_rows
from audit_service.repository import logs
from audit_service.repository import programmes as programme_rows
from qaf_shared.enums import AuditStatus
from qaf_shared.http.auth import Principal
from qaf_shared.org_units import TenantUnits


def scope_errors(body: ProgrammeCreate, units: TenantUnits) -> list[tuple[str, str]]:
    """The scope names an area, a district (of that area) or a service, all of the tenant."""
    errors = []
    if body.area is not None and units.kind_of(body.area) != "area":
        errors.append(("body.area", f"unknown area {body.area!r} for tenant {units.tenant}"))
    if body.district is not None:
        if units.kind_of(body.district) != "district":
            errors.append(
                ("body.district", f"unknown district {body.district!r} for tenant {units.tenant}")
            )
        elif body.area is not None and body.district not in units.areas.get(body.area, {}):
            errors.append(("body.district", f"not a district of {body.area}"))
    if body.service is not None:
        if units.kind_of(body.service) != "service":
            errors.append(
                ("body.service", f"unknown service {body.service!r} for tenant {units.tenant}")
            )
        if body.area is not None or body.district is not None:
            errors.append(("body.service", "a programme covers a service or an area, not both"))
    return errors


async def create(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    body: ProgrammeCreate,
    units: TenantUnits,
) -> asyncpg.Record:
    errors = scope_errors(body, units) + kind_errors(
        body.kind, theme=body.theme, hypothesis=body.hypothesis, area=body.area
    )
    if errors:
        raise invalid(errors)
    area = body.area
    if body.district is not None and area is None:
        # Stored resolved, like an audit's unit.
        area = next(a for a, ds in units.areas.items() if body.district in ds)
    row = await programme_rows.insert(
        conn,
        principal=principal,
        actor=actor,
        programme=programme_rows.NewProgramme(
            id=new_id(),
            kind=body.kind.value,
            name=body.name,
            period=body.period,
            area=area,
            district=body.district,
            service=body.service,
            theme=body.theme,
            hypothesis=body.hypothesis,
            due_date=body.due_date,
        ),
    )
    await logs.record_change(
        conn,
        principal,
        actor=actor,
        resource_type="programme",
        resource_id=row["id"],
        change="created",
    )
    return row


async def with_progress(
    conn: asyncpg.Connection, tenant: str, rows: list[asyncpg.Record], on: date
) -> list[dict[str, Any]]:
    """Each programme as callers see it, with its audits counted by status."""
    counts: dict[uuid.UUID, dict[str, int]] = {row["id"]: {} for row in rows}
    overdue: dict[uuid.UUID, int] = dict.fromkeys(counts, 0)
    for record in await audit_rows.progress(conn, tenant, list(counts), on):
        counts[record["programme_id"]][record["status"]] = record["audits"]
        overdue[record["programme_id"]] += record["overdue"]
    out = []
    for row in rows:
        by_status = counts[row["id"]]
        unsubmitted = by_status.get(AuditStatus.SCHEDULED, 0) + by_status.get(
            AuditStatus.IN_PROGRESS, 0
        )
        body = {
            **dict(row),
            "overdue": on > row["due_date"] and unsubmitted > 0,
            "progress": {
                "total": sum(by_status.values()),
                "by_status": by_status,
                "overdue": overdue[row["id"]],
            },
        }
        out.append(ProgrammeOut.model_validate(body).model_dump(mode="json"))
    return out
