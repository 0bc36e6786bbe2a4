"""The published contracts, written from the code so that they cannot say something else:

- `deploy/schemas/<event type>.json`: the JSON Schema of every event payload (pydantic's
  `model_json_schema`), plus `cloudevents-envelope.json` for the envelope around it;
- `deploy/asyncapi.yaml`: AsyncAPI 3.0 for every topic of `deploy/topics.yaml`, its key,
  headers and messages, one message per catalogue entry, referring to those schemas;
- `deploy/openapi/<service>.json`: each service's OpenAPI, from its own `create_app()`.

`make contracts` (or `python deploy/contracts.py`) rewrites them; `--check` only compares and
exits 1 when a committed file and the code disagree (tests/test_contracts.py does the same).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
SCHEMAS_DIR = DEPLOY / "schemas"
OPENAPI_DIR = DEPLOY / "openapi"
ASYNCAPI_FILE = DEPLOY / "asyncapi.yaml"
ENVELOPE_FILE = "cloudevents-envelope.json"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
KAFKA_BINDING_VERSION = "0.5.0"
# reporting-service consumes every domain topic and dead-letters what it cannot apply.
CONSUMER = "reporting-service"


def service_names() -> list[str]:
    """Every service of the workspace (`services/<name>/pyproject.toml`), sorted."""
    return sorted(p.parent.name for p in (REPO / "services").glob("*/pyproject.toml"))


def package_of(service: str) -> str:
    return service.replace("-", "_")


def producer_of(topic: str) -> str:
    """The service that publishes a domain topic: `qa.<domain>.events.v1` <- `<domain>-service`."""
    service = f"{topic.split('.')[1]}-service"
    if service not in service_names():
        raise LookupError(f"no service publishes {topic} (expected services/{service})")
    return service


def _json(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# --- event payload schemas ------------------------------------------------------------------


def event_schemas() -> dict[str, str]:
    """File name -> text, for every catalogue entry and the envelope."""
    from qaf_shared.events.catalogue import CATALOGUE
    from qaf_shared.events.envelope import CloudEvent

    files: dict[str, str] = {}
    for event_type, spec in sorted(CATALOGUE.items()):
        schema = {
            "$schema": JSON_SCHEMA_DIALECT,
            "$id": spec.dataschema,
            **spec.payload.model_json_schema(),
        }
        files[f"{event_type}.json"] = _json(schema)
    envelope = {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": "urn:qa:schemas:cloudevents-envelope",
        **CloudEvent.model_json_schema(),
    }
    files[ENVELOPE_FILE] = _json(envelope)
    return files


# --- AsyncAPI ----------------------------------------------------------------------------------


def _camel(*words: str) -> str:
    parts = [p for w in words for p in re.split(r"[^A-Za-z0-9]+", w) if p]
    return parts[0].lower() + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def _channel_id(topic: str) -> str:
    return _camel(*topic.split(".")[1:])  # qa.audit.events.v1 -> auditEventsV1


def _kafka_channel_binding(topic: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for key, value in topic["config"].items():
        if key == "cleanup.policy":
            config[key] = str(value).split(",")
        elif key.endswith((".ms", ".bytes")):
            config[key] = int(value)
        else:
            config[key] = value
    return {
        "kafka": {
            "topic": topic["name"],
            "partitions": int(topic["partitions"]),
            "replicas": int(topic["replication_factor"]),
            "topicConfiguration": config,
            "bindingVersion": KAFKA_BINDING_VERSION,
        }
    }


def _domain_message(event_type: str) -> dict[str, Any]:
    from qaf_shared.events.catalogue import spec_for

    spec = spec_for(event_type)
    source = f"/services/{producer_of(spec.topic)}"
    summary = (spec.payload.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
    message: dict[str, Any] = {
        "name": event_type,
        "title": spec.payload.__name__,
        "contentType": "application/cloudevents+json",
        "headers": {"$ref": "#/components/schemas/CloudEventHeaders"},
        "payload": {
            "allOf": [
                {"$ref": f"./schemas/{ENVELOPE_FILE}"},
                {
                    "type": "object",
                    "required": ["type", "source", "subject", "tenant", "data"],
                    "properties": {
                        "type": {"const": event_type},
                        "source": {"const": source},
                        "subject": {
                            "type": "string",
                            "description": f"The {spec.aggregate_type} id; also the record key.",
                        },
                        "dataschema": {"const": spec.dataschema},
                        "data": {"$ref": f"./schemas/{event_type}.json"},
                    },
                },
            ]
        },
        "bindings": {
            "kafka": {
                "key": {
                    "type": "string",
                    "description": f"The {spec.aggregate_type} id (the event's `subject`): "
                    "one aggregate's events share a partition and stay in order.",
                },
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }
    if summary:
        message["summary"] = summary
    return message


_DEAD_LETTER_MESSAGE: dict[str, Any] = {
    "name": "dead-letter",
    "title": "Dead letter",
    "summary": "A record reporting-service could not parse or apply, as it was received.",
    "description": "Value and key are the original record's, byte for byte (usually a "
    "CloudEvent, possibly not JSON at all); the headers say where it came from and why it "
    "failed. The partition it came from keeps flowing.",
    "contentType": "application/octet-stream",
    "headers": {
        "type": "object",
        "required": ["dlq_topic", "dlq_partition", "dlq_offset", "dlq_error"],
        "properties": {
            "dlq_topic": {"type": "string", "description": "The topic the record came from."},
            "dlq_partition": {"type": "string", "description": "Its partition, in decimal."},
            "dlq_offset": {"type": "string", "description": "Its offset, in decimal."},
            "dlq_error": {"type": "string", "description": "Why it was not applied."},
        },
    },
    "payload": {"description": "The original record value."},
    "bindings": {
        "kafka": {
            "key": {"type": "string", "description": "The original record key."},
            "bindingVersion": KAFKA_BINDING_VERSION,
        }
    },
}

_CLOUDEVENT_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "Kafka headers of CloudEvents' structured mode: the value is the whole event.",
    "required": ["content-type", "ce_id", "ce_type", "ce_source"],
    "properties": {
        "content-type": {"const": "application/cloudevents+json"},
        "ce_id": {"type": "string", "format": "uuid"},
        "ce_type": {"type": "string"},
        "ce_source": {"type": "string"},
        "ce_traceparent": {
            "type": "string",
            "description": "The W3C trace context the event was written in (the CloudEvents "
            "distributed tracing extension), when the producer traces.",
        },
        "ce_tracestate": {"type": "string"},
    },
}


def asyncapi_document() -> str:
    from qaf_shared.events.catalogue import CATALOGUE, DLQ_TOPIC, DOMAIN_TOPICS
    from qaf_shared.kafka import load_topics

    topics = {t["name"]: t for t in load_topics()}
    missing = set(DOMAIN_TOPICS) - topics.keys()
    if missing or DLQ_TOPIC not in topics:
        raise LookupError(f"deploy/topics.yaml lacks {sorted(missing | {DLQ_TOPIC})}")

    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic in DOMAIN_TOPICS:
        channel = _channel_id(topic)
        producer = producer_of(topic)
        types = sorted(t for t, spec in CATALOGUE.items() if spec.topic == topic)
        for event_type in types:
            messages[event_type] = _domain_message(event_type)
        channels[channel] = {
            "address": topic,
            "title": topic,
            "description": f"Every event {producer} publishes, through its transactional outbox "
            "and relay. Key = aggregate id; kept forever (reporting replays from offset 0).",
            "messages": {t: {"$ref": f"#/components/messages/{t}"} for t in types},
            "bindings": _kafka_channel_binding(topics[topic]),
        }
        refs = [{"$ref": f"#/channels/{channel}/messages/{t}"} for t in types]
        operations[_camel("publish", channel)] = {
            "action": "send",
            "title": f"{producer} publishes",
            "summary": "Published by the service's relay, one relay per service at a time "
            "(advisory lock), in outbox order, with an idempotent producer (acks=all).",
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": refs,
            "tags": [{"name": producer}],
        }
        operations[_camel("consume", channel)] = {
            "action": "receive",
            "title": f"{CONSUMER} consumes",
            "summary": "Consumer group `reporting-service`; each event applied once "
            "(processed_events), offsets committed after the projection's transaction.",
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": refs,
            "tags": [{"name": CONSUMER}],
        }
    dlq = _channel_id(DLQ_TOPIC)
    messages["dead-letter"] = _DEAD_LETTER_MESSAGE
    channels[dlq] = {
        "address": DLQ_TOPIC,
        "title": DLQ_TOPIC,
        "description": "What reporting-service could not parse or apply, kept for inspection.",
        "messages": {"dead-letter": {"$ref": "#/components/messages/dead-letter"}},
        "bindings": _kafka_channel_binding(topics[DLQ_TOPIC]),
    }
    operations[_camel("publish", dlq)] = {
        "action": "send",
        "title": f"{CONSUMER} dead-letters",
        "channel": {"$ref": f"#/channels/{dlq}"},
        "messages": [{"$ref": f"#/channels/{dlq}/messages/dead-letter"}],
        "tags": [{"name": CONSUMER}],
    }

    document = {
        "asyncapi": "3.0.0",
        "info": {
            "title": "QA Framework domain events",
            "version": "1.0.0",
            "description": "The events the write services publish and reporting-service "
            "consumes. Every value is a CloudEvents 1.0 event in structured JSON mode; its "
            "`data` is the payload whose JSON Schema `dataschema` names (`deploy/schemas/`). "
            "Within a `.v1` type only optional fields are added; consumers ignore unknown "
            "fields; a breaking change is a new type version. Events carry structured facts "
            "only: no free text, no names. Generated by deploy/contracts.py; do not edit.",
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": {
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "`make run`: one KRaft broker on this machine.",
            },
            "compose": {
                "host": "kafka:9092",
                "protocol": "kafka",
                "description": "`docker compose up`: the broker on the compose network.",
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": {"CloudEventHeaders": _CLOUDEVENT_HEADERS},
            "messages": messages,
        },
    }
    header = "# Generated by deploy/contracts.py from the event catalogue; `make contracts`.\n"
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


# --- OpenAPI -----------------------------------------------------------------------------------


@contextlib.contextmanager
def _clean_settings_environment() -> Iterator[None]:
    """No QA_* variable of the caller's shell may shape the documents (list limits, say);
    the app needs a JWKS file to be built, so a throwaway one is made."""
    from qaf_shared.devtoken import ensure_keys

    saved = {k: v for k, v in os.environ.items() if k.startswith("QA_")}
    for key in saved:
        del os.environ[key]
    try:
        with tempfile.TemporaryDirectory() as keys:
            ensure_keys(Path(keys))
            os.environ["QA_AUTH_JWKS"] = str(Path(keys) / "jwks.json")
            yield
    finally:
        os.environ.pop("QA_AUTH_JWKS", None)
        os.environ.update(saved)


def openapi_documents() -> dict[str, str]:
    """Service -> its OpenAPI text. The lifespan never runs: no database or broker needed."""
    documents: dict[str, str] = {}
    with _clean_settings_environment():
        for service in service_names():
            main = importlib.import_module(f"{package_of(service)}.main")
            documents[service] = _json(main.create_app().openapi())
    return documents


# --- all of it -----------------------------------------------------------------------------


def render() -> dict[Path, str]:
    """Every contract file (absolute path) with the text the code gives it."""
    files = {SCHEMAS_DIR / name: text for name, text in event_schemas().items()}
    files.update({OPENAPI_DIR / f"{s}.json": t for s, t in openapi_documents().items()})
    files[ASYNCAPI_FILE] = asyncapi_document()
    return files


def _committed() -> set[Path]:
    return {*SCHEMAS_DIR.glob("*.json"), *OPENAPI_DIR.glob("*.json"), ASYNCAPI_FILE}


def drift(files: dict[Path, str]) -> list[str]:
    """What differs between the rendered files and the committed ones, one line each."""
    problems = []
    for path, text in sorted(files.items()):
        if not path.is_file():
            problems.append(f"missing: {path.relative_to(REPO)}")
        elif path.read_text() != text:
            problems.append(f"differs from the code: {path.relative_to(REPO)}")
    for path in sorted(_committed() - files.keys()):
        if path.exists():
            problems.append(f"stale (nothing in the code makes it): {path.relative_to(REPO)}")
    return problems


def write(files: dict[Path, str]) -> list[Path]:
    """Write what changed and remove stale files; return the paths touched."""
    touched = []
    for path in sorted(_committed() - files.keys()):
        if path.exists():
            path.unlink()
            touched.append(path)
    for path, text in files.items():
        if not path.is_file() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            touched.append(path)
    return touched


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on drift")
    args = parser.parse_args(argv)
    files = render()
    if args.check:
        problems = drift(files)
        for line in problems:
            print(line, file=sys.stderr)
        if problems:
            print("run `make contracts` and commit the result", file=sys.stderr)
        return 1 if problems else 0
    touched = write(files)
    for path in touched:
        print(f"wrote {path.relative_to(REPO)}")
    print(f"contracts: {len(files)} files, {len(touched)} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
