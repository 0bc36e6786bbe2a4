"""feedback-service's SQL (asyncpg): the rows, always scoped by tenant (and, for the
provider's own records, by provider)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import asyncpg

from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.http.auth import Principal

# Lists: the filters a caller gave, turned into SQL with numbered parameters.


@dataclass
class Filters:
    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, clause: str, value: Any) -> None:
        """`clause` uses `{}` where the parameter goes."""
        if value is None:
            return
        self.params.append(value)
        self.clauses.append(clause.format(f"${len(self.params)}"))

    def after(self, cursor: tuple[datetime, uuid.UUID] | None) -> None:
        if cursor is None:
            return
        self.params.extend(cursor)
        n = len(self.params)
        self.clauses.append(f"(created_at, id) > (${n - 1}, ${n})")

    def where(self) -> str:
        return " AND ".join(self.clauses) or "true"

    def limit(self, limit: int) -> str:
        self.params.append(limit + 1)
        return f"ORDER BY created_at, id LIMIT ${len(self.params)}"


def unit_filters(
    tenant: str,
    *,
    area: str | None,
    district: str | None,
    team: str | None,
    service: str | None,
) -> Filters:
    filters = Filters()
    filters.add("tenant = {}", tenant)
    filters.add("area = {}", area)
    filters.add("district = {}", district)
    filters.add("team = {}", team)
    filters.add("service = {}", service)
    return filters


async def _list(
    conn: asyncpg.Connection, table: str, columns: str, filters: Filters, limit: int
) -> list[asyncpg.Record]:
    order = filters.limit(limit)
    rows: list[asyncpg.Record] = await conn.fetch(
        f"SELECT {columns} FROM {table} WHERE {filters.where()} {order}", *filters.params
    )
    return rows


# Feedback items

FEEDBACK_COLUMNS = """id, version, source, respondent, partner_type, conference_type, case_ref,
area, district, team, service, received_on, answers, comment, provider, external_id, created_at"""

# A new item, as one of a create's statements (`qaf_shared.http.idempotency.Creation`): the
# values, created_at included, come from the application, which answers from them.
INSERT_FEEDBACK = """
INSERT INTO feedback_items (id, tenant, source, respondent, partner_type, conference_type,
    case_ref, area, district, team, service, received_on, answers, comment,
    created_by_client, created_by_actor, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
"""

# A batch in one statement. Rows that meet an existing (tenant, provider, external_id) are
# skipped, and a concurrent batch inserting the same key waits for ours to commit and then
# skips it too: one record per external id, whatever the interleaving.
_INSERT_PROVIDER_FEEDBACK = """
INSERT INTO feedback_items (id, tenant, provider, external_id, submission_id, source, case_ref,
    area, district, team, service, received_on, answers, comment,
    created_by_client, created_by_actor)
SELECT id, $1, $2, external_id, $3, source, case_ref, area, district, team, service,
    received_on, answers, comment, $4, $5
FROM unnest($6::uuid[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
    $12::text[], $13::text[], $14::date[], $15::jsonb[], $16::text[])
    AS t(id, external_id, source, case_ref, area, district, team, service, received_on,
         answers, comment)
ON CONFLICT ON CONSTRAINT feedback_items_provider_external_id DO NOTHING
RETURNING id, external_id
"""

_EXISTING_PROVIDER_IDS = """
SELECT external_id, id FROM feedback_items
WHERE tenant = $1 AND provider = $2 AND external_id = ANY($3::text[])
"""


@dataclass(frozen=True)
class ProviderRow:
    id: uuid.UUID
    external_id: str
    source: str
    case_ref: str | None
    unit: OrgUnitRef
    received_on: date
    answers: dict[str, int]
    comment: str | None


async def insert_provider_feedback(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    provider: str,
    actor: str | None,
    submission_id: uuid.UUID,
    rows: Sequence[ProviderRow],
) -> dict[str, uuid.UUID]:
    """Insert what is new; return external id -> id of the rows this call inserted."""
    if not rows:
        return {}
    inserted = await conn.fetch(
        _INSERT_PROVIDER_FEEDBACK,
        principal.tenant,
        provider,
        submission_id,
        principal.client,
        actor,
        [r.id for r in rows],
        [r.external_id for r in rows],
        [r.source for r in rows],
        [r.case_ref for r in rows],
        [r.unit.area for r in rows],
        [r.unit.district for r in rows],
        [r.unit.team for r in rows],
        [r.unit.service for r in rows],
        [r.received_on for r in rows],
        [r.answers for r in rows],
        [r.comment for r in rows],
    )
    return {r["external_id"]: r["id"] for r in inserted}


async def existing_provider_ids(
    conn: asyncpg.Connection, tenant: str, provider: str, external_ids: Sequence[str]
) -> dict[str, uuid.UUID]:
    if not external_ids:
        return {}
    rows = await conn.fetch(_EXISTING_PROVIDER_IDS, tenant, provider, list(external_ids))
    return {r["external_id"]: r["id"] for r in rows}


async def get_feedback(
    conn: asyncpg.Connection, tenant: str, feedback_id: uuid.UUID
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        f"SELECT {FEEDBACK_COLUMNS} FROM feedback_items WHERE tenant = $1 AND id = $2",
        tenant,
        feedback_id,
    )
    return row


async def list_feedback(
    conn: asyncpg.Connection, filters: Filters, limit: int
) -> list[asyncpg.Record]:
    return await _list(conn, "feedback_items", FEEDBACK_COLUMNS, filters, limit)


# Review participation

PARTICIPATION_COLUMNS = """id, version, case_ref, area, district, team, service, review_due,
review_held, pn_code, in_timescale, created_at"""

_INSERT_PARTICIPATION = f"""
INSERT INTO participation_records (id, tenant, case_ref, area, district, team, service,
    review_due, review_held, pn_code, in_timescale, created_by_client, created_by_actor)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT ON CONSTRAINT participation_one_per_review DO NOTHING
RETURNING {PARTICIPATION_COLUMNS}
"""


async def insert_participation(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    participation_id: uuid.UUID,
    case_ref: str,
    unit: OrgUnitRef,
    review_due: date,
    review_held: date,
    pn_code: str,
    in_timescale: bool,
) -> asyncpg.Record | None:
    """The new row, or None when the review already has its record."""
    row: asyncpg.Record | None = await conn.fetchrow(
        _INSERT_PARTICIPATION,
        participation_id,
        principal.tenant,
        case_ref,
        unit.area,
        unit.district,
        unit.team,
        unit.service,
        review_due,
        review_held,
        pn_code,
        in_timescale,
        principal.client,
        actor,
    )
    return row


async def find_participation(
    conn: asyncpg.Connection, tenant: str, case_ref: str, review_held: date
) -> uuid.UUID | None:
    found: uuid.UUID | None = await conn.fetchval(
        "SELECT id FROM participation_records WHERE tenant = $1 AND case_ref = $2 AND review_held = $3",
        tenant,
        case_ref,
        review_held,
    )
    return found


async def get_participation(
    conn: asyncpg.Connection, tenant: str, participation_id: uuid.UUID
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        f"SELECT {PARTICIPATION_COLUMNS} FROM participation_records WHERE tenant = $1 AND id = $2",
        tenant,
        participation_id,
    )
    return row


async def list_participation(
    conn: asyncpg.Connection, filters: Filters, limit: int
) -> list[asyncpg.Record]:
    return await _list(conn, "participation_records", PARTICIPATION_COLUMNS, filters, limit)


# Complaints

COMPLAINT_COLUMNS = """id, version, case_ref, area, district, team, service, received_on,
complainant_role, categories, status, stage, awaiting_due, stages, closed_on,
ombudsman_referred, created_at"""

_INSERT_COMPLAINT = f"""
INSERT INTO complaints (id, tenant, case_ref, area, district, team, service, received_on,
    complainant_role, categories, status, stage, awaiting_due, stages, version,
    created_by_client, created_by_actor, updated_by_client, updated_by_actor)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15, $16, $15, $16)
RETURNING {COMPLAINT_COLUMNS}
"""

_UPDATE_COMPLAINT = f"""
UPDATE complaints SET status = $3, stage = $4, awaiting_due = $5, stages = $6, closed_on = $7,
    ombudsman_referred = $8, version = version + 1, updated_at = now(),
    updated_by_client = $9, updated_by_actor = $10
WHERE tenant = $1 AND id = $2
RETURNING {COMPLAINT_COLUMNS}
"""

_GET_COMPLAINT = f"SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE tenant = $1 AND id = $2"


@dataclass(frozen=True)
class ComplaintState:
    status: str
    stage: str
    awaiting_due: date | None
    stages: list[dict[str, Any]]
    closed_on: date | None
    ombudsman_referred: bool


async def insert_complaint(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    complaint_id: uuid.UUID,
    case_ref: str | None,
    unit: OrgUnitRef,
    received_on: date,
    complainant_role: str,
    categories: list[str],
    state: ComplaintState,
) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        _INSERT_COMPLAINT,
        complaint_id,
        principal.tenant,
        case_ref,
        unit.area,
        unit.district,
        unit.team,
        unit.service,
        received_on,
        complainant_role,
        categories,
        state.status,
        state.stage,
        state.awaiting_due,
        state.stages,
        principal.client,
        actor,
    )
    return row


async def get_complaint(
    conn: asyncpg.Connection, tenant: str, complaint_id: uuid.UUID, *, for_update: bool = False
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        _GET_COMPLAINT + (" FOR UPDATE" if for_update else ""), tenant, complaint_id
    )
    return row


async def update_complaint(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    complaint_id: uuid.UUID,
    state: ComplaintState,
) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        _UPDATE_COMPLAINT,
        principal.tenant,
        complaint_id,
        state.status,
        state.stage,
        state.awaiting_due,
        state.stages,
        state.closed_on,
        state.ombudsman_referred,
        principal.client,
        actor,
    )
    return row


async def list_complaints(
    conn: asyncpg.Connection, filters: Filters, limit: int
) -> list[asyncpg.Record]:
    return await _list(conn, "complaints", COMPLAINT_COLUMNS, filters, limit)


# The provider's submissions and reports

SUBMISSION_COLUMNS = """id, kind, created_at, item_count, accepted, duplicates, rejected,
report_id, quarter"""

_INSERT_SUBMISSION = """
INSERT INTO provider_submissions (id, tenant, provider, kind, item_count, accepted, duplicates,
    rejected, results, report_id, quarter, created_by_client, created_by_actor)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
RETURNING created_at
"""


async def insert_submission(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    provider: str,
    actor: str | None,
    submission_id: uuid.UUID,
    kind: str,
    item_count: int,
    accepted: int,
    duplicates: int,
    rejected: int,
    results: list[dict[str, Any]],
    report_id: uuid.UUID | None = None,
    quarter: str | None = None,
) -> datetime:
    created_at: datetime = await conn.fetchval(
        _INSERT_SUBMISSION,
        submission_id,
        principal.tenant,
        provider,
        kind,
        item_count,
        accepted,
        duplicates,
        rejected,
        results,
        report_id,
        quarter,
        principal.client,
        actor,
    )
    return created_at


async def get_submission(
    conn: asyncpg.Connection, tenant: str, provider: str, submission_id: uuid.UUID
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        f"SELECT {SUBMISSION_COLUMNS}, results FROM provider_submissions "
        "WHERE tenant = $1 AND provider = $2 AND id = $3",
        tenant,
        provider,
        submission_id,
    )
    return row


async def list_submissions(
    conn: asyncpg.Connection, filters: Filters, limit: int
) -> list[asyncpg.Record]:
    return await _list(conn, "provider_submissions", SUBMISSION_COLUMNS, filters, limit)


REPORT_COLUMNS = """id, version, provider, quarter, referrals_received, children_advocated_for,
issues_by_theme, outcomes_achieved, iv_matched, iv_waiting, submission_id, created_at"""

_INSERT_REPORT = f"""
INSERT INTO provider_reports (id, tenant, provider, quarter, referrals_received,
    children_advocated_for, issues_by_theme, outcomes_achieved, iv_matched, iv_waiting,
    submission_id, created_by_client, created_by_actor)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT ON CONSTRAINT provider_reports_one_per_quarter DO NOTHING
RETURNING {REPORT_COLUMNS}
"""


async def insert_report(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    provider: str,
    actor: str | None,
    report_id: uuid.UUID,
    submission_id: uuid.UUID,
    quarter: str,
    counts: dict[str, Any],
) -> asyncpg.Record | None:
    """The new report, or None when the provider already reported on that quarter."""
    row: asyncpg.Record | None = await conn.fetchrow(
        _INSERT_REPORT,
        report_id,
        principal.tenant,
        provider,
        quarter,
        counts["referrals_received"],
        counts["children_advocated_for"],
        counts["issues_by_theme"],
        counts["outcomes_achieved"],
        counts["iv_matched"],
        counts["iv_waiting"],
        submission_id,
        principal.client,
        actor,
    )
    return row


async def get_report(
    conn: asyncpg.Connection, tenant: str, provider: str, report_id: uuid.UUID
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        f"SELECT {REPORT_COLUMNS} FROM provider_reports "
        "WHERE tenant = $1 AND provider = $2 AND id = $3",
        tenant,
        provider,
        report_id,
    )
    return row


async def find_report(
    conn: asyncpg.Connection, tenant: str, provider: str, quarter: str
) -> uuid.UUID | None:
    found: uuid.UUID | None = await conn.fetchval(
        "SELECT id FROM provider_reports WHERE tenant = $1 AND provider = $2 AND quarter = $3",
        tenant,
        provider,
        quarter,
    )
    return found
