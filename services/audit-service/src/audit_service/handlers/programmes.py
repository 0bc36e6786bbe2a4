"""Audit programme use cases, and the progress of a programme's audits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import asyncpg

from audit_service.domain.programmes import kind_errors, scope_errors
from audit_service.repository import audits as audit_rows
from audit_service.repository import logs
from audit_service.repository import programmes as programme_rows
from qaf_shared.enums import ProgrammeKind
from qaf_shared.http.auth import Principal
from qaf_shared.org_units import TenantUnits
from qaf_shared.rules import check_fields

# The validated input creating a programme takes. The API's request model
# (api/schemas/programmes.py) has this shape; the use case names only what it reads, so it
# never imports the API.


class ProgrammeInput(Protocol):
    @property
    def kind(self) -> ProgrammeKind: ...
    @property
    def name(self) -> str: ...
    @property
    def period(self) -> str: ...
    @property
    def area(self) -> str | None: ...
    @property
    def district(self) -> str | None: ...
    @property
    def service(self) -> str | None: ...
    @property
    def theme(self) -> str | None: ...
    @property
    def hypothesis(self) -> str | None: ...
    @property
    def due_date(self) -> date: ...


async def create(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    body: ProgrammeInput,
    units: TenantUnits,
) -> asyncpg.Record:
    check_fields(
        scope_errors(units, area=body.area, district=body.district, service=body.service)
        + kind_errors(body.kind, theme=body.theme, hypothesis=body.hypothesis, area=body.area)
    )
    area = body.area
    if body.district is not None and area is None:
        # Stored resolved, like an audit's unit.
        area = next(a for a, ds in units.areas.items() if body.district in ds)
    row = await programme_rows.insert(
        conn,
        principal=principal,
        actor=actor,
        programme=programme_rows.NewProgramme(
            tenant=principal.tenant,
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


@dataclass(frozen=True, slots=True)
class AuditProgress:
    """A programme's audits counted by status, and how many of them are overdue."""

    by_status: dict[str, int]
    overdue: int


async def progress(
    conn: asyncpg.Connection, tenant: str, programme_ids: list[uuid.UUID], on: date
) -> dict[uuid.UUID, AuditProgress]:
    """The progress of each programme's audits as of `on`."""
    counts: dict[uuid.UUID, dict[str, int]] = {ident: {} for ident in programme_ids}
    overdue: dict[uuid.UUID, int] = dict.fromkeys(counts, 0)
    for record in await audit_rows.progress(conn, tenant, list(counts), on):
        counts[record["programme_id"]][record["status"]] = record["audits"]
        overdue[record["programme_id"]] += record["overdue"]
    return {ident: AuditProgress(counts[ident], overdue[ident]) for ident in counts}
