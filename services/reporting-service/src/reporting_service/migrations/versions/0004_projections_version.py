"""projections version of the active generation

Revision ID: 0004
Revises: 0003

Each generation records the version of the projections that built it (projections/version.py)
and each rebuild the version it builds and why it was started, so that a replica whose code
counts differently rebuilds by itself (workers/auto_rebuild.py) and does not retry a failed
rebuild of its version at once. The generations that exist were built before versions: NULL,
older than any, so the first replica of the new code rebuilds them.
"""

from qaf_shared.migrations import script_migration

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UP = """
ALTER TABLE projection_state
    ADD COLUMN projections_version int,
    ADD COLUMN rebuild_version int,
    ADD COLUMN rebuild_reason text;
"""

DOWN = """
ALTER TABLE projection_state
    DROP COLUMN projections_version,
    DROP COLUMN rebuild_version,
    DROP COLUMN rebuild_reason;
"""

upgrade, downgrade = script_migration(UP, DOWN)
