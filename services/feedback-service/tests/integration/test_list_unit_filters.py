"""The staff lists' org-unit filters (feedback, participation, complaints): a code that names
no unit of that kind in the tenant's tree is a 422 naming the parameter, not an empty page that
looks like an answer; a unit of the tenant's tree narrows the list to it."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from qaf_shared.testing.fixtures import auth

LISTS = ["/v1/feedback", "/v1/participation", "/v1/complaints"]
# Codes of the right form that name no unit of that kind in Kent's tree (886): a district
# given as an area, a team as a district, an area as a service, Medway's team, no unit at all.
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


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(("name", "code"), UNKNOWN_UNITS)
async def test_an_unknown_unit_filter_is_422_naming_it_not_an_empty_page(
    feedback_client: httpx.AsyncClient,
    token: Callable[..., str],
    path: str,
    name: str,
    code: str,
) -> None:
    headers = auth(token("feedback:read"))
    answer = await feedback_client.get(path, params={name: code}, headers=headers)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in answer.json()["errors"]] == [f"query.{name}"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(("name", "code"), KNOWN_UNITS)
async def test_a_known_unit_filter_of_its_kind_answers_a_page(
    feedback_client: httpx.AsyncClient,
    token: Callable[..., str],
    path: str,
    name: str,
    code: str,
) -> None:
    headers = auth(token("feedback:read"))
    answer = await feedback_client.get(path, params={name: code}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert all(item[name] == code for item in answer.json()["items"])
