"""What an event type is: its payload model (which names the type), its topic and its
aggregate."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field

from qaf_shared.events.payloads import Payload

AUDIT_TOPIC = "qa.audit.events.v1"
ESCALATION_TOPIC = "qa.escalation.events.v1"
FEEDBACK_TOPIC = "qa.feedback.events.v1"
ACTIVITY_TOPIC = "qa.activity.events.v1"
DLQ_TOPIC = "qa.reporting.dlq.v1"
DOMAIN_TOPICS = (AUDIT_TOPIC, ESCALATION_TOPIC, FEEDBACK_TOPIC, ACTIVITY_TOPIC)


@dataclass(frozen=True)
class EventSpec:
    payload: builtins.type[Payload]
    topic: str
    aggregate_type: str
    # Read from the payload class, where the type string is written: a field, not a
    # property, since producers and the relay look it up for every event.
    type: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", self.payload.event_type)

    @property
    def dataschema(self) -> str:
        return f"urn:qa:schemas:{self.type}"
