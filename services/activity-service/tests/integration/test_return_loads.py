"""Returns as load jobs through HTTP, on the real database: each format from a generated
return to APPLIED with the intended records and counts; replacement by the next load of
the same return; unreadable files REJECTED with nothing changed; per-record errors paged
with no value from the file; the upload's 413, 415 and 422 with nothing stored; tenants
kept apart."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from qaf_shared.testing.activity_returns import (
    annex_a_records,
    child_refs,
    cin_census_records,
    generate,
    ssda903_records,
    team_aliases,
)
from qaf_shared.testing.kafka import read_topic

from .loads import (
    Relayed,
    TenantLoads,
    all_errors,
    annex_a_csv,
    annex_a_xlsx,
    cin_census,
    counts,
    intended_key,
    intended_records,
    load_return,
    ssda903,
)


async def test_a_cin_census_loads_to_applied_with_the_intended_records_and_counts(
    tenants: Callable[..., TenantLoads],
) -> None:
    tenant = tenants()
    children = list(generate(seed=14, refs=child_refs(40, prefix="CIN")))
    intended = intended_records(cin_census_records(children))

    load = await tenant.load("CIN_CENSUS", "FY2025", cin_census(children))

    assert load["status"] == "APPLIED", load
    assert load["counts"] == counts(accepted=len(intended), warnings=load["counts"]["warnings"])
    assert load["progress"]["records_read"] == load["progress"]["records_total"] == len(intended)
    assert await tenant.held() == intended
    events = await tenant.outbox()
    ids = await tenant.db.fetch("SELECT id FROM activity_records WHERE tenant = $1", tenant.tenant)
    # one `recorded` event per record, and nothing else
    assert sorted(e["aggregateid"] for e in events) == sorted(str(r["id"]) for r in ids)
    assert all(e["type"].endswith(".recorded.v1") for e in events)


async def test_ssda903_tables_load_to_applied_with_the_intended_records(
    tenants: Callable[..., TenantLoads],
) -> None:
    tenant = tenants()
    children = list(generate(seed=903, refs=child_refs(120, prefix="LAC")))
    intended = intended_records(ssda903_records(children))
    assert intended  # some of the children are in care

    load = await tenant.load("SSDA903", "FY2025", ssda903(children))

    assert load["status"] == "APPLIED", load
    assert load["counts"]["accepted"] == len(intended)
    assert load["counts"]["rejected"] == 0
    assert await tenant.held() == intended


async def annex_a_tenant(kent: TenantLoads, *, unmapped: str) -> None:
    """Kent's team aliases, but for the team `unmapped`."""
    aliases = {name: code for name, code in team_aliases().items() if code != unmapped}
    response = await kent.client.put(
        "/v1/team-aliases", json={"aliases": aliases}, headers=kent.headers
    )
    assert response.status_code == 200, response.text


async def test_an_annex_a_workbook_loads_with_teams_through_the_aliases(
    tenants: Callable[..., TenantLoads],
) -> None:
    # Annex A's teams are Kent's: its loads take tenant 886, each test a year of its own.
    kent = tenants("886")
    children = list(generate(seed=6, refs=child_refs(80, prefix="AXA"), year=2024))
    intended = list(annex_a_records(children))
    unmapped = next(r.team for r in intended if r.team)
    assert unmapped is not None
    unmapped_code = team_aliases()[unmapped]
    await annex_a_tenant(kent, unmapped=unmapped_code)

    load = await kent.load("ANNEX_A", "FY2024", annex_a_xlsx(children))

    assert load["status"] == "APPLIED", load
    assert load["counts"]["accepted"] == len(intended_records(intended))
    assert load["counts"]["rejected"] == 0
    teams = {key: row["team"] for key, row in (await kent.supplied(load)).items()}
    expected = {
        intended_key(r): None if r.team in (None, unmapped) else team_aliases()[r.team]
        for r in intended
    }
    assert teams == expected
    # one warning per record of the unmapped team, on its field, with no value from the file
    errors, _ = await all_errors(kent.client, kent.headers, load["id"])
    warned = [e for e in errors if e["rule"] == "unknown_team_alias"]
    assert len(warned) == sum(1 for r in intended if r.team == unmapped) > 0
    assert load["counts"]["warnings"] == len(errors)
    assert all(e["severity"] == "warning" and e["field"] == "team" for e in warned)
    assert not any(unmapped in str(e) for e in errors)
    refs = {r.child_ref for r in intended}
    assert not any(ref in str(errors) for ref in refs)


async def test_annex_a_lists_as_csv_load_like_the_workbook(
    tenants: Callable[..., TenantLoads],
) -> None:
    kent = tenants("886")
    children = list(generate(seed=7, refs=child_refs(60, prefix="AXC"), year=2023))
    intended = intended_records(annex_a_records(children))
    await annex_a_tenant(kent, unmapped="none")

    load = await kent.load("ANNEX_A", "FY2023", annex_a_csv(children))

    assert load["status"] == "APPLIED", load
    assert load["counts"] == counts(accepted=len(intended))
    assert set(await kent.supplied(load)) == set(intended)


