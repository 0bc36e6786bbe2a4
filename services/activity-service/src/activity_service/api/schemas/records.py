"""The bodies of the activity records' routes, built from `kinds.FACTS` so that a kind's shape
is written once: a record per kind (a union on `kind`), the batch and its results, the
withdrawals, and the list."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal, NotRequired, Required, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    create_model,
    with_config,
)

# pydantic reads typing's own TypedDict only from Python 3.12 on.
from typing_extensions import TypedDict

from activity_service.domain.kinds import FACTS, KEY_DATE, FactType, Kind
from activity_service.domain.records import UNKNOWN_KIND, Issue, NaturalKey, RecordIn, resolve_unit
from activity_service.handlers.records import Result
from qaf_shared.http.org_units import UnitCode
from qaf_shared.http.schemas import Strict
from qaf_shared.org_units import TenantUnits
from qaf_shared.text import storable

MAX_BATCH = 1000

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: object) -> object:
    # JSON has no dates: only `YYYY-MM-DD` is one here (not a number, not a timestamp).
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("must be a date, YYYY-MM-DD")
    return date.fromisoformat(value)


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Code = Annotated[StrictStr, Field(min_length=1, max_length=8, pattern=r"^[A-Za-z0-9]+$")]
ChildRef = Annotated[
    StrictStr,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9/\-_.]+$",
        description="The case-management system's id of the child (the CIN census LAchildID); "
        "kept by activity-service, never published",
    ),
]

_TYPES: dict[FactType, Any] = {
    date: IsoDate,
    bool: StrictBool,
    int: StrictInt,
    str: Code,
    "list[str]": Annotated[list[Code], Field(max_length=64)],
    "list[date]": Annotated[list[IsoDate], Field(max_length=100)],
}


def _record_model(kind: Kind) -> type[BaseModel]:
    """A record of `kind` as a caller writes it: the natural key's facts (the key date, a
    visit's plan type) are required; any other fact left out keeps its stored value, and
    null clears it; `team` or `service` names its unit (null: tenant level)."""
    key = {KEY_DATE[kind], *(("plan_type",) if kind is Kind.VISIT else ())}
    fields: dict[str, Any] = {
        "kind": (Literal[kind.value], ...),
        "child_ref": (ChildRef, ...),
    }
    for name, fact_type in FACTS[kind].items():
        field_type = _TYPES[fact_type]
        if name == "plan_type":
            field_type = Literal["CIN", "CP", "CLA"]
        fields[name] = (field_type, ...) if name in key else (field_type | None, None)
    fields["team"] = (UnitCode | None, None)
    fields["service"] = (UnitCode | None, None)
    return create_model(
        f"{kind.value.title().replace('_', '')}Record",
        __config__=ConfigDict(extra="forbid"),
        **fields,
    )


RECORD_MODELS: dict[Kind, type[BaseModel]] = {kind: _record_model(kind) for kind in Kind}


def _issues(exc: ValidationError) -> list[Issue]:
    rules = {"missing": "required", "extra_forbidden": "unknown_field"}
    return [
        Issue(
            # A path can hold a caller's own key (an unknown field's name): made storable.
            storable(".".join(str(p) for p in err["loc"]))[:100] or "record",
            rules.get(err["type"], "invalid"),
            err["msg"],
        )
        for err in exc.errors(include_url=False, include_input=False)
    ]


def _validated(
    raw: object, models: Mapping[Kind, type[BaseModel]]
) -> tuple[Kind, BaseModel] | list[Issue]:
    """`raw` read by its kind's model in `models`; or why it cannot be."""
    if not isinstance(raw, dict):
        return [Issue("record", "invalid", "must be a JSON object")]
    try:
        kind = Kind(str(raw.get("kind")))
    except ValueError:
        return [Issue("kind", UNKNOWN_KIND, f"must be one of {', '.join(Kind)}")]
    try:
        return kind, models[kind].model_validate(raw)
    except ValidationError as exc:
        return _issues(exc)


def read_record(raw: object, units: TenantUnits) -> RecordIn | list[Issue]:
    """One record of a batch, read on its own (a bad one is that record's REJECTED, never the
    batch's 422): its facts in JSON form, as given, and its unit resolved."""
    validated = _validated(raw, RECORD_MODELS)
    if isinstance(validated, list):
        return validated
    kind, _ = validated
    assert isinstance(raw, dict)
    return _record_in(kind, raw, units)


