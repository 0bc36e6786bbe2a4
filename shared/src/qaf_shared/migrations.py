"""Alembic plumbing shared by every service, and the platform tables' DDL.

Each service keeps its own migrations in `<package>/migrations/`; run them with
`python -m qaf_shared.migrations <package>` as the database's owner (QA_DATABASE_URL) and
name the role the service runs as (QA_DATABASE_RUNTIME_ROLE): every run ends by giving that
role its row privileges (`qaf_shared.runtime_role`).
The DDL below is versioned (`_V1`): a later change is a new constant and a new migration,
so the history of a migration that already ran never changes under it."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from qaf_shared.database import sqlalchemy_engine
from qaf_shared.outbox.relay import NOTIFY_CHANNEL
from qaf_shared.runtime_role import check_role, grant_sql

# Outbox with Debezium's outbox-router column names (id, aggregatetype, aggregateid, type,
# payload) so change-data capture could replace the relay; `seq` gives the publish order.
OUTBOX_V1 = f"""
CREATE TABLE outbox (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id uuid NOT NULL UNIQUE,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    tenant text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_notify('{NOTIFY_CHANNEL}', ''); RETURN NULL; END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

CREATE TABLE idempotency_keys (
    tenant text NOT NULL,
    client text NOT NULL,
    key text NOT NULL,
    fingerprint text NOT NULL,
    status int,
    body jsonb,
    headers jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, client, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE access_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    tenant text NOT NULL,
    client text NOT NULL,
    actor text,
    resource_type text NOT NULL,
    resource_id text NOT NULL,
    action text NOT NULL
);
CREATE INDEX access_log_resource ON access_log (tenant, resource_type, resource_id);
CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'access_log is append-only'; END $$;
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only();
"""

OUTBOX_V1_DOWN = """
DROP TABLE access_log; DROP FUNCTION access_log_append_only();
DROP TABLE idempotency_keys;
DROP TABLE outbox; DROP FUNCTION outbox_notify();
"""


# The columns every case-level record begins with: its id, tenant, the child's case and the
# org unit it is stored with (`qaf_shared.rows`); the unit columns alone where the case is
# optional or comes later. Placed in a CREATE TABLE's column list, each ends with a comma.
UNIT_COLUMNS_V1 = """area text,
    district text,
    team text,
    service text,"""

CASE_RECORD_COLUMNS_V1 = f"""id uuid PRIMARY KEY,
    tenant text NOT NULL,
    case_ref text NOT NULL,
    {UNIT_COLUMNS_V1}"""

# The columns a record that changes ends with: its version (the ETag) and who wrote it first
# and last, when (`qaf_shared.rows.WRITTEN_BY`).
CHANGING_RECORD_COLUMNS_V1 = """version int NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    created_by_client text NOT NULL,
    created_by_actor text NOT NULL,
    updated_by_client text NOT NULL,
    updated_by_actor text NOT NULL"""


# The append-only tables every write service has (OUTBOX_V1): INSERT and SELECT only for the
# runtime role.
PLATFORM_LOGS = ("access_log",)


def alembic_config(package: str, dsn: str, runtime_role: str) -> Config:
    config = Config()
    config.set_main_option("script_location", f"{package}:migrations")
    config.set_main_option("sqlalchemy.url", dsn)
    config.attributes["runtime_role"] = runtime_role
    return config


def upgrade(package: str, dsn: str, revision: str = "head", *, runtime_role: str) -> None:
    """Bring a service's database to `revision` as its owner (`dsn`) and grant `runtime_role`
    its privileges (blocking; call from a thread in async code)."""
    command.upgrade(alembic_config(package, dsn, runtime_role), revision)


def _runtime_role() -> str:
    """From `upgrade`, else `alembic -x runtime_role=...`, else QA_DATABASE_RUNTIME_ROLE."""
    role = context.config.attributes.get("runtime_role") or context.get_x_argument(
        as_dictionary=True
    ).get("runtime_role")
    if not role:
        from qaf_shared.settings import ServiceSettings

        role = ServiceSettings().database_runtime_role
    if not role:
        raise SystemExit(
            "no runtime role: set QA_DATABASE_RUNTIME_ROLE to the role the service runs as"
        )
    return check_role(str(role))


def run_env(
    target_metadata: MetaData | None = None,
    *,
    append_only: tuple[str, ...] = (),
    insert_delete_only: tuple[str, ...] = (),
    own_schemas: str | None = None,
) -> None:
    """The body of every service's `migrations/env.py` (online mode, async engine).
    `append_only`, `insert_delete_only` and `own_schemas` are the service's exceptions to the runtime role's
    row privileges (`qaf_shared.runtime_role.grant_sql`)."""
    dsn = context.config.get_main_option("sqlalchemy.url")
    if not dsn:
        from qaf_shared.settings import ServiceSettings

        dsn = ServiceSettings().database_url.get_secret_value()
    runtime_role = _runtime_role()

    def migrate(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
            # In the migrations' transaction: the new tables and their grants appear together.
            owner, database = connection.exec_driver_sql(
                "SELECT current_user, current_database()"
            ).one()
            if owner == runtime_role:
                raise SystemExit(
                    f"the runtime role must not be the owner that migrates ({owner}): "
                    "set QA_DATABASE_RUNTIME_ROLE to the service's own role"
                )
            execute_script(
                connection,
                grant_sql(
                    runtime_role,
                    database,
                    append_only=append_only,
                    insert_delete_only=insert_delete_only,
                    own_schemas=own_schemas,
                ),
            )

    async def run() -> None:
        engine = sqlalchemy_engine(dsn)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
            await connection.commit()
        await engine.dispose()

    asyncio.run(run())


def execute_script(op: Any, sql: str) -> None:
    """Run a multi-statement DDL script inside a migration's transaction. asyncpg runs a
    script only through its simple-query path, so this goes to the driver connection.
    `op` is Alembic's `op` or the migration's SQLAlchemy connection."""
    from sqlalchemy.util import await_only

    bind: Any = op if isinstance(op, Connection) else op.get_bind()
    driver = bind.connection.dbapi_connection.driver_connection
    await_only(driver.execute(sql))


Scripts = str | tuple[str, ...]


def script_migration(up: Scripts, down: Scripts) -> tuple[Callable[[], None], Callable[[], None]]:
    """The `upgrade` and `downgrade` of a version file that runs DDL scripts, in order, each
    way: `upgrade, downgrade = script_migration(UP, DOWN)` beside its `revision`."""
    ups = (up,) if isinstance(up, str) else up
    downs = (down,) if isinstance(down, str) else down

    def upgrade() -> None:
        for sql in ups:
            execute_script(op, sql)

    def downgrade() -> None:
        for sql in downs:
            execute_script(op, sql)

    return upgrade, downgrade


def main() -> None:
    from qaf_shared.settings import ServiceSettings

    if len(sys.argv) < 2:
        sys.exit("usage: python -m qaf_shared.migrations <service_package> [revision]")
    settings = ServiceSettings()
    if not settings.database_runtime_role:
        sys.exit("no runtime role: set QA_DATABASE_RUNTIME_ROLE to the role the service runs as")
    upgrade(
        sys.argv[1],
        settings.database_url.get_secret_value(),
        sys.argv[2] if len(sys.argv) > 2 else "head",
        runtime_role=settings.database_runtime_role,
    )


if __name__ == "__main__":
    main()
