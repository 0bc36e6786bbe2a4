"""The benchmarks' realistic event mix (bench/eventmix.py, bench/activitymix.py) is made of
events the contracts accept, in an order a relay could have published them: otherwise the
consumer and rebuild figures would measure something no deployment sees."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema

from bench import eventmix

SCHEMAS = Path(__file__).resolve().parents[1] / "deploy" / "schemas"


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def _mix(count: int) -> list[dict[str, Any]]:
    return [json.loads(value) for _, _, value, _ in eventmix.stream(count, seed=3, tenant_count=2)]


def test_every_event_of_the_mix_satisfies_the_exported_envelope_and_payload_schemas() -> None:
    envelope = _validator("cloudevents-envelope.json")
    payloads: dict[str, jsonschema.Draft202012Validator] = {}
    for event in _mix(20_000):
        envelope.validate(event)
        if event["type"] not in payloads:
            payloads[event["type"]] = _validator(f"{event['type']}.json")
        payloads[event["type"]].validate(event["data"])


def test_the_mix_carries_every_domain_and_mostly_case_activity() -> None:
    by_source = Counter(event["source"] for event in _mix(20_000))
    assert set(by_source) == {
        "/audit-service",
        "/escalation-service",
        "/feedback-service",
        "/activity-service",
    }
    assert by_source["/activity-service"] > sum(by_source.values()) / 2


def test_each_activity_record_is_published_in_version_order_and_keyed_by_its_id() -> None:
    seen: dict[str, int] = {}
    kinds: Counter[str] = Counter()
    for _, key, value, _ in eventmix.stream(20_000, seed=3, tenant_count=2):
        event = json.loads(value)
        if event["source"] != "/activity-service":
            continue
        data = event["data"]
        assert key.decode() == data["record_id"] == event["subject"]
        assert data["version"] > seen.get(data["record_id"], 0)
        seen[data["record_id"]] = data["version"]
        kinds[event["type"].split(".")[4]] += 1
    assert set(kinds) >= {"referral", "assessment", "s47_enquiry", "cp_plan", "visit"}
    # Records change after they are first published: more events than records.
    assert sum(kinds.values()) > len(seen)
