"""One activity record's rules, free of I/O (docs/activity.md, The records): what a record must
carry, the DfE's codes and date order and its natural key (a write merges with what is stored
as `qaf_shared.merge_patch` merges). Every route (REST and the return loads) writes records
through these.

Facts are held in their JSON form (dates as ISO strings), as they are stored and published;
`typed_facts` gives the typed view the rules and the history read. An issue names the fact,
a stable rule name and a message, and never the value: values can be personal data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any, Final, NamedTuple

from activity_service.domain.codes import CURRENT, CodeLists
from activity_service.domain.kinds import FACTS, KEY_DATE, REQUIRED, Kind
from qaf_shared.dates import EARLIEST_DATE
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.org_units import TenantUnits

# The rules' stable names, what callers and load reports match on.
REQUIRED_RULE: Final = "required"
CODE_NOT_IN_LIST: Final = "code_not_in_list"
DATE_ORDER: Final = "date_order"
DATE_IN_FUTURE: Final = "date_in_future"
DATE_TOO_EARLY: Final = "date_too_early"
NEGATIVE: Final = "negative"
ICPC_BEFORE_S47: Final = "icpc_before_s47_start"
EPISODES_OVERLAP: Final = "episodes_overlap"
UNKNOWN_TEAM: Final = "unknown_team"
UNKNOWN_SERVICE: Final = "unknown_service"
TEAM_AND_SERVICE: Final = "team_and_service"
DUPLICATE_KEY: Final = "duplicate_key"
UNKNOWN_KIND: Final = "unknown_kind"

# Facts that name a date still to come (a conference's target date) rather than one that has
# happened.
_MAY_BE_FUTURE: Final = frozenset({(Kind.S47_ENQUIRY, "icpc_target_date")})


@dataclass(frozen=True, slots=True)
class Issue:
    """Why a record is refused (an error) or kept with a remark (a warning)."""

    field: str
    rule: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": self.message}


class Keep(Enum):
    """A write that names neither `team` nor `service`: the stored unit stays."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP


class NaturalKey(NamedTuple):
    """What makes two writes the same record: child_ref, the kind's first date, and for a
    visit its plan type ('' for every other kind). A tuple: a batch hashes a few of these per
    record, and a tuple's hash is C's where a dataclass's is Python's."""

    kind: Kind
    child_ref: str
    key_date: date
    plan_type: str = ""


@dataclass(slots=True)
class RecordIn:
    """One record as a route writes it: `facts` in JSON form, the key date always among them;
    a fact given as None clears the stored one, a fact left out keeps it. `unit` is the org
    unit resolved from its `team` or `service` (None clears it; KEEP keeps it). `typed` is
    `facts` with their types (`typed_facts`), worked out once here for the rules and the
    derivation; a date that is no date raises ValueError, a key date left out KeyError.
    Not frozen, though nothing changes one once made: a batch makes a thousand, and a frozen
    dataclass sets each field through `object.__setattr__` (three times the cost)."""

    kind: Kind
    child_ref: str
    facts: dict[str, Any]
    unit: OrgUnitRef | Keep | None = KEEP
    typed: dict[str, object] = field(init=False)
    key: NaturalKey = field(init=False)

    def __post_init__(self) -> None:
        kind = self.kind
        typed = typed_facts(kind, self.facts)
        plan_type = self.facts.get("plan_type") if kind is Kind.VISIT else ""
        key_date = typed[KEY_DATE[kind]]
        if not isinstance(key_date, date):
            raise TypeError("a record's key date cannot be null")
        self.typed = typed
        self.key = NaturalKey(kind, self.child_ref, key_date, plan_type or "")


def json_facts(facts: Mapping[str, object]) -> dict[str, Any]:
    """Typed facts (a return reader's, `kinds.FACTS` types) in their JSON form, as a
    `RecordIn` takes them; None stays None (it clears the stored fact)."""
    return {name: _json_value(value) for name, value in facts.items()}


def _json_value(value: object) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [v.isoformat() if isinstance(v, date) else v for v in value]
    return value


