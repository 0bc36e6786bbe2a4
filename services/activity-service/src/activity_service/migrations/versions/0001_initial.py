"""outbox, idempotency keys, access log

Revision ID: 0001
Revises:
"""

from qaf_shared.migrations import OUTBOX_V1, OUTBOX_V1_DOWN, script_migration

revision = "0001"
down_revision = None


upgrade, downgrade = script_migration(OUTBOX_V1, OUTBOX_V1_DOWN)
