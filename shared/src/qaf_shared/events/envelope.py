"""The CloudEvents 1.0 envelope (structured JSON mode) every service publishes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple, Protocol

import uuid_utils
from pydantic import BaseModel, ConfigDict, Field

from qaf_shared import jsonutil
from qaf_shared.events.catalogue import spec_for
from qaf_shared.events.payloads import Payload

CONTENT_TYPE = "application/cloudevents+json"


class CloudEvent(BaseModel):
    """One domain event. `data` holds the payload as published; consumers parse it with the
    payload model the catalogue names for `type`. Unknown attributes are ignored so that
    producers can add extensions without breaking consumers."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: uuid.UUID
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    time: datetime
    subject: str = Field(min_length=1)
    tenant: str = Field(min_length=1)
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str | None = None
    # The CloudEvents distributed tracing extension: the W3C context of the span the event was
    # written in, when tracing is on (qaf_shared.tracing).
    traceparent: str | None = None
    tracestate: str | None = None
    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The event's JSON form: what the outbox holds and the relay publishes."""
        return self.model_dump(mode="json", exclude_none=True)


# An event's Kafka record is made from its JSON form, which the relay reads from the outbox
# row: building a CloudEvent per row would cost several times what publishing it does here.
_CONTENT_TYPE_HEADER = ("content-type", CONTENT_TYPE.encode())


def kafka_value(event: Mapping[str, Any]) -> bytes:
    """The record's value (structured mode: the whole event)."""
    return jsonutil.dumpb(event)


class Attributes(Protocol):
    """An event's attributes by name: its JSON form, or the relay's claimed row, which holds
    them as columns (`id`, `type`, `source`, `traceparent`, `tracestate`)."""

    def __getitem__(self, name: str, /) -> Any: ...
    def get(self, name: str, /) -> Any: ...


def kafka_headers(event: Attributes) -> list[tuple[str, bytes]]:
    """The record's headers: the content type and the `ce_id`, `ce_type` and `ce_source`
    attributes, so that a consumer can route or drop a record without parsing it, and the
    trace context (`ce_traceparent`, `ce_tracestate`, as the CloudEvents Kafka binding names
    the distributed tracing extension's attributes) when the event has one."""
    headers = [
        _CONTENT_TYPE_HEADER,
        ("ce_id", str(event["id"]).encode()),
        ("ce_type", event["type"].encode()),
        ("ce_source", event["source"].encode()),
    ]
    traceparent = event.get("traceparent")
    if traceparent:
        headers.append(("ce_traceparent", traceparent.encode()))
        tracestate = event.get("tracestate")
        if tracestate:
            headers.append(("ce_tracestate", tracestate.encode()))
    return headers


def new_event(
    *,
    source: str,
    tenant: str,
    subject: str,
    data: Payload,
    time: datetime | None = None,
    type: str | None = None,
) -> CloudEvent:
    """The one way to build an event: a fresh id, of the type its payload's class names.
    A `type` given as well must be the one the catalogue pairs with that payload."""
    spec = spec_for(type or _type_of(data))
    if not isinstance(data, spec.payload):
        raise TypeError(f"{type} carries {spec.payload.__name__}, not {data.__class__.__name__}")
    return CloudEvent(
        id=uuid.uuid4(),
        source=source,
        type=spec.type,
        time=time or datetime.now(UTC),
        subject=subject,
        tenant=tenant,
        dataschema=spec.dataschema,
        data=data.model_dump(mode="json", exclude_none=True),
    )


class PreparedEvent(NamedTuple):
    """An event built straight in its JSON form: what `CloudEvent.to_json` gives, for the
    outbox (`add_events` takes either). For a producer that writes events by the thousand
    (activity-service's batches), where the two pydantic models per event of `new_event`
    were a tenth of the batch; its `data` must be its payload's JSON form exactly (that
    producer's tests compare it with the payload model's). Its `id` is in its JSON form too.
    A tuple: a frozen dataclass sets each field through `object.__setattr__`, three times the
    cost of making a tuple, a thousand times a batch."""

    id: str
    type: str
    subject: str
    tenant: str
    json: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return self.json


def json_time(time: datetime) -> str:
    """A datetime as CloudEvent's JSON form writes it: ISO 8601 with its offset, UTC as `Z`."""
    text = time.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def prepared_event(
    *,
    source: str,
    tenant: str,
    subject: str,
    payload: type[Payload],
    data: dict[str, Any],
    time: str,
) -> PreparedEvent:
    """`new_event(...).to_json()` without the models: a fresh id, the type and dataschema of
    `payload`'s class, `data` as given (the payload's JSON form) and `time` (`json_time`).
    The id is a uuid4 as `uuid_utils` makes it: its text costs a twentieth of the standard
    library's `str(uuid.uuid4())`, which was a tenth of a thousand events' cost."""
    spec = spec_for(payload.event_type)
    event_id = str(uuid_utils.uuid4())
    return PreparedEvent(
        event_id,
        spec.type,
        subject,
        tenant,
        {
            "specversion": "1.0",
            "id": event_id,
            "source": source,
            "type": spec.type,
            "time": time,
            "subject": subject,
            "tenant": tenant,
            "datacontenttype": "application/json",
            "dataschema": spec.dataschema,
            "data": data,
        },
    )


def _type_of(data: Payload) -> str:
    try:
        return data.event_type
    except AttributeError:  # a base such as AuditEvent: no event of its own
        raise TypeError(f"{data.__class__.__name__} is no event's payload") from None


def parse_event(raw: bytes) -> CloudEvent:
    """Parse a Kafka record value; raises ValueError (or pydantic's subclass) when malformed."""
    return CloudEvent.model_validate(jsonutil.loads(raw))
