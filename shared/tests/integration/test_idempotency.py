"""`write_once`: the Idempotency-Key row, holding the answer, written last with the write's
outbox rows; a retry's own work is rolled back and the first answer given. `create_once`: a
create's rows, outbox rows and key in one statement, which a taken key fails as a whole."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date

import asyncpg
import pytest
import pytest_asyncio

from qaf_shared.database import create_pool
from qaf_shared.enums import PlanType
from qaf_shared.events.audit import AuditScheduled
from qaf_shared.events.envelope import CloudEvent, new_event
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.http.auth import Principal
from qaf_shared.http.idempotency import Creation, create_once, write_once
from qaf_shared.http.problems import Problem
from qaf_shared.http.resources import StoredResponse
from qaf_shared.outbox import add_events
from qaf_shared.testing.fixtures import DatabaseFactory

PRINCIPAL = Principal(client="client-1", tenant="886", scopes=frozenset({"audits:write"}))
TTL_HOURS = 48

Handler = Callable[[asyncpg.Connection], Awaitable[StoredResponse]]


def scheduled(audit_id: uuid.UUID) -> CloudEvent:
    payload = AuditScheduled(
        audit_id=audit_id,
        org_unit=OrgUnitRef(area="EAST", district="THANET", team="THA-CP1"),
        plan_type=PlanType.CP,
        due_date=date(2026, 5, 1),
    )
    return new_event(
        type="uk.gov.qa.audit.scheduled.v1",
        source="/test",
        tenant="886",
        subject=str(audit_id),
        data=payload,
    )


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def pool(make_database: DatabaseFactory) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(await make_database("audit_service"), size=8)
    yield pool
    await pool.close()


class Write:
    """A write that adds one event about its aggregate and answers how often it has run."""

    def __init__(self, *, fail_after: int | None = None, pause: float = 0.0) -> None:
        self.aggregate = uuid.uuid4()
        self.runs = 0
        self.fail_after = fail_after
        self.pause = pause

    async def __call__(self, conn: asyncpg.Connection) -> StoredResponse:
        self.runs += 1
        if self.fail_after is not None and self.runs > self.fail_after:
            raise Problem(409, "This step does not apply to the record's current state.")
        await add_events(conn, [scheduled(self.aggregate)])
        await asyncio.sleep(self.pause)
        return StoredResponse(201, {"run": self.runs}, {"ETag": '"1"'})

    async def events(self, pool: asyncpg.Pool) -> int:
        count: int = await pool.fetchval(
            "SELECT count(*) FROM outbox WHERE aggregateid = $1", str(self.aggregate)
        )
        return count


async def once(
    pool: asyncpg.Pool, handler: Handler, key: str | None, fingerprint: str = "f1"
) -> StoredResponse:
    return await write_once(
        pool,
        principal=PRINCIPAL,
        key=key,
        request_fingerprint=fingerprint,
        ttl_hours=TTL_HOURS,
        handler=handler,
    )


def new_key() -> str:
    return f"key-{uuid.uuid4()}"


async def test_a_retry_answers_the_first_response_and_its_own_work_is_rolled_back(
    pool: asyncpg.Pool,
) -> None:
    write, key = Write(), new_key()
    first = await once(pool, write, key)
    again = await once(pool, write, key)
    assert first.body == again.body == {"run": 1}
    assert again.status == 201 and again.headers == {"ETag": '"1"'}
    assert write.runs == 2
    assert await write.events(pool) == 1


async def test_the_same_key_with_another_request_is_422(pool: asyncpg.Pool) -> None:
    write, key = Write(), new_key()
    await once(pool, write, key, fingerprint="f1")
    with pytest.raises(Problem) as raised:
        await once(pool, write, key, fingerprint="f2")
    assert raised.value.status == 422
    assert await write.events(pool) == 1


async def test_a_retry_whose_step_no_longer_applies_answers_the_first_response(
    pool: asyncpg.Pool,
) -> None:
    write, key = Write(fail_after=1), new_key()
    first = await once(pool, write, key)
    assert await once(pool, write, key) == first


async def test_a_failed_write_leaves_no_key_and_no_event(pool: asyncpg.Pool) -> None:
    write, key = Write(fail_after=0), new_key()
    with pytest.raises(Problem) as raised:
        await once(pool, write, key)
    assert raised.value.status == 409
    assert await write.events(pool) == 0
    assert await pool.fetchval("SELECT count(*) FROM idempotency_keys WHERE key = $1", key) == 0


async def test_concurrent_duplicates_write_once_and_all_answer_alike(pool: asyncpg.Pool) -> None:
    write, key = Write(pause=0.05), new_key()
    answers = await asyncio.gather(*(once(pool, write, key) for _ in range(4)))
    assert all(a == answers[0] for a in answers)
    assert await write.events(pool) == 1


async def test_an_expired_key_lets_the_write_run_again(pool: asyncpg.Pool) -> None:
    write, key = Write(), new_key()
    await once(pool, write, key)
    await pool.execute(
        "UPDATE idempotency_keys SET created_at = now() - make_interval(hours => $2)"
        " WHERE key = $1",
        key,
        TTL_HOURS + 1,
    )
    assert (await once(pool, write, key)).body == {"run": 2}
    assert (await once(pool, write, key)).body == {"run": 2}
    assert await write.events(pool) == 2


async def test_without_a_key_the_events_are_written_in_the_transaction(
    pool: asyncpg.Pool,
) -> None:
    write = Write()
    await once(pool, write, None)
    await once(pool, write, None)
    assert await write.events(pool) == 2


async def test_events_on_another_connection_are_written_at_once(pool: asyncpg.Pool) -> None:
    other = Write()

    async def handler(conn: asyncpg.Connection) -> StoredResponse:
        async with pool.acquire() as elsewhere, elsewhere.transaction():
            await add_events(elsewhere, [scheduled(other.aggregate)])
        return StoredResponse(201, {}, {})

    with pytest.raises(Problem):
        await once(pool, _failing_after(handler), new_key())
    assert await other.events(pool) == 1


def _failing_after(handler: Handler) -> Handler:
    async def run(conn: asyncpg.Connection) -> StoredResponse:
        await handler(conn)
        raise Problem(409, "rolled back")

    return run


# create_once: the audit database's change log stands in for a create's rows.
_LOGGED = """
INSERT INTO change_log (tenant, client, actor, resource_type, resource_id, change)
VALUES ($1, $2, $3, 'audit', $4, $5)
"""


class Create:
    """A create of one change-log row and one event about a new aggregate."""

    def __init__(self) -> None:
        self.aggregate = uuid.uuid4()
        self.runs = 0

    def creation(self, *, actor: str | None = "someone") -> Creation:
        self.runs += 1
        return Creation(
            inserts=(_LOGGED,),
            args=("886", "client-1", actor, self.aggregate, "scheduled"),
            events=(scheduled(self.aggregate),),
            response=StoredResponse(201, {"run": self.runs}, {"ETag": '"1"'}),
        )

    async def written(self, pool: asyncpg.Pool) -> tuple[int, int]:
        """(rows, events) written for the aggregate."""
        rows: int = await pool.fetchval(
            "SELECT count(*) FROM change_log WHERE resource_id = $1", self.aggregate
        )
        events: int = await pool.fetchval(
            "SELECT count(*) FROM outbox WHERE aggregateid = $1", str(self.aggregate)
        )
        return rows, events


async def create(
    pool: asyncpg.Pool, creation: Creation, key: str | None, fingerprint: str = "f1"
) -> StoredResponse:
    return await create_once(
        pool,
        principal=PRINCIPAL,
        key=key,
        request_fingerprint=fingerprint,
        ttl_hours=TTL_HOURS,
        creation=creation,
    )


async def test_a_retried_create_answers_the_first_response_and_writes_nothing_more(
    pool: asyncpg.Pool,
) -> None:
    made, key = Create(), new_key()
    first = await create(pool, made.creation(), key)
    again = await create(pool, made.creation(), key)
    assert first.body == again.body == {"run": 1}
    assert again.status == 201 and again.headers == {"ETag": '"1"'}
    assert await made.written(pool) == (1, 1)


async def test_a_create_with_a_reused_key_and_another_request_is_422(pool: asyncpg.Pool) -> None:
    made, key = Create(), new_key()
    await create(pool, made.creation(), key, fingerprint="f1")
    with pytest.raises(Problem) as raised:
        await create(pool, made.creation(), key, fingerprint="f2")
    assert raised.value.status == 422
    assert await made.written(pool) == (1, 1)


async def test_concurrent_duplicate_creates_write_once_and_all_answer_alike(
    pool: asyncpg.Pool,
) -> None:
    made, key = Create(), new_key()
    answers = await asyncio.gather(*(create(pool, made.creation(), key) for _ in range(6)))
    assert all(a == answers[0] for a in answers)
    assert await made.written(pool) == (1, 1)


async def test_a_failed_create_leaves_no_row_no_event_and_no_key(pool: asyncpg.Pool) -> None:
    made, key = Create(), new_key()
    with pytest.raises(asyncpg.NotNullViolationError):
        await create(pool, made.creation(actor=None), key)
    assert await made.written(pool) == (0, 0)
    assert await pool.fetchval("SELECT count(*) FROM idempotency_keys WHERE key = $1", key) == 0


async def test_a_retry_whose_create_fails_answers_the_first_response(pool: asyncpg.Pool) -> None:
    made, key = Create(), new_key()
    first = await create(pool, made.creation(), key)
    assert await create(pool, made.creation(actor=None), key) == first
    assert await made.written(pool) == (1, 1)


async def test_an_expired_key_lets_the_create_run_again(pool: asyncpg.Pool) -> None:
    made, key = Create(), new_key()
    await create(pool, made.creation(), key)
    await pool.execute(
        "UPDATE idempotency_keys SET created_at = now() - make_interval(hours => $2)"
        " WHERE key = $1",
        key,
        TTL_HOURS + 1,
    )
    assert (await create(pool, made.creation(), key)).body == {"run": 2}
    assert (await create(pool, made.creation(), key)).body == {"run": 2}
    assert await made.written(pool) == (2, 2)


async def test_without_a_key_every_create_is_written(pool: asyncpg.Pool) -> None:
    made = Create()
    await create(pool, made.creation(), None)
    await create(pool, made.creation(), None)
    assert await made.written(pool) == (2, 2)
