"""What an event type is: its topic, its aggregate and its payload model."""

from __future__ import annotations

import builtins
from dataclasses import dataclass

from qaf_shared.events.payloads import Payload

AUDIT_TOPIC = "qa.audit.events.v1"
ESCALATION_TOPIC = "qa.escalation.events.v1"
FEEDBACK_TOPIC = "qa.feedback.events.v1"
DLQ_TOPIC = "qa.reporting.dlq.v1"
DOMAIN_TOPICS = (AUDIT_TOPIC, ESCALATION_TOPIC, FEEDBACK_TOPIC)


@dataclass(frozen=True)
class EventSpec:
    type: str
    topic: str
    aggregate_type: str
    payload: builtins.type[Payload]

    @property
    def dataschema(self) -> str:
        return f"urn:qa:schemas:{self.type}"
