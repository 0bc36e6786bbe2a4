"""audits, outbox, idempotency keys, access log

Revision ID: 0001
Revises:
"""

from alembic import op

from qaf_shared.migrations import OUTBOX_V1, OUTBOX_V1_DOWN, execute_script

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

AUDITS = """
CREATE TABLE audits (
    id uuid PRIMARY KEY,
    tenant text NOT NULL,
    case_ref text NOT NULL,
    area text,
    district text,
    team text,
    service text,
    plan_type text NOT NULL,
    auditor text NOT NULL,
    due_date date NOT NULL,
    programme_id uuid,
    kind text,
    status text NOT NULL,
    overall_grade text,
    final_grade text,
    section_grades jsonb,
    themes text[],
    child_voice_evident boolean,
    commentary text,
    submitted_on date,
    submission_count int NOT NULL DEFAULT 0,
    version int NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    created_by_client text NOT NULL,
    created_by_actor text NOT NULL,
    updated_by_client text NOT NULL,
    updated_by_actor text NOT NULL
);
CREATE INDEX audits_tenant_order ON audits (tenant, created_at, id);
"""


def upgrade() -> None:
    execute_script(op, OUTBOX_V1)
    execute_script(op, AUDITS)


def downgrade() -> None:
    execute_script(op, "DROP TABLE audits;")
    execute_script(op, OUTBOX_V1_DOWN)