async def test_a_reload_with_one_record_missing_withdraws_exactly_it(
    tenants: Callable[..., TenantLoads],
) -> None:
    tenant = tenants()
    children = list(generate(seed=21, refs=child_refs(30, prefix="RPL")))
    first = await tenant.load("CIN_CENSUS", "FY2025", cin_census(children))
    assert first["status"] == "APPLIED", first
    before = len(await tenant.outbox())
    # the last assessment of a child with two or more: its loss changes no derived fact
    child = next(c for c in children if sum(len(r.assessments) for r in c.referrals) >= 2)
    referral = next(r for r in reversed(child.referrals) if r.assessments)
    gone = referral.assessments.pop()
    gone_id = await tenant.db.fetchval(
        "SELECT id FROM activity_records WHERE tenant = $1 AND kind = 'assessment' "
        "AND child_ref = $2 AND key_date = $3",
        tenant.tenant,
        child.child_ref,
        gone.start_date,
    )

    second = await tenant.load("CIN_CENSUS", "FY2025", cin_census(children))

    assert second["status"] == "APPLIED", second
    assert second["counts"]["withdrawn"] == 1
    assert second["counts"]["accepted"] == 0
    assert second["counts"]["unchanged"] == first["counts"]["accepted"] - 1
    published = (await tenant.outbox())[before:]
    assert [(e["type"], e["aggregateid"]) for e in published] == [
        ("uk.gov.qa.activity.assessment.withdrawn.v1", str(gone_id))
    ]
    assert await tenant.held() == intended_records(cin_census_records(children))


async def test_an_identical_reload_is_all_unchanged_and_publishes_nothing(
    tenants: Callable[..., TenantLoads],
) -> None:
    tenant = tenants()
    parts = cin_census(generate(seed=22, refs=child_refs(30, prefix="SAME")))
    first = await tenant.load("CIN_CENSUS", "FY2025", parts)
    held = await tenant.held()
    before = len(await tenant.outbox())

    second = await tenant.load("CIN_CENSUS", "FY2025", parts)

    assert second["status"] == "APPLIED", second
    assert second["counts"] == counts(
        unchanged=first["counts"]["accepted"], warnings=first["counts"]["warnings"]
    )
    assert len(await tenant.outbox()) == before
    assert await tenant.held() == held
    # the records are the second load's now: a third load replaces what it supplied
    assert (
        await tenant.db.fetchval(
            "SELECT count(*) FROM activity_records WHERE tenant = $1 AND load_id <> $2",
            tenant.tenant,
            uuid.UUID(second["id"]),
        )
        == 0
    )


async def test_a_rest_touched_record_survives_a_reload_and_a_rest_withdrawal_comes_back(
    tenants: Callable[..., TenantLoads],
) -> None:
    # REST writes need the tenant's org units: Medway's, whose census no other test loads
    tenant = tenants("887")
    children = list(generate(seed=23, refs=child_refs(20, prefix="RST")))
    await tenant.load("CIN_CENSUS", "FY2025", cin_census(children))
    touched, withdrawn = children[0].referrals[0], children[1].referrals[0]
    # REST corrects the first child's referral, and withdraws the second's
    corrected = {"kind": "referral", "child_ref": children[0].child_ref,
                 "referral_date": touched.referral_date.isoformat(), "nfa": not touched.nfa}  # fmt: skip
    response = await tenant.client.post(
        "/v1/activity", json={"records": [corrected]}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] == "ACCEPTED", response.text
    response = await tenant.client.post(
        "/v1/activity/withdrawals",
        json={
            "records": [
                {
                    "kind": "referral",
                    "child_ref": children[1].child_ref,
                    "referral_date": withdrawn.referral_date.isoformat(),
                }
            ]
        },
        headers=tenant.headers,
    )
    assert response.json()["results"][0]["status"] == "WITHDRAWN", response.text
    # the next census lacks the first child's referral, and has the second's again
    children[0].referrals.remove(touched)

    load = await tenant.load("CIN_CENSUS", "FY2025", cin_census(children))

    assert load["status"] == "APPLIED", load
    assert load["counts"]["accepted"] == 1  # the second child's referral, back
    held = await tenant.held()
    key = ("referral", children[0].child_ref, touched.referral_date.isoformat(), "")
    assert held[key]["nfa"] is (not touched.nfa)  # REST's, not withdrawn
    assert ("referral", children[1].child_ref, withdrawn.referral_date.isoformat(), "") in held


async def test_a_loaded_return_reaches_kafka_one_event_per_record_without_child_ref(
    relayed: Relayed, tenants: Callable[..., TenantLoads]
) -> None:
    writer = tenants()
    children = list(generate(seed=41, refs=child_refs(15, prefix="KFK")))
    intended = intended_records(cin_census_records(children))
    async with relayed() as (client, topic):
        load = await load_return(
            client, writer.headers, "CIN_CENSUS", "FY2025", cin_census(children)
        )
        records = await read_topic(topic, expected=len(intended))
    events = [event for _, event in records]

    assert load["status"] == "APPLIED", load
    assert all(key == event.subject.encode() for key, event in records)
    assert len(events) == len(intended)
    assert len({e.subject for e in events}) == len(intended)
    assert all(e.type.endswith(".recorded.v1") and e.tenant == writer.tenant for e in events)
    published = str([e.model_dump(mode="json") for e in events])
    assert "child_ref" not in published
    assert not any(child.child_ref in published for child in children)
