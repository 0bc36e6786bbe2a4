"""Realistic case activity for one English authority, and the statutory returns that carry
it, for activity-service's tests, its benchmark and the demo data (all synthetic).

`generate` yields children one at a time (seeded per child, so 50,000 children take little
memory and the same seed gives the same children): referrals with their sources and needs in
plausible shares, about a fifth of them re-referrals within 12 months, assessments mostly
authorised within 45 working days, about a quarter leading to a Section 47 enquiry, about
40% of those to an ICPC and most ICPCs to a plan, plans reviewed at 3 then every 6 months,
care episodes with placement changes, reviews and visits.

The writers put children into each format: the CIN census XML (streamed with lxml's
incremental writer), the SSDA903 tables, Ofsted Annex A (an XLSX workbook or one CSV per
list) and REST batches. The `*_records` functions give what a reader of each format should
read back: the INTENDED records, facts typed as activity-service's kinds (dates as `date`).

`Faults` injects what the tests of bad input need; each fault goes to the first children
that can carry it, and the intended records and errors say what a reader or a load should
make of it."""

from __future__ import annotations

import csv
import io
import random
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, BinaryIO, Final

from lxml import etree
from openpyxl import Workbook

from qaf_shared.working_days import add_working_days

# a year has a few hundred start days: remembering them makes 50,000 children twice as fast
_add_working_days = lru_cache(maxsize=None)(add_working_days)

# Kent's teams (qaf_shared org units, tenant 886): a child's CIN, CP and CIC team is in one
# district.
KENT_TEAMS: Final = tuple(
    f"{district}-{role}1"
    for district in ("DAR", "GRA", "SWA", "CAN", "THA", "ASH", "DOV", "FOL", "MAI", "TON")
    for role in ("CIN", "CP", "CIC")
)


def _weighted(rng: random.Random, shares: Sequence[tuple[str, float]]) -> str:
    return rng.choices([c for c, _ in shares], [w for _, w in shares])[0]


# Shares after the DfE's Characteristics of children in need (England, recent years).
REFERRAL_SOURCES: Final = (
    ("6", 0.29), ("2A", 0.17), ("2B", 0.03), ("3A", 0.04), ("3B", 0.03), ("3C", 0.01),
    ("3D", 0.02), ("3E", 0.03), ("3F", 0.02), ("5A", 0.04), ("5B", 0.03), ("5C", 0.02),
    ("5D", 0.04), ("1A", 0.05), ("1B", 0.01), ("1C", 0.01), ("1D", 0.01), ("4", 0.02),
    ("7", 0.03), ("8", 0.06), ("9", 0.01), ("10", 0.03),
)  # fmt: skip
PRIMARY_NEEDS: Final = (
    ("N1", 0.57), ("N2", 0.09), ("N3", 0.03), ("N4", 0.10), ("N5", 0.13), ("N6", 0.03),
    ("N7", 0.01), ("N8", 0.03), ("N9", 0.01),
)  # fmt: skip
FACTORS: Final = (
    "1B", "1C", "2B", "2C", "3B", "3C", "4B", "4C", "5B", "5C", "6A", "6B", "7A", "8B", "8C",
    "8D", "8E", "8F", "9A", "10A", "11A", "12A", "13A", "14A", "15A", "16A", "17A", "18B",
    "18C", "19B", "19C", "20", "21", "22A", "23A", "24A",
)  # fmt: skip
CATEGORIES: Final = (("NEG", 0.50), ("EMO", 0.38), ("PHY", 0.06), ("SAB", 0.04), ("MUL", 0.02))
CATEGORY_LABELS: Final = {
    "NEG": "a) Neglect",
    "PHY": "b) Physical abuse",
    "SAB": "c) Sexual abuse",
    "EMO": "d) Emotional abuse",
    "MUL": "e) Multiple/not recommended",
}
LEGAL_STATUSES: Final = (("C2", 0.35), ("V2", 0.30), ("C1", 0.28), ("E1", 0.05), ("L2", 0.02))
PLACEMENTS: Final = (
    ("U1", 0.10), ("U3", 0.12), ("U4", 0.25), ("U6", 0.20), ("R1", 0.03), ("K2", 0.12),
    ("P1", 0.06), ("H5", 0.07), ("Z1", 0.05),
)  # fmt: skip
REASONS_CEASED: Final = (("E4A", 0.4), ("E13", 0.1), ("E41", 0.1), ("E11", 0.1), ("E8", 0.3))
PN_CODES: Final = (("PN1", 0.70), ("PN0", 0.08), ("PN2", 0.06), ("PN3", 0.06), ("PN4", 0.05),
                   ("PN5", 0.03), ("PN6", 0.01), ("PN7", 0.01))  # fmt: skip
UNKNOWN_CODE: Final = "ZZ"  # in no DfE list
# Annex A writes a source as its code and label ("6: Police"), by the code's group.
_SOURCE_LABELS: Final = {"1": "Individual", "2": "Schools", "3": "Health services",
                         "4": "Housing", "5": "LA services", "6": "Police",
                         "7": "Other legal agency", "8": "Other", "9": "Anonymous"}  # fmt: skip


@dataclass
class Assessment:
    start_date: date
    authorised_date: date | None
    factors: list[str]


@dataclass
class Section47:
    start_date: date
    icpc_target_date: date
    icpc_date: date | None
    icpc_not_required: bool | None


@dataclass
class Plan:
    start_date: date
    end_date: date | None
    initial_category: str
    previous_plans: int
    review_dates: list[date]


