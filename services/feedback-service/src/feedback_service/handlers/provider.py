"""The commissioned provider's submissions: batches of per-case feedback items, and the
quarterly report."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from feedback_service import events
from feedback_service.domain.feedback import PROVIDER_SOURCES, QuestionSet, check_item
from feedback_service.domain.provider import check_report_quarter, plan_batch
from feedback_service.repository import feedback as feedback_rows
from feedback_service.repository import provider as provider_rows
from qaf_shared.enums import FeedbackSource
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.http.auth import Principal
from qaf_shared.http.problems import Problem
from qaf_shared.org_units import TenantUnits
from qaf_shared.outbox import add_events
from qaf_shared.rules import FieldError, check_fields


@dataclass(frozen=True)
class ItemFields:
    """A batch item whose shape was right."""

    external_id: str
    source: FeedbackSource
    case_ref: str | None
    team: str | None
    service: str | None
    received_on: date
    answers: dict[str, int]
    comment: str | None


@dataclass(frozen=True)
class ReadItem:
    """One item of a batch as it was read: its fields, or why they could not be read (its
    external id kept, when it had one, to answer by)."""

    external_id: str | None
    fields: ItemFields | None
    errors: list[FieldError]


@dataclass(frozen=True)
class ItemVerdict:
    external_id: str | None
    item: ItemFields | None
    unit: OrgUnitRef | None
    errors: list[FieldError]

    @property
    def ok(self) -> bool:
        return not self.errors


def check_provider_item(
    read: ReadItem, units: TenantUnits, questions: QuestionSet, on: date
) -> ItemVerdict:
    """One item of a batch, checked on its own: its shape, its org unit, its answers."""
    item = read.fields
    if item is None:
        return ItemVerdict(read.external_id, None, None, read.errors)
    if item.team is not None:
        unit = units.team(item.team)
        unit_error = FieldError("team", f"unknown team {item.team!r} for tenant {units.tenant}")
    else:
        assert item.service is not None
        unit = units.service(item.service)
        unit_error = FieldError(
            "service", f"unknown service {item.service!r} for tenant {units.tenant}"
        )
    errors = [] if unit is not None else [unit_error]
    errors += check_item(
        source=FeedbackSource(item.source),
        respondent=None,
        partner_type=None,
        conference_type=None,
        answers=item.answers,
        received_on=item.received_on,
        today=on,
        questions=questions,
        allowed_sources=PROVIDER_SOURCES,
    )
    return ItemVerdict(item.external_id, item, unit, errors)


@dataclass(frozen=True)
class BatchOutcome:
    """What became of a batch: its submission, the counts, and the answer per item (as
    stored with the submission)."""

    submission_id: uuid.UUID
    accepted: int
    duplicates: int
    rejected: int
    results: list[dict[str, Any]]


async def submit_batch(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    provider: str,
    actor: str | None,
    items: list[ReadItem],
    units: TenantUnits,
    questions: QuestionSet,
    today: date,
) -> BatchOutcome:
    """Check every item, store the good new ones (one record per external id), answer per
    item, and keep the submission so that the provider can look it up."""
    verdicts = [check_provider_item(read, units, questions, today) for read in items]
    plan = plan_batch([v.external_id for v in verdicts], [v.ok for v in verdicts])
    submission_id = uuid.uuid4()
    rows = []
    for index in plan.insert:
        verdict = verdicts[index]
        assert verdict.item is not None and verdict.unit is not None
        rows.append(
            feedback_rows.ProviderRow(
                id=uuid.uuid4(),
                external_id=verdict.item.external_id,
                source=verdict.item.source.value,
                case_ref=verdict.item.case_ref,
                unit=verdict.unit,
                received_on=verdict.item.received_on,
                answers=dict(verdict.item.answers),
                comment=verdict.item.comment,
            )
        )
    inserted = await feedback_rows.insert_provider_items(
        conn,
        principal=principal,
        provider=provider,
        actor=actor,
        submission_id=submission_id,
        rows=rows,
    )
    existing = await feedback_rows.existing_provider_ids(
        conn,
        principal.tenant,
        provider,
        [r.external_id for r in rows if r.external_id not in inserted],
    )
    results: list[dict[str, Any]] = []
    counts = {"ACCEPTED": 0, "DUPLICATE": 0, "REJECTED": 0}
    for index, verdict in enumerate(verdicts):
        result: dict[str, Any] = {"index": index, "external_id": verdict.external_id}
        if not verdict.ok:
            result["status"] = "REJECTED"
            result["errors"] = [{"field": e.field, "message": e.message} for e in verdict.errors]
        else:
            assert verdict.external_id is not None
            new = index not in plan.repeats and verdict.external_id in inserted
            result["status"] = "ACCEPTED" if new else "DUPLICATE"
            known = inserted.get(verdict.external_id) or existing.get(verdict.external_id)
            if known is not None:
                result["id"] = str(known)
        counts[result["status"]] += 1
        results.append(result)
    received = [
        events.feedback_received(
            principal.tenant,
            {
                "id": row.id,
                "source": row.source,
                "received_on": row.received_on,
                "answers": row.answers,
                "provider": provider,
            },
            row.unit,
        )
        for row in rows
        if row.external_id in inserted
    ]
    if received:
        await add_events(conn, received)
    await provider_rows.insert_submission(
        conn,
        principal=principal,
        provider=provider,
        actor=actor,
        submission=provider_rows.Submission(
            id=submission_id,
            kind="FEEDBACK_BATCH",
            item_count=len(items),
            accepted=counts["ACCEPTED"],
            duplicates=counts["DUPLICATE"],
            rejected=counts["REJECTED"],
            results=results,
        ),
    )
    return BatchOutcome(
        submission_id=submission_id,
        accepted=counts["ACCEPTED"],
        duplicates=counts["DUPLICATE"],
        rejected=counts["REJECTED"],
        results=results,
    )


async def submit_report(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    provider: str,
    actor: str | None,
    quarter: str,
    counts: dict[str, Any],
    today: date,
) -> asyncpg.Record:
    """The quarterly report; `counts` names the report's counts as JSON values
    (`repository.provider.REPORT_COUNTS`)."""
    check_fields(check_report_quarter(quarter, today), prefix="body")
    report_id, submission_id = uuid.uuid4(), uuid.uuid4()
    row = await provider_rows.insert_report(
        conn,
        principal=principal,
        provider=provider,
        actor=actor,
        report_id=report_id,
        submission_id=submission_id,
        quarter=quarter,
        counts=counts,
    )
    if row is None:
        existing = await provider_rows.find_report(conn, principal.tenant, provider, quarter)
        raise Problem(
            409,
            f"{quarter} already has this provider's report ({existing}); an accepted "
            "report is final. Ask the authority's contract manager to correct it.",
            slug="report-already-received",
        )
    await provider_rows.insert_submission(
        conn,
        principal=principal,
        provider=provider,
        actor=actor,
        submission=provider_rows.Submission(
            id=submission_id,
            kind="REPORT",
            item_count=1,
            accepted=1,
            duplicates=0,
            rejected=0,
            results=[],
            report_id=report_id,
            quarter=quarter,
        ),
    )
    event = events.provider_report_received(
        principal.tenant, report_id, provider=provider, quarter=quarter, counts=counts
    )
    await add_events(conn, [event])
    return row
