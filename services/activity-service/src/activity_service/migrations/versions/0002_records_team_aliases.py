"""activity records, team aliases

Revision ID: 0002
Revises: 0001
"""

from qaf_shared.migrations import script_migration

revision = "0002"
down_revision = "0001"

TABLES = """
CREATE TABLE activity_records (
    id uuid PRIMARY KEY,
    tenant text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('referral', 'assessment', 's47_enquiry', 'cp_plan',
        'care_episode', 'care_review', 'visit')),
    -- The case-management system's id: kept here only; events carry child_key instead.
    child_ref text NOT NULL,
    child_key text NOT NULL,
    -- The kind's first date, and for a visit its plan type ('' otherwise): with child_ref,
    -- the natural key every route writes the same record by.
    key_date date NOT NULL,
    plan_type text NOT NULL DEFAULT '',
    -- The facts by their API names (ISO dates); only facts with a value are kept.
    facts jsonb NOT NULL,
    -- What is derived from the child's whole history (docs/activity.md, Derived facts).
    derived jsonb NOT NULL DEFAULT '{}',
    area text,
    district text,
    team text,
    service text,
    source text NOT NULL CHECK (source IN ('REST', 'CIN_CENSUS', 'SSDA903', 'ANNEX_A')),
    -- The return load that last supplied the record (NULL once a REST write touched it): a
    -- later load of the same return withdraws what it no longer supplies.
    load_id uuid,
    -- Withdrawn records stay, so that a later write of the key brings the same record back.
    withdrawn boolean NOT NULL DEFAULT false,
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    created_by_client text NOT NULL,
    created_by_actor text,
    updated_by_client text NOT NULL,
    updated_by_actor text,
    CONSTRAINT activity_records_natural_key UNIQUE (tenant, kind, child_ref, key_date, plan_type),
    CONSTRAINT activity_records_plan_type_of_visits CHECK ((kind = 'visit') = (plan_type <> ''))
);
-- A child's history (derived facts, overlapping episodes).
CREATE INDEX activity_records_child ON activity_records (tenant, child_ref);
-- The list, by kind and key date, and in its cursor order.
CREATE INDEX activity_records_kind_date ON activity_records (tenant, kind, key_date);
CREATE INDEX activity_records_order ON activity_records (tenant, created_at, id);
-- A load's records, for the next load of the same return to replace (REST records, with no
-- load, stay out of it: one index less to write on the REST path).
CREATE INDEX activity_records_load ON activity_records (tenant, load_id)
    WHERE load_id IS NOT NULL;

CREATE TABLE team_aliases (
    tenant text NOT NULL,
    -- The case-management system's team name without case or spaces, matched on; `name` as
    -- it was given, for display.
    name_key text NOT NULL,
    name text NOT NULL,
    team text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by_client text NOT NULL,
    updated_by_actor text,
    PRIMARY KEY (tenant, name_key)
);
"""

DOWN = """
DROP TABLE team_aliases;
DROP TABLE activity_records;
"""


upgrade, downgrade = script_migration(TABLES, DOWN)
