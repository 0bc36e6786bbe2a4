"""Org-unit filters on a list, as every service's list tests try them against Kent's tree
(tenant 886): an unknown unit is refused, a known one narrows the page to it."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

# Codes of the right form that name no unit of that kind in Kent's tree: a district given as
# an area, a team as a district, Medway's team, no unit at all, an area as a service.
UNKNOWN_UNITS = [
    ("area", "ASHFORD"),
    ("district", "ASH-CP1"),
    ("team", "STR-CP1"),
    ("team", "NOWHERE"),
    ("service", "SOUTH"),
]
KNOWN_UNITS = [
    ("area", "SOUTH"),
    ("district", "ASHFORD"),
    ("team", "ASH-CP1"),
    ("service", "FOSTERING"),
]


@dataclass(frozen=True)
class UnitFilter:
    """A list's filter `name`=`code`, and whether Kent's tree has that unit of that kind."""

    name: str
    code: str
    known: bool

    async def check(self, client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> None:
        """The list at `path` so filtered answers a page of the unit's items when the unit is
        known; otherwise a problem+json 422 naming the parameter, not an empty page that
        looks like an answer."""
        answer = await client.get(path, params={self.name: self.code}, headers=headers)
        if self.known:
            assert answer.status_code == 200, answer.text
            assert all(item[self.name] == self.code for item in answer.json()["items"])
        else:
            assert answer.status_code == 422
            assert answer.headers["content-type"] == "application/problem+json"
            assert [e["field"] for e in answer.json()["errors"]] == [f"query.{self.name}"]


# Every filter above, for a table-driven test, its id saying what it pins.
UNIT_FILTERS = [
    *(
        pytest.param(UnitFilter(n, c, False), id=f"unknown {n} {c} is 422")
        for n, c in UNKNOWN_UNITS
    ),
    *(pytest.param(UnitFilter(n, c, True), id=f"{n} {c} narrows the page") for n, c in KNOWN_UNITS),
]