@dataclass
class Referral:
    referral_date: date
    referral_source: str
    primary_need: str
    nfa: bool
    closure_date: date | None
    closure_reason: str | None
    assessments: list[Assessment] = field(default_factory=list)
    s47s: list[Section47] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)


@dataclass
class Episode:
    start_date: date
    reason_new_episode: str
    legal_status: str
    cin_category: str
    placement: str
    end_date: date | None
    reason_ceased: str | None


@dataclass
class Review:
    review_date: date
    pn_code: str


@dataclass
class Visit:
    visit_date: date
    plan_type: str  # CIN, CP or CLA
    seen: bool
    seen_alone: bool | None


@dataclass
class Child:
    """One child's activity in the year, and the faults the writers put into its records."""

    child_ref: str
    teams: dict[str, str]  # CIN, CP, CIC -> team code
    birth_date: date
    referrals: list[Referral] = field(default_factory=list)
    episodes: list[Episode] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    faults: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Faults:
    """How many children carry each fault (the first children able to carry it).

    In the files: `bad_dates` (an assessment's authorisation date written DD/MM/YYYY in the
    CIN census: `date_format`), `unknown_codes` (a referral source in no list: the records'
    `code` rule), `duplicate_keys` (an assessment written twice: `duplicate_key`),
    `malformed` (the CIN census breaks off inside a child: not well-formed).
    Over REST: `late_referrals` (a child's first referral sent after its later ones),
    `corrections` (a referral first sent with another primary need, then right),
    `repeats` (a batch sent twice: all UNCHANGED), `withdrawals` (a visit sent in error,
    then withdrawn)."""

    bad_dates: int = 0
    unknown_codes: int = 0
    duplicate_keys: int = 0
    malformed: bool = False
    late_referrals: int = 0
    corrections: int = 0
    repeats: int = 0
    withdrawals: int = 0


@dataclass(frozen=True)
class Intended:
    """A record as a reader of the format should read it (`team` as the format gives it:
    none for the census and SSDA903, the team's name for Annex A, its code over REST), and
    `rejected_by`, the records' rule a load refuses it by, if any."""

    kind: str
    child_ref: str
    facts: dict[str, object]
    team: str | None = None
    rejected_by: str | None = None


@dataclass(frozen=True)
class IntendedError:
    """A record a reader should refuse: the fact and the rule."""

    kind: str
    field: str
    rule: str


def child_refs(count: int, *, prefix: str = "LA") -> list[str]:
    """`count` child refs in the style of a case-management id."""
    return [f"{prefix}{100000 + i}" for i in range(count)]


def year_span(year: int) -> tuple[date, date]:
    """The collection year that starts in April of `year`: (1 April, 31 March)."""
    return date(year, 4, 1), date(year + 1, 3, 31)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def generate(
    *,
    seed: int,
    refs: Iterable[str],
    year: int = 2025,
    teams: Sequence[str] = KENT_TEAMS,
    faults: Faults = Faults(),
    until: date | None = None,
    horizon: date | None = None,
) -> Iterator[Child]:
    """A child for each ref, each with a year of activity (`year_span(year)`), on `teams`
    (codes whose last part names the role: `...-CIN1`, `...-CP1`, `...-CIC1`). With `until`
    the year stops that day: the year so far, as a case-management system feeds it, with no
    date after `until` but an ICPC's target date. With `horizon` (after the year's end) the
    children are still referred in the year, but their cases go on to that day: plans and
    care that run past the year, their reviews and visits, later referrals and closures
    (`as_known_on` cuts a child back to what was known on a day)."""
    districts: dict[str, dict[str, str]] = {}
    for code in teams:
        prefix, _, role = code.rpartition("-")
        for kind in ("CIN", "CP", "CIC"):
            if role.startswith(kind):
                districts.setdefault(prefix or code, {}).setdefault(kind, code)
    groups = [
        {k: g.get(k) or next(iter(g.values())) for k in ("CIN", "CP", "CIC")}
        for g in districts.values()
    ]
    if not groups:
        raise ValueError("no teams to place children in")
    start, end = year_span(year)
    if until is not None:
        end = min(end, until)
    left = {name: getattr(faults, name) for name in Faults.__dataclass_fields__}
    for index, ref in enumerate(refs):
        rng = random.Random(f"{seed}:{index}")
        group = groups[rng.randrange(len(groups))]
        child = _child(rng, ref, group, start, end, max(horizon or end, end))
        for name, count in left.items():
            if name != "malformed" and count and _can_carry(child, name):
                child.faults.add(name)
                left[name] = count - 1
        yield child


def _can_carry(child: Child, fault: str) -> bool:
    assessments = [a for r in child.referrals for a in r.assessments]
    if fault == "bad_dates":
        first = _first_assessment(child)
        return first is not None and first.authorised_date is not None and not child.faults
    if fault == "duplicate_keys":
        return bool(assessments) and not child.faults
    if fault in ("unknown_codes", "corrections"):
        return bool(child.referrals) and not child.faults
    if fault == "late_referrals":
        return len(child.referrals) >= 2 and not child.faults
    return not child.faults  # repeats, withdrawals


