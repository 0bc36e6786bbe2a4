"""programmes, the audit lifecycle's columns, safeguarding concerns, actions, change log

Revision ID: 0002
Revises: 0001
"""

from qaf_shared.migrations import CHANGING_RECORD_COLUMNS_V1, script_migration

revision = "0002"
down_revision = "0001"

UPGRADE = f"""
CREATE TABLE programmes (
    id uuid PRIMARY KEY,
    tenant text NOT NULL,
    kind text NOT NULL,
    name text NOT NULL,
    period text NOT NULL,
    area text,
    district text,
    service text,
    theme text,
    hypothesis text,
    due_date date NOT NULL,
    {CHANGING_RECORD_COLUMNS_V1}
);
CREATE INDEX programmes_tenant_order ON programmes (tenant, created_at, id);

-- Rows written before templates existed were Kent's v1 in all but name.
ALTER TABLE audits
    ADD COLUMN template_id text NOT NULL DEFAULT 'kent-case-file',
    ADD COLUMN template_version int NOT NULL DEFAULT 1,
    ADD COLUMN answers jsonb NOT NULL DEFAULT '{{}}',
    ADD COLUMN returned_on date,
    ADD COLUMN peer_reviewer text,
    ADD COLUMN peer_review_outcome text,
    ADD COLUMN peer_review_grade text,
    ADD COLUMN reviewed_on date,
    ADD COLUMN peer_reviews jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN moderation_selected boolean,
    ADD COLUMN moderation_seed text,
    ADD COLUMN moderation_draw double precision,
    ADD COLUMN moderation_rate double precision,
    ADD COLUMN moderation_decided_on date,
    ADD COLUMN moderator text,
    ADD COLUMN grade_before_moderation text,
    ADD COLUMN moderated_grade text,
    ADD COLUMN moderation_rationale text,
    ADD COLUMN moderated_on date,
    ADD COLUMN closed_on date,
    ADD COLUMN cancelled_on date,
    ADD COLUMN cancel_reason text,
    ADD COLUMN safeguarding_concerns int NOT NULL DEFAULT 0;
ALTER TABLE audits ALTER COLUMN template_id DROP DEFAULT, ALTER COLUMN template_version DROP DEFAULT;
-- The walking skeleton took any upper-case word as `kind`; it is now a programme kind.
UPDATE audits SET kind = NULL
WHERE kind NOT IN ('MONTHLY', 'THEMED', 'AREA', 'MULTI_AGENCY', 'CLOSURE');
-- NOT VALID: rows from before programmes existed are not checked; every new row is.
ALTER TABLE audits ADD CONSTRAINT audits_programme FOREIGN KEY (programme_id)
    REFERENCES programmes (id) NOT VALID;
CREATE INDEX audits_tenant_programme ON audits (tenant, programme_id) WHERE programme_id IS NOT NULL;
CREATE INDEX audits_tenant_status ON audits (tenant, status);

CREATE TABLE safeguarding_concerns (
    id uuid PRIMARY KEY,
    tenant text NOT NULL,
    audit_id uuid NOT NULL REFERENCES audits (id),
    raised_by text NOT NULL,
    detail text NOT NULL,
    raised_on date NOT NULL,
    version int NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by_client text NOT NULL,
    created_by_actor text NOT NULL
);
CREATE INDEX safeguarding_concerns_audit ON safeguarding_concerns (tenant, audit_id, created_at, id);

CREATE TABLE audit_actions (
    id uuid PRIMARY KEY,
    tenant text NOT NULL,
    audit_id uuid NOT NULL REFERENCES audits (id),
    description text NOT NULL,
    owner text NOT NULL,
    raised_on date NOT NULL,
    due_date date NOT NULL,
    status text NOT NULL,
    status_changed_on date NOT NULL,
    completed_on date,
    {CHANGING_RECORD_COLUMNS_V1}
);
CREATE INDEX audit_actions_tenant_order ON audit_actions (tenant, created_at, id);
CREATE INDEX audit_actions_audit ON audit_actions (tenant, audit_id);

-- Who did what, for every write: the acting client (token `sub`) and actor (X-Actor).
-- The rows also keep the latest writer; this keeps them all. Append-only like access_log.
CREATE TABLE change_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    tenant text NOT NULL,
    client text NOT NULL,
    actor text NOT NULL,
    resource_type text NOT NULL,
    resource_id uuid NOT NULL,
    change text NOT NULL,
    from_status text,
    to_status text
);
CREATE INDEX change_log_resource ON change_log (tenant, resource_type, resource_id);
CREATE TRIGGER change_log_append_only BEFORE UPDATE OR DELETE ON change_log
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only();
"""

DOWNGRADE = """
DROP TABLE change_log;
DROP TABLE audit_actions;
DROP TABLE safeguarding_concerns;
DROP INDEX audits_tenant_status;
DROP INDEX audits_tenant_programme;
ALTER TABLE audits DROP CONSTRAINT audits_programme,
    DROP COLUMN template_id, DROP COLUMN template_version, DROP COLUMN answers,
    DROP COLUMN returned_on, DROP COLUMN peer_reviewer, DROP COLUMN peer_review_outcome,
    DROP COLUMN peer_review_grade, DROP COLUMN reviewed_on, DROP COLUMN peer_reviews,
    DROP COLUMN moderation_selected, DROP COLUMN moderation_seed, DROP COLUMN moderation_draw,
    DROP COLUMN moderation_rate, DROP COLUMN moderation_decided_on, DROP COLUMN moderator,
    DROP COLUMN grade_before_moderation, DROP COLUMN moderated_grade,
    DROP COLUMN moderation_rationale, DROP COLUMN moderated_on, DROP COLUMN closed_on,
    DROP COLUMN cancelled_on, DROP COLUMN cancel_reason, DROP COLUMN safeguarding_concerns;
DROP TABLE programmes;
"""

upgrade, downgrade = script_migration(UPGRADE, DOWNGRADE)
