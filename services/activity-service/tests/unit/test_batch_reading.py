"""A batch's records read in one call (`read_records`) are read exactly as each is read alone
(`read_record`): the same RecordIn for a good one, the same issues, in the same order, for a
bad one, whatever else the batch holds."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from activity_service.api.schemas.records import (
    ActivityBatch,
    CheckedRecords,
    read_record,
    read_records,
)
from activity_service.domain.records import RecordIn
from qaf_shared.org_units import OrgUnitDirectory
from qaf_shared.testing.activity_returns import child_refs, generate, rest_batches

KENT = OrgUnitDirectory().tenant("886")


def _generated(children: int) -> list[dict[str, Any]]:
    kids = list(generate(seed=18, refs=child_refs(children, prefix="RB")))
    return [record for step in rest_batches(kids) for record in step.records]


def _alone(raws: list[Any]) -> list[Any]:
    assert KENT is not None
    return [_comparable(read_record(copy.deepcopy(raw), KENT)) for raw in raws]


def _together(raws: list[Any]) -> list[Any]:
    assert KENT is not None
    return [_comparable(read) for read in read_records(copy.deepcopy(raws), KENT)]


def _comparable(read: RecordIn | list[Any]) -> Any:
    if isinstance(read, RecordIn):
        return ("in", read.kind, read.child_ref, dict(read.facts), read.unit, read.key)
    return ("issues", [issue.to_json() for issue in read])


def test_a_generated_batch_reads_as_its_records_read_alone_and_every_record_is_good() -> None:
    raws = _generated(120)
    together = _together(raws)
    assert together == _alone(raws)
    assert {read[0] for read in together} == {"in"}


# Each a change to a good record that `read_record` refuses, or that is near a refusal.
_BREAKS: list[tuple[str, Any]] = [
    ("impossible date", {"referral_date": "2025-02-30"}),
    ("date with a time", {"referral_date": "2025-02-03T00:00:00"}),
    ("date and a newline", {"referral_date": "2025-02-03\n"}),
    ("date of wide digits", {"referral_date": "２０２５-02-03"}),
    ("date as a number", {"referral_date": 20250203}),
    ("date left out", {"referral_date": None}),
    ("unknown field", {"colour": "blue"}),
    ("code too long", {"primary_need": "N123456789"}),
    ("code of the wrong shape", {"primary_need": "N-1"}),
    ("code as a number", {"primary_need": 1}),
    ("bool as text", {"nfa": "true"}),
    ("fact cleared", {"closure_date": None}),
    ("unknown team", {"team": "NOPE"}),
    ("team cleared", {"team": None}),
    ("team and service", {"service": "KCC-ADOPT"}),
    ("child_ref of the wrong shape", {"child_ref": "a b"}),
    ("unknown kind", {"kind": "meeting"}),
    ("no kind", {"kind": None}),
]


@pytest.mark.parametrize("change", [change for _, change in _BREAKS], ids=[n for n, _ in _BREAKS])
def test_a_broken_record_among_good_ones_reads_as_it_reads_alone(change: dict[str, Any]) -> None:
    raws = _generated(3)
    first = next(i for i, raw in enumerate(raws) if raw["kind"] == "referral")
    raws[first] = {**raws[first], **change}
    assert _together(raws) == _alone(raws)


def test_records_that_are_no_objects_read_as_they_read_alone() -> None:
    raws = [1, "referral", None, [], *_generated(2)]
    together = _together(raws)
    assert together == _alone(raws)
    assert [read[0] for read in together[:4]] == ["issues"] * 4


def _read_from_json(raws: Any) -> tuple[list[Any], list[Any]]:
    """The records `ActivityBatch.read_json` gives for a body of `raws`, and what
    `read_records` makes of them."""
    assert KENT is not None
    records = ActivityBatch.read_json(orjson.dumps({"records": raws})).records
    return records, [_comparable(read) for read in read_records(records, KENT)]


def test_a_good_batchs_body_is_read_and_checked_in_one_pass_as_model_validate_json_reads_it() -> (
    None
):
    raws = _generated(120)[:1000]
    records, read = _read_from_json(raws)
    assert isinstance(records, CheckedRecords)
    assert records == ActivityBatch.model_validate_json(orjson.dumps({"records": raws})).records
    assert read == _alone(raws)


@pytest.mark.parametrize("change", [change for _, change in _BREAKS], ids=[n for n, _ in _BREAKS])
def test_a_body_with_a_broken_record_is_read_as_model_validate_json_reads_it(
    change: dict[str, Any],
) -> None:
    raws = _generated(3)
    first = next(i for i, raw in enumerate(raws) if raw["kind"] == "referral")
    raws[first] = {**raws[first], **change}
    records, read = _read_from_json(raws)
    assert records == ActivityBatch.model_validate_json(orjson.dumps({"records": raws})).records
    assert read == _alone(raws)


@pytest.mark.parametrize(
    "body",
    [
        {"records": []},
        {"records": _generated(120)[:1001]},
        {"records": _generated(1), "more": 1},
        {"records": {"kind": "referral"}},
        {},
        [],
    ],
    ids=["no records", "1001 records", "unknown field", "records no list", "empty", "a list"],
)
def test_a_body_model_validate_json_refuses_is_refused_with_its_errors(body: Any) -> None:
    raw = orjson.dumps(body)
    with pytest.raises(ValidationError) as expected:
        ActivityBatch.model_validate_json(raw)
    with pytest.raises(ValidationError) as refused:
        ActivityBatch.read_json(raw)
    assert refused.value.errors() == expected.value.errors()
