"""The escalation as callers see it, built straight in its JSON form (`escalation_out`), against
what its response model makes of the same row and stages: the same bytes (keys in the model's
order, values in its JSON form, derived fields included), for varied rows and days."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import pytest

from escalation_service.api.schemas.escalations import EscalationOut, escalation_out
from escalation_service.domain.lifecycle import closed_on, is_late, is_overdue
from escalation_service.domain.stages import ADDRESSEE
from escalation_service.domain.timescales import formal_limit_breached
from qaf_shared import jsonutil
from qaf_shared.enums import EscalationStage, EscalationStatus

from .rows import RAISED_ON, ROWS, stages_of


def _by_the_model(
    row: Mapping[str, Any], stages: Sequence[Mapping[str, Any]], today: date
) -> dict[str, Any]:
    """The resource as its model made it before it was built in its JSON form."""
    status = EscalationStatus(row["status"])
    data = {
        **{k: row[k] for k in EscalationOut.model_fields if k in row},
        "categories": list(row["categories"]),
        "addressee_role": ADDRESSEE[EscalationStage(row["stage"])],
        "overdue": is_overdue(status, row["stage_due_date"], today),
        "formal_limit_breached": formal_limit_breached(
            row["formal_deadline"], closed_on(row), today
        ),
        "stages": [
            {
                **s,
                "overdue": s["closed_on"] is None
                and s["seq"] == row["stage_seq"]
                and is_overdue(status, s["due_date"], today),
                "response": None
                if s["responded_on"] is None
                else {
                    "responder": s["responder"],
                    "response": s["response"],
                    "responded_on": s["responded_on"],
                    "late": is_late(s["responded_on"], s["due_date"]),
                },
            }
            for s in stages
        ],
    }
    return EscalationOut.model_validate(data).model_dump(mode="json")


# Before the current stage's due date, after it, and after the formal limits.
DAYS = [RAISED_ON + timedelta(days=10), RAISED_ON + timedelta(days=20), date(2026, 6, 1)]


@pytest.mark.parametrize("today", DAYS)
def test_the_resource_is_what_its_model_makes_of_the_same_row(today: date) -> None:
    for row in ROWS:
        for stages in (stages_of(row), stages_of(row)[:1], []):
            ours = escalation_out(row, stages, today)
            assert jsonutil.dumpb(ours) == jsonutil.dumpb(_by_the_model(row, stages, today))


def test_the_rows_show_each_derived_field_both_ways() -> None:
    """The comparison above sees every derived flag true and false, and nulls and values."""
    shown = [escalation_out(r, stages_of(r), day) for r in ROWS for day in DAYS]
    assert {e["overdue"] for e in shown} == {True, False}
    assert {e["formal_limit_breached"] for e in shown} == {True, False}
    assert {e["stages"][1]["overdue"] for e in shown} == {True, False}
    assert {e["stages"][1]["response"] is None for e in shown} == {True, False}
    assert {e["stages"][0]["response"]["late"] for e in shown} == {True}
    assert {e["cafcass_referred_at"] is None for e in shown} == {True, False}
    assert {e["formal_deadline"] is None for e in shown} == {True, False}
