"""audit-service's SQL (asyncpg): the rows, always scoped by tenant."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg

from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.http.auth import Principal

_COLUMNS = """id, version, tenant, case_ref, area, district, team, service, plan_type, auditor,
due_date, programme_id, kind, status, overall_grade, final_grade, section_grades, themes,
child_voice_evident, commentary, submitted_on, submission_count"""

_INSERT = f"""
INSERT INTO audits (id, tenant, case_ref, area, district, team, service, plan_type, auditor,
    due_date, programme_id, kind, status, version,
    created_by_client, created_by_actor, updated_by_client, updated_by_actor)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'SCHEDULED', 1, $13, $14, $13, $14)
RETURNING {_COLUMNS}
"""

_GET = f"SELECT {_COLUMNS} FROM audits WHERE tenant = $1 AND id = $2"
_GET_FOR_UPDATE = _GET + " FOR UPDATE"

_SUBMIT = f"""
UPDATE audits SET status = 'SUBMITTED', overall_grade = $3, final_grade = $3,
    section_grades = $4, themes = $5, child_voice_evident = $6, commentary = $7,
    submitted_on = $8, submission_count = submission_count + 1, version = version + 1,
    updated_at = now(), updated_by_client = $9, updated_by_actor = $10
WHERE tenant = $1 AND id = $2
RETURNING {_COLUMNS}
"""


async def insert_audit(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    audit_id: uuid.UUID,
    case_ref: str,
    unit: OrgUnitRef,
    plan_type: str,
    auditor: str,
    due_date: date,
    programme_id: uuid.UUID | None,
    kind: str | None,
) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        _INSERT,
        audit_id,
        principal.tenant,
        case_ref,
        unit.area,
        unit.district,
        unit.team,
        unit.service,
        plan_type,
        auditor,
        due_date,
        programme_id,
        kind,
        principal.client,
        actor,
    )
    return row


async def get_audit(
    conn: asyncpg.Connection, tenant: str, audit_id: uuid.UUID, *, for_update: bool = False
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        _GET_FOR_UPDATE if for_update else _GET, tenant, audit_id
    )
    return row


async def submit_audit(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    audit_id: uuid.UUID,
    overall_grade: str,
    section_grades: dict[str, str],
    themes: list[str],
    child_voice_evident: bool,
    commentary: str | None,
    submitted_on: date,
) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        _SUBMIT,
        principal.tenant,
        audit_id,
        overall_grade,
        section_grades,
        themes,
        child_voice_evident,
        commentary,
        submitted_on,
        principal.client,
        actor,
    )
    return row


def as_dict(row: asyncpg.Record) -> dict[str, Any]:
    return dict(row)
