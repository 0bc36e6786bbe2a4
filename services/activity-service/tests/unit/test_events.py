"""The `recorded` events, built straight in their JSON form (events.recorded), against what the
payload models and `new_event` make of the same record: the same envelope and the same
data, for every kind, with every fact, with only the key's, with derived facts and without,
at team and at tenant level."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

import pytest

from activity_service import events
from activity_service.domain.history import HistoryRecord, derive
from activity_service.domain.kinds import KEY_DATE, REQUIRED, Kind
from activity_service.domain.records import typed_facts
from activity_service.repository.records import StoredRecord
from qaf_shared.events.activity import RECORDED
from qaf_shared.events.envelope import json_time, new_event
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.org_units import OrgUnitDirectory
from qaf_shared.testing.activity_returns import child_refs, generate, rest_records, to_json

KENT = OrgUnitDirectory().tenant("886")


def _stored() -> list[StoredRecord]:
    """The generator's records as the service stores them (facts in their JSON form), each
    with the derived facts of its child's history."""
    assert KENT is not None
    by_child: dict[str, list[StoredRecord]] = defaultdict(list)
    for n, intended in enumerate(rest_records(generate(seed=7, refs=child_refs(400)))):
        kind = Kind(intended.kind)
        body = to_json(intended)
        # stored as the service stores them: only facts with a value
        facts = {
            k: v
            for k, v in body.items()
            if k not in ("kind", "child_ref", "team") and v is not None
        }
        by_child[intended.child_ref].append(
            StoredRecord(
                id=str(uuid.uuid4()),
                kind=kind,
                child_ref=intended.child_ref,
                child_key="k" * 64,
                key_date=date.fromisoformat(str(facts[KEY_DATE[kind]])),
                plan_type=str(facts.get("plan_type", "")),
                facts=facts,
                derived={},
                # every fifth at tenant level
                unit=None if n % 5 == 0 else KENT.team(str(intended.team)),
                source="REST" if n % 2 else "CIN_CENSUS",
                load_id=None,
                withdrawn=False,
                version=1 + n % 3,
            )
        )
    stored = []
    for records in by_child.values():
        derived = derive(
            [HistoryRecord(r.id, r.kind, r.key_date, typed_facts(r.kind, r.facts)) for r in records]
        )
        for r in records:
            r.derived = {
                k: v.isoformat() if isinstance(v, date) else v for k, v in derived[r.id].items()
            }
            stored.append(r)
    return stored


RECORDS = _stored()


def _by_the_models(record: StoredRecord, time: datetime) -> dict[str, Any]:
    payload = RECORDED[record.kind](
        record_id=record.id,
        child_key=record.child_key,
        org_unit=record.unit or OrgUnitRef(),
        version=record.version,
        source=record.source,
        **record.facts,
        **record.derived,
    )
    return new_event(
        source=events.SOURCE, tenant="886", subject=str(record.id), data=payload, time=time
    ).to_json()


def _same_apart_from_the_id(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert {k: v for k, v in ours.items() if k != "id"} == {
        k: v for k, v in theirs.items() if k != "id"
    }
    assert uuid.UUID(ours["id"]).version == 4


def test_every_kind_is_represented_with_and_without_derived_facts() -> None:
    kinds = {r.kind for r in RECORDS}
    assert kinds == set(Kind)
    assert any(r.derived.get("re_referral_12m") for r in RECORDS)
    assert any(r.derived.get("on_time") is not None for r in RECORDS)


@pytest.mark.parametrize("kind", list(Kind))
def test_a_recorded_event_is_what_the_payload_model_and_new_event_make_of_the_record(
    kind: Kind,
) -> None:
    time = datetime(2026, 5, 1, 9, 30, 15, 123456, tzinfo=UTC)
    for record in (r for r in RECORDS if r.kind is kind):
        ours = events.recorded("886", record, time=json_time(time))
        _same_apart_from_the_id(ours.to_json(), _by_the_models(record, time))
        assert (ours.type, ours.subject, ours.tenant) == (
            RECORDED[kind].event_type,
            str(record.id),
            "886",
        )
        assert ours.json["id"] == str(ours.id)


@pytest.mark.parametrize("kind", list(Kind))
def test_a_record_with_only_its_required_facts_gets_the_models_defaults(kind: Kind) -> None:
    time = datetime(2026, 5, 1, tzinfo=UTC)
    record = next(r for r in RECORDS if r.kind is kind)
    bare = StoredRecord(
        **{
            **{f: getattr(record, f) for f in StoredRecord.__slots__},  # type: ignore[attr-defined]
            "facts": {
                k: v for k, v in record.facts.items() if k == KEY_DATE[kind] or k in REQUIRED[kind]
            },
            "derived": {},
            "unit": None,
        }
    )
    ours = events.recorded("886", bare, time=json_time(time)).to_json()
    _same_apart_from_the_id(ours, _by_the_models(bare, time))


def test_the_event_time_is_written_as_the_envelope_model_writes_it() -> None:
    for time in (
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 0, 0, 5, tzinfo=UTC),
        datetime(2026, 7, 1, 23, 59, 59, 999999, tzinfo=UTC),
    ):
        record = RECORDS[0]
        assert (
            events.recorded("886", record, time=json_time(time)).json["time"]
            == _by_the_models(record, time)["time"]
        )
