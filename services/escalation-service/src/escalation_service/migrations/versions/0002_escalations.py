"""escalations, their stage history and who did what

Revision ID: 0002
Revises: 0001
"""

from qaf_shared.migrations import (
    CASE_RECORD_COLUMNS_V1,
    CHANGING_RECORD_COLUMNS_V1,
    script_migration,
)

revision = "0002"
down_revision = "0001"

ESCALATIONS = f"""
CREATE TABLE escalations (
    {CASE_RECORD_COLUMNS_V1}
    plan_type text NOT NULL,
    raised_by text NOT NULL,
    raised_by_role text NOT NULL,
    categories text[] NOT NULL,
    summary text NOT NULL,
    desired_outcome text,
    raised_on date NOT NULL,
    bypass_reason text,
    status text NOT NULL,
    -- The current stage, kept on the row so that one row lock orders every change (and the
    -- overdue scheduler's claim) of an escalation; the history is in escalation_stages.
    stage text NOT NULL,
    stage_seq int NOT NULL,
    stage_opened_on date NOT NULL,
    stage_due_date date NOT NULL,
    stage_overdue_announced_at timestamptz,
    formal_started_on date,
    formal_deadline date,
    outcome text,
    resolution_note text,
    resolved_on date,
    withdrawn_on date,
    withdrawal_reason text,
    cafcass_referred_on date,
    cafcass_referred_at timestamptz,
    -- The latest business date recorded: a later step may not carry an earlier date.
    last_activity_on date NOT NULL,
    {CHANGING_RECORD_COLUMNS_V1},
    CHECK (cardinality(categories) >= 1)
);
CREATE INDEX escalations_tenant_order ON escalations (tenant, created_at, id);
CREATE INDEX escalations_tenant_raised ON escalations (tenant, raised_on);
-- What the overdue scheduler looks for.
CREATE INDEX escalations_awaiting_due ON escalations (stage_due_date)
    WHERE status = 'AWAITING_RESPONSE' AND stage_overdue_announced_at IS NULL;

CREATE TABLE escalation_stages (
    escalation_id uuid NOT NULL REFERENCES escalations (id),
    seq int NOT NULL,
    tenant text NOT NULL,
    stage text NOT NULL,
    addressee_role text NOT NULL,
    opened_on date NOT NULL,
    due_date date NOT NULL,
    overdue_announced_at timestamptz,
    overdue_detected_on date,
    responder text,
    response text,
    responded_on date,
    response_recorded_at timestamptz,
    response_recorded_by_client text,
    response_recorded_by_actor text,
    closed_on date,
    closed_by text,
    escalate_reason text,
    escalate_note text,
    opened_at timestamptz NOT NULL DEFAULT now(),
    opened_by_client text NOT NULL,
    opened_by_actor text NOT NULL,
    PRIMARY KEY (escalation_id, seq),
    UNIQUE (escalation_id, stage)
);

-- Who did what, append-only: every write, its business date, the client and the actor.
CREATE TABLE escalation_activity (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    escalation_id uuid NOT NULL REFERENCES escalations (id),
    tenant text NOT NULL,
    action text NOT NULL,
    stage text NOT NULL,
    on_date date NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    client text NOT NULL,
    actor text NOT NULL
);
CREATE INDEX escalation_activity_escalation ON escalation_activity (escalation_id, id);
CREATE FUNCTION escalation_activity_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'escalation_activity is append-only'; END $$;
CREATE TRIGGER escalation_activity_append_only BEFORE UPDATE OR DELETE ON escalation_activity
    FOR EACH ROW EXECUTE FUNCTION escalation_activity_append_only();
"""

DOWN = """
DROP TABLE escalation_activity; DROP FUNCTION escalation_activity_append_only();
DROP TABLE escalation_stages;
DROP TABLE escalations;
"""

upgrade, downgrade = script_migration(ESCALATIONS, DOWN)
