"""projection state

Revision ID: 0001
Revises:

The projections themselves live in a schema per generation (gen_N), created from the
current code by `generations.py`: a rebuild fills a new generation and switches to it, so
a change of projection tables is a rebuild, not a migration.
"""

from qaf_shared.migrations import script_migration

revision = "0001"
down_revision = None

PROJECTION_STATE = """
CREATE TABLE projection_state (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    active_schema text,
    generation int NOT NULL DEFAULT 0,
    rebuild_started_at timestamptz,
    rebuild_finished_at timestamptz,
    rebuild_error text
);
INSERT INTO projection_state (singleton) VALUES (true);
"""

upgrade, downgrade = script_migration(PROJECTION_STATE, "DROP TABLE projection_state;")
