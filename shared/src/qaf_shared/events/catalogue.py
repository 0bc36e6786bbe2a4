"""Which topic each event type goes to and which payload model it carries.

Topics are one per producing service so that an aggregate's events stay in order;
the record key is the aggregate id (the event's `subject`)."""

from __future__ import annotations

import builtins
from dataclasses import dataclass

from qaf_shared.events import payloads as p

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
    payload: builtins.type[p.Payload]

    @property
    def dataschema(self) -> str:
        return f"urn:qa:schemas:{self.type}"


_SPECS = (
    EventSpec("uk.gov.qa.audit.scheduled.v1", AUDIT_TOPIC, "audit", p.AuditScheduled),
    EventSpec("uk.gov.qa.audit.submitted.v1", AUDIT_TOPIC, "audit", p.AuditSubmitted),
)

CATALOGUE: dict[str, EventSpec] = {spec.type: spec for spec in _SPECS}


class UnknownEventType(LookupError):
    pass


def spec_for(event_type: str) -> EventSpec:
    try:
        return CATALOGUE[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None
