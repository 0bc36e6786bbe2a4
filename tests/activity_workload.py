"""A seeded activity workload for two tenants (Kent 886 and Medway 887) in REST form, with the
corrections that follow it, for the oracle test of the Deep Dive's `activity` measures
(test_activity_oracle.py). Random children give volume (counts above the suppression
threshold in the tenant, one area and one service, some under it); hand-made children give
every case issue 15's test list names, each on both sides of its line:

- re-referrals a year apart, around 29 February and on the same day;
- assessments authorised on the 45th working day and the 46th, around Easter and Christmas;
- ICPCs before their S47, on its 15th working day and on its 16th;
- second CP plans (an earlier record, `previous_plans` > 0) and plans 730 and 729 days
  old at a quarter's end; CP reviews due on the quarter's last day and the day before;
- care with placement changes (RNE S/P/T/B/L/U) across the 12-month line;
- reviews and visits (CIN, CP, CLA) on the day they fall due and the day after;
- then late records (an earlier year loaded after), withdrawals, replacements, and an SSDA903
  return loaded and re-loaded.

Dates come from the oracle's own day arithmetic (activity_oracle), never from the code under
test."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from .activity_oracle import add_months, add_working_days, quarter_days

FIRST, LAST = date(2023, 1, 2), date(2026, 9, 30)  # every record dated in between
QUARTERS = [f"FY{y}Q{q}" for y in (2023, 2024, 2025, 2026) for q in (1, 2, 3, 4)]
QUARTERS = QUARTERS[QUARTERS.index("FY2023Q4") : QUARTERS.index("FY2026Q2") + 1]
AREA, SERVICE = "SOUTH", "DISABLED_CHILDREN"  # Kent's units the test reads besides the tenant
ORG_UNITS = Path(__file__).resolve().parent.parent / "shared/src/qaf_shared/org_units/data"

Record = dict[str, Any]
Key = tuple[str, str, str, str]  # kind, child_ref, the key date, a visit's plan type
KEY_DATE = {
    "referral": "referral_date",
    "assessment": "start_date",
    "s47_enquiry": "start_date",
    "cp_plan": "start_date",
    "care_episode": "start_date",
    "care_review": "review_date",
    "visit": "visit_date",
}


def key(record: Record) -> Key:
    kind = record["kind"]
    plan_type = record.get("plan_type", "") if kind == "visit" else ""
    return kind, record["child_ref"], record[KEY_DATE[kind]], plan_type


def withdrawal(record: Record) -> Record:
    out = {"kind": record["kind"], "child_ref": record["child_ref"]}
    out[KEY_DATE[record["kind"]]] = record[KEY_DATE[record["kind"]]]
    if record["kind"] == "visit":
        out["plan_type"] = record["plan_type"]
    return out


@dataclass(frozen=True)
class Units:
    """A tenant's org units: each team's district and area."""

    tenant: str
    districts: dict[str, list[str]]  # district -> teams
    area_of: dict[str, str]  # district -> area
    services: list[str]

    @classmethod
    def load(cls, tenant: str) -> Units:
        tree = yaml.safe_load((ORG_UNITS / f"{tenant}.yaml").read_text())
        districts, area_of = {}, {}
        for area in tree["areas"]:
            for district in area["districts"]:
                districts[district["code"]] = district["teams"]
                area_of[district["code"]] = area["code"]
        return cls(tenant, districts, area_of, tree["services"])

    def area_of_team(self, team: str) -> str:
        return next(self.area_of[d] for d, teams in self.districts.items() if team in teams)

    def district_of_team(self, team: str) -> str:
        return next(d for d, teams in self.districts.items() if team in teams)


def iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


@dataclass
class Tenant:
    """One tenant's workload: the first writes, then the corrections."""

    units: Units
    records: list[Record] = field(default_factory=list)  # phase 1, over REST
    ssda903: list[Record] = field(default_factory=list)  # phase 1, the FY2024 return
    late: list[Record] = field(default_factory=list)  # phase 2: records of an earlier year
    replaced: list[Record] = field(default_factory=list)  # phase 2: new versions (REST)
    withdrawn: list[Record] = field(default_factory=list)  # phase 2: withdrawn over REST
    ssda903_reloaded: list[Record] = field(default_factory=list)  # phase 2: the re-load

    def add(self, kind: str, child: str, unit: dict[str, str], **facts: Any) -> Record:
        record = {"kind": kind, "child_ref": child, **unit}
        record |= {
            k: iso(v) if isinstance(v, date) else v for k, v in facts.items() if v is not None
        }
        if "review_dates" in record:
            record["review_dates"] = [iso(d) for d in record["review_dates"]]
        self.records.append(record)
        return record


