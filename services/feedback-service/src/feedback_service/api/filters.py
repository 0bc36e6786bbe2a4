"""The query parameters every staff list shares: the org unit it is narrowed to."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from qaf_shared.http.org_units import UnitCode

AreaFilter = Annotated[UnitCode | None, Query(description="An area code")]
DistrictFilter = Annotated[UnitCode | None, Query(description="A district code")]
TeamFilter = Annotated[UnitCode | None, Query(description="A team code")]
ServiceFilter = Annotated[UnitCode | None, Query(description="A county-wide service code")]
