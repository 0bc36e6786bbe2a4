"""Database access.

The hot paths talk to PostgreSQL through an asyncpg pool: the architecture measured
SQLAlchemy's per-statement overhead at 2-4x on this kind of machine. SQLAlchemy stays
for table definitions and Alembic migrations, through `sqlalchemy_engine`.

Every connection, pooled or not, takes its TLS from the settings (`database_ssl`), never
from the DSN alone, so that a pool, the relay's lock connection and the migrations cannot
disagree about whether the server's certificate is checked.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from qaf_shared import jsonutil
from qaf_shared.settings import ServiceSettings, SslMode

UNAVAILABLE: tuple[type[Exception], ...] = (
    OSError,  # refused, reset, timed out: the server is down, restarting or unreachable
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08: the connection failed or is gone
    asyncpg.InterfaceError,  # asyncpg's "connection is closed" under a query
    asyncpg.CannotConnectNowError,  # 57P03: starting up or shutting down
    asyncpg.AdminShutdownError,  # 57P01: the session ended by a (fast) shutdown or restart
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.TooManyConnectionsError,
    # asyncpg's protocol in a state it cannot go on from: what a COMMIT meets on a connection
    # the server is terminating ("cannot switch to state 15; another operation (2) is in
    # progress", seen in tests/test_postgres_restart.py); the COMMIT was never sent.
    asyncpg.InternalClientError,
)
"""The errors that mean PostgreSQL cannot be reached now, not that a statement or a record is
wrong: a request answers 503 and a consumer retries its batch, where anything else is a 500 or
a dead letter."""

SslOption = ssl.SSLContext | SslMode | None
"""What asyncpg's `ssl` argument takes: a context that verifies, a libpq mode, or None for
asyncpg's default (the DSN's `sslmode`, else PGSSLMODE, else prefer)."""


def ssl_option(mode: SslMode | None, rootcert: Path | None = None) -> SslOption:
    """The TLS of a connection in `mode` (libpq's meanings). `verify-ca` and `verify-full`
    check the server's chain against `rootcert` (the system's trust store when None), and
    `verify-full` its name against the host connected to as well; the other modes are
    asyncpg's own (no certificate checked)."""
    if mode not in ("verify-ca", "verify-full"):
        return mode
    context = ssl.create_default_context(cafile=str(rootcert) if rootcert else None)
    context.check_hostname = mode == "verify-full"
    return context


def database_ssl(settings: ServiceSettings) -> SslOption:
    """The TLS every connection of the service uses (`QA_DATABASE_SSLMODE`,
    `QA_DATABASE_SSLROOTCERT`)."""
    return ssl_option(settings.database_sslmode, settings.database_sslrootcert)


_JSONB_VERSION = b"\x01"


def _jsonb_send(value: Any) -> bytes:
    return _JSONB_VERSION + jsonutil.dumpb(value)


def _jsonb_receive(data: bytes) -> Any:
    # jsonb's binary form is its version (1, the only one there is) and the JSON text.
    return jsonutil.loads(memoryview(data)[1:])


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "json", encoder=jsonutil.dumps, decoder=jsonutil.loads, schema="pg_catalog"
    )
    # jsonb in PostgreSQL's binary format: orjson's bytes go out as they are (the text
    # format decoded them to a str that asyncpg then encoded again), and rows can be
    # written by binary COPY (`copy_records_to_table`), which has no text format.
    await conn.set_type_codec(
        "jsonb",
        encoder=_jsonb_send,
        decoder=_jsonb_receive,
        schema="pg_catalog",
        format="binary",
    )


class PooledConnection(asyncpg.Connection):  # type: ignore[misc]
    """A pooled connection that is handed back without a reset query. asyncpg's default
    (`pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`) is one more round trip on
    every release, a tenth of a write's time; pooled connections here never hold session
    state (LISTEN and advisory locks live on dedicated connections from `connect`, settings
    are never SET). asyncpg still rolls back a transaction left open."""

    def get_reset_query(self) -> str:
        return ""


async def create_pool(
    dsn: str, *, size: int = 10, ssl: SslOption = None, **kwargs: Any
) -> asyncpg.Pool:
    """An asyncpg pool whose json/jsonb columns take and give Python values."""
    pool = await asyncpg.create_pool(
        dsn=plain_dsn(dsn),
        ssl=ssl,
        # 0: a service starts while the database is still coming up; /readyz tells.
        min_size=0,
        max_size=size,
        init=_init_connection,
        connection_class=PooledConnection,
        **kwargs,
    )
    assert pool is not None
    return pool


async def connect(dsn: str, *, ssl: SslOption = None) -> asyncpg.Connection:
    """A single connection (for LISTEN, advisory locks and tests) with the same codecs."""
    conn = await asyncpg.connect(plain_dsn(dsn), ssl=ssl)
    await _init_connection(conn)
    return conn


def plain_dsn(dsn: str) -> str:
    """asyncpg wants `postgresql://`; SQLAlchemy wants `postgresql+asyncpg://`. Accept both."""
    return dsn.replace("postgresql+asyncpg://", "postgresql://", 1)


def sqlalchemy_engine(dsn: str, *, ssl: SslOption = None) -> AsyncEngine:
    """The SQLAlchemy async engine used by migrations and cold paths."""
    return create_async_engine(
        plain_dsn(dsn).replace("postgresql://", "postgresql+asyncpg://", 1),
        connect_args={"ssl": ssl},
    )
