"""The demo's case activity gives every Deep Dive activity figure a real value: the shipped
returns and the REST feed of deploy/local/demo_activity.py, loaded as `make run` loads them
(the returns, then the feed) into activity-service, published by its relay on the real
broker and folded by reporting-service's consumer, give the latest complete quarter before
the demo's today (and its `previous` block) a figure for every `activity` measure, for Kent
and Medway: never "z", no measure zero everywhere, and Kent's timeliness rates plausible."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import httpx

from qaf_shared.quarters import previous_quarter, quarter_of
from qaf_shared.testing.activity_returns import team_aliases
from qaf_shared.testing.demo_scripts import demo_scripts
from qaf_shared.testing.fixtures import DatabaseFactory, TopicsFactory, auth, eventually

from .settle import activity_to_reporting

TENANTS = ("886", "887")
# Plans in the generator last at most 540 days and the demo's cases begin in April 2025: no
# plan is two years old before April 2027, so this count is truly 0 in the demo's quarters.
ZERO_BY_DESIGN = {"cp_open_2y_plus_at_end"}


async def _load_returns(
    client: httpx.AsyncClient, headers: dict[str, str], loader: Any, tenant: str
) -> None:
    aliases = await client.put(
        "/v1/team-aliases",
        json={"aliases": team_aliases(loader.teams(tenant))},
        headers=headers,
    )
    assert aliases.status_code == 200, aliases.text
    for kind, parts in loader.return_files(tenant).items():
        files = {
            part: (name, path.read_bytes(), media) for part, (name, path, media) in parts.items()
        }
        upload = await client.post(
            "/v1/returns",
            data={"kind": kind, "year": f"FY{loader.RETURN_YEAR}"},
            files=files,
            headers=headers,
        )
        assert upload.status_code == 202, upload.text

        async def finished(location: str = upload.headers["Location"]) -> dict[str, Any] | None:
            body: dict[str, Any] = (await client.get(location, headers=headers)).json()
            return body if body["status"] in ("APPLIED", "REJECTED") else None

        load = await eventually(finished, timeout=120, interval=0.5)
        assert load["status"] == "APPLIED" and load["counts"]["rejected"] == 0, load


async def _post_feed(
    client: httpx.AsyncClient, headers: dict[str, str], feed: list[dict[str, object]]
) -> None:
    for start in range(0, len(feed), 1000):
        batch = feed[start : start + 1000]
        answer = await client.post("/v1/activity", json={"records": batch}, headers=headers)
        assert answer.status_code == 200, answer.text
        refused = [r for r in answer.json()["results"] if r["status"] == "REJECTED"]
        # (the returned children's visits that Annex A carried too are UNCHANGED)
        assert not refused, refused[:3]


def _leaves(block: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """`cla_routes.CIN`-style names for the figures of nested measures."""
    out: dict[str, Any] = {}
    for name, value in block.items():
        if isinstance(value, dict):
            out |= _leaves(value, f"{prefix}{name}.")
        else:
            out[prefix + name] = value
    return out


async def test_the_demo_gives_every_activity_figure_of_its_latest_complete_quarter_a_value(
    make_database: DatabaseFactory, make_topics: TopicsFactory, token: Callable[..., str]
) -> None:
    _, loader = demo_scripts("demo_activity")
    today = date.today()  # the demo's today, as `make run` loads it
    quarter = previous_quarter(quarter_of(today))
    blocks: dict[tuple[str, str], dict[str, Any]] = {}
    async with activity_to_reporting(make_database, make_topics, "demo-figures") as services:
        activity, reports = services.activity, services.reports
        for tenant in TENANTS:
            writer = auth(token("activity:write activity:read", tenant=tenant))
            await _load_returns(activity, writer, loader, tenant)
            await _post_feed(activity, writer, loader.rest_feed(tenant, today))
        await services.settled(token, list(TENANTS), timeout=300)
        for tenant in TENANTS:
            reader = auth(token("reports:read_unsuppressed", tenant=tenant))
            answer = await reports.get(f"/v1/deep-dives/{quarter}", headers=reader)
            assert answer.status_code == 200, answer.text
            body = answer.json()
            blocks[(tenant, quarter)] = _leaves(body["activity"])
            blocks[(tenant, "previous")] = _leaves(body["previous"]["activity"])

    kent = blocks[("886", quarter)]
    for where, figures in blocks.items():
        assert figures.keys() == kent.keys(), where
        missing = {m: v for m, v in figures.items() if not isinstance(v, int | float)}
        assert not missing, (where, missing)
    measures = {name.split(".")[0] for name in kent}
    nowhere = {
        m
        for m in measures
        if all(v == 0 for f in blocks.values() for n, v in f.items() if n.split(".")[0] == m)
    }
    assert nowhere == ZERO_BY_DESIGN
    zero_in_kent = {n for n, v in kent.items() if v == 0 and "." not in n}
    assert zero_in_kent == ZERO_BY_DESIGN
    timely = {n: v for n, v in kent.items() if "on_time" in n or "within" in n}
    assert len(timely) >= 6 and all(50 <= v <= 100 for v in timely.values()), timely