def state_after(records: list[Record], tenant: Tenant | None = None) -> dict[Key, Record]:
    """What the service should hold after these writes in order (latest wins, a fact left
    out keeps its value)."""
    held: dict[Key, Record] = {}
    for record in records:
        held[key(record)] = merged(held.get(key(record), {}), record)
    return held


def merged(stored: Record, write: Record) -> Record:
    """A write over what is stored: its facts win, one it leaves out is kept, and a write
    naming a team or a service replaces the record's unit."""
    out = dict(stored)
    if "team" in write or "service" in write:
        out.pop("team", None)
        out.pop("service", None)
    return out | write


def first_phase(tenant: Tenant) -> dict[Key, Record]:
    return state_after([*tenant.records, *tenant.ssda903])


def second_phase(tenant: Tenant) -> dict[Key, Record]:
    held = state_after([*tenant.records, *tenant.ssda903, *tenant.late, *tenant.replaced])
    reloaded = {key(r) for r in tenant.ssda903_reloaded}
    for record in tenant.ssda903:
        if key(record) not in reloaded:
            held.pop(key(record), None)
    for record in tenant.ssda903_reloaded:
        held[key(record)] = merged(held.get(key(record), {}), record)
    for record in tenant.withdrawn:
        held.pop(key(record), None)
    return held


# -- random children --------------------------------------------------------------------------


def _day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def _unit_picker(rng: random.Random, units: Units) -> Any:
    """The child's home: a district (a third in AREA), the SERVICE, or none; each record
    then mostly at home, sometimes in another district or with no team."""
    roll = rng.random()
    in_area = [d for d in units.districts if units.area_of[d] == AREA]
    if roll < 0.3:
        home: str | None = rng.choice(in_area or list(units.districts))
    elif roll < 0.6:
        home = rng.choice(list(units.districts))
    elif roll < 0.8:
        home = None
        service = SERVICE
    else:
        home, service = None, ""

    def unit(role: str) -> dict[str, str]:
        other = rng.random()
        if other < 0.08:
            return {}
        if other < 0.14:
            district = rng.choice(list(units.districts))
            return {"team": next(t for t in units.districts[district] if role in t)}
        if home is not None:
            return {"team": next(t for t in units.districts[home] if role in t)}
        return {"service": service} if service else {}

    return unit


def random_child(tenant: Tenant, rng: random.Random, ref: str) -> None:
    unit = _unit_picker(rng, tenant.units)
    day = _day(rng, FIRST, LAST - timedelta(days=30))
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        if day > LAST - timedelta(days=5):
            break
        _random_referral(tenant, rng, ref, unit, day)
        day += timedelta(days=rng.randint(20, 420))
    if rng.random() < 0.3:
        _random_care(tenant, rng, ref, unit, _day(rng, FIRST, LAST - timedelta(days=20)))


def _cap(day: date | None) -> date | None:
    return day if day is not None and day <= LAST else None


