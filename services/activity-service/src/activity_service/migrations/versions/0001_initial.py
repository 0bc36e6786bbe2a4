"""outbox, idempotency keys, access log

Revision ID: 0001
Revises:
"""

from alembic import op

from qaf_shared.migrations import OUTBOX_V1, OUTBOX_V1_DOWN, execute_script

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(op, OUTBOX_V1)


def downgrade() -> None:
    execute_script(op, OUTBOX_V1_DOWN)
