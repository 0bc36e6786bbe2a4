"""escalations: one row per escalation, its current stage on the row so that one row lock
orders every change of an escalation (and the overdue scheduler's claim)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Annotated, Any

import asyncpg

from escalation_service.repository import activity, stages
from qaf_shared.by_key import ByKey
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.http.auth import Principal
from qaf_shared.http.list_query import UnitFilters
from qaf_shared.http.listing import AsOf, Listing, Where
from qaf_shared.rows import RowShape, together

_COLUMNS = """id, version, tenant, case_ref, area, district, team, service, plan_type,
raised_by, raised_by_role, categories, summary, desired_outcome, raised_on, bypass_reason,
status, stage, stage_seq, stage_opened_on, stage_due_date, stage_overdue_announced_at,
formal_started_on, formal_deadline, outcome, resolution_note, resolved_on, withdrawn_on,
withdrawal_reason, cafcass_referred_on, cafcass_referred_at, last_activity_on, created_at"""
COLUMNS = tuple(c.strip() for c in _COLUMNS.split(","))

# Every change bumps the version and records who made it.
_TOUCH = "version = version + 1, updated_at = now(), updated_by_client = $3, updated_by_actor = $4"


@dataclass(kw_only=True)
class NewEscalation:
    """A new escalation as the handler decides it: its id, the child's case and its unit, the
    addressee of its first stage, and what its row takes."""

    id: uuid.UUID
    case_ref: str
    unit: OrgUnitRef
    addressee_role: str
    plan_type: str
    raised_by: str
    raised_by_role: str
    categories: list[str]
    summary: str
    desired_outcome: str | None
    raised_on: date
    bypass_reason: str | None
    stage: str
    stage_due_date: date
    formal_started_on: date | None
    formal_deadline: date | None


# A new escalation's row: the columns the application sets, in the order of their parameters
# (`insertion` names each one's value). What two columns share is set twice (and who wrote
# it in both pairs), so that each of a create's parameters is used once.
_NEW = RowShape(
    "escalations",
    (
        *(f.name for f in fields(NewEscalation) if f.name not in ("unit", "addressee_role")),
        "tenant",
        "area",
        "district",
        "team",
        "service",
        "stage_opened_on",
        "last_activity_on",
        "created_by_client",
        "created_by_actor",
        "updated_by_client",
        "updated_by_actor",
        "created_at",
        "updated_at",
    ),
    columns=COLUMNS,
    constants={"status": "AWAITING_RESPONSE", "stage_seq": 1, "version": 1},
)


@dataclass(frozen=True)
class Insertion:
    """A new escalation's rows: `statements` over `args` write them (a create's statements,
    run as one by `qaf_shared.http.idempotency.Creation`); `row` and `stages` are what they
    write, as reads give them."""

    statements: tuple[str, ...]
    args: tuple[Any, ...]
    row: dict[str, Any]
    stages: list[dict[str, Any]]


def insertion(
    *, principal: Principal, actor: str, new: NewEscalation, created_at: datetime
) -> Insertion:
    """The escalation, its first stage and the "raised" activity, each described once. The
    stage's and the activity's foreign keys are checked at the end of the one statement, when
    the escalation row exists."""
    # One mapping of every written column's value (`new`'s own fields by name; its unit and
    # addressee are no columns, and `_NEW` reads only the columns'): built in one go, where a
    # dataclass of the row's 27 fields took longer to construct than the rest of `insertion`.
    escalation = vars(new) | {
        "tenant": principal.tenant,
        **new.unit.columns(),
        "stage_opened_on": new.raised_on,
        "last_activity_on": new.raised_on,
        "created_by_client": principal.client,
        "created_by_actor": actor,
        "updated_by_client": principal.client,
        "updated_by_actor": actor,
        "created_at": created_at,
        "updated_at": created_at,
    }
    first_stage = stages.NewStage(
        escalation_id=new.id,
        seq=1,
        tenant=principal.tenant,
        stage=new.stage,
        addressee_role=new.addressee_role,
        opened_on=new.raised_on,
        due_date=new.stage_due_date,
        opened_by_client=principal.client,
        opened_by_actor=actor,
    )
    raised = activity.NewActivity(
        escalation_id=new.id,
        tenant=principal.tenant,
        action="raised",
        stage=new.stage,
        on_date=new.raised_on,
        client=principal.client,
        actor=actor,
    )
    statements, args = together(
        [
            (_NEW, _NEW.args(escalation)),
            (stages.NEW, stages.NEW.args(first_stage)),
            (activity.NEW, activity.NEW.args(raised)),
        ]
    )
    return Insertion(
        statements=statements,
        args=args,
        row=_NEW.row(escalation),
        stages=[stages.NEW.row(first_stage)],
    )


get = ByKey(f"SELECT {_COLUMNS} FROM escalations")


@dataclass(frozen=True, slots=True)
class Change:
    """A change of the escalation `current` (locked by the caller) by the client and the
    person it acts for."""

    principal: Principal
    actor: str
    current: asyncpg.Record


def _update(sets: str, *also: str) -> str:
    """The UPDATE of one escalation by a `Change` ($1 to $4: the tenant, the id and who made
    it), with the activity of the step ($5 its action, $6 its business date) and `also`,
    changes of its stages ($7 the current stage's seq), in one statement: one round trip per
    step where each took its own (three or four). What `sets` and `also` change takes its own
    values from $8 (from $7 when nothing in `also` names the current stage)."""
    ctes = [f"stage_{i} AS ({sql.strip()})" for i, sql in enumerate(also)]
    ctes.append(
        f"changed AS (UPDATE escalations SET {sets}, {_TOUCH} "
        f"WHERE tenant = $1 AND id = $2 RETURNING {_COLUMNS})"
    )
    ctes.append(f"activity AS ({activity.OF_CHANGED})")
    return f"WITH {', '.join(ctes)} SELECT {_COLUMNS} FROM changed"


async def _changed(
    conn: asyncpg.Connection, sql: str, change: Change, action: str, on: date, *values: object
) -> asyncpg.Record:
    who = change.principal
    row: asyncpg.Record = await conn.fetchrow(
        sql, who.tenant, change.current["id"], who.client, change.actor, action, on, *values
    )
    return row


_RESPOND = _update(
    "status = 'RESPONSE_RECEIVED', last_activity_on = GREATEST(last_activity_on, $6)",
    stages.RESPOND,
)


async def record_response(
    conn: asyncpg.Connection, change: Change, *, responder: str, response: str, responded_on: date
) -> asyncpg.Record:
    """The response to the current stage, with its activity."""
    return await _changed(
        conn,
        _RESPOND,
        change,
        "response_recorded",
        responded_on,
        change.current["stage_seq"],
        responder,
        response,
    )


_ESCALATE = _update(
    """status = 'AWAITING_RESPONSE', stage = $10, stage_seq = stage_seq + 1,
    stage_opened_on = $6, stage_due_date = $12, stage_overdue_announced_at = NULL,
    formal_started_on = COALESCE(formal_started_on, $6),
    formal_deadline = COALESCE(formal_deadline, $13),
    last_activity_on = GREATEST(last_activity_on, $6)""",
    stages.CLOSE_ESCALATED,
    stages.OPEN_NEXT,
)


async def escalate(
    conn: asyncpg.Connection,
    change: Change,
    *,
    reason: str,
    note: str | None,
    escalated_on: date,
    stage: str,
    addressee_role: str,
    due_date: date,
    formal_deadline: date,
) -> asyncpg.Record:
    """The current stage closed as escalated and the next one opened, with its activity."""
    return await _changed(
        conn,
        _ESCALATE,
        change,
        "escalated",
        escalated_on,
        change.current["stage_seq"],
        reason,
        note,
        stage,
        addressee_role,
        due_date,
        formal_deadline,
    )


_RESOLVE = _update(
    """status = 'RESOLVED', outcome = $8, resolution_note = $9,
    resolved_on = $6, last_activity_on = GREATEST(last_activity_on, $6)""",
    stages.CLOSE_RESOLVED,
)


async def resolve(
    conn: asyncpg.Connection, change: Change, *, outcome: str, note: str | None, resolved_on: date
) -> asyncpg.Record:
    """Resolved, its current stage closed, with its activity."""
    return await _changed(
        conn, _RESOLVE, change, "resolved", resolved_on, change.current["stage_seq"], outcome, note
    )


_WITHDRAW = _update(
    """status = 'WITHDRAWN', withdrawal_reason = $8, withdrawn_on = $6,
    last_activity_on = GREATEST(last_activity_on, $6)""",
    stages.CLOSE_WITHDRAWN,
)


async def withdraw(
    conn: asyncpg.Connection, change: Change, *, reason: str, withdrawn_on: date
) -> asyncpg.Record:
    """Withdrawn, its current stage closed, with its activity."""
    return await _changed(
        conn, _WITHDRAW, change, "withdrawn", withdrawn_on, change.current["stage_seq"], reason
    )


# A referral made alongside the local process: it does not move the escalation's own dates.
_REFER = _update("cafcass_referred_on = $6, cafcass_referred_at = now()")


async def refer_to_cafcass(
    conn: asyncpg.Connection, change: Change, *, referred_on: date
) -> asyncpg.Record:
    """The referral to Cafcass, with its activity."""
    return await _changed(conn, _REFER, change, "cafcass_referred", referred_on)


# Announcing that the current stage went past its due date without a response is not a
# change callers make, so it leaves the version (and the ETag they hold) alone.
_ANNOUNCE = f"""
UPDATE escalations SET stage_overdue_announced_at = now()
WHERE tenant = $1 AND id = $2 AND stage_overdue_announced_at IS NULL
RETURNING {_COLUMNS}
"""


async def announce_overdue(
    conn: asyncpg.Connection, current: asyncpg.Record, detected_on: date
) -> asyncpg.Record | None:
    """Mark the current stage's overdue announcement on an escalation already locked by the
    caller; None when it had been announced."""
    row: asyncpg.Record | None = await conn.fetchrow(_ANNOUNCE, current["tenant"], current["id"])
    if row is not None:
        await stages.mark_overdue_announced(conn, [row], detected_on)
    return row


# The scheduler's claim, safe with several replicas: rows another transaction holds are
# skipped, and a row whose announcement committed meanwhile no longer matches.
_CLAIM_OVERDUE = f"""
WITH due AS (
    SELECT id FROM escalations
    WHERE status = 'AWAITING_RESPONSE' AND stage_overdue_announced_at IS NULL
        AND stage_due_date < $1
    ORDER BY stage_due_date, id
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE escalations e SET stage_overdue_announced_at = now()
FROM due WHERE e.id = due.id
RETURNING {", ".join("e." + c for c in COLUMNS)}
"""


async def claim_overdue(
    conn: asyncpg.Connection, *, today: date, limit: int
) -> list[asyncpg.Record]:
    """Claim (in the caller's transaction) escalations of every tenant whose current stage is
    past its due date without a response and not yet announced."""
    rows: list[asyncpg.Record] = await conn.fetch(_CLAIM_OVERDUE, today, limit)
    if rows:
        await stages.mark_overdue_announced(conn, rows, today)
    return rows


@dataclass(frozen=True)
class ListFilters:
    status: Annotated[str | None, Where("status = {}")] = None
    stage: Annotated[str | None, Where("stage = {}")] = None
    category: Annotated[str | None, Where("{} = ANY(categories)")] = None
    units: UnitFilters = field(default_factory=UnitFilters)
    overdue: Annotated[
        bool | None, AsOf("(status = 'AWAITING_RESPONSE' AND stage_due_date < {})")
    ] = None
    raised_from: Annotated[date | None, Where("raised_on >= {}")] = None
    raised_to: Annotated[date | None, Where("raised_on <= {}")] = None


LIST = Listing(f"SELECT {_COLUMNS} FROM escalations", ListFilters)