def _random_referral(tenant: Tenant, rng: random.Random, ref: str, unit: Any, day: date) -> None:
    nfa = rng.random() < 0.15
    closure = (
        day
        if nfa
        else _cap(day + timedelta(days=rng.randint(40, 420)))
        if rng.random() < 0.7
        else None
    )
    tenant.add(
        "referral", ref, unit("CIN"), referral_date=day, nfa=nfa, closure_date=closure,
        referral_source=rng.choice(("6", "2A", "3A", "8")), primary_need="N1",
    )  # fmt: skip
    if nfa:
        return
    if rng.random() < 0.85:
        start = day + timedelta(days=rng.randint(0, 36))
        authorised = _cap(add_working_days(day, rng.randint(18, 60)))
        if start <= LAST:
            tenant.add(
                "assessment", ref, unit("CIN"), start_date=start, referral_date=day,
                authorised_date=authorised if authorised and authorised >= start else None,
            )  # fmt: skip
    if rng.random() < 0.7:
        visit = add_working_days(day, rng.randint(12, 23))
        while visit <= LAST and (closure is None or visit < closure):
            tenant.add(
                "visit",
                ref,
                unit("CIN"),
                visit_date=visit,
                plan_type="CIN",
                seen=rng.random() < 0.9,
            )
            visit = add_working_days(visit, rng.randint(14, 24))
    if rng.random() < 0.3:
        start = day + timedelta(days=rng.randint(0, 36))
        if start > LAST:
            return
        icpc = _cap(add_working_days(start, rng.randint(8, 19))) if rng.random() < 0.65 else None
        if icpc is not None and rng.random() < 0.04:
            icpc = start - timedelta(days=rng.randint(1, 4))  # an ICPC dated before its S47
        tenant.add(
            "s47_enquiry", ref, unit("CIN"), start_date=start, referral_date=day, icpc_date=icpc,
            icpc_target_date=add_working_days(start, 15),
        )  # fmt: skip
        if icpc is not None and icpc >= start and rng.random() < 0.8:
            _random_plan(tenant, rng, ref, unit, icpc + timedelta(days=rng.randint(0, 55)))


def _random_plan(tenant: Tenant, rng: random.Random, ref: str, unit: Any, start: date) -> None:
    if start > LAST:
        return
    end = _cap(start + timedelta(days=rng.randint(60, 900))) if rng.random() < 0.6 else None
    reviews = []
    review = add_months(start, 3) + timedelta(days=rng.randint(-20, 8))
    while review <= LAST and (end is None or review <= end):
        reviews.append(review)
        review = add_months(review, 6) + timedelta(days=rng.randint(-25, 5))
    tenant.add(
        "cp_plan", ref, unit("CP"), start_date=start, end_date=end, initial_category="NEG",
        previous_plans=0 if rng.random() < 0.85 else rng.randint(1, 3), review_dates=reviews,
    )  # fmt: skip
    visit = add_working_days(start, rng.randint(6, 12))
    while visit <= LAST and (end is None or visit < end) and visit < start + timedelta(days=200):
        tenant.add(
            "visit", ref, unit("CP"), visit_date=visit, plan_type="CP", seen=rng.random() < 0.9
        )
        visit = add_working_days(visit, rng.randint(7, 12))


def _random_care(tenant: Tenant, rng: random.Random, ref: str, unit: Any, start: date) -> None:
    reasons = ["S"]
    for _ in range(rng.randint(0, 5)):
        reasons.append(rng.choice("PPTBLU"))
    day, period_start = start, start
    for index, reason in enumerate(reasons):
        length = rng.randint(20, 260)
        end = _cap(day + timedelta(days=length))
        if index == len(reasons) - 1 and rng.random() < 0.5:
            end = None
        tenant.add(
            "care_episode", ref, unit("CIC"), start_date=day, reason_new_episode=reason,
            legal_status="C2", cin_category="N1", placement="U1", end_date=end,
        )  # fmt: skip
        if reason in "SPTB":
            visit = day + timedelta(days=rng.randint(3, 9))
            while visit <= LAST and (end is None or visit < end):
                tenant.add(
                    "visit",
                    ref,
                    unit("CIC"),
                    visit_date=visit,
                    plan_type="CLA",
                    seen=rng.random() < 0.9,
                )
                visit += timedelta(days=rng.randint(30, 46))
        if end is None:
            break
        day = end
    period_end = end
    review = add_working_days(period_start, rng.randint(14, 24))
    gap = 3
    while review <= LAST and (period_end is None or review < period_end):
        tenant.add("care_review", ref, unit("CIC"), review_date=review, pn_code="PN1")
        review = add_months(review, gap) + timedelta(days=rng.randint(-12, 6))
        gap = 6


