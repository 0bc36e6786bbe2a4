"""Least privilege in the database (docs/architecture.md, Security): the migrations run as each
service's owner role and the service as its runtime role, which may read and write rows but
change no table, and may only add to and read the access log and change log. Against real
PostgreSQL, with the databases `make_database` makes (the ones every service test runs on)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

import asyncpg
import pytest

from qaf_shared import migrations
from qaf_shared.database import connect
from qaf_shared.runtime_role import grant_sql, runtime_role_for
from qaf_shared.testing.fixtures import DatabaseFactory, owner_dsn, role_dsn

# Each write service's append-only tables and a row for each (the columns without defaults).
LOGS = {
    "audit_service": ["access_log", "change_log"],
    "escalation_service": ["access_log", "escalation_activity"],
    "feedback_service": ["access_log"],
    "activity_service": ["access_log"],
}
ROWS = {
    "access_log": (
        "INSERT INTO access_log (tenant, client, actor, resource_type, resource_id, action)"
        " VALUES ('999', 'c', 'a', 'audit', $1::text, 'read')"
    ),
    "change_log": (
        "INSERT INTO change_log (tenant, client, actor, resource_type, resource_id, change)"
        " VALUES ('999', 'c', 'a', 'audit', $1::uuid, 'created')"
    ),
    # needs an escalation to point at: `_seed` makes one with this id
    "escalation_activity": (
        "INSERT INTO escalation_activity (escalation_id, tenant, action, stage, on_date, client,"
        " actor) VALUES ($1::uuid, '999', 'RAISED', 'STAGE1', current_date, 'c', 'a')"
    ),
}
LOG_CASES = [(package, table) for package, tables in LOGS.items() for table in tables]
PACKAGES = [*LOGS, "reporting_service"]


async def _seed(conn: asyncpg.Connection, table: str, row_id: uuid.UUID) -> None:
    """What a log row of `table` needs to exist first (as the owner)."""
    if table == "escalation_activity":
        await conn.execute(
            "INSERT INTO escalations (id, tenant, case_ref, plan_type, raised_by, raised_by_role,"
            " categories, summary, raised_on, status, stage, stage_seq, stage_opened_on,"
            " stage_due_date, last_activity_on, version, created_by_client, created_by_actor,"
            " updated_by_client, updated_by_actor) VALUES ($1, '999', 'X', 'CP', 'r', 'SW',"
            " '{DRIFT_DELAY}', 's', current_date, 'AWAITING_RESPONSE', 'STAGE1', 1, current_date,"
            " current_date, current_date, 1, 'c', 'a', 'c', 'a')",
            row_id,
        )


@pytest.fixture(scope="module")
async def databases(make_database: DatabaseFactory) -> dict[str, str]:
    """One database per service, migrated; package -> the runtime role's DSN."""
    return {package: await make_database(package) for package in PACKAGES}


async def _as_owner(dsn: str) -> asyncpg.Connection:
    return await connect(owner_dsn(dsn))


async def test_make_database_gives_the_runtime_role(databases: dict[str, str]) -> None:
    for package, dsn in databases.items():
        conn = await connect(dsn)
        try:
            user, owner = await conn.fetchrow(
                "SELECT current_user, pg_get_userbyid(datdba) FROM pg_database"
                " WHERE datname = current_database()"
            )
        finally:
            await conn.close()
        assert (user, owner) == (runtime_role_for(package), package)


@pytest.mark.parametrize(("package", "table"), LOG_CASES)
async def test_the_runtime_role_may_only_add_to_and_read_a_log(
    databases: dict[str, str], package: str, table: str
) -> None:
    dsn = databases[package]
    row_id = uuid.uuid4()
    owner = await _as_owner(dsn)
    try:
        await _seed(owner, table, row_id)
    finally:
        await owner.close()
    conn = await connect(dsn)
    try:
        await conn.execute(ROWS[table], str(row_id))
        assert await conn.fetchval(f"SELECT count(*) FROM {table}") >= 1

        refused = [
            f"UPDATE {table} SET tenant = '998'",
            f"DELETE FROM {table}",
            f"TRUNCATE {table}",
            f"ALTER TABLE {table} DISABLE TRIGGER ALL",
            f"ALTER TABLE {table} DISABLE TRIGGER USER",
            f"ALTER TABLE {table} ADD COLUMN x int",
            f"DROP TABLE {table}",
            # the append-only trigger itself, and the way round it
            f"DROP TRIGGER {table}_append_only ON {table}",
            "SET session_replication_role = replica",
        ]
        for statement in refused:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(statement)
        assert await conn.fetchval(f"SELECT count(*) FROM {table} WHERE tenant = '999'") >= 1
    finally:
        await conn.close()


