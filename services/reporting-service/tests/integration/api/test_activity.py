"""Activity in the Deep Dive through HTTP, fed with activity-service's events over the real
broker and database: the section, the previous quarter, the breakdown, the CSV and the
aggregates; a late record and a withdrawal correcting an earlier quarter; a rebuild giving
the same figures; and a small count hidden with the rates built on it."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest_asyncio

from qaf_shared.events import activity as ev
from qaf_shared.events.envelope import CloudEvent
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.org_units import OrgUnitDirectory
from qaf_shared.testing.fixtures import DatabaseFactory, TopicsFactory, auth, eventually, serve
from qaf_shared.testing.kafka import publish
from reporting_service.main import create_app

from ..feed import all_applied, event, settings_for

QUARTER, PREVIOUS = "FY2025Q2", "FY2025Q1"  # July to September 2025, and April to June


def _team(code: str) -> OrgUnitRef:
    units = OrgUnitDirectory().tenant("886")
    assert units is not None
    unit = units.team(code)
    assert unit is not None
    return unit


SOUTH, NORTH = _team("ASH-CP1"), _team("DAR-CIN1")


def _recorded(kind: str, child: str, unit: OrgUnitRef, **facts: Any) -> CloudEvent:
    record = uuid.uuid4()
    data = ev.RECORDED[kind](
        record_id=record, child_key=child, org_unit=unit, version=1, source="REST", **facts
    )
    return event(data, record)


class Feed:
    """The records fed, and what each measure should be, counted here from them."""

    def __init__(self) -> None:
        self.events: list[CloudEvent] = []
        self.referrals: dict[tuple[str, str], int] = {}  # (quarter, area) -> count
        self.re_referrals: dict[tuple[str, str], int] = {}

    def referral(self, child: str, unit: OrgUnitRef, on: date, *, re: bool) -> CloudEvent:
        quarter = PREVIOUS if on < date(2025, 7, 1) else QUARTER
        assert unit.area is not None
        key = (quarter, unit.area)
        self.referrals[key] = self.referrals.get(key, 0) + 1
        self.re_referrals[key] = self.re_referrals.get(key, 0) + re
        found = _recorded("referral", child, unit, referral_date=on, re_referral_12m=re)
        self.events.append(found)
        return found


def _feed() -> Feed:
    feed = Feed()
    for n in range(10):  # SOUTH, April to June: 4 re-referrals, each assessed within 20 days
        on = date(2025, 4, 1) + timedelta(days=6 * n)
        feed.referral(f"s{n}", SOUTH, on, re=n % 3 == 0)
        feed.events.append(
            _recorded(
                "assessment",
                f"s{n}",
                SOUTH,
                start_date=on + timedelta(days=2),
                referral_date=on,
                authorised_date=on + timedelta(days=20),
            )
        )
    for n in range(8):  # SOUTH, July to September: 2 re-referrals
        feed.referral(f"t{n}", SOUTH, date(2025, 7, 1) + timedelta(days=7 * n), re=n < 2)
    for n in range(2):  # NORTH: 2 referrals in the quarter, 1 a re-referral (small counts)
        feed.referral(f"n{n}", NORTH, date(2025, 8, 1) + timedelta(days=n), re=n == 0)
    for n in range(7):  # 7 open CP plans, started before April
        feed.events.append(
            _recorded("cp_plan", f"p{n}", SOUTH, start_date=date(2025, 2, 1) + timedelta(days=n))
        )
    for n in range(6):  # 6 children come into care in July, with a referral open
        feed.events.append(
            _recorded(
                "care_episode",
                f"c{n}",
                SOUTH,
                start_date=date(2025, 7, 10) + timedelta(days=n),
                reason_new_episode="S",
                route="CIN",
            )
        )
    return feed


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def fed(
    make_database: DatabaseFactory, make_topics: TopicsFactory
) -> AsyncIterator[tuple[httpx.AsyncClient, Feed, str, str]]:
    prefix = await make_topics()
    dsn = await make_database("reporting_service")
    feed = _feed()
    await publish(prefix, feed.events)
    async with serve(create_app(settings_for(dsn, prefix, "act"))) as client:
        await all_applied(dsn, len(feed.events))
        yield client, feed, prefix, dsn


def _pct(numerator: int, denominator: int) -> float:
    return round(1000 * numerator / denominator) / 10  # one decimal (no half in these figures)


async def _get(client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: str) -> Any:
    response = await client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_activity_is_in_the_deep_dive_previous_block_and_breakdown(
    fed: tuple[httpx.AsyncClient, Feed, str, str], token: Callable[..., str]
) -> None:
    client, feed, _, _ = fed
    headers = auth(token("reports:read_unsuppressed"))
    body = await _get(client, f"/v1/deep-dives/{QUARTER}", headers)
    activity = body["activity"]
    referrals = feed.referrals[(QUARTER, "SOUTH")] + feed.referrals[(QUARTER, "NORTH")]
    re = feed.re_referrals[(QUARTER, "SOUTH")] + feed.re_referrals[(QUARTER, "NORTH")]
    assert activity["referrals"] == referrals == 10
    assert activity["re_referrals_12m_pct"] == _pct(re, referrals)
    assert activity["referrals_nfa_pct"] == 0.0
    assert activity["cla_started"] == 6
    assert activity["cla_routes"] == {"CP_PLAN": 0, "CIN": 6, "NONE": 0}
    assert activity["cla_open_at_end"] == 6
    assert activity["cla_3plus_placements_12m_pct"] == 0.0
    assert activity["cp_open_at_end"] == 7
    assert activity["cp_plans_started"] == 0
    assert activity["cp_second_or_subsequent_pct"] == "z"
    assert activity["visits_on_time_pct"] == {"CIN": "z", "CP": "z", "CLA": "z"}
    assert activity["funnel"] == {"referrals": 10, "assessed": 0, "s47": 0, "icpc": 0, "cp_plan": 0}
    previous = body["previous"]["activity"]
    assert previous["referrals"] == feed.referrals[(PREVIOUS, "SOUTH")] == 10
    assert previous["re_referrals_12m_pct"] == _pct(feed.re_referrals[(PREVIOUS, "SOUTH")], 10)
    assert previous["assessments_completed"] == 10
    assert previous["assessments_within_45wd_pct"] == 100.0
    assert 10 <= previous["median_assessment_wd"] <= 16  # 20 days, weekends and holidays out
    assert previous["funnel"]["assessed"] == 10
    assert previous["cp_open_at_end"] == 7
    areas = {b["unit"]["code"]: b["activity"] for b in body["breakdown"]}
    assert areas["SOUTH"]["referrals"] == 8
    assert areas["NORTH"]["referrals"] == 2
    assert areas["NORTH"]["re_referrals_12m_pct"] == 50.0
    south = await _get(client, f"/v1/deep-dives/{QUARTER}", headers, unit="SOUTH")
    teams = {b["unit"]["code"]: b["activity"] for b in south["breakdown"]}
    assert teams["ASH-CP1"]["cla_open_at_end"] == 6


async def test_activity_is_in_the_csv_and_the_aggregates(
    fed: tuple[httpx.AsyncClient, Feed, str, str], token: Callable[..., str]
) -> None:
    client, _, _, _ = fed
    headers = auth(token("reports:read_unsuppressed"))
    response = await client.get(f"/v1/deep-dives/{QUARTER}.csv", headers=headers)
    rows = list(csv.DictReader(io.StringIO(response.text)))
    mine = {(r["quarter"], r["unit"], r["measure"], r["dimension"]): r["value"] for r in rows}
    assert mine[(QUARTER, "886", "activity.referrals", "")] == "10"
    assert mine[(PREVIOUS, "886", "activity.referrals", "")] == "10"
    assert mine[(QUARTER, "886", "activity.cla_routes", "CIN")] == "6"
    assert mine[(QUARTER, "NORTH", "activity.referrals", "")] == "2"
    aggregates = await _get(client, f"/v1/aggregates/{QUARTER}", headers)
    by = {(r["unit"], r["measure"], r["dimension"]): r["value"] for r in aggregates["rows"]}
    assert by[("ASH-CP1", "activity.referrals", "")] == 8
    assert by[("DAR-CIN1", "activity.referrals", "")] == 2
    assert by[("886", "activity.funnel", "referrals")] == 10
    assert by[("886", "activity.visits_on_time_pct", "CLA")] == "z"


async def test_a_small_count_is_hidden_with_the_rates_built_on_it(
    fed: tuple[httpx.AsyncClient, Feed, str, str], token: Callable[..., str]
) -> None:
    client, _, _, _ = fed
    headers = auth(token("reports:read"))
    north = (await _get(client, f"/v1/deep-dives/{QUARTER}", headers, unit="NORTH"))["activity"]
    assert north["referrals"] == "c"
    assert north["re_referrals_12m_pct"] == "c"
    assert north["funnel"]["referrals"] == "c"
    aggregates = await _get(client, f"/v1/aggregates/{QUARTER}", headers)
    by = {(r["unit"], r["measure"], r["dimension"]): r["value"] for r in aggregates["rows"]}
    assert by[("NORTH", "activity.referrals", "")] == "c"
    assert by[("DAR-CIN1", "activity.referrals", "")] == "c"
    # The tenant's 10 less SOUTH's would give NORTH's 2 away: one of them is hidden too.
    assert "c" in (by[("886", "activity.referrals", "")], by[("SOUTH", "activity.referrals", "")])
    counts = [
        r
        for r in aggregates["rows"]
        if r["measure"].startswith("activity.") and not r["measure"].endswith(("_pct", "_wd"))
    ]
    assert not any(isinstance(r["value"], int) and 1 <= r["value"] <= 5 for r in counts)


async def test_a_late_record_and_a_withdrawal_correct_the_earlier_quarter(
    fed: tuple[httpx.AsyncClient, Feed, str, str], token: Callable[..., str]
) -> None:
    client, feed, prefix, dsn = fed
    headers = auth(token("reports:read_unsuppressed"))
    first = feed.events[0]  # SOUTH's first referral, in April
    assert first.type == ev.ReferralRecorded.event_type
    gone = ev.ReferralWithdrawn(
        record_id=uuid.UUID(str(first.data["record_id"])),
        child_key=str(first.data["child_key"]),
        org_unit=SOUTH,
        version=2,
        source="REST",
        key_date=date(2025, 4, 1),
    )
    late = [
        _recorded(
            "referral", f"late{n}", SOUTH, referral_date=date(2025, 5, 20), re_referral_12m=True
        )
        for n in range(3)
    ]
    more = [event(gone, gone.record_id), *late]
    await publish(prefix, more)
    await all_applied(dsn, len(feed.events) + len(more))

    async def corrected() -> bool:
        # Built reports are kept until the projections' version is checked again.
        body = await _get(client, f"/v1/deep-dives/{QUARTER}", headers)
        return bool(body["previous"]["activity"]["referrals"] != 10)

    await eventually(corrected, timeout=10)
    body = await _get(client, f"/v1/deep-dives/{QUARTER}", headers)
    # April's first referral was a re-referral (n = 0): 4 - 1 + 3 of 10 - 1 + 3.
    assert body["previous"]["activity"]["referrals"] == 12
    assert body["previous"]["activity"]["re_referrals_12m_pct"] == _pct(6, 12)
    assert body["activity"]["referrals"] == 10  # the quarter itself is untouched
    earlier = await _get(client, f"/v1/deep-dives/{PREVIOUS}", headers)
    assert earlier["activity"]["referrals"] == 12
    assert earlier["activity"]["funnel"]["assessed"] == 9  # its assessment names no referral now


async def test_a_rebuild_gives_identical_activity_figures(
    fed: tuple[httpx.AsyncClient, Feed, str, str], token: Callable[..., str]
) -> None:
    client, _, _, _ = fed
    reader = auth(token("reports:read_unsuppressed"))
    admin = auth(token("admin"))
    quarters = (PREVIOUS, QUARTER, "FY2025Q3")
    before = {q: await _get(client, f"/v1/aggregates/{q}", reader) for q in quarters}
    assert (await client.post("/v1/admin/rebuild", headers=admin)).status_code == 202

    async def finished() -> bool:
        state = (await client.get("/v1/admin/rebuild", headers=admin)).json()
        return state["status"] == "idle" and state["finished_at"] is not None

    await eventually(finished, timeout=60)
    after = {q: await _get(client, f"/v1/aggregates/{q}", reader) for q in quarters}
    assert after == before
    rows = {(r["unit"], r["measure"]): r["value"] for r in after[PREVIOUS]["rows"]}
    assert rows[("886", "activity.referrals")] == 12
