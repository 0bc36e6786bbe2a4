"""the consumer's tables cheaper to write

Revision ID: 0005
Revises: 0004

What every batch writes, made cheaper for PostgreSQL (bench/README.md, "Consumer and
rebuild"): the keys of the facts and the cells compared byte for byte (`COLLATE "C"`)
whatever the database's own collation, the facts kept as the JSON text the consumer writes
and reads (not jsonb), and `processed_events` holding the event ids alone. New generations
get this shape from the code (`generations.projection_ddl`, `consumer_tables_ddl`); this
brings the generations that exist to it, so that the live consumer keeps writing to the
active one. Each table is rewritten (its indexes rebuilt) once, under its lock: the
consumer waits meanwhile. The same figures: nothing reads these keys in their collation's
order, and the facts' text is the JSON they held.
"""

from qaf_shared.migrations import script_migration

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_KEYS = {
    "facts": ("tenant", "kind", "id"),
    "counts": ("tenant", "grain", "period", "unit_kind", "unit_code", "measure", "dimension"),
    "running": ("tenant", "grain", "period", "unit_kind", "unit_code", "measure", "dimension"),
}


def _in_each_generation(statements: str) -> str:
    """A DO block running `statements` on each generation schema `s`."""
    return f"""
DO $$
DECLARE s text;
BEGIN
  FOR s IN SELECT nspname FROM pg_namespace WHERE nspname ~ '^gen_[0-9]+$' LOOP
{statements}
  END LOOP;
END $$;
"""


def _collate(table: str, collation: str, extra: str = "") -> str:
    columns = ", ".join(
        f"ALTER COLUMN {column} TYPE text COLLATE {collation}" for column in _KEYS[table]
    )
    return f"    EXECUTE format('ALTER TABLE %I.{table} {columns}{extra}', s);"


UP = _in_each_generation(
    "\n".join(
        [
            _collate("facts", '"C"', ", ALTER COLUMN data TYPE text"),
            _collate("counts", '"C"'),
            _collate("running", '"C"'),
            "    EXECUTE format('ALTER TABLE %I.processed_events DROP COLUMN topic,"
            ' DROP COLUMN partition, DROP COLUMN "offset", DROP COLUMN applied_at\', s);',
        ]
    )
)

DOWN = _in_each_generation(
    "\n".join(
        [
            _collate(
                "facts", "pg_catalog.default", ", ALTER COLUMN data TYPE jsonb USING data::jsonb"
            ),
            _collate("counts", "pg_catalog.default"),
            _collate("running", "pg_catalog.default"),
            # The rows so far cannot say where they came from: '' and 0, the time of the
            # downgrade.
            "    EXECUTE format('ALTER TABLE %I.processed_events"
            " ADD COLUMN topic text NOT NULL DEFAULT '''',"
            " ADD COLUMN partition int NOT NULL DEFAULT 0,"
            ' ADD COLUMN "offset" bigint NOT NULL DEFAULT 0,'
            " ADD COLUMN applied_at timestamptz NOT NULL DEFAULT now()', s);",
            "    EXECUTE format('ALTER TABLE %I.processed_events ALTER COLUMN topic DROP DEFAULT,"
            ' ALTER COLUMN partition DROP DEFAULT, ALTER COLUMN "offset" DROP DEFAULT\', s);',
        ]
    )
)

upgrade, downgrade = script_migration(UP, DOWN)