def _child(
    rng: random.Random, ref: str, teams: dict[str, str], start: date, end: date, last: date
) -> Child:
    """Referred first between `start` and `end`; activity up to `last`."""
    child = Child(
        child_ref=ref,
        teams=dict(teams),
        birth_date=start - timedelta(days=rng.randrange(30, 17 * 365)),
    )
    count = _weighted(rng, (("1", 0.66), ("2", 0.26), ("3", 0.08)))
    day = start + timedelta(days=rng.randrange(0, (end - start).days - 30))
    for _ in range(int(count)):
        referral = _referral(rng, child, day, last)
        child.referrals.append(referral)
        if referral.closure_date is None:
            break
        day = referral.closure_date + timedelta(days=rng.randrange(7, 90))
        if day > last:
            break
    in_care = rng.random() < (0.25 if any(r.plans for r in child.referrals) else 0.05)
    if in_care:
        first = child.referrals[0].referral_date + timedelta(days=rng.randrange(20, 200))
        if first <= last - timedelta(days=7):
            _care(rng, child, first, last)
    return child


def _referral(rng: random.Random, child: Child, day: date, end: date) -> Referral:
    nfa = rng.random() < 0.09
    referral = Referral(
        referral_date=day,
        referral_source=_weighted(rng, REFERRAL_SOURCES),
        primary_need=_weighted(rng, PRIMARY_NEEDS),
        nfa=nfa,
        closure_date=day if nfa else None,
        closure_reason="RC8" if nfa else None,
    )
    if nfa:
        return referral
    started = day + timedelta(days=rng.randrange(0, 4))
    if started > end:
        return referral
    working_days = rng.randrange(8, 46) if rng.random() < 0.87 else rng.randrange(46, 80)
    authorised: date | None = _add_working_days(started, working_days)
    if authorised is not None and authorised > end:
        authorised = None
    referral.assessments.append(
        Assessment(started, authorised, sorted(rng.sample(FACTORS, rng.randrange(1, 4))))
    )
    busy_until = authorised or end
    if rng.random() < 0.25:
        s47_start = started + timedelta(days=rng.randrange(0, 8))
        if s47_start <= end:
            icpc: date | None = None
            not_required: bool | None = None
            if rng.random() < 0.40:
                icpc = _add_working_days(s47_start, rng.randrange(5, 22))
                if icpc > end:
                    icpc = None
            elif rng.random() < 0.85:
                not_required = True
            referral.s47s.append(
                Section47(s47_start, _add_working_days(s47_start, 15), icpc, not_required)
            )
            if icpc is not None and rng.random() < 0.88:
                plan = _plan(rng, icpc, end)
                referral.plans.append(plan)
                busy_until = max(busy_until, plan.end_date or end)
                _visits(rng, child, "CP", icpc, plan.end_date or end, 5, 14)
    if authorised is not None and not referral.plans:
        until = min(authorised + timedelta(days=150), end)
        _visits(rng, child, "CIN", authorised, until, 10, 30)
    closure = busy_until + timedelta(days=rng.randrange(0, 45))
    if closure <= end and (authorised is not None):
        referral.closure_date = closure
        referral.closure_reason = _weighted(rng, (("RC7", 0.6), ("RC8", 0.25), ("RC9", 0.15)))
    return referral


def _plan(rng: random.Random, start: date, end: date) -> Plan:
    ends = start + timedelta(days=rng.randrange(90, 540))
    plan_end = ends if ends <= end else None
    reviews: list[date] = []
    due = _add_months(start, 3)
    while due <= (plan_end or end):
        held = due - timedelta(days=rng.randrange(0, 10))
        if rng.random() < 0.1:
            held = due + timedelta(days=rng.randrange(1, 20))  # late
        if held > (plan_end or end):
            break
        reviews.append(held)
        due = _add_months(held, 6)
    return Plan(
        start_date=start,
        end_date=plan_end,
        initial_category=_weighted(rng, CATEGORIES),
        previous_plans=int(_weighted(rng, (("0", 0.78), ("1", 0.17), ("2", 0.05)))),
        review_dates=reviews,
    )


def _visits(
    rng: random.Random, child: Child, plan_type: str, start: date, until: date, low: int, high: int
) -> None:
    taken = {(v.visit_date, v.plan_type) for v in child.visits}
    day = start + timedelta(days=rng.randrange(1, high))
    for _ in range(26):
        if day > until:
            break
        if (day, plan_type) not in taken:
            seen = rng.random() < 0.95
            alone = (rng.random() < 0.7) if plan_type == "CP" else None
            child.visits.append(Visit(day, plan_type, seen, alone))
            taken.add((day, plan_type))
        day += timedelta(days=rng.randrange(low, high))
    child.visits.sort(key=lambda v: (v.visit_date, v.plan_type))


def _care(rng: random.Random, child: Child, start: date, end: date) -> None:
    day = start
    legal = _weighted(rng, LEGAL_STATUSES)
    need = "N1" if rng.random() < 0.65 else _weighted(rng, PRIMARY_NEEDS[1:8])
    reason = "S"
    for _ in range(1 + int(_weighted(rng, (("0", 0.45), ("1", 0.3), ("2", 0.15), ("3", 0.1))))):
        if reason in ("L", "B", "T"):
            legal = _weighted(rng, LEGAL_STATUSES)
        episode = Episode(day, reason, legal, need, _weighted(rng, PLACEMENTS), None, None)
        if child.episodes:
            child.episodes[-1].end_date = day
            child.episodes[-1].reason_ceased = "X1"
        child.episodes.append(episode)
        day += timedelta(days=rng.randrange(30, 200))
        if day > end:
            break
        reason = _weighted(rng, (("P", 0.7), ("L", 0.15), ("B", 0.1), ("T", 0.05)))
    else:
        if rng.random() < 0.3 and day <= end:
            child.episodes[-1].end_date = day
            child.episodes[-1].reason_ceased = _weighted(rng, REASONS_CEASED)
    care_end = child.episodes[-1].end_date or end
    due = start + timedelta(days=rng.randrange(10, 28))
    gap = 3
    while due <= care_end:
        child.reviews.append(Review(due, _weighted(rng, PN_CODES)))
        due = _add_months(due, gap) - timedelta(days=rng.randrange(0, 14))
        gap = 6
    _visits(rng, child, "CLA", start, care_end, 20, 45)


