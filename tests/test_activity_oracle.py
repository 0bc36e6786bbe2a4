"""Issue 15's independent oracle test of the Deep Dive's `activity` measures, end to end: a
seeded workload for two tenants (activity_workload.py) is written to activity-service over
REST and as an SSDA903 return, published by its relay on the real broker and folded by
reporting-service's consumer; then, for every quarter from FY2023Q4 to FY2026Q2 and for Kent,
its area SOUTH, its service DISABLED_CHILDREN and Medway, the Deep Dive must give exactly what
the oracle (activity_oracle.py, written from API.md's definitions alone) computes from the
records as submitted:

- with `reports:read_unsuppressed`, every measure, and the `previous` block the quarter
  before;
- with `reports:read`, every count the oracle finds from 1 to 5 is "c", as is every rate or
  median built on such a count; whatever is shown unsuppressed is the true figure.

Then the corrections (late records of an earlier year, withdrawals, new versions over REST,
the SSDA903 return re-loaded) are applied and every quarter is checked again. Every
disagreement is listed (measure, unit, quarter, expected, got) before the test fails."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx

from qaf_shared.testing.fixtures import DatabaseFactory, TopicsFactory, auth, eventually

from . import activity_oracle as oracle
from .activity_workload import (
    AREA,
    QUARTERS,
    SERVICE,
    Key,
    Record,
    Tenant,
    first_phase,
    second_phase,
    ssda903_files,
    workload,
)
from .settle import activity_to_reporting

THRESHOLD = 5  # reporting's default suppression threshold
SSDA903_YEAR = "FY2024"


def _units(tenant: Tenant) -> dict[str | None, Callable[[oracle.Record], bool]]:
    """The units read for a tenant (None: the tenant) and which records count in each."""
    if tenant.units.tenant != "886":
        return {None: lambda r: True}
    return {
        None: lambda r: True,
        AREA: lambda r: r.team is not None and tenant.units.area_of_team(r.team) == AREA,
        SERVICE: lambda r: r.service == SERVICE,
    }


def _flat(block: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in block.items():
        if isinstance(value, dict):
            out |= _flat(value, f"{prefix}{name}.")
        else:
            out[prefix + name] = value
    return out


def _same(expected: Any, got: Any) -> bool:
    if isinstance(expected, str) or isinstance(got, str) or got is None:
        return expected == got
    return bool(abs(float(expected) - float(got)) < 1e-9)


def _compare(
    where: str, figures: oracle.Figures, got: dict[str, Any] | None, *, suppressed: bool
) -> list[str]:
    """Every disagreement between the oracle's figures and a Deep Dive's `activity` block."""
    if got is None:
        return [f"{where}: no activity block"]
    expected, shown = _flat(figures.values), _flat(got)
    problems = []
    for name, value in expected.items():
        if name not in shown:
            # a breakdown of routes or plan types may leave out what has nothing in it
            if (name.startswith("cla_routes.") and value == 0) or (
                name.startswith("visits_on_time_pct.") and value == "z"
            ):
                continue
            problems.append(f"{where} {name}: missing (expected {value!r})")
            continue
        if suppressed:
            count = figures.counts.get(name, figures.denominators.get(name))
            if count is not None and 1 <= count <= THRESHOLD:
                if shown[name] != "c":
                    problems.append(
                        f"{where} {name}: expected 'c' (built on {count}), got {shown[name]!r}"
                    )
                continue
            if shown[name] == "c":
                continue  # secondary suppression may hide more; never a wrong figure
        if not _same(value, shown[name]):
            problems.append(f"{where} {name}: expected {value!r}, got {shown[name]!r}")
    return problems


async def _post_records(
    client: httpx.AsyncClient, headers: dict[str, str], records: list[Record]
) -> None:
    for start in range(0, len(records), 1000):
        batch = records[start : start + 1000]
        answer = await client.post("/v1/activity", json={"records": batch}, headers=headers)
        assert answer.status_code == 200, answer.text
        refused = [
            (batch[r["index"]]["kind"], r.get("errors"))
            for r in answer.json()["results"]
            if r["status"] == "REJECTED"
        ]
        assert not refused, refused


async def _load_ssda903(
    client: httpx.AsyncClient, headers: dict[str, str], records: list[Record]
) -> dict[str, Any]:
    upload = await client.post(
        "/v1/returns",
        data={"kind": "SSDA903", "year": SSDA903_YEAR},
        files=ssda903_files(records),
        headers=headers,
    )
    assert upload.status_code == 202, upload.text

    async def finished() -> dict[str, Any] | None:
        body: dict[str, Any] = (
            await client.get(upload.headers["Location"], headers=headers)
        ).json()
        return body if body["status"] in ("APPLIED", "REJECTED") else None

    load: dict[str, Any] = await eventually(finished, timeout=60)
    assert load["status"] == "APPLIED" and load["counts"]["rejected"] == 0, load
    return load


async def _check(
    reports: httpx.AsyncClient,
    tokens: Callable[..., str],
    tenants: dict[str, Tenant],
    held: dict[str, dict[Key, Record]],
    phase: str,
) -> list[str]:
    problems: list[str] = []
    for code, tenant in tenants.items():
        children = oracle.children_of(oracle.parse(r) for r in held[code].values())
        raw = auth(tokens("reports:read_unsuppressed", tenant=code))
        published = auth(tokens("reports:read", tenant=code))
        for unit, in_unit in _units(tenant).items():
            params = {"unit": unit} if unit else {}
            for quarter in QUARTERS:
                where = f"[{phase}] {code}/{unit or 'tenant'} {quarter}"
                figures = oracle.activity(children, quarter, in_unit)
                answer = await reports.get(f"/v1/deep-dives/{quarter}", params=params, headers=raw)
                assert answer.status_code == 200, answer.text
                body = answer.json()
                problems += _compare(where, figures, body.get("activity"), suppressed=False)
                before = oracle.activity(children, oracle.previous_quarter(quarter), in_unit)
                problems += _compare(
                    f"{where} previous",
                    before,
                    body.get("previous", {}).get("activity"),
                    suppressed=False,
                )
                answer = await reports.get(
                    f"/v1/deep-dives/{quarter}", params=params, headers=published
                )
                assert answer.status_code == 200, answer.text
                problems += _compare(
                    f"{where} suppressed", figures, answer.json().get("activity"), suppressed=True
                )
    return problems


async def test_the_deep_dives_activity_measures_equal_the_oracles_before_and_after_corrections(
    make_database: DatabaseFactory, make_topics: TopicsFactory, token: Callable[..., str]
) -> None:
    tenants = workload()
    async with activity_to_reporting(make_database, make_topics, "activity-oracle") as services:
        activity, reports = services.activity, services.reports
        for code, tenant in tenants.items():
            writer = auth(token("activity:write activity:read", tenant=code))
            await _post_records(activity, writer, tenant.records)
            await _load_ssda903(activity, writer, tenant.ssda903)
        await services.settled(token, list(tenants))
        first = {code: first_phase(t) for code, t in tenants.items()}
        problems = await _check(reports, token, tenants, first, "first")

        for code, tenant in tenants.items():
            writer = auth(token("activity:write activity:read", tenant=code))
            await _post_records(activity, writer, [*tenant.late, *tenant.replaced])
            answer = await activity.post(
                "/v1/activity/withdrawals", json={"records": tenant.withdrawn}, headers=writer
            )
            assert answer.status_code == 200, answer.text
            statuses = {r["status"] for r in answer.json()["results"]}
            assert statuses == {"WITHDRAWN"}, answer.json()
            reloaded = await _load_ssda903(activity, writer, tenant.ssda903_reloaded)
            assert reloaded["counts"]["withdrawn"] > 0, reloaded
        await services.settled(token, list(tenants))
        second = {code: second_phase(t) for code, t in tenants.items()}
        assert first != second
        problems += await _check(reports, token, tenants, second, "corrected")

    by_measure = Counter(p.split(":")[0].split()[-1] for p in problems)
    summary = "\n".join(f"{n:5} {m}" for m, n in by_measure.most_common())
    listed = "\n".join(problems[:300])
    assert not problems, f"{len(problems)} disagreements, by measure:\n{summary}\n{listed}"
