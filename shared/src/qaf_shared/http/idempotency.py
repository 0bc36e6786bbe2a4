"""`Idempotency-Key` on POSTs: the same key and body answers the first response again; the
same key with another body is 422. The key row, holding the response, is written in the same
transaction as the write it guards, so a failed write leaves no key behind.

The key is written last, in the statement that stores the response: one round trip per write
rather than a claim before and an update after (the write path's profile: each statement is
about a twentieth of a create's time). A retry therefore runs its handler again before it
meets the key; whatever that second run does is rolled back, and the first answer is given
(or 422 for another body):
- the key's insert conflicts with the committed first write: roll back, answer stored;
- a concurrent retry waits on the unique index until the first commits, then as above;
- the handler fails on the retry (the step no longer applies: 409, a stale If-Match: 412, a
  unique violation): roll back, and answer stored when the key is there, else the error.
A key older than the TTL is replaced by the same statement (ON CONFLICT ... WHERE expired);
the rows of keys past it are deleted by `idempotency_retention`'s worker (they hold whole
responses, free text included).
The write's outbox rows go in that statement too (`outbox.collecting`).

A create reads nothing before it writes, so it goes further (`create_once`): its rows, answer
and events are all built in the application (ids and timestamps from here), and one
statement without BEGIN or COMMIT writes the rows, the outbox rows and the key, where a
transaction took four round trips. When the key is taken that statement fails as a whole
(see `_create_sql`), so a retry leaves nothing behind and is answered from the key as above."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import asyncpg
from fastapi import Header, Request
from starlette.datastructures import URL
from starlette.responses import Response
from starlette.types import Scope

from qaf_shared.http.auth import Principal
from qaf_shared.http.problems import Problem
from qaf_shared.http.resources import StoredResponse, to_response
from qaf_shared.outbox import collecting, insert_rows_sql, rows_param
from qaf_shared.outbox.writer import OutboxEvent

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Retrying a POST with the same key and body returns the first response.",
    ),
]


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


# What `request.url.path` does to the request's path: Starlette escapes these in the URL it
# builds, and urllib's parsing of that URL drops these.
_ESCAPED = str.maketrans({"?": "%3F", "#": "%23", "\\": "%5C", "\t": None, "\r": None, "\n": None})


def url_path(scope: Scope) -> str:
    """The request's path as `request.url.path` gives it (the path a fingerprint has always
    taken, so a stored key's fingerprint still matches its retry), without building and
    parsing the request's whole URL for it (4.6 -> 1.0 us a call).
    (`shared/tests/unit/test_idempotency_fingerprint.py` compares the two.)"""
    if scope.get("server") is None:  # a URL perhaps without a host: Starlette's own answer
        return URL(scope=scope).path
    path: str = scope["path"]
    return path.translate(_ESCAPED)


def _record_sql(first: int) -> str:
    """The key's row, parameters $first..$first+7: inserted, or replaced when expired; it
    returns a row only then."""
    p = [f"${first + i}" for i in range(8)]
    return f"""
INSERT INTO idempotency_keys AS k (tenant, client, key, fingerprint, status, body, headers)
VALUES ({", ".join(p[:7])})
ON CONFLICT (tenant, client, key) DO UPDATE SET
    fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, body = EXCLUDED.body,
    headers = EXCLUDED.headers, created_at = now()
WHERE k.created_at < now() - make_interval(hours => {p[7]})
RETURNING 1
"""


_RECORD = _record_sql(1)
# The same, with the write's outbox rows in one statement ($9).
_RECORD_WITH_EVENTS = f"WITH events AS ({insert_rows_sql(9)}){_RECORD}"
_FETCH = """
SELECT fingerprint, status, body, headers FROM idempotency_keys
WHERE tenant = $1 AND client = $2 AND key = $3
    AND created_at >= now() - make_interval(hours => $4)
"""


class _KeyTaken(Exception):
    """The key's row exists: roll the write back and answer what the key stored."""


async def write_once(
    pool: asyncpg.Pool,
    *,
    principal: Principal,
    key: str | None,
    request_fingerprint: str,
    ttl_hours: int,
    handler: Callable[[asyncpg.Connection], Awaitable[StoredResponse]],
) -> StoredResponse:
    """Run `handler` in one transaction, at most once per key (see the module's docstring).
    With a key, the events it adds to the outbox are written by the transaction's last
    statement, with the key's row."""
    async with pool.acquire() as conn:
        if key is None:
            async with conn.transaction():
                return await handler(conn)
        ident = (principal.tenant, principal.client, key)
        try:
            async with conn.transaction():
                with collecting(conn) as events:
                    response = await handler(conn)
                record = (
                    *ident,
                    request_fingerprint,
                    response.status,
                    response.body,
                    response.headers,
                    ttl_hours,
                )
                if events:
                    recorded = await conn.fetchval(_RECORD_WITH_EVENTS, *record, rows_param(events))
                else:
                    recorded = await conn.fetchval(_RECORD, *record)
                if not recorded:
                    raise _KeyTaken
                return response
        except _KeyTaken:
            return await _answer_taken(conn, ident, request_fingerprint, ttl_hours)
        except Exception as failure:
            return await _answer_failed(conn, ident, request_fingerprint, ttl_hours, failure)


