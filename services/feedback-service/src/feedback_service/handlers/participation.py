"""Child in care review participation: one record per review."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg

from feedback_service import events
from feedback_service.domain import participation as rules
from feedback_service.repository import participation as participation_rows
from qaf_shared.enums import PnCode
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.http.auth import Principal
from qaf_shared.http.problems import Problem
from qaf_shared.outbox import add_events
from qaf_shared.rules import check_fields


async def record(
    conn: asyncpg.Connection,
    *,
    principal: Principal,
    actor: str,
    case_ref: str,
    review_due: date,
    review_held: date,
    pn_code: PnCode,
    unit: OrgUnitRef,
    today: date,
) -> asyncpg.Record:
    check_fields(rules.check_review(review_due, review_held, today), prefix="body")
    timely = rules.in_timescale(review_due, review_held)
    participation_id = uuid.uuid4()
    row = await participation_rows.insert(
        conn,
        principal=principal,
        actor=actor,
        record={
            "id": participation_id,
            "case_ref": case_ref,
            **unit.columns(),
            "review_due": review_due,
            "review_held": review_held,
            "pn_code": pn_code.value,
            "in_timescale": timely,
        },
    )
    if row is None:
        existing = await participation_rows.find(conn, principal.tenant, case_ref, review_held)
        raise Problem(
            409,
            f"The review of {review_held.isoformat()} for this case already has its "
            f"participation record ({existing}).",
            slug="participation-already-recorded",
        )
    event = events.participation_recorded(
        principal.tenant,
        participation_id,
        unit=unit,
        pn_code=pn_code,
        review_due=review_due,
        review_held=review_held,
        in_timescale=timely,
    )
    await add_events(conn, [event])
    return row
