import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from qaf_shared.enums import Grade, PlanType
from qaf_shared.events.audit import AuditEvent, AuditScheduled, AuditSubmitted
from qaf_shared.events.catalogue import AUDIT_TOPIC, CATALOGUE, UnknownEventType, spec_for
from qaf_shared.events.envelope import (
    json_time,
    kafka_headers,
    kafka_value,
    new_event,
    parse_event,
    prepared_event,
)
from qaf_shared.events.payloads import OrgUnitRef


def _submitted() -> AuditSubmitted:
    return AuditSubmitted(
        audit_id=uuid.uuid4(),
        org_unit=OrgUnitRef(area="SOUTH", district="ASHFORD", team="ASH-CP1"),
        plan_type=PlanType.CP,
        submitted_on=date(2026, 5, 1),
        overall_grade=Grade.GOOD,
        final_grade=Grade.GOOD,
        child_voice_evident=True,
    )


def test_an_event_round_trips_through_its_wire_form() -> None:
    data = _submitted()
    event = new_event(
        type="uk.gov.qa.audit.submitted.v1",
        source="/services/audit-service",
        tenant="886",
        subject=str(data.audit_id),
        data=data,
    )
    parsed = parse_event(kafka_value(event.to_json()))
    assert parsed == event
    assert AuditSubmitted.model_validate(parsed.data) == data
    assert dict(kafka_headers(event.to_json()))["ce_type"] == b"uk.gov.qa.audit.submitted.v1"


def test_an_event_must_carry_the_payload_its_type_names() -> None:
    with pytest.raises(TypeError):
        new_event(
            type="uk.gov.qa.audit.scheduled.v1",
            source="/s",
            tenant="886",
            subject="x",
            data=_submitted(),
        )


def test_an_events_type_is_the_one_its_payload_class_names() -> None:
    event = new_event(source="/s", tenant="886", subject="x", data=_submitted())
    assert event.type == AuditSubmitted.event_type == "uk.gov.qa.audit.submitted.v1"
    assert event.dataschema == "urn:qa:schemas:uk.gov.qa.audit.submitted.v1"


def test_a_payload_base_is_no_events_payload() -> None:
    base = AuditEvent.model_validate(_submitted().model_dump())
    with pytest.raises(TypeError):
        new_event(source="/s", tenant="886", subject="x", data=base)


def test_the_catalogue_holds_each_payload_class_under_the_type_it_names() -> None:
    assert len({spec.payload for spec in CATALOGUE.values()}) == len(CATALOGUE)
    for event_type, spec in CATALOGUE.items():
        assert spec.type == event_type == spec.payload.event_type
        # A ClassVar, not a field: the payload's schema (deploy/schemas/) does not show it.
        assert "event_type" not in spec.payload.model_json_schema()["properties"]


def test_the_catalogue_routes_audit_events_to_the_audit_topic() -> None:
    assert spec_for("uk.gov.qa.audit.submitted.v1").topic == AUDIT_TOPIC
    assert spec_for("uk.gov.qa.audit.scheduled.v1").payload is AuditScheduled
    with pytest.raises(UnknownEventType):
        spec_for("uk.gov.qa.audit.nonsense.v1")


@pytest.mark.parametrize("raw", [b"not json", b"{}", b'{"id": "x"}', b"[1,2]"])
def test_malformed_records_do_not_parse(raw: bytes) -> None:
    with pytest.raises(ValueError):
        parse_event(raw)


def test_payloads_ignore_fields_they_do_not_know() -> None:
    original = _submitted()
    data = original.model_dump(mode="json")
    data["added_in_a_later_minor_version"] = 1
    assert AuditSubmitted.model_validate(data) == original


@pytest.mark.parametrize(
    "time",
    [
        datetime(2026, 5, 1, 9, 30, 15, 123456, tzinfo=UTC),
        datetime(2026, 5, 1, tzinfo=UTC),
        datetime(2026, 5, 1, 10, 0, 0, 7, tzinfo=timezone(timedelta(hours=1))),
    ],
)
def test_a_prepared_event_is_the_json_form_new_event_gives(time: datetime) -> None:
    data = _submitted()
    by_model = new_event(
        source="/services/audit-service",
        tenant="886",
        subject=str(data.audit_id),
        data=data,
        time=time,
    ).to_json()
    prepared = prepared_event(
        source="/services/audit-service",
        tenant="886",
        subject=str(data.audit_id),
        payload=AuditSubmitted,
        data=data.model_dump(mode="json", exclude_none=True),
        time=json_time(time),
    )
    assert {**prepared.to_json(), "id": by_model["id"]} == by_model
    assert prepared.to_json()["id"] == str(prepared.id)
    assert (prepared.type, prepared.subject, prepared.tenant) == (
        "uk.gov.qa.audit.submitted.v1",
        str(data.audit_id),
        "886",
    )
    assert parse_event(kafka_value(prepared.to_json())).data == by_model["data"]


def test_a_traced_events_context_travels_in_the_ce_trace_headers_too() -> None:
    event = new_event(source="/s", tenant="886", subject="x", data=_submitted()).to_json()
    assert not any(name.startswith("ce_trace") for name, _ in kafka_headers(event))
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    traced = {**event, "traceparent": traceparent, "tracestate": "qa=1"}
    headers = dict(kafka_headers(traced))
    assert headers["ce_traceparent"] == traceparent.encode()
    assert headers["ce_tracestate"] == b"qa=1"
    parsed = parse_event(kafka_value(traced))
    assert (parsed.traceparent, parsed.tracestate) == (traceparent, "qa=1")
