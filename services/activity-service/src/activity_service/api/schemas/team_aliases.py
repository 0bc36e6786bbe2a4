"""The team aliases' body: the tenant's case-management team names and their team codes."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from qaf_shared.http.org_units import UnitCode
from qaf_shared.http.schemas import Strict
from qaf_shared.text import StorableStr

TeamName = Annotated[StorableStr, StringConstraints(min_length=1, max_length=200)]


class TeamAliasesBody(Strict):
    aliases: dict[TeamName, UnitCode] = Field(
        max_length=2000,
        description="Each team name of the case-management system (matched whatever its case "
        "and spaces) with the tenant's team code it stands for",
        examples=[{"Ashford CIN Team 1": "ASH-CIN1"}],
    )
