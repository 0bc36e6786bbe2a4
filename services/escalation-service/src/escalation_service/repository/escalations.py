"""escalations: one row per escalation, its current stage on the row so that one row lock
orders every change of an escalation (and the overdue scheduler's claim)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any

import asyncpg

from escalation_service.repository import activity, stages
from qaf_shared.by_key import ByKey
from qaf_shared.http.auth import Principal
from qaf_shared.http.list_query import UnitFilters
from qaf_shared.http.listing import AsOf, Listing, Where
from qaf_shared.rows import WRITTEN_BY, NewCaseRecord, RowShape

_COLUMNS = """id, version, tenant, case_ref, area, district, team, service, plan_type,
raised_by, raised_by_role, categories, summary, desired_outcome, raised_on, bypass_reason,
status, stage, stage_seq, stage_opened_on, stage_due_date, stage_overdue_announced_at,
formal_started_on, formal_deadline, outcome, resolution_note, resolved_on, withdrawn_on,
withdrawal_reason, cafcass_referred_on, cafcass_referred_at, last_activity_on, created_at"""
COLUMNS = tuple(c.strip() for c in _COLUMNS.split(","))

# Every change bumps the version and records who made it.
_TOUCH = "version = version + 1, updated_at = now(), updated_by_client = $3, updated_by_actor = $4"


@dataclass(slots=True, kw_only=True)
class NewEscalation(NewCaseRecord):
    """A new escalation as the handler decides it: the columns the application sets, in the
    order of their parameters (its id, tenant, case and unit first). (Not frozen, like the
    other tables' new rows: a frozen dataclass's slower construction would cost the create
    path.)"""

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
    created_at: datetime


# A new escalation's row: its first stage opens the day it is raised, and who raised it wrote
# it last (the client and actor, two parameters after the row's values).
_NEW = RowShape(
    "escalations",
    NewEscalation,
    columns=COLUMNS,
    constants={"status": "AWAITING_RESPONSE", "stage_seq": 1, "version": 1},
    copies={
        "stage_opened_on": "raised_on",
        "last_activity_on": "raised_on",
        "updated_at": "created_at",
    },
    who=WRITTEN_BY,
)
_ARGS = len(_NEW.written) + 2
# The first stage's addressee: the one parameter of the create that is no escalation column.
_ADDRESSEE = f"${_ARGS + 1}"
_of = _NEW.sql_of

# A new escalation, its first stage and the "raised" activity: a create's statements
# (`qaf_shared.http.idempotency.Creation`), written as one over the same arguments: the stage
# and the activity take the escalation's own (23 arguments, where each row's own were 43, each
# one encoded by asyncpg). Their foreign keys are checked at the end of the statement, when
# the escalation row exists.
INSERTS = (
    _NEW.insert(),
    f"""
INSERT INTO escalation_stages (escalation_id, seq, tenant, stage, addressee_role, opened_on,
    due_date, opened_by_client, opened_by_actor)
VALUES ({_of("id")}, 1, {_of("tenant")}, {_of("stage")}, {_ADDRESSEE}, {_of("raised_on")},
    {_of("stage_due_date")}, {_of("client")}, {_of("actor")})
""",
    f"""
INSERT INTO escalation_activity (escalation_id, tenant, action, stage, on_date, client, actor)
VALUES ({_of("id")}, {_of("tenant")}, 'raised', {_of("stage")}, {_of("raised_on")},
    {_of("client")}, {_of("actor")})
""",
)
# The first stage as `stages.of_escalations` reads it back, but for what `INSERTS` writes.
_NO_STAGE = dict.fromkeys(stages.COLUMNS)


@dataclass(frozen=True, slots=True)
class Insertion:
    """A new escalation's rows: `INSERTS` over `args` write them; `row` and `stages` are what
    they write, as reads give them."""

    args: tuple[Any, ...]
    row: dict[str, Any]
    stages: list[dict[str, Any]]


def insertion(*, new: NewEscalation, client: str, actor: str, addressee_role: str) -> Insertion:
    """The escalation `new`, its first stage (to `addressee_role`) and the "raised" activity,
    by `client` for `actor`."""
    first = _NO_STAGE | {
        "escalation_id": new.id,
        "seq": 1,
        "stage": new.stage,
        "addressee_role": addressee_role,
        "opened_on": new.raised_on,
        "due_date": new.stage_due_date,
    }
    return Insertion(
        args=(*_NEW.args(new, client, actor), addressee_role),
        row=_NEW.row(new),
        stages=[first],
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