def _record_in(kind: Kind, raw: dict[str, Any], units: TenantUnits) -> RecordIn | list[Issue]:
    """A valid record's `RecordIn`. Valid, the record's own JSON values are already their
    JSON form (an ISO date as the model writes it back, strict bools, ints and codes): what
    the model's dump of the set fields would give, without building it a thousand times a
    batch."""
    unit, issues = resolve_unit(units, raw)
    if issues:
        return issues
    # The record less what is no fact (a copy: the body's dict stays as it came).
    facts = raw.copy()
    del facts["kind"], facts["child_ref"]
    facts.pop("team", None)
    facts.pop("service", None)
    return RecordIn(kind, raw["child_ref"], facts, unit)


# The same records as `RECORD_MODELS` take, checked in one call for a whole batch, in Rust
# alone: typed dicts rather than models (nothing is built of them), and a date as text of
# its ASCII shape (`_iso_date`'s test, less its reading, which `RecordIn` does). Whatever
# this takes, `RECORD_MODELS` takes too; a record it refuses is read on its own by them, so
# every refusal is theirs, word for word.
_DATE_TEXT = Annotated[StrictStr, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
_CHECKED_TYPES: dict[FactType, Any] = {
    **_TYPES,
    date: _DATE_TEXT,
    "list[date]": Annotated[list[_DATE_TEXT], Field(max_length=100)],
}


def _checked_shape(kind: Kind) -> Any:
    key = {KEY_DATE[kind], *(("plan_type",) if kind is Kind.VISIT else ())}
    fields: dict[str, Any] = {
        "kind": Required[Literal[kind.value]],
        "child_ref": Required[ChildRef],
    }
    for name, fact_type in FACTS[kind].items():
        field_type = _CHECKED_TYPES[fact_type]
        if name == "plan_type":
            field_type = Literal["CIN", "CP", "CLA"]
        fields[name] = Required[field_type] if name in key else NotRequired[field_type | None]
    fields["team"] = NotRequired[UnitCode | None]
    fields["service"] = NotRequired[UnitCode | None]
    shape = TypedDict(f"{kind.value.title().replace('_', '')}Checked", fields)  # type: ignore[misc]
    return with_config(ConfigDict(extra="forbid"))(shape)


_CHECKED: Any = Annotated[
    Union[tuple(_checked_shape(kind) for kind in Kind)],  # noqa: UP007
    Field(discriminator="kind"),
]
_BATCH_CHECK: TypeAdapter[list[Any]] = TypeAdapter(list[_CHECKED])
_KINDS = {kind.value: kind for kind in Kind}


class CheckedRecords(list[Any]):
    """A batch's records that passed `_BATCH_CHECK`'s check already (read from the body's
    JSON by `ActivityBatch.read_json`): `read_records` does not check them again."""


def read_records(raws: list[Any], units: TenantUnits) -> list[RecordIn | list[Issue]]:
    """A batch's records, each as `read_record` reads it: the whole batch checked in one call
    first (unless `raws` were, `CheckedRecords`), and only the records that call refuses (or
    whose dates are not in the calendar) read one by one, for their issues."""
    refused: set[int] = set()
    if not isinstance(raws, CheckedRecords):
        try:
            _BATCH_CHECK.validate_python(raws)
        except ValidationError as exc:
            refused = {err["loc"][0] for err in exc.errors(include_url=False, include_input=False)}  # type: ignore[misc]
    read: list[RecordIn | list[Issue]] = []
    for index, raw in enumerate(raws):
        if index not in refused:
            try:
                read.append(_record_in(_KINDS[raw["kind"]], raw, units))
                continue
            except ValueError:  # a date of the right shape that no calendar has
                pass
        read.append(read_record(raw, units))
    return read


def _key_model(kind: Kind) -> type[BaseModel]:
    fields: dict[str, Any] = {
        "kind": (Literal[kind.value], ...),
        "child_ref": (ChildRef, ...),
        KEY_DATE[kind]: (IsoDate, ...),
    }
    if kind is Kind.VISIT:
        fields["plan_type"] = (Literal["CIN", "CP", "CLA"], ...)
    return create_model(
        f"{kind.value.title().replace('_', '')}Key",
        __config__=ConfigDict(extra="forbid"),
        **fields,
    )


KEY_MODELS: dict[Kind, type[BaseModel]] = {kind: _key_model(kind) for kind in Kind}


def read_key(raw: object) -> NaturalKey | list[Issue]:
    """One withdrawal: the record's natural key."""
    validated = _validated(raw, KEY_MODELS)
    if isinstance(validated, list):
        return validated
    kind, model = validated
    values = model.model_dump()
    return NaturalKey(
        kind, values["child_ref"], values[KEY_DATE[kind]], values.get("plan_type", "")
    )


def _one_of(models: Mapping[Kind, type[BaseModel]]) -> dict[str, Any]:
    """Each kind's shape, for the OpenAPI document (the models have no nested definitions)."""
    return {"oneOf": [model.model_json_schema() for model in models.values()]}


class ActivityBatch(Strict):
    """1-1000 records. Each is checked on its own and answered in `results`, in order, so
    the body only insists on the list; each kind's shape is documented."""

    records: list[Any] = Field(
        min_length=1, max_length=MAX_BATCH, json_schema_extra={"items": _one_of(RECORD_MODELS)}
    )

    @classmethod
    def read_json(cls, raw: bytes) -> ActivityBatch:
        """The batch as `model_validate_json` reads it, its records checked as `read_records`
        checks them in the same pass over the JSON when every one is good (the common case:
        parsing the body into values and checking those values again was two passes over a
        thousand records); otherwise `model_validate_json`'s, for `read_records` to check."""
        try:
            checked = _BATCH_JSON.validate_json(raw)
        except ValidationError:
            return cls.model_validate_json(raw)
        return cls.model_construct(records=CheckedRecords(checked["records"]))


# `ActivityBatch` with `_BATCH_CHECK`'s records: what it takes, `ActivityBatch` takes too,
# with records equal to its own (`tests/unit/test_batch_reading.py`).
_BATCH_JSON: TypeAdapter[dict[str, Any]] = TypeAdapter(
    with_config(ConfigDict(extra="forbid"))(
        TypedDict(  # type: ignore[operator]
            "CheckedBatch",
            {
                "records": Required[
                    Annotated[list[_CHECKED], Field(min_length=1, max_length=MAX_BATCH)]
                ]
            },
        )
    )
)


class WithdrawalBatch(Strict):
    """1-1000 records to withdraw, each by its natural key."""

    records: list[Any] = Field(
        min_length=1, max_length=MAX_BATCH, json_schema_extra={"items": _one_of(KEY_MODELS)}
    )


class IssueOut(BaseModel):
    field: str
    rule: str = Field(description="The rule's stable name (`required`, `code_not_in_list`, ...)")
    message: str


class RecordResult(BaseModel):
    index: int = Field(description="The record's position in the batch, from 0")
    status: Literal["ACCEPTED", "UNCHANGED", "REJECTED"]
    id: uuid.UUID | None = Field(default=None, description="The record's id (not REJECTED)")
    errors: list[IssueOut] | None = Field(default=None, description="Why (REJECTED)")
    warnings: list[IssueOut] | None = Field(
        default=None, description="Kept, with a remark (an ICPC before its S47's start)"
    )


class BatchResult(BaseModel):
    results: list[RecordResult]


class WithdrawalResult(BaseModel):
    index: int
    status: Literal["WITHDRAWN", "NOT_FOUND", "REJECTED"]
    id: uuid.UUID | None = None
    errors: list[IssueOut] | None = None


class WithdrawalResults(BaseModel):
    results: list[WithdrawalResult]


def _out_model(kind: Kind) -> type[BaseModel]:
    fields: dict[str, Any] = {
        "id": (uuid.UUID, ...),
        "kind": (Literal[kind.value], ...),
        "child_ref": (str, ...),
        "area": (str | None, None),
        "district": (str | None, None),
        "team": (str | None, None),
        "service": (str | None, None),
        "source": (Literal["REST", "CIN_CENSUS", "SSDA903", "ANNEX_A"], ...),
        "version": (int, ...),
        "updated_at": (datetime, ...),
        "derived": (
            dict[str, Any],
            Field(description="The facts derived from the child's history"),
        ),
    }
    for name, fact_type in FACTS[kind].items():
        fields[name] = (_TYPES[fact_type] | None, None)
    return create_model(f"{kind.value.title().replace('_', '')}RecordOut", **fields)


# Built, not declared: the kinds' shapes come from `kinds.FACTS` (a discriminated union for the
# OpenAPI document; the list answers rows shaped by `record_out`).
_RECORD_OUT: Any = Annotated[
    Union[tuple(_out_model(kind) for kind in Kind)],  # noqa: UP007
    Field(discriminator="kind"),
]
RecordPage: type[BaseModel] = create_model(
    "RecordPage", items=(list[_RECORD_OUT], ...), next_cursor=(str | None, ...)
)


def record_out(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored record as the list shows it: its unit, its facts and what is derived."""
    return {
        "id": str(row["id"]),
        "kind": row["kind"],
        "child_ref": row["child_ref"],
        "area": row["area"],
        "district": row["district"],
        "team": row["team"],
        "service": row["service"],
        "source": row["source"],
        "version": row["version"],
        "updated_at": row["updated_at"].isoformat(),
        # Every fact of the kind, null where none is stored.
        **{name: row["facts"].get(name) for name in FACTS[Kind(row["kind"])]},
        "derived": row["derived"],
    }


def results_out(results: list[Result]) -> dict[str, Any]:
    return {"results": [r.to_json() for r in results]}
