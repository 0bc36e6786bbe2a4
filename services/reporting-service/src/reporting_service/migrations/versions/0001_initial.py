"""projection state

Revision ID: 0001
Revises:

The projections themselves live in a schema per generation (gen_N), created from the
current code by `generations.py`: a rebuild fills a new generation and switches to it, so
a change of projection tables is a rebuild, not a migration.
"""

from alembic import op

from qaf_shared.migrations import execute_script

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        op,
        """
CREATE TABLE projection_state (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    active_schema text,
    generation int NOT NULL DEFAULT 0,
    rebuild_started_at timestamptz,
    rebuild_finished_at timestamptz,
    rebuild_error text
);
INSERT INTO projection_state (singleton) VALUES (true);
""",
    )


def downgrade() -> None:
    execute_script(op, "DROP TABLE projection_state;")
