"""Audit programme use cases, and the progress of a programme's audits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import asyncpg

from audit_service.domain.programmes import kind_errors, scope_errors
from audit_service.repository import audits as audit_rows
from audit_service.repository import programmes as programme_rows
from qaf_shared.authors import Author
from qaf_shared.enums import ProgrammeKind
from qaf_shared.org_units import TenantUnits
from qaf_shared.rules import check_fields


async def create(
    conn: asyncpg.Connection,
    *,
    who: Author,
    kind: ProgrammeKind,
    name: str,
    period: str,
    area: str | None,
    district: str | None,
    service: str | None,
    theme: str | None,
    hypothesis: str | None,
    due_date: date,
    units: TenantUnits,
) -> asyncpg.Record:
    check_fields(
        scope_errors(units, area=area, district=district, service=service)
        + kind_errors(kind, theme=theme, hypothesis=hypothesis, area=area)
    )
    if district is not None and area is None:
        # Stored resolved, like an audit's unit.
        area = next(a for a, ds in units.areas.items() if district in ds)
    row = await programme_rows.insert(
        conn,
        who,
        programme_rows.NewProgramme(
            tenant=who.principal.tenant,
            kind=kind.value,
            name=name,
            period=period,
            area=area,
            district=district,
            service=service,
            theme=theme,
            hypothesis=hypothesis,
            due_date=due_date,
        ),
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