# -- the hand-made cases ----------------------------------------------------------------------


def edge_cases(tenant: Tenant) -> None:
    """Every case of issue 15's list, each on both sides of its line, in AREA's teams."""
    cin, cp, cic = {"team": "ASH-CIN1"}, {"team": "ASH-CP1"}, {"team": "ASH-CIC1"}
    add = tenant.add
    # Re-referrals: the second of each pair is one (True) or not (False).
    for n, (earlier, later) in enumerate(
        [
            (date(2024, 2, 29), date(2025, 2, 28)),  # True: a year before 28/2/25 is 28/2/24
            (date(2024, 2, 28), date(2025, 3, 1)),  # False
            (date(2023, 2, 28), date(2024, 2, 29)),  # True: a year before 29/2 is 28/2
            (date(2023, 2, 27), date(2024, 2, 29)),  # False
            (date(2024, 6, 10), date(2025, 6, 10)),  # True: the same day a year before
            (date(2024, 6, 10), date(2025, 6, 11)),  # False
        ]
    ):
        add(
            "referral",
            f"RR-{n}",
            cin,
            referral_date=earlier,
            nfa=False,
            closure_date=earlier + timedelta(days=30),
        )
        add("referral", f"RR-{n}", cin, referral_date=later, nfa=False)
    # Assessments: the 45th working day lands on Thursday 17 April 2025 (Good Friday and
    # Easter Monday follow) and on Tuesday 24 December 2024 (25, 26 December follow).
    for n, (due, authorised) in enumerate(
        [
            (date(2025, 4, 17), date(2025, 4, 17)),  # 45: on time
            (date(2025, 4, 17), date(2025, 4, 21)),  # Easter Monday: still 45
            (date(2025, 4, 17), date(2025, 4, 22)),  # 46: late
            (date(2024, 12, 24), date(2024, 12, 26)),  # Boxing Day: still 45
            (date(2024, 12, 24), date(2024, 12, 27)),  # 46: late
            (date(2024, 12, 24), date(2025, 1, 2)),  # 49 (27, 30, 31 December, 2 January): late
        ]
    ):
        referral = _working_days_before(due, 45)
        add("referral", f"AS-{n}", cin, referral_date=referral, nfa=False)
        add("assessment", f"AS-{n}", cin, start_date=referral + timedelta(days=3),
            referral_date=referral, authorised_date=authorised)  # fmt: skip
    # ICPCs: before the S47 (counted nowhere), on the 15th working day, on the 16th; the
    # middle ones across Easter 2025.
    s47_start = date(2025, 4, 10)
    for n, icpc in enumerate(
        [
            s47_start - timedelta(days=2),
            add_working_days(s47_start, 15),
            add_working_days(s47_start, 16),
        ]
    ):
        referral = s47_start - timedelta(days=5)
        add("referral", f"IC-{n}", cin, referral_date=referral, nfa=False)
        add(
            "s47_enquiry",
            f"IC-{n}",
            cin,
            start_date=s47_start,
            referral_date=referral,
            icpc_date=icpc,
        )
        add(
            "cp_plan",
            f"IC-{n}",
            cp,
            start_date=max(icpc, s47_start) + timedelta(days=20),
            initial_category="EMO",
        )
    # Second plans: an earlier record; previous_plans > 0; neither.
    add(
        "cp_plan",
        "CP-0",
        cp,
        start_date=date(2024, 1, 15),
        end_date=date(2024, 9, 2),
        initial_category="NEG",
    )
    add("cp_plan", "CP-0", cp, start_date=date(2025, 5, 6), initial_category="NEG")
    add(
        "cp_plan", "CP-1", cp, start_date=date(2025, 5, 7), initial_category="NEG", previous_plans=2
    )
    add(
        "cp_plan", "CP-2", cp, start_date=date(2025, 5, 8), initial_category="NEG", previous_plans=0
    )
    # Plans 730 and 729 days old at a quarter's end, with reviews due on and before it.
    for quarter in ("FY2025Q4", "FY2026Q1"):
        end = quarter_days(quarter)[1]
        for n, age in enumerate((730, 729)):
            start = end - timedelta(days=age)
            first = add_months(start, 3)
            add("cp_plan", f"P2-{quarter}-{n}", cp, start_date=start, initial_category="PHY",
                review_dates=[first, add_months(first, 6), add_months(add_months(first, 6), 6)])  # fmt: skip
        # Due on the quarter's last day (no review yet: on time), due the day before (overdue).
        for n, due in enumerate((end, end - timedelta(days=1))):
            add(
                "cp_plan",
                f"PR-{quarter}-{n}",
                cp,
                start_date=add_months(due, -3),
                initial_category="NEG",
            )
        # A review held on its due date, and one held the day after.
        for n, late in enumerate((0, 1)):
            start = add_months(end, -5)
            add("cp_plan", f"PH-{quarter}-{n}", cp, start_date=start, initial_category="NEG",
                review_dates=[add_months(start, 3) + timedelta(days=late)])  # fmt: skip
    # CP and CIN visits on the day they fall due and the day after.
    for n, late in enumerate((0, 1)):
        start = date(2025, 11, 3)
        add("cp_plan", f"VP-{n}", cp, start_date=start, initial_category="NEG")
        first = add_working_days(start, 10 + late)
        add("visit", f"VP-{n}", cp, visit_date=first, plan_type="CP", seen=True)
        add(
            "visit",
            f"VP-{n}",
            cp,
            visit_date=add_working_days(first, 10 + late),
            plan_type="CP",
            seen=True,
        )
        referral = date(2025, 12, 1)
        add("referral", f"VC-{n}", cin, referral_date=referral, nfa=False)
        first = add_working_days(referral, 20 + late)  # across Christmas 2025
        add("visit", f"VC-{n}", cin, visit_date=first, plan_type="CIN", seen=True)
        add(
            "visit",
            f"VC-{n}",
            cin,
            visit_date=first + timedelta(days=1),
            plan_type="CIN",
            seen=False,
        )
        add(
            "visit",
            f"VC-{n}",
            cin,
            visit_date=add_working_days(first, 20 + late),
            plan_type="CIN",
            seen=True,
        )
    # Care: placements across the 12-month line of FY2025Q3's end (31 December 2025). The
    # first placement ends on 1 January 2025 (open only up to 31 December 2024: outside the
    # window) or on 2 January 2025 (open on 1 January 2025: inside).
    for n, first_end in enumerate((date(2025, 1, 1), date(2025, 1, 2))):
        ref = f"PL-{n}"
        add("referral", ref, cin, referral_date=date(2024, 3, 4), nfa=False)
        start = date(2024, 6, 3)
        episodes = [
            (start, "S", date(2024, 9, 2)),
            (date(2024, 9, 2), "L", first_end),  # legal status only: the same placement
            (first_end, "P", date(2025, 5, 1)),
            (date(2025, 5, 1), "U", date(2025, 8, 1)),  # neither: the same placement
            (date(2025, 8, 1), "T" if n else "B", None),
        ]
        for decom, rne, dec in episodes:
            add("care_episode", ref, cic, start_date=decom, reason_new_episode=rne, legal_status="C2",
                cin_category="N1", placement="U1", end_date=dec)  # fmt: skip
        # Reviews: the first on its 20th working day or the 21st, the second 3 months on,
        # or a day later.
        first = add_working_days(start, 20 + n)
        second = add_months(first, 3) + timedelta(days=n)
        for review in (first, second, add_months(second, 6)):
            add("care_review", ref, cic, review_date=review, pn_code="PN1")
        # CLA visits: 7 days after the placement's start or 8, then 42 days on or 43; the
        # third placement's first a week after it starts again.
        visit = start + timedelta(days=7 + n)
        add("visit", ref, cic, visit_date=visit, plan_type="CLA", seen=True)
        add(
            "visit", ref, cic, visit_date=visit + timedelta(days=42 + n), plan_type="CLA", seen=True
        )
        add(
            "visit",
            ref,
            cic,
            visit_date=first_end + timedelta(days=7 + n),
            plan_type="CLA",
            seen=True,
        )
    # Routes into care: a plan open that day, a plan that ended that day with a referral
    # open, a referral made that day, nothing.
    care_day = date(2025, 7, 14)
    add("cp_plan", "RT-0", cp, start_date=date(2025, 2, 3), initial_category="NEG")
    add(
        "cp_plan",
        "RT-1",
        cp,
        start_date=date(2025, 2, 3),
        end_date=care_day,
        initial_category="NEG",
    )
    add("referral", "RT-1", cin, referral_date=date(2025, 1, 6), nfa=False)
    add("referral", "RT-2", cin, referral_date=care_day, nfa=False)
    for n in range(4):
        add("care_episode", f"RT-{n}", cic, start_date=care_day, reason_new_episode="S",
            legal_status="C2", cin_category="N1", placement="U1")  # fmt: skip