# Each kind's date facts and list-of-dates facts: the only ones whose JSON form is not their
# typed value.
_DATES: Final = {
    kind: tuple(n for n, t in facts.items() if t is date) for kind, facts in FACTS.items()
}
_DATE_LISTS: Final = {
    kind: tuple(n for n, t in facts.items() if t == "list[date]") for kind, facts in FACTS.items()
}


def typed_facts(kind: Kind, facts: Mapping[str, Any]) -> dict[str, object]:
    """The facts with their `kinds.FACTS` types (ISO dates as dates); None stays None."""
    typed = dict(facts)
    for name in _DATES[kind]:
        value = facts.get(name)
        if value is not None:
            typed[name] = date.fromisoformat(value)
    for name in _DATE_LISTS[kind]:
        value = facts.get(name)
        if value is not None:
            typed[name] = [date.fromisoformat(v) for v in value]
    return typed


# What `check` goes through per kind, worked out once: the facts it must carry (the key
# date first) and its date facts (each with whether it must be in the past); the coded facts'
# lists are the collection year's `CodeLists.coded`.
_MUST_GIVE: Final = {kind: (KEY_DATE[kind], *sorted(REQUIRED[kind])) for kind in Kind}
_DATED: Final = {
    kind: {n: (kind, n) not in _MAY_BE_FUTURE for n in (*_DATES[kind], *_DATE_LISTS[kind])}
    for kind in Kind
}


def check(
    kind: Kind,
    facts: Mapping[str, Any],
    *,
    today: date,
    codes: CodeLists = CURRENT,
    typed: Mapping[str, object] | None = None,
) -> tuple[list[Issue], list[Issue]]:
    """A record's errors and warnings, from its whole facts after the merge (JSON form, every
    value of its `kinds.FACTS` type; `typed`: the same as `typed_facts` gives them, when the
    caller has them already)."""
    errors: list[Issue] = []
    warnings: list[Issue] = []
    for name in _MUST_GIVE[kind]:
        if facts.get(name) is None:
            errors.append(Issue(name, REQUIRED_RULE, f"a {kind} must give {name}"))
    if typed is None:
        typed = typed_facts(kind, facts)
    _code_errors(kind, typed, codes, errors)
    _date_errors(kind, typed, today, errors)
    previous = typed.get("previous_plans")
    if isinstance(previous, int) and previous < 0:
        errors.append(Issue("previous_plans", NEGATIVE, "cannot be negative"))
    _order(kind, typed, errors, warnings)
    return errors, warnings


def _code_errors(
    kind: Kind, typed: Mapping[str, object], codes: CodeLists, errors: list[Issue]
) -> None:
    coded = codes.coded[kind]
    # A record holds a handful of coded facts among its others: those are looked at first, and
    # only a record with a bad code goes through its facts in their order, as errors are listed.
    for name, listed in coded.items():
        value = typed.get(name, _ABSENT)
        if value is _ABSENT or (
            value in listed
            if type(value) is str
            else type(value) is list and all(type(v) is str and v in listed for v in value)
        ):
            continue
        break
    else:
        return
    for name, value in typed.items():
        allowed = coded.get(name)
        if allowed is None:
            continue
        if isinstance(value, str):
            bad = value not in allowed
        else:
            bad = any(v not in allowed for v in (value if isinstance(value, list) else [value]))
        if bad:
            errors.append(
                Issue(
                    name,
                    CODE_NOT_IN_LIST,
                    f"not a code of the {codes.year} collection's list for {name}",
                )
            )


_ABSENT: Final = object()


def _date_errors(kind: Kind, typed: Mapping[str, object], today: date, errors: list[Issue]) -> None:
    # In the facts' order, as the errors are listed; a record with none (nearly every one) is
    # found so by looking at its date facts alone.
    dated = _DATED[kind]
    for name, only_past in dated.items():
        value = typed.get(name)
        for day in value if isinstance(value, list) else (value,):
            if isinstance(day, date) and ((only_past and day > today) or day < EARLIEST_DATE):
                break
        else:
            continue
        break
    else:
        return
    for name, value in typed.items():
        past = dated.get(name)
        if past is None:
            continue
        for day in value if isinstance(value, list) else [value]:
            if not isinstance(day, date):
                break
            if past and day > today:
                errors.append(Issue(name, DATE_IN_FUTURE, "cannot be in the future"))
                break
            if day < EARLIEST_DATE:
                errors.append(
                    Issue(name, DATE_TOO_EARLY, f"cannot be before {EARLIEST_DATE.isoformat()}")
                )
                break


