"""The published contracts (deploy/asyncapi.yaml, deploy/schemas/, deploy/openapi/) say what
the code does. When a payload model, the catalogue, a route or deploy/topics.yaml changes,
`make contracts` rewrites them; these tests fail until it has been run and committed."""

from __future__ import annotations

import importlib.util
import json
import uuid
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
import referencing
import yaml

from qaf_shared.enums import PlanType
from qaf_shared.events.audit import AuditScheduled
from qaf_shared.events.catalogue import CATALOGUE, DLQ_TOPIC, DOMAIN_TOPICS
from qaf_shared.events.envelope import new_event
from qaf_shared.events.payloads import OrgUnitRef

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
ASYNCAPI_SCHEMA = Path(__file__).parent / "vendor" / "asyncapi-3.0.0.schema.json"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("qa_contracts", DEPLOY / "contracts.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def asyncapi() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((DEPLOY / "asyncapi.yaml").read_text())
    return document


def _schema(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((DEPLOY / "schemas" / name).read_text())
    return document


def test_committed_contracts_are_what_the_code_generates() -> None:
    generator = _generator()
    problems = generator.drift(generator.render())
    assert not problems, "\n".join([*problems, "run `make contracts` and commit the result"])


def test_asyncapi_document_is_valid_asyncapi_3(asyncapi: dict[str, Any]) -> None:
    schema = json.loads(ASYNCAPI_SCHEMA.read_text())
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(asyncapi))
    best = jsonschema.exceptions.best_match(errors)
    assert best is None, f"{list(best.absolute_path)}: {best.message[:500]}" if best else ""


def test_every_reference_in_the_asyncapi_document_resolves(asyncapi: dict[str, Any]) -> None:
    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return found + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    for ref in refs(asyncapi):
        if ref.startswith("#/"):
            target: Any = asyncapi
            for part in ref[2:].split("/"):
                assert isinstance(target, dict) and part in target, f"{ref} points nowhere"
                target = target[part]
        else:
            assert (DEPLOY / ref).is_file(), f"{ref} names no file next to asyncapi.yaml"


def test_asyncapi_describes_every_topic_and_every_event_type(
    asyncapi: dict[str, Any], topics: dict[str, dict[str, Any]]
) -> None:
    channels = {c["address"]: c for c in asyncapi["channels"].values()}
    assert set(channels) == set(topics) == {*DOMAIN_TOPICS, DLQ_TOPIC}
    for name, channel in channels.items():
        binding = channel["bindings"]["kafka"]
        assert binding["topic"] == name
        assert binding["partitions"] == topics[name]["partitions"]
    described = {
        t for topic in DOMAIN_TOPICS for t in channels[topic]["messages"]
    }  # message ids are the event types
    assert described == set(CATALOGUE)
    for event_type, spec in CATALOGUE.items():
        assert event_type in channels[spec.topic]["messages"], f"{event_type} on the wrong topic"


def test_exported_schemas_are_valid_json_schemas_one_per_event_type() -> None:
    files = {p.name for p in (DEPLOY / "schemas").glob("*.json")}
    assert files == {f"{t}.json" for t in CATALOGUE} | {"cloudevents-envelope.json"}
    for name in files:
        schema = _schema(name)
        jsonschema.Draft202012Validator.check_schema(schema)
        if name != "cloudevents-envelope.json":
            assert schema["$id"] == CATALOGUE[name.removesuffix(".json")].dataschema


def test_a_published_event_satisfies_the_exported_schemas() -> None:
    event = new_event(
        type="uk.gov.qa.audit.scheduled.v1",
        source="/services/audit-service",
        tenant="886",
        subject=str(uuid.uuid4()),
        data=AuditScheduled(
            audit_id=uuid.uuid4(),
            org_unit=OrgUnitRef(area="WEST", team="T1"),
            plan_type=PlanType.CP,
            due_date=date(2026, 3, 31),
        ),
    ).to_json()
    envelope = jsonschema.Draft202012Validator(
        _schema("cloudevents-envelope.json"), format_checker=jsonschema.FormatChecker()
    )
    envelope.validate(event)
    payload = jsonschema.Draft202012Validator(
        _schema("uk.gov.qa.audit.scheduled.v1.json"), format_checker=jsonschema.FormatChecker()
    )
    payload.validate(event["data"])
    # The schema refuses what the model refuses: a payload without its audit id.
    with pytest.raises(jsonschema.ValidationError):
        payload.validate({k: v for k, v in event["data"].items() if k != "audit_id"})


def test_asyncapi_message_payload_is_the_envelope_around_the_exported_schema(
    asyncapi: dict[str, Any],
) -> None:
    """Resolving the message's file references the way an AsyncAPI tool does, a real event
    validates against the message payload as a whole."""
    message = asyncapi["components"]["messages"]["uk.gov.qa.audit.scheduled.v1"]
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(
        (f"file:///deploy/schemas/{p.name}", referencing.Resource.from_contents(_schema(p.name)))
        for p in (DEPLOY / "schemas").glob("*.json")
    )
    validator = jsonschema.Draft202012Validator(
        {"$id": "file:///deploy/asyncapi.yaml", **message["payload"]}, registry=registry
    )
    event = new_event(
        type="uk.gov.qa.audit.scheduled.v1",
        source="/services/audit-service",
        tenant="886",
        subject=str(uuid.uuid4()),
        data=AuditScheduled(
            audit_id=uuid.uuid4(),
            org_unit=OrgUnitRef(area="WEST"),
            plan_type=PlanType.CP,
            due_date=date(2026, 3, 31),
        ),
    ).to_json()
    validator.validate(event)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**event, "type": "uk.gov.qa.audit.closed.v1"})


def test_openapi_documents_exist_for_every_service_and_no_other() -> None:
    names = {p.stem for p in (DEPLOY / "openapi").glob("*.json")}
    assert names == {p.parent.name for p in (REPO / "services").glob("*/pyproject.toml")}
    for name in names:
        document = json.loads((DEPLOY / "openapi" / f"{name}.json").read_text())
        assert document["openapi"].startswith("3.")
        assert document["info"]["title"] == name
        assert {"/healthz", "/readyz", "/metrics"} <= set(document["paths"])