def _working_days_before(day: date, count: int) -> date:
    """The day from which `day` is `count` working days on."""
    start = day
    while True:
        start -= timedelta(days=1)
        if add_working_days(start, count) == day:
            return start
        assert start > day - timedelta(days=3 * count), day


# -- the corrections --------------------------------------------------------------------------


def corrections(tenant: Tenant, rng: random.Random) -> None:
    """Late records of an earlier year, withdrawals and replacements over REST."""
    cin, cp = {"team": "ASH-CIN1"}, {"team": "ASH-CP1"}
    if tenant.units.tenant == "886":
        # Late: a referral of FY2023 makes RR-1's first referral (28/2/24) a re-referral; an
        # earlier plan makes CP-2's plan a second; a plan open on RT-3's entry into care
        # makes its route CP_PLAN; a CIN visit moves VC-1's next due date.
        tenant.late += [
            {"kind": "referral", "child_ref": "RR-1", **cin, "referral_date": "2023-03-15", "nfa": False},
            {"kind": "cp_plan", "child_ref": "CP-2", **cp, "start_date": "2023-05-02",
             "end_date": "2023-11-20", "initial_category": "NEG"},
            {"kind": "cp_plan", "child_ref": "RT-3", **cp, "start_date": "2025-01-06",
             "initial_category": "NEG"},
            {"kind": "visit", "child_ref": "VC-1", **cin, "plan_type": "CIN", "seen": True,
             "visit_date": iso(add_working_days(date(2025, 12, 1), 30))},
        ]  # fmt: skip
        # Withdrawn: RR-0's first referral (its second is no longer a re-referral), IC-1's
        # S47, PL-1's second CLA visit.
        by_key = state_after(tenant.records)
        tenant.withdrawn += [
            withdrawal(next(r for k, r in by_key.items() if k[:2] == ("referral", "RR-0"))),
            withdrawal(next(r for k, r in by_key.items() if k[:2] == ("s47_enquiry", "IC-1"))),
            withdrawal(sorted((r for k, r in by_key.items() if k[:2] == ("visit", "PL-1")),
                              key=lambda r: r["visit_date"])[1]),
        ]  # fmt: skip
    randoms = [r for r in tenant.records if r["child_ref"].startswith("C-")]
    # Late: an earlier year's referrals for some children.
    children = sorted({r["child_ref"] for r in randoms})
    for ref in rng.sample(children, 12):
        day = _day(rng, date(2023, 1, 2), date(2023, 12, 20))
        if any(
            r["child_ref"] == ref
            and r["kind"] == "referral"
            and r["referral_date"] <= iso(day + timedelta(days=10))
            for r in randoms
        ):  # type: ignore[operator]
            continue  # one that would overlap a referral of its own
        tenant.late.append({"kind": "referral", "child_ref": ref, "referral_date": iso(day), "nfa": False,
                            "closure_date": iso(day + timedelta(days=10))})  # fmt: skip
    # Withdrawn: some records of most kinds (not an episode, which would leave a gap in care,
    # nor a plan or a referral that visits are measured within).
    candidates = [
        r
        for r in randoms
        if r["kind"] in ("assessment", "s47_enquiry", "visit", "care_review") or r.get("nfa")
    ]
    tenant.withdrawn += [withdrawal(r) for r in rng.sample(candidates, 20)]
    # Replaced: new versions changing nfa, a unit, an authorisation, a plan's end, an ICPC.
    units = tenant.units
    for record in rng.sample([r for r in randoms if r["kind"] == "referral"], 10):
        tenant.replaced.append({**record, "nfa": not record.get("nfa")})
    for record in rng.sample(randoms, 15):
        choice = rng.random()
        if choice < 0.4:
            district = rng.choice(list(units.districts))
            moved: dict[str, Any] = {"team": units.districts[district][0], "service": None}
        elif choice < 0.7:
            moved = {"service": SERVICE, "team": None}
        else:
            moved = {"team": None}
        tenant.replaced.append({**withdrawal(record), **moved})
    for record in rng.sample(
        [r for r in randoms if r["kind"] == "assessment" and r.get("authorised_date")], 6
    ):
        day = date.fromisoformat(record["authorised_date"]) + timedelta(days=rng.randint(1, 20))
        if day <= LAST:
            tenant.replaced.append({**record, "authorised_date": iso(day)})
    for record in rng.sample(
        [r for r in randoms if r["kind"] == "cp_plan" and not r.get("end_date")], 5
    ):
        visits = [
            v["visit_date"]
            for v in randoms
            if v["child_ref"] == record["child_ref"] and v["kind"] == "visit"
        ]
        after = date.fromisoformat(
            max([record["start_date"], *visits, *record.get("review_dates", [])])
        )
        day = after + timedelta(days=rng.randint(1, 200))
        if day <= LAST:
            tenant.replaced.append({**record, "end_date": iso(day)})
    for record in rng.sample(
        [r for r in randoms if r["kind"] == "s47_enquiry" and not r.get("icpc_date")], 5
    ):
        day = add_working_days(date.fromisoformat(record["start_date"]), rng.randint(10, 18))
        if day <= LAST:
            tenant.replaced.append({**record, "icpc_date": iso(day)})


