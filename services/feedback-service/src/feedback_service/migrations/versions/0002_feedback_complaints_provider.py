"""feedback items, review participation, complaints, provider submissions and reports

Revision ID: 0002
Revises: 0001
"""

from qaf_shared.migrations import (
    CASE_RECORD_COLUMNS_V1,
    CHANGING_RECORD_COLUMNS_V1,
    UNIT_COLUMNS_V1,
    script_migration,
)

revision = "0002"
down_revision = "0001"

TABLES = f"""
CREATE TABLE feedback_items (
    id uuid PRIMARY KEY,
    tenant text NOT NULL,
    source text NOT NULL,
    respondent text,
    partner_type text,
    conference_type text,
    case_ref text,
    {UNIT_COLUMNS_V1}
    received_on date NOT NULL,
    answers jsonb NOT NULL DEFAULT '{{}}',
    comment text,
    -- Set for the commissioned provider's items: its name (the token's provider claim) and
    -- its own id for the item. One record per tenant, provider and external id, whatever
    -- the retries or concurrent batches.
    provider text,
    external_id text,
    submission_id uuid,
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by_client text NOT NULL,
    created_by_actor text,
    CONSTRAINT feedback_items_provider_external_id UNIQUE (tenant, provider, external_id),
    CONSTRAINT feedback_items_provider_has_external_id CHECK ((provider IS NULL) = (external_id IS NULL))
);
CREATE INDEX feedback_items_tenant_order ON feedback_items (tenant, created_at, id);
CREATE INDEX feedback_items_tenant_received ON feedback_items (tenant, received_on);

CREATE TABLE participation_records (
    {CASE_RECORD_COLUMNS_V1}
    review_due date NOT NULL,
    review_held date NOT NULL,
    pn_code text NOT NULL,
    in_timescale boolean NOT NULL,
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by_client text NOT NULL,
    created_by_actor text NOT NULL,
    -- One record per review: a child has one review on a given day.
    CONSTRAINT participation_one_per_review UNIQUE (tenant, case_ref, review_held)
);
CREATE INDEX participation_tenant_order ON participation_records (tenant, created_at, id);

CREATE TABLE complaints (
    id uuid PRIMARY KEY,
    tenant text NOT NULL,
    case_ref text,
    {UNIT_COLUMNS_V1}
    received_on date NOT NULL,
    complainant_role text NOT NULL,
    categories text[] NOT NULL,
    status text NOT NULL,
    stage text NOT NULL,
    -- What the authority owes now and by when (NULL when nothing is owed): `overdue` is
    -- derived from it against today, so the list can filter on it.
    awaiting_due date,
    stages jsonb NOT NULL,
    closed_on date,
    ombudsman_referred boolean NOT NULL DEFAULT false,
    {CHANGING_RECORD_COLUMNS_V1}
);
CREATE INDEX complaints_tenant_order ON complaints (tenant, created_at, id);

CREATE TABLE provider_submissions (
    id uuid PRIMARY KEY,
    tenant text NOT NULL,
    provider text NOT NULL,
    kind text NOT NULL,
    item_count int NOT NULL,
    accepted int NOT NULL,
    duplicates int NOT NULL,
    rejected int NOT NULL,
    results jsonb NOT NULL,
    report_id uuid,
    quarter text,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by_client text NOT NULL,
    created_by_actor text
);
CREATE INDEX provider_submissions_order ON provider_submissions (tenant, provider, created_at, id);

CREATE TABLE provider_reports (
    id uuid PRIMARY KEY,
    tenant text NOT NULL,
    provider text NOT NULL,
    quarter text NOT NULL,
    referrals_received int NOT NULL,
    children_advocated_for int NOT NULL,
    issues_by_theme jsonb NOT NULL,
    outcomes_achieved int NOT NULL,
    iv_matched int NOT NULL,
    iv_waiting int NOT NULL,
    submission_id uuid NOT NULL,
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by_client text NOT NULL,
    created_by_actor text,
    CONSTRAINT provider_reports_one_per_quarter UNIQUE (tenant, provider, quarter)
);
"""

DOWN = """
DROP TABLE provider_reports;
DROP TABLE provider_submissions;
DROP TABLE complaints;
DROP TABLE participation_records;
DROP TABLE feedback_items;
"""

upgrade, downgrade = script_migration(TABLES, DOWN)