@dataclass(frozen=True)
class Creation:
    """A create as one statement: `inserts` are INSERTs without RETURNING (no WITH of their
    own) over the one parameter list `args` ($1..$n); `events` go to the outbox with them;
    `response` is the answer, built from the same values."""

    inserts: Sequence[str]
    args: Sequence[Any]
    events: Sequence[OutboxEvent]
    response: StoredResponse


@functools.lru_cache(maxsize=64)
def _create_sql(inserts: tuple[str, ...], n_args: int, with_events: bool, with_key: bool) -> str:
    """The rows, the outbox rows and the key's row as data-modifying CTEs of one statement,
    which commits or fails as a whole (each CTE runs to completion whether read or not).
    When the key's insert returns no row, the key holds an earlier answer: the final SELECT
    then divides by zero, which fails the statement and so undoes the rest of it (a single
    statement cannot roll back its own CTEs any other way)."""
    ctes = [f"row_{i} AS ({sql.strip()})" for i, sql in enumerate(inserts)]
    if with_events:
        ctes.append(f"events AS ({insert_rows_sql(n_args + 1).strip()})")
    if not with_key:
        return f"WITH {', '.join(ctes)} SELECT 1"
    key_first = n_args + 1 + (1 if with_events else 0)
    ctes.append(f"key_row AS ({_record_sql(key_first).strip()})")
    return f"WITH {', '.join(ctes)} SELECT 1 / count(*) FROM key_row"


async def create_once(
    pool: asyncpg.Pool,
    *,
    principal: Principal,
    key: str | None,
    request_fingerprint: str,
    ttl_hours: int,
    creation: Creation,
) -> StoredResponse:
    """Write `creation` in one statement, at most once per key; a retry gets the first
    answer (or 422 for another body), as `write_once` gives it."""
    sql = _create_sql(
        tuple(creation.inserts), len(creation.args), bool(creation.events), key is not None
    )
    args: list[Any] = list(creation.args)
    if creation.events:
        args.append(rows_param(creation.events))
    async with pool.acquire() as conn:
        if key is None:
            await conn.execute(sql, *args)
            return creation.response
        ident = (principal.tenant, principal.client, key)
        response = creation.response
        try:
            await conn.execute(
                sql,
                *args,
                *ident,
                request_fingerprint,
                response.status,
                response.body,
                response.headers,
                ttl_hours,
            )
            return response
        except asyncpg.DivisionByZeroError:
            return await _answer_taken(conn, ident, request_fingerprint, ttl_hours)
        except Exception as failure:
            return await _answer_failed(conn, ident, request_fingerprint, ttl_hours, failure)


async def _answer_taken(
    conn: asyncpg.Connection, ident: tuple[str, str, str], request_fingerprint: str, ttl: int
) -> StoredResponse:
    """The key was taken when the write met it: the answer it stores."""
    stored = await _stored(conn, ident, request_fingerprint, ttl)
    if stored is None:  # removed since the write met it: the caller may retry
        raise Problem(409, "The request with this Idempotency-Key is still in progress; retry.")
    return stored


async def _answer_failed(
    conn: asyncpg.Connection,
    ident: tuple[str, str, str],
    request_fingerprint: str,
    ttl: int,
    failure: Exception,
) -> StoredResponse:
    """The write failed (nothing of it was kept): when the key already holds an answer this
    was a retry whose step no longer applies, so that answer; otherwise the failure."""
    try:
        stored = await _stored(conn, ident, request_fingerprint, ttl)
    except Problem:
        raise
    except Exception:
        raise failure from None
    if stored is None:
        raise failure
    return stored


async def _stored(
    conn: asyncpg.Connection, ident: tuple[str, str, str], request_fingerprint: str, ttl: int
) -> StoredResponse | None:
    """The answer stored under the key (None when there is none, or it expired); 422 when
    the key was used with another request."""
    row = await conn.fetchrow(_FETCH, *ident, ttl)
    if row is None:
        return None
    if row["fingerprint"] != request_fingerprint:
        raise Problem(
            422,
            "This Idempotency-Key was used with a different request body.",
            slug="idempotency-key-reused",
        )
    return StoredResponse(row["status"], row["body"], dict(row["headers"]))


async def idempotent_write(
    request: Request,
    principal: Principal,
    idempotency_key: str | None,
    action: Callable[[asyncpg.Connection], Awaitable[StoredResponse]],
) -> Response:
    """What a write route calls: `write_once` with the app's pool and settings and the
    request's fingerprint, answered with the stored response."""
    terms = await _request_terms(request, principal, idempotency_key)
    return to_response(await write_once(request.app.state.pool, **terms, handler=action))


async def idempotent_create(
    request: Request, principal: Principal, idempotency_key: str | None, creation: Creation
) -> Response:
    """What a create route calls: `create_once`, as `idempotent_write` calls `write_once`."""
    terms = await _request_terms(request, principal, idempotency_key)
    return to_response(await create_once(request.app.state.pool, **terms, creation=creation))


async def _request_terms(
    request: Request, principal: Principal, idempotency_key: str | None
) -> dict[str, Any]:
    """What both take from the request: who, the key, the request's fingerprint, the TTL."""
    return {
        "principal": principal,
        "key": idempotency_key,
        "request_fingerprint": fingerprint(
            request.method, url_path(request.scope), await request.body()
        ),
        "ttl_hours": request.app.state.settings.idempotency_ttl_hours,
    }
