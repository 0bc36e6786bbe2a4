"""return loads: the jobs, their stored files and their errors

Revision ID: 0003
Revises: 0002
"""

from qaf_shared.migrations import script_migration

revision = "0003"
down_revision = "0002"

TABLES = """
CREATE TABLE return_loads (
    id uuid PRIMARY KEY,
    tenant text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('CIN_CENSUS', 'SSDA903', 'ANNEX_A')),
    -- The collection year by the year it starts in (FY2025: April 2025 to March 2026).
    year int NOT NULL,
    status text NOT NULL DEFAULT 'QUEUED'
        CHECK (status IN ('QUEUED', 'VALIDATING', 'APPLYING', 'APPLIED', 'REJECTED')),
    -- The uploaded parts: {part name: {"bytes": n, "media_type": ...}}.
    parts jsonb NOT NULL,
    bytes_total bigint NOT NULL,
    -- Progress, written as the load runs (on its own connection, outside the load's
    -- transaction): bytes of the files read while validating, and records read of the total
    -- (the total is known once validation has read every record).
    bytes_read bigint NOT NULL DEFAULT 0,
    records_read int NOT NULL DEFAULT 0,
    records_total int,
    accepted int NOT NULL DEFAULT 0,
    unchanged int NOT NULL DEFAULT 0,
    withdrawn int NOT NULL DEFAULT 0,
    rejected int NOT NULL DEFAULT 0,
    warnings int NOT NULL DEFAULT 0,
    -- How many times a run began (more than one: a process died during the load).
    attempts int NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz,
    created_by_client text NOT NULL,
    created_by_actor text
);
-- The list, in its cursor order.
CREATE INDEX return_loads_order ON return_loads (tenant, created_at, id);
-- The queue: loads not yet finished, oldest first.
CREATE INDEX return_loads_queue ON return_loads (created_at)
    WHERE status IN ('QUEUED', 'VALIDATING', 'APPLYING');
-- The earlier loads of the same return, which a load replaces.
CREATE INDEX return_loads_return ON return_loads (tenant, kind, year);

-- An uploaded file in chunks of about 1 MiB, kept until its load has finished: any replica
-- can run a stored load, and a load survives a restart. Inserted in the upload's
-- transaction, before the load row itself (so the reference is checked at commit).
CREATE TABLE return_files (
    load_id uuid NOT NULL REFERENCES return_loads (id) ON DELETE CASCADE
        DEFERRABLE INITIALLY DEFERRED,
    part text NOT NULL,
    seq int NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (load_id, part, seq)
);
ALTER TABLE return_files ALTER COLUMN data SET STORAGE EXTERNAL;

-- A load's errors and warnings in file order: where, which fact, which rule; never a value.
CREATE TABLE return_errors (
    load_id uuid NOT NULL REFERENCES return_loads (id) ON DELETE CASCADE,
    seq int NOT NULL,
    severity text NOT NULL CHECK (severity IN ('error', 'warning')),
    location text NOT NULL,
    field text,
    rule text NOT NULL,
    message text NOT NULL,
    PRIMARY KEY (load_id, seq)
);
"""

DOWN = """
DROP TABLE return_errors;
DROP TABLE return_files;
DROP TABLE return_loads;
"""


upgrade, downgrade = script_migration(TABLES, DOWN)
