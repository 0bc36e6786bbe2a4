"""Demo escalations for `deploy/local/demo.py`, through escalation-service's public API.

Every quarter of each tenant gets one escalation per scenario below, so that each quarter
holds escalations resolved or withdrawn at every stage, open ones awaiting a response or
with a response received, bypasses, NO_RESPONSE escalations, late responses, formal-limit
breaches and a Cafcass referral. Dates are backdated through the API's `raised_on`,
`responded_on`, `escalated_on`, ... fields; a step whose date would fall after today is not
taken, so recent escalations stay open. Every POST carries an Idempotency-Key."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx

from qaf_shared import devtoken
from qaf_shared.org_units import OrgUnitDirectory
from qaf_shared.quarters import quarter_bounds
from qaf_shared.working_days import add_working_days

SCALE = int(os.environ.get("QA_DEMO_SCALE", "2"))
ESCALATIONS = os.environ.get("QA_DEMO_ESCALATIONS_URL", "http://127.0.0.1:8002")
CATEGORIES = [
    "DRIFT_DELAY",
    "PERMANENCE_PLANNING",
    "PLAN_NOT_MEETING_NEEDS",
    "REVIEW_DECISIONS_NOT_IMPLEMENTED",
    "CARE_PLAN_OUT_OF_DATE",
    "STATUTORY_VISITS_OVERDUE",
    "REVIEW_OR_CONFERENCE_TIMELINESS",
    "REPORTS_NOT_PROVIDED",
    "ASSESSMENT_QUALITY",
    "HEALTH",
    "EDUCATION",
    "PLACEMENT_STABILITY",
    "FAMILY_TIME_CONTACT",
    "SAFEGUARDING_RISK",
    "RESOURCES",
    "CHILD_VOICE",
    "RIGHTS_BREACH",
    "OTHER",
]
OUTCOMES = ["ACTION_AGREED", "PLAN_CHANGED", "CONCERN_NOT_UPHELD", "OTHER"]


@dataclass(frozen=True)
class Step:
    """One lifecycle step, `after` working days after the previous one."""

    action: str  # respond | not_satisfied | no_response | resolve | withdraw | cafcass
    after: int


@dataclass(frozen=True)
class Scenario:
    steps: tuple[Step, ...]
    stage: str = "INFORMAL"
    iro_cic: bool | None = None  # True: an IRO's CIC case (Cafcass); None: either
    chair_due_days: int | None = None  # the chair sets the informal due date


def _s(*steps: tuple[str, int]) -> tuple[Step, ...]:
    return tuple(Step(a, n) for a, n in steps)


R, NS, NR, OK, WD, CAF = "respond", "not_satisfied", "no_response", "resolve", "withdraw", "cafcass"
# Steps far out (60 working days) close what is still open a quarter or two later.
SCENARIOS = (
    Scenario(_s((R, 3), (OK, 2))),
    Scenario(_s((R, 4), (NS, 1), (R, 4), (OK, 1))),
    Scenario(_s((R, 3), (NS, 1), (NR, 0), (R, 3), (OK, 2))),
    Scenario(_s((R, 4), (NS, 1), (R, 7), (NS, 1), (R, 8), (NS, 2), (R, 5), (OK, 3))),
    Scenario(_s((R, 4), (NS, 1), (R, 4), (OK, 1)), stage="HEAD_OF_SERVICE"),
    Scenario(_s((WD, 2))),
    Scenario(_s((R, 3), (NS, 1), (R, 4), (WD, 2))),
    Scenario(_s((R, 60), (OK, 2))),
    Scenario(_s((R, 3), (OK, 60)), stage="SERVICE_MANAGER"),
    Scenario(_s((NR, 0), (R, 60), (OK, 1))),
    Scenario(_s((R, 3), (NS, 1), (CAF, 2), (R, 4), (OK, 2)), iro_cic=True),
    Scenario(_s((R, 60), (WD, 1)), stage="DIRECTOR"),
    Scenario(_s((R, 8), (OK, 1)), chair_due_days=10),
    Scenario(_s((R, 2), (NS, 1), (NR, 0), (WD, 3))),
    Scenario(_s((CAF, 1), (NR, 0), (NR, 0), (R, 2), (OK, 2)), iro_cic=True),
    # Left open for good: a chair yet to decide, and a team manager who never answered.
    Scenario(_s((R, 3), (NS, 1), (R, 4), (NS, 1), (R, 5))),
    Scenario(_s((R, 2), (NS, 1))),
)


def load(
    client: httpx.Client, tenant: str, rng: random.Random, today: date, quarters: list[str]
) -> int:
    """Raise and work through one escalation per scenario in every quarter; returns how many."""
    token = devtoken.mint(scopes="escalations:write", tenant=tenant, subject="demo-loader")
    headers = {"Authorization": f"Bearer {token}", "X-Actor": "demo"}
    units = OrgUnitDirectory().tenant(tenant)
    assert units is not None
    teams = [t for districts in units.areas.values() for ts in districts.values() for t in ts]
    loaded = 0
    for quarter in quarters:
        start, end = quarter_bounds(quarter)
        end = min(end, today)
        for n, scenario in enumerate(SCENARIOS * SCALE):
            key = f"demo-v1-{tenant}-{quarter}-{n}"
            raised_on = start + timedelta(days=rng.randrange((end - start).days + 1))
            escalation = _raise(client, headers, key, scenario, raised_on, rng, teams, units)
            _work_through(client, headers, key, scenario, escalation, today, rng)
            loaded += 1
    return loaded


def _raise(
    client: httpx.Client,
    headers: dict[str, str],
    key: str,
    scenario: Scenario,
    raised_on: date,
    rng: random.Random,
    teams: list[str],
    units: Any,
) -> dict[str, Any]:
    iro_cic = scenario.iro_cic if scenario.iro_cic is not None else rng.random() < 0.5
    unit = (
        {"service": rng.choice(units.services)}
        if rng.random() < 0.2
        else {"team": rng.choice(teams)}
    )
    body: dict[str, Any] = {
        "case_ref": f"DEMO-E-{key.split('-', 2)[2]}",
        **unit,
        "plan_type": "CIC" if iro_cic else rng.choice(["CP", "CP", "CIN"]),
        "raised_by": f"{'iro' if iro_cic else 'chair'}-{rng.randrange(20)}",
        "raised_by_role": "IRO" if iro_cic else "CP_CHAIR",
        "categories": rng.sample(CATEGORIES, rng.randrange(1, 4)),
        "summary": "Demo escalation: the plan has not progressed as agreed.",
        "desired_outcome": "Demo: the agreed actions are completed.",
        "raised_on": raised_on.isoformat(),
    }
    if scenario.stage != "INFORMAL":
        body["stage"] = scenario.stage
        body["bypass_reason"] = "Demo: risk to the child needs senior attention now."
    if scenario.chair_due_days is not None:
        body["due_date"] = add_working_days(raised_on, scenario.chair_due_days).isoformat()
    return _post(client, "/v1/escalations", body, headers, key + "-raise")


def _work_through(
    client: httpx.Client,
    headers: dict[str, str],
    key: str,
    scenario: Scenario,
    escalation: dict[str, Any],
    today: date,
    rng: random.Random,
) -> None:
    day = date.fromisoformat(escalation["raised_on"])
    path = f"/v1/escalations/{escalation['id']}"
    for i, step in enumerate(scenario.steps):
        day = add_working_days(day, step.after)
        if step.action == NR:  # only once the stage is past its due date
            day = max(day, add_working_days(date.fromisoformat(escalation["stage_due_date"]), 1))
        if day > today:
            return
        on = day.isoformat()
        step_key = f"{key}-{i}"
        if step.action == R:
            body = {"responder": f"tm-{rng.randrange(40)}", "response": "Demo response."}
            escalation = _post(
                client, f"{path}/responses", {**body, "responded_on": on}, headers, step_key
            )
        elif step.action in (NS, NR):
            reason = "NOT_SATISFIED" if step.action == NS else "NO_RESPONSE"
            escalation = _post(
                client,
                f"{path}/escalate",
                {"reason": reason, "escalated_on": on},
                headers,
                step_key,
            )
        elif step.action == OK:
            body = {"outcome": rng.choice(OUTCOMES), "resolved_on": on}
            escalation = _post(client, f"{path}/resolve", body, headers, step_key)
        elif step.action == WD:
            body = {"reason": "Demo: the concern was addressed elsewhere.", "withdrawn_on": on}
            escalation = _post(client, f"{path}/withdraw", body, headers, step_key)
        elif step.action == CAF:
            _post(client, f"{path}/cafcass-referral", {"referred_on": on}, headers, step_key)


def _post(
    client: httpx.Client, path: str, body: dict[str, Any], headers: dict[str, str], key: str
) -> dict[str, Any]:
    response = client.post(
        f"{ESCALATIONS}{path}", json=body, headers={**headers, "Idempotency-Key": key}
    )
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result
