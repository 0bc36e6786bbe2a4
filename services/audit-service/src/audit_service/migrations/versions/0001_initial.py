"""audits, outbox, idempotency keys, access log

Revision ID: 0001
Revises:
"""

from qaf_shared.migrations import (
    CASE_RECORD_COLUMNS_V1,
    CHANGING_RECORD_COLUMNS_V1,
    OUTBOX_V1,
    OUTBOX_V1_DOWN,
    script_migration,
)

revision = "0001"
down_revision = None

AUDITS = f"""
CREATE TABLE audits (
    {CASE_RECORD_COLUMNS_V1}
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
    {CHANGING_RECORD_COLUMNS_V1}
);
CREATE INDEX audits_tenant_order ON audits (tenant, created_at, id);
"""

upgrade, downgrade = script_migration((OUTBOX_V1, AUDITS), ("DROP TABLE audits;", OUTBOX_V1_DOWN))
