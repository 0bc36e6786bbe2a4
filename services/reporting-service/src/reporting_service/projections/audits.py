"""Audit measures: `audits.completed` and `audits.grades` (final grade), in the quarter of the
latest submission date."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import asyncpg

from qaf_shared.events.audit import AuditSubmitted
from qaf_shared.events.envelope import CloudEvent
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.quarters import quarter_of
from reporting_service.projections.counts import Deltas, apply_deltas, units_of


@dataclass(frozen=True)
class AuditFact:
    tenant: str
    audit_id: uuid.UUID
    unit: OrgUnitRef
    submitted_on: date | None = None
    final_grade: str | None = None
    submission_number: int = 0


def contributions(fact: AuditFact) -> Deltas:
    """What one audit adds to the counts (pure)."""
    out: Deltas = Counter()
    if fact.submitted_on is None or fact.final_grade is None:
        return out
    quarter = quarter_of(fact.submitted_on)
    for kind, code in units_of(fact.tenant, fact.unit):
        out[(fact.tenant, quarter, kind, code, "audits.completed", "")] += 1
        out[(fact.tenant, quarter, kind, code, "audits.grades", fact.final_grade)] += 1
    return out


def on_submitted(fact: AuditFact, event: AuditSubmitted) -> AuditFact:
    """A submission replaces an earlier one; an older one arriving late changes nothing."""
    if event.submission_number < fact.submission_number:
        return fact
    return replace(
        fact,
        unit=event.org_unit,
        submitted_on=event.submitted_on,
        final_grade=event.final_grade.value,
        submission_number=event.submission_number,
    )


_LOAD = """
SELECT tenant, audit_id, area, district, team, service, submitted_on, final_grade, submission_number
FROM audit_facts WHERE (tenant, audit_id) IN (SELECT * FROM unnest($1::text[], $2::uuid[]))
"""
_SAVE = """
INSERT INTO audit_facts AS f (tenant, audit_id, area, district, team, service, submitted_on,
    final_grade, submission_number)
SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::date[], $8::text[], $9::int[])
ON CONFLICT (tenant, audit_id) DO UPDATE SET area = EXCLUDED.area, district = EXCLUDED.district,
    team = EXCLUDED.team, service = EXCLUDED.service, submitted_on = EXCLUDED.submitted_on,
    final_grade = EXCLUDED.final_grade, submission_number = EXCLUDED.submission_number
"""

HANDLED = {"uk.gov.qa.audit.submitted.v1"}


async def apply(conn: asyncpg.Connection, events: Sequence[CloudEvent]) -> None:
    """Fold a batch of audit events into the facts and counts: load the facts the batch
    touches in one query, fold in memory, write facts and count deltas in one statement each."""
    if not events:
        return
    keys = {(e.tenant, uuid.UUID(e.subject)) for e in events}
    facts: dict[tuple[str, uuid.UUID], AuditFact] = {}
    for row in await conn.fetch(_LOAD, [k[0] for k in keys], [k[1] for k in keys]):
        unit = OrgUnitRef(
            area=row["area"], district=row["district"], team=row["team"], service=row["service"]
        )
        facts[(row["tenant"], row["audit_id"])] = AuditFact(
            row["tenant"],
            row["audit_id"],
            unit,
            row["submitted_on"],
            row["final_grade"],
            row["submission_number"],
        )
    deltas: Deltas = Counter()
    changed: dict[tuple[str, uuid.UUID], AuditFact] = {}
    for event in events:
        key = (event.tenant, uuid.UUID(event.subject))
        before = facts.get(key) or AuditFact(key[0], key[1], OrgUnitRef())
        after = before
        if event.type == "uk.gov.qa.audit.submitted.v1":
            after = on_submitted(before, AuditSubmitted.model_validate(event.data))
        if after != before:
            deltas.update(contributions(after))
            deltas.subtract(contributions(before))
            facts[key] = changed[key] = after
    if changed:
        rows = list(changed.values())
        await conn.execute(
            _SAVE,
            [f.tenant for f in rows],
            [f.audit_id for f in rows],
            [f.unit.area for f in rows],
            [f.unit.district for f in rows],
            [f.unit.team for f in rows],
            [f.unit.service for f in rows],
            [f.submitted_on for f in rows],
            [f.final_grade for f in rows],
            [f.submission_number for f in rows],
        )
    await apply_deltas(conn, deltas)