def as_known_on(child: Child, day: date) -> Child:
    """`child` as a case-management system knew it at the end of `day`: nothing that starts
    after it, and what ends or is decided after it still open (no end, closure,
    authorisation or ICPC yet; an ICPC's target date is known from the enquiry's start)."""

    def by(d: date | None) -> date | None:
        return d if d is not None and d <= day else None

    referrals = []
    for r in child.referrals:
        if r.referral_date > day:
            continue
        closed = by(r.closure_date)
        referrals.append(
            replace(
                r,
                closure_date=closed,
                closure_reason=r.closure_reason if closed else None,
                assessments=[
                    replace(a, authorised_date=by(a.authorised_date))
                    for a in r.assessments
                    if a.start_date <= day
                ],
                s47s=[replace(s, icpc_date=by(s.icpc_date)) for s in r.s47s if s.start_date <= day],
                plans=[
                    replace(
                        p,
                        end_date=by(p.end_date),
                        review_dates=[d for d in p.review_dates if d <= day],
                    )
                    for p in r.plans
                    if p.start_date <= day
                ],
            )
        )
    episodes = []
    for ep in child.episodes:
        if ep.start_date <= day:
            ended = by(ep.end_date)
            episodes.append(
                replace(ep, end_date=ended, reason_ceased=ep.reason_ceased if ended else None)
            )
    return replace(
        child,
        referrals=referrals,
        episodes=episodes,
        reviews=[r for r in child.reviews if r.review_date <= day],
        visits=[v for v in child.visits if v.visit_date <= day],
        faults=set(child.faults),
    )


# -- what each format carries ------------------------------------------------------------


def _referral_facts(r: Referral, child: Child) -> dict[str, object]:
    return {
        "referral_date": r.referral_date,
        "referral_source": UNKNOWN_CODE if _unknown_code(child, r) else r.referral_source,
        "primary_need": r.primary_need,
        "nfa": r.nfa,
        "closure_date": r.closure_date,
        "closure_reason": r.closure_reason,
    }


def _unknown_code(child: Child, referral: Referral) -> bool:
    return "unknown_codes" in child.faults and referral is child.referrals[0]


def _first_assessment(child: Child) -> Assessment | None:
    return next((a for r in child.referrals for a in r.assessments), None)


def cin_census_records(children: Iterable[Child]) -> Iterator[Intended | IntendedError]:
    """What a reader of `write_cin_census(children)` should read, in file order."""
    for child in children:
        faulty = _first_assessment(child)
        for r in child.referrals:
            ref = child.child_ref
            yield Intended("referral", ref, _referral_facts(r, child), None, _rejection(child, r))
            for a in r.assessments:
                if "bad_dates" in child.faults and a is faulty:
                    yield IntendedError("assessment", "authorised_date", "date_format")
                    continue
                facts: dict[str, object] = {
                    "start_date": a.start_date,
                    "referral_date": r.referral_date,
                    "authorised_date": a.authorised_date,
                    "factors": list(a.factors),
                }
                yield Intended("assessment", ref, facts)
                if "duplicate_keys" in child.faults and a is faulty:
                    yield IntendedError("assessment", "start_date", "duplicate_key")
            for s in r.s47s:
                yield Intended(
                    "s47_enquiry",
                    ref,
                    {
                        "start_date": s.start_date,
                        "referral_date": r.referral_date,
                        "icpc_target_date": s.icpc_target_date,
                        "icpc_date": s.icpc_date,
                        "icpc_not_required": s.icpc_not_required,
                    },
                )
            for p in r.plans:
                yield Intended(
                    "cp_plan", ref, _plan_facts(p) | {"review_dates": list(p.review_dates)}
                )


def _rejection(child: Child, referral: Referral) -> str | None:
    return "code" if _unknown_code(child, referral) else None