def _before(typed: Mapping[str, object], first: str, then: str, *, strictly: bool = False) -> bool:
    """Both dates are given and `then` comes before `first` (or on it, when `strictly`)."""
    a, b = typed.get(first), typed.get(then)
    if not isinstance(a, date) or not isinstance(b, date):
        return False
    return b <= a if strictly else b < a


# The DfE's date order per kind: (first, then, strictly): `then` must be on or after `first`
# (strictly after, when `strictly`).
_ORDER: Final[dict[Kind, tuple[tuple[str, str, bool], ...]]] = {
    **{kind: () for kind in Kind},
    Kind.REFERRAL: (("referral_date", "closure_date", False),),
    Kind.ASSESSMENT: (
        ("referral_date", "start_date", False),
        ("start_date", "authorised_date", False),
    ),
    Kind.S47_ENQUIRY: (("referral_date", "start_date", False),),
    Kind.CP_PLAN: (("start_date", "end_date", False),),
    Kind.CARE_EPISODE: (("start_date", "end_date", True),),
}


def _order(
    kind: Kind, typed: Mapping[str, object], errors: list[Issue], warnings: list[Issue]
) -> None:
    """The DfE's date order for the kind (docs/activity.md, The records)."""
    for first, then, strictly in _ORDER[kind]:
        if _before(typed, first, then, strictly=strictly):
            word = "after" if strictly else "on or after"
            errors.append(Issue(then, DATE_ORDER, f"must be {word} {first}"))
    if kind is Kind.S47_ENQUIRY:
        # Real returns hold these and the DfE's tables leave them out: kept, with a warning,
        # and counted in no ICPC measure.
        if _before(typed, "start_date", "icpc_date"):
            warnings.append(
                Issue("icpc_date", ICPC_BEFORE_S47, "the ICPC is dated before the S47's start")
            )
    elif kind is Kind.CP_PLAN:
        start = typed.get("start_date")
        reviews = typed.get("review_dates")
        if (
            isinstance(start, date)
            and isinstance(reviews, list)
            and any(isinstance(r, date) and r < start for r in reviews)
        ):
            errors.append(Issue("review_dates", DATE_ORDER, "must be on or after start_date"))


Span = tuple[date, date | None]
"""An episode's start and end (None: still open)."""


def episode_span(facts: Mapping[str, Any]) -> Span:
    """A care episode's days, from its JSON-form facts."""
    end = facts.get("end_date")
    return date.fromisoformat(facts["start_date"]), (
        date.fromisoformat(end) if end is not None else None
    )


def overlaps(span: Span, others: Iterable[Span]) -> bool:
    """`span` shares a day with one of `others`. An episode ends on the day the next begins
    (SSDA903's DEC of one is the DECOM of the next), so that day belongs to the later one."""
    start, end = span
    for other_start, other_end in others:
        if (other_end is None or start < other_end) and (end is None or other_start < end):
            return True
    return False


def resolve_unit(
    units: TenantUnits, given: Mapping[str, Any]
) -> tuple[OrgUnitRef | Keep | None, list[Issue]]:
    """The unit a write names by its `team` or `service` code (a team of the tenant's tree, or
    a county-wide service): KEEP when it names neither, None when it clears it (null)."""
    has_team, has_service = "team" in given, "service" in given
    if not has_team and not has_service:
        return KEEP, []
    team, service = given.get("team"), given.get("service")
    if team is not None and service is not None:
        return None, [Issue("team", TEAM_AND_SERVICE, "give a team or a service, not both")]
    if team is not None:
        unit = units.team(team)
        if unit is None:
            return None, [Issue("team", UNKNOWN_TEAM, f"not a team of tenant {units.tenant}")]
        return unit, []
    if service is not None:
        unit = units.service(service)
        if unit is None:
            message = f"not a service of tenant {units.tenant}"
            return None, [Issue("service", UNKNOWN_SERVICE, message)]
        return unit, []
    return None, []