@pytest.mark.parametrize("package", PACKAGES)
async def test_the_runtime_role_changes_no_structure(
    databases: dict[str, str], package: str
) -> None:
    conn = await connect(databases[package])
    try:
        refused = [
            "CREATE TABLE public.sneaky (x int)",
            "CREATE TEMPORARY TABLE sneaky (x int)",
            "CREATE FUNCTION public.sneaky() RETURNS int LANGUAGE sql AS 'SELECT 1'",
            "ALTER TABLE alembic_version ADD COLUMN x int",
            "UPDATE alembic_version SET version_num = 'x'",
            "SELECT * FROM alembic_version",
        ]
        if package != "reporting_service":
            refused.append("CREATE SCHEMA sneaky")  # only reporting makes its generations
        for statement in refused:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(statement)
        owned = await conn.fetchval(
            "SELECT count(*) FROM pg_class WHERE relowner = current_user::regrole"
        )
        assert owned == 0, "the runtime role owns tables"
    finally:
        await conn.close()


@pytest.mark.parametrize(
    ("package", "table"),
    [("audit_service", "audits"), ("escalation_service", "escalations"),
     ("feedback_service", "complaints"), ("audit_service", "idempotency_keys"),
     ("audit_service", "outbox"), ("activity_service", "outbox")],
)  # fmt: skip
async def test_the_runtime_role_reads_writes_and_deletes_other_rows(
    databases: dict[str, str], package: str, table: str
) -> None:
    """The rows the services change (idempotency keys expire; the relay marks the outbox)."""
    conn = await connect(databases[package])
    try:
        async with conn.transaction():
            await conn.execute(f"UPDATE {table} SET tenant = tenant")
            await conn.execute(f"DELETE FROM {table} WHERE false")
            await conn.fetch(f"SELECT * FROM {table} LIMIT 1")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(f"TRUNCATE {table}")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
    finally:
        await conn.close()


async def test_reporting_runtime_role_makes_and_drops_only_its_generations(
    databases: dict[str, str],
) -> None:
    conn = await connect(databases["reporting_service"])
    try:
        await conn.execute("CREATE SCHEMA gen_990; CREATE TABLE gen_990.t (x int)")
        await conn.execute("DROP SCHEMA gen_990 CASCADE")
        await conn.execute("UPDATE projection_state SET rebuild_error = NULL")
        for statement in ["DROP TABLE projection_state", "TRUNCATE projection_state",
                          "ALTER TABLE projection_state ADD COLUMN x int"]:  # fmt: skip
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(statement)
    finally:
        await conn.close()


async def test_a_generation_the_owner_made_before_the_split_is_handed_to_the_runtime_role(
    databases: dict[str, str],
) -> None:
    """A reporting database from before the split has its generation owned by the one role
    there was (now the owner); migrating again hands it to the runtime role, which can then
    write it and drop it at the next rebuild."""
    dsn = databases["reporting_service"]
    owner = await _as_owner(dsn)
    try:
        await owner.execute("CREATE SCHEMA gen_991; CREATE TABLE gen_991.counts (x int)")
    finally:
        await owner.close()
    runtime_role = runtime_role_for("reporting_service")
    await asyncio.to_thread(
        migrations.upgrade, "reporting_service", owner_dsn(dsn), runtime_role=runtime_role
    )
    conn = await connect(dsn)
    try:
        await conn.execute("INSERT INTO gen_991.counts VALUES (1)")
        await conn.execute("DROP SCHEMA gen_991 CASCADE")
    finally:
        await conn.close()


async def test_migrating_again_keeps_the_grants(databases: dict[str, str]) -> None:
    dsn = databases["audit_service"]
    await asyncio.to_thread(
        migrations.upgrade, "audit_service", owner_dsn(dsn),
        runtime_role=runtime_role_for("audit_service"),
    )  # fmt: skip
    conn = await connect(dsn)
    try:
        await conn.execute(ROWS["access_log"], "x")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DELETE FROM access_log")
    finally:
        await conn.close()


async def test_migrations_refuse_to_make_the_owner_the_runtime_role(
    databases: dict[str, str],
) -> None:
    dsn = owner_dsn(databases["feedback_service"])
    with pytest.raises(SystemExit, match="must not be the owner"):
        await asyncio.to_thread(
            migrations.upgrade, "feedback_service", dsn, runtime_role="feedback_service"
        )


def test_a_role_name_is_checked_before_it_goes_into_sql() -> None:
    with pytest.raises(ValueError):
        grant_sql('x"; DROP TABLE audits; --', "db")
    assert '"audit_service_app"' in grant_sql("audit_service_app", "db")


async def test_other_roles_cannot_connect(databases: dict[str, str]) -> None:
    """A service's database is closed to the other services' roles."""
    name = databases["audit_service"].rsplit("/", 1)[1]
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await asyncpg.connect(role_dsn(runtime_role_for("feedback_service"), name))


def test_the_migration_command_refuses_to_run_without_a_runtime_role() -> None:
    """Without QA_DATABASE_RUNTIME_ROLE nobody would get the grants and the service could not
    start; the command says so before it touches the database."""
    env = {k: v for k, v in os.environ.items() if k != "QA_DATABASE_RUNTIME_ROLE"}
    result = subprocess.run(
        [sys.executable, "-m", "qaf_shared.migrations", "audit_service"],
        env={**env, "QA_DATABASE_URL": "postgresql://nobody:x@127.0.0.1:1/nothing"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "QA_DATABASE_RUNTIME_ROLE" in result.stderr
