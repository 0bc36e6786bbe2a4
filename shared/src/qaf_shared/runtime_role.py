"""What a service's runtime role may do in its database (docs/architecture.md, Security).

Each service has two roles: the owner, which owns the database and every table and runs the
migrations, and the runtime role the service connects as. The runtime role owns nothing, so
it can't change a table's structure or its triggers (ALTER TABLE ... DISABLE TRIGGER needs
ownership); it may read and write rows, and on the append-only logs (access log, change log)
only INSERT and SELECT.

One mechanism gives these grants: every migration run ends with `grant_sql`, as the owner, in
the migration's transaction (`qaf_shared.migrations.run_env`). It starts from nothing each time
and grants on every table there is, so a table a later migration adds gets the grants without
anyone remembering to, and running it again changes nothing. The runtime role's name is
configuration (`QA_DATABASE_RUNTIME_ROLE`), so compose and Kubernetes can name it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# A role name as the deployments spell them; checked so it can be put in SQL, quoted as well.
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def check_role(role: str) -> str:
    if not _ROLE.match(role):
        raise ValueError(f"not a role name (lower case letters, digits, _): {role!r}")
    return role


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def grant_sql(
    role: str,
    database: str,
    *,
    append_only: Iterable[str] = (),
    insert_delete_only: Iterable[str] = (),
    own_schemas: str | None = None,
) -> str:
    """The statements that give `role` exactly the runtime privileges on `database` (run as
    its owner, in the public schema).

    `append_only`: tables the runtime role may only INSERT into and SELECT from.
    `insert_delete_only`: tables whose rows are replaced, never changed in place (reference
    data a load deletes and inserts): no UPDATE.
    `own_schemas`: a regular expression of schema names the runtime role creates and owns at
    run time (reporting's projection generations, which a rebuild makes and drops): it gets
    CREATE on the database for that, and such schemas the owner made before the roles were
    split are handed to it (the owner must be a member of the runtime role for that)."""
    r = _ident(check_role(role))
    db = _ident(database)
    sql = [
        # Only the runtime role connects besides the owner; no temporary tables for anyone else.
        f"REVOKE ALL ON DATABASE {db} FROM PUBLIC",
        f"REVOKE ALL ON DATABASE {db} FROM {r}",
        f"GRANT CONNECT ON DATABASE {db} TO {r}",
        # Before PostgreSQL 15 everyone may create tables in public; nobody but the owner here.
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"REVOKE ALL ON SCHEMA public FROM {r}",
        f"GRANT USAGE ON SCHEMA public TO {r}",
        # From nothing, so a grant taken away (a table that became a log) stays away.
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {r}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r}",
        # nextval only, for a serial column (identity columns need no grant)
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {r}",
        # The migrations' bookkeeping is the owner's alone.
        f"REVOKE ALL ON TABLE alembic_version FROM {r}",
    ]
    # On those that exist: a downgrade past the migration that made one runs this too.
    if append_only:
        sql.append(_revoke_where_present("UPDATE, DELETE", append_only, role))
    if insert_delete_only:
        sql.append(_revoke_where_present("UPDATE", insert_delete_only, role))
    if own_schemas is not None:
        sql.append(f"GRANT CREATE ON DATABASE {db} TO {r}")
        sql.append(_hand_over(role, own_schemas))
    return ";\n".join(sql) + ";\n"


def _revoke_where_present(privileges: str, tables: Iterable[str], role: str) -> str:
    names = ", ".join("'" + check_table(t) + "'" for t in tables)
    return f"""DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[{names}] LOOP
        IF to_regclass(format('public.%I', t)) IS NOT NULL THEN
            EXECUTE format('REVOKE {privileges} ON TABLE public.%I FROM %I', t, '{role}');
        END IF;
    END LOOP;
END $$"""


def check_table(name: str) -> str:
    """A table name as the migrations spell them (checked, so it can be put in SQL)."""
    if not _ROLE.match(name):
        raise ValueError(f"not a table name (lower case letters, digits, _): {name!r}")
    return name


def _hand_over(role: str, pattern: str) -> str:
    """Schemas matching `pattern` that the owner (the migrating user) owns, and their tables,
    become the runtime role's: what a service made as the single role before the split."""
    pattern_literal = "'" + pattern.replace("'", "''") + "'"
    role_literal = "'" + role + "'"
    return f"""DO $$
DECLARE s name; t name;
BEGIN
    FOR s IN SELECT nspname FROM pg_namespace
             WHERE nspname ~ {pattern_literal} AND nspowner = current_user::regrole LOOP
        EXECUTE format('ALTER SCHEMA %I OWNER TO %I', s, {role_literal});
        FOR t IN SELECT relname FROM pg_class
                 WHERE relnamespace = s::regnamespace AND relkind IN ('r', 'p') LOOP
            EXECUTE format('ALTER TABLE %I.%I OWNER TO %I', s, t, {role_literal});
        END LOOP;
    END LOOP;
END $$"""


def runtime_role_for(owner: str) -> str:
    """The local naming convention (deploy/local/postgres.sh, compose, tests): `<owner>_app`."""
    return check_role(f"{owner}_app")
