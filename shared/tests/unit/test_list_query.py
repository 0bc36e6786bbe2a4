"""The one list-query builder: filters as numbered parameters (a filter not given adds
nothing), the unit filters, the cursor and the page's order; and the unit filters' check, on an
app of its own with the tenants' trees (no database needed)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI, Request

from qaf_shared.http.list_query import ListQuery, UnitFilters, unit_filters
from qaf_shared.http.problems import install_problem_handlers
from qaf_shared.org_units import OrgUnitDirectory

AT = datetime(2026, 5, 4, 9, tzinfo=UTC)
ID = uuid.UUID(int=7)


def test_only_the_filters_given_narrow_the_list_each_by_its_own_parameter() -> None:
    q = ListQuery("886")
    q.add("kind = {}", None)
    q.add("kind = {}", "THEMATIC")
    q.units(UnitFilters(district="ASHFORD", service=None))
    q.where(f"code = ANY({q.param(['A', 'B'])}::text[])")
    sql = q.page_sql("SELECT id FROM t", after=None, limit=50)
    assert sql == (
        "SELECT id FROM t WHERE tenant = $1 AND kind = $2 AND district = $3 "
        "AND code = ANY($4::text[]) ORDER BY created_at, id LIMIT $5"
    )
    assert q.args == ["886", "THEMATIC", "ASHFORD", ["A", "B"], 51]


def test_a_page_after_a_cursor_starts_strictly_after_its_key() -> None:
    q = ListQuery("886")
    sql = q.page_sql("SELECT id FROM t", after=(AT, ID), limit=2)
    assert sql == (
        "SELECT id FROM t WHERE tenant = $1 AND (created_at, id) > ($2, $3) "
        "ORDER BY created_at, id LIMIT $4"
    )
    assert q.args == ["886", AT, ID, 3]


def test_a_joined_list_qualifies_its_own_columns_and_may_take_units_from_another_table() -> None:
    q = ListQuery("886", prefix="x.")
    q.add("x.owner = {}", "sw-1")
    q.units(UnitFilters(team="ASH-CP1"), prefix="a.")
    sql = q.page_sql("SELECT x.id FROM x JOIN a ON a.id = x.a_id", after=(AT, ID), limit=1)
    assert sql == (
        "SELECT x.id FROM x JOIN a ON a.id = x.a_id WHERE x.tenant = $1 AND x.owner = $2 "
        "AND a.team = $3 AND (x.created_at, x.id) > ($4, $5) ORDER BY x.created_at, x.id LIMIT $6"
    )
    assert q.args == ["886", "sw-1", "ASH-CP1", AT, ID, 2]


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.org_units = OrgUnitDirectory()

    @app.get("/v1/{tenant}/things")
    async def things(
        request: Request,
        tenant: str,
        area: str | None = None,
        district: str | None = None,
        team: str | None = None,
        service: str | None = None,
    ) -> dict[str, str | None]:
        units = unit_filters(
            request, tenant, area=area, district=district, team=team, service=service
        )
        return {"area": units.area, "district": units.district, "team": units.team}

    return app


async def _get(path: str, **params: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path, params=params)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("area", "ASHFORD"),
        ("district", "SOUTH"),
        ("team", "STR-CP1"),
        ("service", "ASH-CP1"),
        ("team", "NOWHERE"),
    ],
)
async def test_a_unit_filter_of_another_kind_or_tenant_is_422_naming_the_parameter(
    name: str, code: str
) -> None:
    answer = await _get("/v1/886/things", **{name: code})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"] == [
        {
            "field": f"query.{name}",
            "message": f"unknown {name} {code!r} for tenant 886",
            "type": "value_error",
        }
    ]


async def test_units_of_the_tenants_tree_are_the_lists_filters() -> None:
    answer = await _get("/v1/887/things", area="NORTH", district="STROOD", team="STR-CP1")
    assert answer.status_code == 200
    assert answer.json() == {"area": "NORTH", "district": "STROOD", "team": "STR-CP1"}


async def test_a_list_without_unit_filters_needs_no_tree() -> None:
    assert (await _get("/v1/999/things")).status_code == 200
    assert (await _get("/v1/999/things", team="ASH-CP1")).status_code == 404
