"""consumer statistics per tenant

Revision ID: 0002
Revises: 0001

`GET /v1/status` shows a tenant only its own figures, so the consumer counts per topic and
tenant. New generations get the new table from the code (`consumer_tables_ddl`); this
brings the generations that already exist to the same shape, so that the live consumer
keeps writing to the active one. Their rows so far cannot be split by tenant: they become
tenant '' (unknown), which only the admin totals include, until a rebuild
(`POST /v1/admin/rebuild`) recounts every event per tenant.
"""

from qaf_shared.migrations import script_migration

revision = "0002"
down_revision = "0001"


def _in_each_generation(which: str, statements: str) -> str:
    """A DO block running `statements` on each generation schema `s` whose consumer_stats
    `which` picks (the condition that ends the schemas' query)."""
    return f"""
DO $$
DECLARE s text;
BEGIN
  FOR s IN
    SELECT table_schema FROM information_schema.columns
    WHERE table_name = 'consumer_stats' AND table_schema ~ '^gen_[0-9]+$'
{which}
  LOOP
{statements}
  END LOOP;
END $$;
"""


# The generations whose consumer_stats has no tenant yet.
UP = _in_each_generation(
    "    GROUP BY table_schema HAVING bool_and(column_name <> 'tenant')",
    """\
    EXECUTE format('ALTER TABLE %I.consumer_stats ADD COLUMN tenant text NOT NULL DEFAULT %L', s, '');
    EXECUTE format('ALTER TABLE %I.consumer_stats DROP CONSTRAINT consumer_stats_pkey', s);
    EXECUTE format('ALTER TABLE %I.consumer_stats ADD PRIMARY KEY (topic, tenant)', s);""",
)

# The generations whose consumer_stats counts per tenant: back to one row per topic.
DOWN = _in_each_generation(
    "      AND column_name = 'tenant'",
    """\
    EXECUTE format('CREATE TEMP TABLE stats_by_topic ON COMMIT DROP AS
      SELECT topic, sum(applied)::bigint AS applied, sum(dead_letters)::bigint AS dead_letters,
             max(newest_event_time) AS newest_event_time
      FROM %I.consumer_stats GROUP BY topic', s);
    EXECUTE format('DELETE FROM %I.consumer_stats', s);
    EXECUTE format('ALTER TABLE %I.consumer_stats DROP CONSTRAINT consumer_stats_pkey', s);
    EXECUTE format('ALTER TABLE %I.consumer_stats DROP COLUMN tenant', s);
    EXECUTE format('ALTER TABLE %I.consumer_stats ADD PRIMARY KEY (topic)', s);
    EXECUTE format('INSERT INTO %I.consumer_stats SELECT topic, applied, dead_letters,
      newest_event_time FROM stats_by_topic', s);
    DROP TABLE stats_by_topic;""",
)

upgrade, downgrade = script_migration(UP, DOWN)