def _plan_facts(p: Plan) -> dict[str, object]:
    return {
        "start_date": p.start_date,
        "end_date": p.end_date,
        "initial_category": p.initial_category,
        "previous_plans": p.previous_plans,
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def write_cin_census(
    children: Iterable[Child],
    out: BinaryIO,
    *,
    year: int = 2025,
    la: str = "886",
    faults: Faults = Faults(),
) -> None:
    """The CIN census XML of `children`, streamed: one child in memory at a time. With
    `faults.malformed` the file breaks off inside the second child."""
    _, end = year_span(year)
    with etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element("Message"):
            header = etree.Element("Header")
            details = etree.SubElement(header, "CollectionDetails")
            _sub(details, "Collection", "CIN")
            _sub(details, "Year", str(end.year))
            _sub(details, "ReferenceDate", end.isoformat())
            source = etree.SubElement(header, "Source")
            for name, value in (("SourceLevel", "L"), ("LEA", la), ("SoftwareCode", "QAF"),
                                ("Release", "synthetic"), ("SerialNo", "1"),
                                ("DateTime", f"{end.isoformat()}T12:00:00")):  # fmt: skip
                _sub(source, name, value)
            xf.write("\n")
            xf.write(header)
            xf.write("\n")
            with xf.element("Children"):
                for index, child in enumerate(children):
                    xf.write("\n")
                    if faults.malformed and index == 1:
                        xf.flush()
                        out.write(b"<Child><ChildIdentifiers><LAchildID>")
                        out.write(child.child_ref.encode())
                        out.write(b"</ChildIdentifiers>")  # the LAchildID is left open
                        return
                    xf.write(_child_element(child))
                xf.write("\n")
            xf.write("\n")


def _sub(parent: Any, name: str, value: str | None) -> None:
    if value is not None:
        etree.SubElement(parent, name).text = value


def _child_element(child: Child) -> Any:
    element = etree.Element("Child")
    ids = etree.SubElement(element, "ChildIdentifiers")
    _sub(ids, "LAchildID", child.child_ref)
    number = zlib.crc32(child.child_ref.encode())  # stable across runs, unlike hash()
    _sub(ids, "UPN", f"A{number:012d}")
    _sub(ids, "PersonBirthDate", child.birth_date.isoformat())
    _sub(ids, "Sex", "M" if number % 2 else "F")
    characteristics = etree.SubElement(element, "ChildCharacteristics")
    _sub(characteristics, "Ethnicity", "WBRI")
    faulty = _first_assessment(child)
    for r in child.referrals:
        details = etree.SubElement(element, "CINdetails")
        _sub(details, "CINreferralDate", r.referral_date.isoformat())
        _sub(
            details,
            "ReferralSource",
            UNKNOWN_CODE if _unknown_code(child, r) else r.referral_source,
        )
        _sub(details, "PrimaryNeedCode", r.primary_need)
        _sub(details, "CINclosureDate", _iso(r.closure_date))
        _sub(details, "ReasonForClosure", r.closure_reason)
        for a in r.assessments:
            copies = 2 if "duplicate_keys" in child.faults and a is faulty else 1
            for _ in range(copies):
                assessment = etree.SubElement(details, "Assessments")
                _sub(assessment, "AssessmentActualStartDate", a.start_date.isoformat())
                authorised = _iso(a.authorised_date)
                if "bad_dates" in child.faults and a is faulty and a.authorised_date:
                    authorised = a.authorised_date.strftime("%d/%m/%Y")
                _sub(assessment, "AssessmentAuthorisationDate", authorised)
                factors = etree.SubElement(assessment, "FactorsIdentifiedAtAssessment")
                for code in a.factors:
                    _sub(factors, "AssessmentFactors", code)
        for s in r.s47s:
            s47 = etree.SubElement(details, "Section47")
            _sub(s47, "S47ActualStartDate", s.start_date.isoformat())
            _sub(s47, "InitialCPCtarget", s.icpc_target_date.isoformat())
            _sub(s47, "DateOfInitialCPC", _iso(s.icpc_date))
            if s.icpc_not_required is not None:
                _sub(s47, "ICPCnotRequired", "true" if s.icpc_not_required else "false")
        for p in r.plans:
            plan = etree.SubElement(details, "ChildProtectionPlans")
            _sub(plan, "CPPstartDate", p.start_date.isoformat())
            _sub(plan, "CPPendDate", _iso(p.end_date))
            _sub(plan, "InitialCategoryOfAbuse", p.initial_category)
            _sub(plan, "LatestCategoryOfAbuse", p.initial_category)
            _sub(plan, "NumberOfPreviousCPP", str(p.previous_plans))
            reviews = etree.SubElement(plan, "Reviews")
            for day in p.review_dates:
                _sub(reviews, "CPPreviewDate", day.isoformat())
        # the DfE's schema puts ReferralNFA last: readers must not depend on order
        _sub(details, "ReferralNFA", "1" if r.nfa else "0")
    return element


# Hostile census files, which a reader must refuse whole before any record: entities that
# expand a billionfold (billion laughs), and an entity that names a local file (XXE).
BILLION_LAUGHS: Final = b"""<?xml version="1.0"?>
<!DOCTYPE Message [
 <!ENTITY lol "LAUGHING-OUT-LOUD">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Message><Header/><Children><Child><ChildIdentifiers><LAchildID>&lol9;</LAchildID>
</ChildIdentifiers><CINdetails><CINreferralDate>2025-05-01</CINreferralDate>
<ReferralSource>&lol9;</ReferralSource><PrimaryNeedCode>N1</PrimaryNeedCode></CINdetails>
</Child></Children></Message>"""


def xxe_census(target: str) -> bytes:
    """A CIN census whose child ref and referral source are the file `target` (an XXE)."""
    return f"""<?xml version="1.0"?>
<!DOCTYPE Message [<!ENTITY xxe SYSTEM "file://{target}">]>
<Message><Header/><Children><Child><ChildIdentifiers><LAchildID>&xxe;</LAchildID>
</ChildIdentifiers><CINdetails><CINreferralDate>2025-05-01</CINreferralDate>
<ReferralSource>&xxe;</ReferralSource><PrimaryNeedCode>N1</PrimaryNeedCode></CINdetails>
</Child></Children></Message>""".encode()


# -- SSDA903 ---------------------------------------------------------------------------


def _dmy(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day is not None else ""


def write_ssda903(
    children: Iterable[Child], *, header: BinaryIO, episodes: BinaryIO, reviews: BinaryIO
) -> None:
    """The SSDA903 `header`, `episodes` and `reviews` tables of the children in care, with the
    DfE's columns and DD/MM/YYYY dates."""
    outs = [io.TextIOWrapper(s, encoding="utf-8", newline="") for s in (header, episodes, reviews)]
    try:
        h, e, r = (csv.writer(o) for o in outs)
        h.writerow(["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"])
        e.writerow(["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC",
                    "REC", "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"])  # fmt: skip
        r.writerow(["CHILD", "DOB", "REVIEW", "REVIEW_CODE"])
        for child in children:
            if not child.episodes:
                continue
            dob = _dmy(child.birth_date)
            h.writerow([child.child_ref, "1", dob, "WBRI", "", "", ""])
            for ep in child.episodes:
                e.writerow([child.child_ref, _dmy(ep.start_date), ep.reason_new_episode,
                            ep.legal_status, ep.cin_category, ep.placement, "PR1",
                            _dmy(ep.end_date), ep.reason_ceased or "",
                            "CARPL" if ep.reason_new_episode in "PBT" else "", "", "", ""])  # fmt: skip
            for rv in child.reviews:
                r.writerow([child.child_ref, dob, _dmy(rv.review_date), rv.pn_code])
    finally:
        for o in outs:
            o.flush()
            o.detach()


def ssda903_records(children: Iterable[Child]) -> Iterator[Intended]:
    """What a reader of `write_ssda903(children)` should read: the episodes, then the
    reviews (the tables' order)."""
    kept = [c for c in children if c.episodes]
    for child in kept:
        for ep in child.episodes:
            yield Intended(
                "care_episode",
                child.child_ref,
                {
                    "start_date": ep.start_date,
                    "reason_new_episode": ep.reason_new_episode,
                    "legal_status": ep.legal_status,
                    "cin_category": ep.cin_category,
                    "placement": ep.placement,
                    "end_date": ep.end_date,
                    "reason_ceased": ep.reason_ceased,
                },
            )
    for child in kept:
        for rv in child.reviews:
            yield Intended(
                "care_review",
                child.child_ref,
                {"review_date": rv.review_date, "pn_code": rv.pn_code},
            )


# -- Ofsted Annex A --------------------------------------------------------------------


def team_name(code: str) -> str:
    """The name a case-management system gives the team `code` in its Annex A."""
    prefix, _, role = code.rpartition("-")
    return f"{prefix} {role[:-1]} Team {role[-1]}" if prefix else f"{code} Team"


def team_aliases(teams: Iterable[str] = KENT_TEAMS) -> dict[str, str]:
    """The tenant's team aliases for `team_name`: name -> code."""
    return {team_name(code): code for code in teams}


_PERSON: Final = ("Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)")
_WORKER: Final = ("Allocated Team", "Allocated Worker")
ANNEX_A_HEADINGS: Final[dict[int, tuple[str, ...]]] = {
    3: (*_PERSON, "Date of referral", "Referral Source", "Referral NFA?",
        "Number of Referrals in Last 12 Months", *_WORKER),
    4: (*_PERSON, "Does the Child have a Disability", "Continuous Assessment Start Date",
        "Child Seen During Continuous Assessment", "Continuous Assessment Date of Authorisation",
        "Was the child assessed as requiring LA children's social care support?", *_WORKER),
    5: (*_PERSON, "Does the Child have a Disability",
        "Strategy discussion initiating Section 47 Enquiry Start Date",
        "Was an Initial Child Protection Conference deemed unnecessary?",
        "Date of Initial Child Protection Conference",
        "Did the Initial Child Protection Conference Result in a Child Protection Plan",
        "Number of Section 47 Enquiries in the last 12 months",
        "Number of ICPCs in the last 12 months", *_WORKER),
    6: (*_PERSON, "Does the Child have a Disability", "CIN Start Date", "Primary Need Code",
        "Date Child Was Last Seen", "CIN Closure Date", "Reason for Closure", "Case Status",
        *_WORKER),
    7: (*_PERSON, "Does the Child have a Disability", "Child Protection Plan Start Date",
        "Initial Category of Abuse", "Latest Category of Abuse",
        "Date of the Last Statutory Visit", "Was the Child Seen Alone?",
        "Date of latest review conference", "Child Protection Plan End Date",
        "Subject to Emergency Protection Order or Protected Under Police Powers in Last Six Months (Y/N)",
        "Number of Previous Child Protection Plans", *_WORKER),
    8: (*_PERSON, "Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)",
        "Does the Child have a Disability", "Date Started to be Looked After",
        "Child's Category of Need",
        "Is this a second or subsequent period of being a Looked After Child within the last 12 months (Y/N)",
        "Start date of current legal status", "Child's Legal Status",
        "Date of Latest Statutory Review", "Date of Last Social Work Visit",
        "What is the permanence plan for this child?",
        "Date of Last IRO Visit / Contact to the Child", "Date of Last Health Assessment",
        "Date of Last Dental Check", "Number of Placements in the Last 12 months",
        "Date Ceased to be Looked After", "Reason Ceased to be Looked After", *_WORKER),
}  # fmt: skip


def _yes(value: bool | None) -> str:
    return "Unknown" if value is None else ("Yes" if value else "No")


def _last_seen(child: Child, plan_type: str, since: date, until: date | None) -> Visit | None:
    seen = [
        v
        for v in child.visits
        if v.plan_type == plan_type and v.seen and since <= v.visit_date
        and (until is None or v.visit_date <= until)
    ]  # fmt: skip
    return seen[-1] if seen else None


def _annex_rows(children: Sequence[Child]) -> dict[int, list[tuple[list[object], list[Intended]]]]:
    """Each list's rows (cells by ANNEX_A_HEADINGS, dates as `date`) with the records each
    row should read as."""
    rows: dict[int, list[tuple[list[object], list[Intended]]]] = {n: [] for n in range(3, 9)}
    for child in children:
        ref = child.child_ref
        person: list[object] = [ref, "b) Female", "a) WBRI", child.birth_date, None]
        cin, cp, cic = (team_name(child.teams[k]) for k in ("CIN", "CP", "CIC"))
        worker = [None]
        for r in child.referrals:
            source = UNKNOWN_CODE if _unknown_code(child, r) else r.referral_source
            label = source if source == UNKNOWN_CODE else f"{source}: {_SOURCE_LABELS[source[0]]}"
            rows[3].append(
                (
                    [*person, r.referral_date, label, _yes(r.nfa), 0, cin, *worker],
                    [Intended("referral", ref, {"referral_date": r.referral_date,
                              "referral_source": source, "nfa": r.nfa}, cin,
                              _rejection(child, r))],
                )
            )  # fmt: skip
        for r in child.referrals:
            for a in r.assessments:
                facts: dict[str, object] = {
                    "start_date": a.start_date,
                    "referral_date": r.referral_date,
                    "authorised_date": a.authorised_date,
                }
                cells = [*person, "b) No", a.start_date, "a) Yes", a.authorised_date, None]
                rows[4].append(([*cells, cin, *worker], [Intended("assessment", ref, facts, cin)]))
            for s in r.s47s:
                facts = {
                    "start_date": s.start_date,
                    "referral_date": r.referral_date,
                    "icpc_date": s.icpc_date,
                    "icpc_not_required": s.icpc_not_required,
                }
                cells = [*person, "b) No", s.start_date, _yes(s.icpc_not_required), s.icpc_date,
                         None, 1, 1]  # fmt: skip
                rows[5].append(([*cells, cp, *worker], [Intended("s47_enquiry", ref, facts, cp)]))
        if child.referrals:
            last = _last_seen(child, "CIN", date.min, None)
            if last is not None:
                r = child.referrals[-1]
                cells = [*person, "b) No", r.referral_date, r.primary_need, last.visit_date,
                         r.closure_date, r.closure_reason, "c) Child in need plan"]  # fmt: skip
                visit = {"visit_date": last.visit_date, "plan_type": "CIN", "seen": True}
                rows[6].append(([*cells, cin, *worker], [Intended("visit", ref, visit, cin)]))
        for r in child.referrals:
            for p in r.plans:
                seen = _last_seen(child, "CP", p.start_date, p.end_date)
                label = CATEGORY_LABELS[p.initial_category]
                cells = [*person, "b) No", p.start_date, label, label,
                         seen.visit_date if seen else None,
                         _yes(seen.seen_alone) if seen else None,
                         p.review_dates[-1] if p.review_dates else None, p.end_date, "b) No",
                         p.previous_plans]  # fmt: skip
                intended = [Intended("cp_plan", ref, _plan_facts(p), cp)]
                if seen is not None:
                    visit = {"visit_date": seen.visit_date, "plan_type": "CP", "seen": True,
                             "seen_alone": seen.seen_alone}  # fmt: skip
                    intended.append(Intended("visit", ref, visit, cp))
                rows[7].append(([*cells, cp, *worker], intended))
        if child.episodes:
            first, latest = child.episodes[0], child.episodes[-1]
            seen = _last_seen(child, "CLA", first.start_date, None)
            review = child.reviews[-1].review_date if child.reviews else None
            cells = [*person, "b) No", "b) No", first.start_date, first.cin_category, "b) No",
                     latest.start_date, latest.legal_status, review,
                     seen.visit_date if seen else None, "f) Long-term fostering", None, None,
                     None, len(child.episodes), latest.end_date, latest.reason_ceased]  # fmt: skip
            intended = []
            if seen is not None:
                visit = {"visit_date": seen.visit_date, "plan_type": "CLA", "seen": True}
                intended.append(Intended("visit", ref, visit, cic))
            if review is not None:
                intended.append(Intended("care_review", ref, {"review_date": review}, cic))
            rows[8].append(([*cells, cic, *worker], intended))
    return rows


def annex_a_records(children: Sequence[Child]) -> Iterator[Intended]:
    """What a reader of an Annex A written from `children` should read, in list order."""
    for _, listed in sorted(_annex_rows(children).items()):
        for _, intended in listed:
            yield from intended


def write_annex_a_xlsx(children: Sequence[Child], out: BinaryIO) -> None:
    """Annex A lists 3 to 8 as a workbook (openpyxl write-only), a title above each list's
    headings as in the Ofsted template."""
    workbook = Workbook(write_only=True)
    for number, listed in sorted(_annex_rows(children).items()):
        sheet = workbook.create_sheet(f"List {number}")
        sheet.append([f"Annex A list {number} (synthetic)"])
        sheet.append(list(ANNEX_A_HEADINGS[number]))
        for cells, _ in listed:
            sheet.append(cells)
    workbook.save(out)


def write_annex_a_csv(children: Sequence[Child], lists: Mapping[int, BinaryIO]) -> None:
    """Annex A lists 3 to 8 as one CSV each (the lists given), dates DD/MM/YYYY."""
    rows = _annex_rows(children)
    for number, stream in lists.items():
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        writer = csv.writer(text)
        writer.writerow(ANNEX_A_HEADINGS[number])
        for cells, _ in rows[number]:
            writer.writerow(
                [_dmy(c) if isinstance(c, date) else ("" if c is None else c) for c in cells]
            )
        text.flush()
        text.detach()


# -- REST ------------------------------------------------------------------------------


def rest_records(children: Iterable[Child]) -> Iterator[Intended]:
    """Every record of the children as the case-management system would send it (all kinds,
    every fact, the team's code): what activity-service should hold once all the steps of
    `rest_batches` are applied."""
    for child in children:
        for referral in child.referrals:
            yield from _referral_records(child, referral)
        yield from _care_records(child)


def _referral_records(child: Child, r: Referral) -> Iterator[Intended]:
    ref, cin, cp = child.child_ref, child.teams["CIN"], child.teams["CP"]
    yield Intended("referral", ref, _referral_facts(r, child), cin, _rejection(child, r))
    for a in r.assessments:
        facts: dict[str, object] = {
            "start_date": a.start_date,
            "referral_date": r.referral_date,
            "authorised_date": a.authorised_date,
            "factors": list(a.factors),
        }
        yield Intended("assessment", ref, facts, cin)
    for s in r.s47s:
        facts = {
            "start_date": s.start_date,
            "referral_date": r.referral_date,
            "icpc_target_date": s.icpc_target_date,
            "icpc_date": s.icpc_date,
            "icpc_not_required": s.icpc_not_required,
        }
        yield Intended("s47_enquiry", ref, facts, cp)
    for p in r.plans:
        yield Intended("cp_plan", ref, _plan_facts(p) | {"review_dates": list(p.review_dates)}, cp)


def _care_records(child: Child) -> Iterator[Intended]:
    ref, cic = child.child_ref, child.teams["CIC"]
    for ep in child.episodes:
        facts: dict[str, object] = {
            "start_date": ep.start_date,
            "reason_new_episode": ep.reason_new_episode,
            "legal_status": ep.legal_status,
            "cin_category": ep.cin_category,
            "placement": ep.placement,
            "end_date": ep.end_date,
            "reason_ceased": ep.reason_ceased,
        }
        yield Intended("care_episode", ref, facts, cic)
    for rv in child.reviews:
        facts = {"review_date": rv.review_date, "pn_code": rv.pn_code}
        yield Intended("care_review", ref, facts, cic)
    for v in child.visits:
        team = child.teams[{"CIN": "CIN", "CP": "CP", "CLA": "CIC"}[v.plan_type]]
        facts = {"visit_date": v.visit_date, "plan_type": v.plan_type, "seen": v.seen}
        if v.seen_alone is not None:
            facts["seen_alone"] = v.seen_alone
        yield Intended("visit", ref, facts, team)


def to_json(record: Intended) -> dict[str, object]:
    """A record as `POST /v1/activity` takes it."""
    body: dict[str, object] = {"kind": record.kind, "child_ref": record.child_ref}
    for name, value in record.facts.items():
        if isinstance(value, list):
            body[name] = [v.isoformat() if isinstance(v, date) else v for v in value]
        else:
            body[name] = value.isoformat() if isinstance(value, date) else value
    if record.team is not None:
        body["team"] = record.team
    return body


@dataclass(frozen=True)
class RestStep:
    """One request of a REST feed: `POST /v1/activity` (`records`) or
    `POST /v1/activity/withdrawals` (`withdrawals`), with the body's records."""

    path: str
    records: list[dict[str, object]]


def rest_batches(children: Sequence[Child], *, size: int = 1000) -> Iterator[RestStep]:
    """The children's records as batches of at most `size`, with their faults: a
    `late_referrals` child's first referral (and its assessments, enquiries and plans) held
    back to the last batch; a `corrections` child's first referral sent first with another
    primary need, then right in a later batch; a `repeats` child's batch sent twice; a
    `withdrawals` child's visit entered in error, sent then withdrawn. Applied in order, the
    steps leave exactly `rest_records(children)`."""
    pending: list[dict[str, object]] = []
    late: list[dict[str, object]] = []
    for child in children:
        for index, referral in enumerate(child.referrals):
            bodies = [to_json(r) for r in _referral_records(child, referral)]
            if index == 0 and "late_referrals" in child.faults:
                late.extend(bodies)
                continue
            if index == 0 and "corrections" in child.faults:
                wrong = "N5" if bodies[0]["primary_need"] != "N5" else "N4"
                pending.append(bodies[0] | {"primary_need": wrong})
                yield from _flush(pending, size)
            pending.extend(bodies)
        pending.extend(to_json(r) for r in _care_records(child))
        if "withdrawals" in child.faults:
            # no real visit falls on the day of referral with a CLA plan type
            day = child.referrals[0].referral_date if child.referrals else year_span(2025)[0]
            key: dict[str, object] = {
                "kind": "visit",
                "child_ref": child.child_ref,
                "visit_date": day.isoformat(),
                "plan_type": "CLA",
            }
            pending.append(key | {"seen": True})
            yield from _flush(pending, size)
            yield RestStep("/v1/activity/withdrawals", [key])
        if "repeats" in child.faults or len(pending) >= size:
            yield from _flush(pending, size, repeat="repeats" in child.faults)
    pending.extend(late)
    yield from _flush(pending, size)


def _flush(
    pending: list[dict[str, object]], size: int, *, repeat: bool = False
) -> Iterator[RestStep]:
    while pending:
        batch, pending[:] = pending[:size], pending[size:]
        yield RestStep("/v1/activity", batch)
        if repeat:
            yield RestStep("/v1/activity", list(batch))
            repeat = False