def ssda903_children(tenant: Tenant, rng: random.Random, count: int) -> None:
    """Children known only from an SSDA903 return (no team: tenant level), loaded once and
    then re-loaded with reviews dropped and added, an episode ended and a reason changed."""
    for n in range(count):
        ref = f"S903-{n}"
        start = _day(rng, date(2023, 4, 3), date(2025, 2, 20))
        reasons = ["S", *rng.choices("PTBLU", k=rng.randint(1, 4))]
        day = start
        episodes = []
        for reason in reasons:
            end = day + timedelta(days=rng.randint(30, 200))
            episodes.append({"kind": "care_episode", "child_ref": ref, "start_date": iso(day),
                             "reason_new_episode": reason, "legal_status": "C2", "cin_category": "N1",
                             "placement": "U1", "end_date": iso(end)})  # fmt: skip
            day = end
        episodes[-1]["end_date"] = None
        reviews = []
        review = add_working_days(start, rng.randint(15, 23))
        while review <= LAST:
            reviews.append(
                {
                    "kind": "care_review",
                    "child_ref": ref,
                    "review_date": iso(review),
                    "pn_code": "PN1",
                }
            )
            review = add_months(review, 3 if len(reviews) == 1 else 6) + timedelta(
                days=rng.randint(-10, 8)
            )
        tenant.ssda903 += [*episodes, *reviews]
        again = [dict(r) for r in (*episodes, *reviews)]
        if n % 3 == 0 and len(reviews) > 1:
            again.remove(
                next(r for r in again if r.get("review_date") == reviews[1]["review_date"])
            )
        if n % 4 == 1:
            last = again[len(episodes) - 1]
            end = iso(min(LAST, date.fromisoformat(last["start_date"]) + timedelta(days=90)))
            last["end_date"] = end
            again = [r for r in again if r["kind"] != "care_review" or r["review_date"] < end]
        if n % 5 == 2 and len(episodes) > 1:
            again[1]["reason_new_episode"] = "L" if again[1]["reason_new_episode"] != "L" else "P"
        if n % 6 == 3:
            extra = date.fromisoformat(reviews[0]["review_date"]) + timedelta(days=20)
            ended = again[len(episodes) - 1]["end_date"]
            if all(r["review_date"] != iso(extra) for r in reviews) and (
                ended is None or iso(extra) < ended
            ):
                again.append(
                    {
                        "kind": "care_review",
                        "child_ref": ref,
                        "review_date": iso(extra),
                        "pn_code": "PN2",
                    }
                )
        tenant.ssda903_reloaded += again


