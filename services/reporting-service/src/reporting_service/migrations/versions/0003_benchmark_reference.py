"""benchmark reference data

Revision ID: 0003
Revises: 0002

Reference data, the same for every tenant (docs/measures.md, "Benchmarks"): published
figures by year, area and measure (`POST /v1/benchmarks`), the statistical neighbour model
(`POST /v1/benchmarks/neighbours`) and a log of the loads, whose newest id is the reference
data's version (the report cache keys on it). Kent's and Medway's neighbours (the DfE/NFER
model of May 2025) are loaded here, so that a new deployment has them; a neighbours file
naming 886 or 887 replaces them. The runtime role inserts and deletes the reference rows
(a load replaces them) and may only add to the log (migrations/env.py).
"""

from qaf_shared.migrations import script_migration

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The May 2025 model's ten closest authorities, closest first.
DEFAULT_NEIGHBOURS = {
    "886": ["881", "845", "878", "303", "935", "926", "891", "938", "822", "933"],
    "887": ["866", "332", "886", "303", "926", "935", "883", "891", "351", "384"],
}

_NEIGHBOUR_ROWS = ",\n".join(
    f"('{la}', {rank}, '{neighbour}')"
    for la, neighbours in DEFAULT_NEIGHBOURS.items()
    for rank, neighbour in enumerate(neighbours, start=1)
)

UP = f"""
CREATE TABLE benchmark_values (
    year int NOT NULL,
    area_level text NOT NULL CHECK (area_level IN ('ENGLAND', 'REGION', 'LA')),
    area_code text NOT NULL,
    measure text NOT NULL,
    value double precision,
    symbol text CHECK (symbol IN ('c', 'z', 'x', 'k', 'u')),
    CHECK ((value IS NULL) <> (symbol IS NULL)),
    PRIMARY KEY (year, measure, area_level, area_code)
);
CREATE UNIQUE INDEX benchmark_values_one_england ON benchmark_values (year, measure)
    WHERE area_level = 'ENGLAND';

CREATE TABLE benchmark_neighbours (
    la_code text NOT NULL,
    rank int NOT NULL CHECK (rank >= 1),
    neighbour_la_code text NOT NULL CHECK (neighbour_la_code <> la_code),
    PRIMARY KEY (la_code, rank),
    UNIQUE (la_code, neighbour_la_code)
);

CREATE TABLE benchmark_loads (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    kind text NOT NULL CHECK (kind IN ('values', 'neighbours')),
    client text NOT NULL,
    actor text NOT NULL,
    covers text[] NOT NULL,
    rows int NOT NULL
);

INSERT INTO benchmark_neighbours (la_code, rank, neighbour_la_code) VALUES
{_NEIGHBOUR_ROWS};
INSERT INTO benchmark_loads (kind, client, actor, covers, rows)
    VALUES ('neighbours', 'migration 0003', 'migration', ARRAY['886', '887'], 20);
"""

DOWN = "DROP TABLE benchmark_loads; DROP TABLE benchmark_neighbours; DROP TABLE benchmark_values;"

upgrade, downgrade = script_migration(UP, DOWN)
