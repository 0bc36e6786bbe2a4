"""Every record written, corrected and withdrawn reaches Kafka through the relay: the service
with a database and topics of its own, the real broker."""

from __future__ import annotations

from collections.abc import Callable

from qaf_shared import jsonutil
from qaf_shared.events.catalogue import spec_for
from qaf_shared.testing.fixtures import auth
from qaf_shared.testing.kafka import read_topic

from .loads import Relayed


async def test_records_their_corrections_and_withdrawals_are_published_once_without_child_ref(
    relayed: Relayed, token: Callable[..., str]
) -> None:
    writer = auth(token("activity:write"))
    later = {"kind": "referral", "child_ref": "KAFKA-CHILD-1", "referral_date": "2025-06-01",
             "team": "ASH-CIN1", "referral_source": "6"}  # fmt: skip
    plan = {"kind": "cp_plan", "child_ref": "KAFKA-CHILD-1", "start_date": "2025-06-20",
            "initial_category": "NEG"}  # fmt: skip
    earlier = {"kind": "referral", "child_ref": "KAFKA-CHILD-1", "referral_date": "2025-02-01"}
    async with relayed() as (client, topic):
        for body in (
            {"records": [later, plan]},
            {"records": [later, plan]},  # unchanged: publishes nothing
            {"records": [earlier]},  # makes `later` a re-referral
        ):
            response = await client.post("/v1/activity", json=body, headers=writer)
            assert response.status_code == 200, response.text
        withdrawn = await client.post(
            "/v1/activity/withdrawals",
            json={"records": [{k: earlier[k] for k in ("kind", "child_ref", "referral_date")}]},
            headers=writer,
        )
        assert withdrawn.json()["results"][0]["status"] == "WITHDRAWN"
        records = await read_topic(topic, expected=6)
    assert all(key == event.subject.encode() for key, event in records)
    events = [event for _, event in records]

    types = [e.type.removeprefix("uk.gov.qa.activity.").removesuffix(".v1") for e in events]
    assert sorted(types) == sorted(
        [
            "referral.recorded",  # later
            "cp_plan.recorded",
            "referral.recorded",  # earlier
            "referral.recorded",  # later, now a re-referral
            "referral.withdrawn",  # earlier
            "referral.recorded",  # later, a re-referral no more
        ]
    )
    assert len({e.id for e in events}) == 6
    for event in events:
        spec_for(event.type).payload.model_validate(event.data)  # reporting can read it
        assert event.tenant == "886" and event.source == "/services/activity-service"
        assert "KAFKA-CHILD-1" not in jsonutil.dumps(event.to_json())
    assert len({e.data["child_key"] for e in events}) == 1
    later_events = [e.data for e in events if e.data.get("referral_date") == "2025-06-01"]
    assert [(e["version"], e["re_referral_12m"]) for e in later_events] == [
        (1, False),
        (2, True),
        (3, False),
    ]
    assert later_events[0]["org_unit"] == {
        "area": "SOUTH",
        "district": "ASHFORD",
        "team": "ASH-CIN1",
    }
