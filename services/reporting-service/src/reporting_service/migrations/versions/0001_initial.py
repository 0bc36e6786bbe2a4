"""processed events, consumer stats, audit facts and measure counts

Revision ID: 0001
Revises:
"""

from alembic import op

from qaf_shared.migrations import CONSUMER_V1, CONSUMER_V1_DOWN, execute_script

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

PROJECTIONS = """
-- The latest known facts of each audit, so that a later event (a resubmission, a regrade)
-- can take back exactly what the earlier one contributed.
CREATE TABLE audit_facts (
    tenant text NOT NULL,
    audit_id uuid NOT NULL,
    area text, district text, team text, service text,
    submitted_on date,
    final_grade text,
    submission_number int NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, audit_id)
);

-- Every count measure per tenant, quarter and unit: a Deep Dive reads a bounded number of
-- rows, however long the history.
CREATE TABLE measure_counts (
    tenant text NOT NULL,
    quarter text NOT NULL,
    unit_kind text NOT NULL,
    unit_code text NOT NULL,
    measure text NOT NULL,
    dimension text NOT NULL DEFAULT '',
    value bigint NOT NULL,
    PRIMARY KEY (tenant, quarter, unit_kind, unit_code, measure, dimension)
);
"""


def upgrade() -> None:
    execute_script(op, CONSUMER_V1)
    execute_script(op, PROJECTIONS)


def downgrade() -> None:
    execute_script(op, "DROP TABLE measure_counts; DROP TABLE audit_facts;")
    execute_script(op, CONSUMER_V1_DOWN)
