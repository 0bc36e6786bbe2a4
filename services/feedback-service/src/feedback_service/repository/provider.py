"""The provider's own tables: its submissions (each batch and report, with the answer it
got) and its quarterly reports. Always scoped by tenant and provider."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import asyncpg

from qaf_shared.by_key import ByKey
from qaf_shared.http.auth import Principal
from qaf_shared.http.listing import Listing, Matching, Where
from qaf_shared.rows import CREATED_BY, RowShape

SUBMISSIONS = RowShape(
    "provider_submissions",
    columns=(
        "id",
        "kind",
        "created_at",
        "item_count",
        "accepted",
        "duplicates",
        "rejected",
        "report_id",
        "quarter",
    ),
    written=(
        "id",
        "tenant",
        "provider",
        "kind",
        "item_count",
        "accepted",
        "duplicates",
        "rejected",
        "results",
        "report_id",
        "quarter",
    ),
    who=CREATED_BY,
)

_INSERT_SUBMISSION = SUBMISSIONS.insert("RETURNING created_at")


@dataclass(frozen=True)
class Submission:
    id: uuid.UUID
    kind: str
    item_count: int
    accepted: int
    duplicates: int
    rejected: int
    results: list[dict[str, Any]]
    report_id: uuid.UUID | None = None
    quarter: str | None = None


async def insert_submission(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    provider: str,
    actor: str | None,
    submission: Submission,
) -> datetime:
    values = {
        **dataclasses.asdict(submission),
        "tenant": principal.tenant,
        "provider": provider,
    }
    args = SUBMISSIONS.args(values, principal.client, actor)
    created_at: datetime = await conn.fetchval(_INSERT_SUBMISSION, *args)
    return created_at


# A provider's own: `get_submission(conn, tenant, provider, submission_id)`.
get_submission = ByKey(
    f"SELECT {SUBMISSIONS.select}, results FROM provider_submissions", "tenant", "provider", "id"
)


@dataclass(frozen=True)
class SubmissionFilters:
    """A provider's own submissions (`provider` always given), narrowed."""

    provider: Annotated[str, Where("provider = {}")]
    kind: Annotated[str | None, Where("kind = {}")] = None
    external_id: Annotated[
        str | None, Matching("results @> {}::jsonb", lambda given: [{"external_id": given}])
    ] = None


SUBMISSION_LIST = Listing(
    f"SELECT {SUBMISSIONS.select} FROM provider_submissions", SubmissionFilters
)


# The counts a report carries, in the order of its columns.
REPORT_COUNTS = (
    "referrals_received",
    "children_advocated_for",
    "issues_by_theme",
    "outcomes_achieved",
    "iv_matched",
    "iv_waiting",
)

REPORTS = RowShape(
    "provider_reports",
    columns=("id", "version", "provider", "quarter", *REPORT_COUNTS, "submission_id", "created_at"),
    written=(
        "id",
        "tenant",
        "provider",
        "quarter",
        *REPORT_COUNTS,
        "submission_id",
    ),
    who=CREATED_BY,
)

_INSERT_REPORT = REPORTS.insert(
    "ON CONFLICT ON CONSTRAINT provider_reports_one_per_quarter DO NOTHING\n"
    f"RETURNING {REPORTS.select}"
)


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
    """The new report (`counts` names `REPORT_COUNTS`), or None when the provider already
    reported on that quarter."""
    values = {
        **counts,
        "id": report_id,
        "tenant": principal.tenant,
        "provider": provider,
        "quarter": quarter,
        "submission_id": submission_id,
    }
    args = REPORTS.args(values, principal.client, actor)
    row: asyncpg.Record | None = await conn.fetchrow(_INSERT_REPORT, *args)
    return row


get_report = ByKey(f"SELECT {REPORTS.select} FROM provider_reports", "tenant", "provider", "id")


# `find_report(conn, tenant, provider, quarter)`: the id of its report, or None.
find_report = ByKey("SELECT id FROM provider_reports", "tenant", "provider", "quarter").value
