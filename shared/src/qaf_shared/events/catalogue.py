"""Every event type: which topic it goes to and which payload model it carries.

Topics are one per producing service so that an aggregate's events stay in order;
the record key is the aggregate id (the event's `subject`)."""

from __future__ import annotations

from qaf_shared.events.activity import ACTIVITY_EVENTS
from qaf_shared.events.audit import AUDIT_EVENTS
from qaf_shared.events.escalation import ESCALATION_EVENTS
from qaf_shared.events.feedback import FEEDBACK_EVENTS
from qaf_shared.events.spec import (
    ACTIVITY_TOPIC,
    AUDIT_TOPIC,
    DLQ_TOPIC,
    DOMAIN_TOPICS,
    ESCALATION_TOPIC,
    FEEDBACK_TOPIC,
    EventSpec,
)

CATALOGUE: dict[str, EventSpec] = {
    spec.type: spec
    for spec in (*AUDIT_EVENTS, *ESCALATION_EVENTS, *FEEDBACK_EVENTS, *ACTIVITY_EVENTS)
}


class UnknownEventType(LookupError):
    pass


def spec_for(event_type: str) -> EventSpec:
    try:
        return CATALOGUE[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


__all__ = [
    "ACTIVITY_TOPIC",
    "AUDIT_TOPIC",
    "CATALOGUE",
    "DLQ_TOPIC",
    "DOMAIN_TOPICS",
    "ESCALATION_TOPIC",
    "FEEDBACK_TOPIC",
    "EventSpec",
    "UnknownEventType",
    "spec_for",
]
