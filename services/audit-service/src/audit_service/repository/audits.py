"""The audits table."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any

import asyncpg

from qaf_shared.by_key import ByKey
from qaf_shared.http.auth import Principal
from qaf_shared.http.list_query import UnitFilters
from qaf_shared.http.listing import AsOf, Listing, Where
from qaf_shared.rows import WRITTEN_BY, RowShape

COLUMNS = """id, version, tenant, case_ref, area, district, team, service, plan_type, auditor,
due_date, programme_id, kind, status, template_id, template_version, answers, overall_grade,
final_grade, section_grades, themes, child_voice_evident, commentary, submitted_on,
submission_count, returned_on, peer_reviewer, peer_review_outcome, peer_review_grade,
reviewed_on, peer_reviews, moderation_selected, moderation_seed, moderation_draw,
moderation_rate, moderation_decided_on, moderator, grade_before_moderation, moderated_grade,
moderation_rationale, moderated_on, closed_on, cancelled_on, safeguarding_concerns,
created_at, updated_at"""
COLUMN_NAMES = tuple(c.strip() for c in COLUMNS.split(","))

# The columns a use case may change (names come from code, never from a request).
UPDATABLE = frozenset(
    {
        "status",
        "answers",
        "overall_grade",
        "final_grade",
        "section_grades",
        "themes",
        "child_voice_evident",
        "commentary",
        "submitted_on",
        "submission_count",
        "returned_on",
        "peer_reviewer",
        "peer_review_outcome",
        "peer_review_grade",
        "reviewed_on",
        "peer_reviews",
        "moderation_selected",
        "moderation_seed",
        "moderation_draw",
        "moderation_rate",
        "moderation_decided_on",
        "moderator",
        "grade_before_moderation",
        "moderated_grade",
        "moderation_rationale",
        "moderated_on",
        "closed_on",
        "cancelled_on",
        "cancel_reason",
        "safeguarding_concerns",
    }
)


@dataclass(slots=True, kw_only=True)
class NewAudit:
    """A new audit: the columns the application sets, in the order of their parameters.
    (Not frozen, like the other tables' new rows: a frozen dataclass's slower construction
    would cost the create path.)"""

    id: uuid.UUID = field(default_factory=uuid.uuid4)
    tenant: str
    case_ref: str
    area: str | None
    district: str | None
    team: str | None
    service: str | None
    plan_type: str
    auditor: str
    due_date: date
    programme_id: uuid.UUID | None
    kind: str | None
    template_id: str
    template_version: int
    created_at: datetime


# A new audit's row. Its `defaults` are what the table gives the columns a new audit leaves
# alone (NULL but for these); `answers` and `peer_reviews` (empty) are made afresh for each
# row, by `new_row`.
_NEW = RowShape(
    "audits",
    NewAudit,
    columns=COLUMN_NAMES,
    constants={"status": "SCHEDULED", "version": 1},
    copies={"updated_at": "created_at"},
    who=WRITTEN_BY,
    defaults={"submission_count": 0, "safeguarding_concerns": 0},
)

# A new audit and its "scheduled" change-log entry: a create's statements
# (`qaf_shared.http.idempotency.Creation`), written as one over the same arguments.
INSERTS = (
    _NEW.insert(),
    f"""
INSERT INTO change_log (tenant, client, actor, resource_type, resource_id, change,
    from_status, to_status)
VALUES ({_NEW.sql_of("tenant")}, {_NEW.sql_of("client")}, {_NEW.sql_of("actor")}, 'audit',
    {_NEW.sql_of("id")}, 'scheduled', NULL, {_NEW.sql_of("status")})
""",
)


def insert_args(audit: NewAudit, *, principal: Principal, actor: str) -> tuple[Any, ...]:
    """The arguments of `INSERTS`."""
    return _NEW.args(audit, principal.client, actor)


def new_row(audit: NewAudit) -> dict[str, Any]:
    """The row `INSERTS` writes, as reads give it (the columns' defaults included): what a
    create answers without reading it back."""
    return _NEW.row(audit, answers={}, peer_reviews=[])


get = ByKey(f"SELECT {COLUMNS} FROM audits")


async def update(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    audit_id: uuid.UUID,
    changes: dict[str, Any],
) -> asyncpg.Record:
    """Change the given columns, bump the version and record the writer; returns the row."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    names = list(changes)
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=5))
    sql = f"""
    UPDATE audits SET {sets}{", " if sets else ""}version = version + 1, updated_at = now(),
        updated_by_client = $3, updated_by_actor = $4
    WHERE tenant = $1 AND id = $2
    RETURNING {COLUMNS}
    """
    row: asyncpg.Record = await conn.fetchrow(
        sql, principal.tenant, audit_id, principal.client, actor, *changes.values()
    )
    return row


# Overdue in SQL: the rule of domain.audits.is_overdue (unsubmitted past its due date).
_UNSUBMITTED = "status IN ('SCHEDULED', 'IN_PROGRESS')"


@dataclass(frozen=True)
class AuditFilters:
    statuses: Annotated[list[str] | None, Where("status = ANY({}::text[])")] = None
    units: UnitFilters = field(default_factory=UnitFilters)
    programme_id: Annotated[uuid.UUID | None, Where("programme_id = {}")] = None
    overdue: Annotated[bool | None, AsOf(f"({_UNSUBMITTED} AND due_date < {{}})")] = None
    grade: Annotated[str | None, Where("final_grade = {}")] = None
    submitted_from: Annotated[date | None, Where("submitted_on >= {}")] = None
    submitted_to: Annotated[date | None, Where("submitted_on <= {}")] = None


LIST = Listing(f"SELECT {COLUMNS} FROM audits", AuditFilters)


_PROGRESS = f"""
SELECT programme_id, status, count(*) AS audits,
    count(*) FILTER (WHERE {_UNSUBMITTED} AND due_date < $3) AS overdue
FROM audits WHERE tenant = $1 AND programme_id = ANY($2::uuid[])
GROUP BY programme_id, status
"""


async def progress(
    conn: asyncpg.Connection, tenant: str, programme_ids: list[uuid.UUID], today: date
) -> list[asyncpg.Record]:
    """Audits of each programme by status, and how many are overdue."""
    rows: list[asyncpg.Record] = await conn.fetch(_PROGRESS, tenant, programme_ids, today)
    return rows