def ssda903_files(records: list[Record]) -> dict[str, tuple[str, bytes, str]]:
    """The SSDA903 tables (header, episodes, reviews) holding these records."""

    def table(columns: list[str], rows: Iterator[dict[str, str]]) -> bytes:
        out = io.StringIO()
        writer = csv.DictWriter(out, columns)
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue().encode()

    def dmy(value: str | None) -> str:
        return date.fromisoformat(value).strftime("%d/%m/%Y") if value else ""

    children = sorted({r["child_ref"] for r in records})
    header = table(["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"],
                   iter([{"CHILD": c, "SEX": "1", "DOB": "01/01/2012"} for c in children]))  # fmt: skip
    episodes = table(
        ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
         "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"],
        iter([{"CHILD": r["child_ref"], "DECOM": dmy(r["start_date"]), "RNE": r["reason_new_episode"],
               "LS": r["legal_status"], "CIN": r["cin_category"], "PLACE": r["placement"],
               "DEC": dmy(r.get("end_date")), "REC": "X1" if r.get("end_date") else ""}
              for r in records if r["kind"] == "care_episode"]),
    )  # fmt: skip
    reviews = table(["CHILD", "DOB", "REVIEW", "REVIEW_CODE"],
                    iter([{"CHILD": r["child_ref"], "DOB": "01/01/2012", "REVIEW": dmy(r["review_date"]),
                           "REVIEW_CODE": r["pn_code"]} for r in records if r["kind"] == "care_review"]))  # fmt: skip
    return {name: (f"{name}.csv", body, "text/csv") for name, body in
            (("header", header), ("episodes", episodes), ("reviews", reviews))}  # fmt: skip


def workload(seed: int = 15) -> dict[str, Tenant]:
    """Kent (hand-made cases, ~450 random children, 30 SSDA903 children) and Medway (~150)."""
    out = {}
    for tenant_code, children in (("886", 450), ("887", 150)):
        tenant = Tenant(Units.load(tenant_code))
        rng = random.Random(f"{seed}-{tenant_code}")
        if tenant_code == "886":
            edge_cases(tenant)
        for n in range(children):
            # the same refs in both tenants: two children, never one history
            random_child(tenant, random.Random(f"{seed}-{tenant_code}-{n}"), f"C-{n:04d}")
        tenant.records = list(state_after(tenant.records).values())  # one write per key
        ssda903_children(tenant, rng, 30 if tenant_code == "886" else 10)
        corrections(tenant, rng)
        out[tenant_code] = tenant
    return out
