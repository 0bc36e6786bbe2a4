"""What reporting-service's routes share: who may call them, and the quarter of a path."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from qaf_shared.http.auth import Principal, requires

Reader = Annotated[Principal, requires("reports:read")]
# Projections are shared by all tenants, so rebuilding them needs `admin`.
Admin = Annotated[Principal, requires("admin")]
# The pattern is documented (so clients and fuzzers know the form) but checked by the route
# (api/reports.py), which answers 404 for a quarter that names nothing, as for any path id.
QuarterPath = Annotated[
    str,
    Path(
        description="A financial-year quarter, e.g. FY2026Q1 (April to June 2026); `.csv` for CSV",
        json_schema_extra={"pattern": r"^FY20[0-9]{2}Q[1-4](\.csv)?$"},
    ),
]
# The pack's quarter (its format is the path's last segment: `pack` or `pack.pdf`).
PackQuarterPath = Annotated[
    str,
    Path(
        description="A financial-year quarter, e.g. FY2026Q1 (April to June 2026)",
        json_schema_extra={"pattern": r"^FY20[0-9]{2}Q[1-4]$"},
    ),
]
