"""Demo audits for `deploy/local/demo.py`, through audit-service's public API."""

from __future__ import annotations

import random
from datetime import date, timedelta

import httpx

from qaf_shared import devtoken
from qaf_shared.org_units import OrgUnitDirectory
from qaf_shared.quarters import quarter_bounds

AUDITS = "http://127.0.0.1:8001"
PER_QUARTER = 12
GRADE_WEIGHTS = {"OUTSTANDING": 1, "GOOD": 5, "REQUIRES_IMPROVEMENT": 4, "INADEQUATE": 1}
THEMES = [
    "DRIFT_DELAY",
    "CHILD_VOICE",
    "MANAGEMENT_OVERSIGHT",
    "SMART_PLANNING",
    "RISK_ASSESSMENT",
    "CHRONOLOGY",
    "STATUTORY_VISITS",
]


def load(
    client: httpx.Client, tenant: str, rng: random.Random, today: date, quarters: list[str]
) -> int:
    """Schedule and submit audits in every quarter; returns how many."""
    token = devtoken.mint(scopes="audits:write", tenant=tenant, subject="demo-loader")
    headers = {"Authorization": f"Bearer {token}", "X-Actor": "demo"}
    units = OrgUnitDirectory().tenant(tenant)
    assert units is not None
    teams = [t for districts in units.areas.values() for ts in districts.values() for t in ts]
    loaded = 0
    for quarter in quarters:
        start, end = quarter_bounds(quarter)
        end = min(end, today)
        for n in range(PER_QUARTER):
            key = f"demo-v1-{tenant}-{quarter}-{n}"
            unit = (
                {"service": rng.choice(units.services)}
                if rng.random() < 0.2
                else {"team": rng.choice(teams)}
            )
            submitted_on = start + timedelta(days=rng.randrange((end - start).days + 1))
            created = client.post(
                f"{AUDITS}/v1/audits",
                json={
                    "case_ref": f"DEMO-{tenant}-{quarter}-{n}",
                    **unit,
                    "plan_type": rng.choice(["CIN", "CP", "CIC", "CARE_LEAVER"]),
                    "auditor": f"tm-{rng.randrange(40)}",
                    "due_date": (submitted_on + timedelta(days=14)).isoformat(),
                },
                headers={**headers, "Idempotency-Key": key + "-create"},
            )
            created.raise_for_status()
            grade = rng.choices(list(GRADE_WEIGHTS), weights=list(GRADE_WEIGHTS.values()))[0]
            submitted = client.post(
                f"{AUDITS}/v1/audits/{created.json()['id']}/submit",
                json={
                    "overall_grade": grade,
                    "themes": rng.sample(THEMES, rng.randrange(3)),
                    "child_voice_evident": rng.random() < 0.7,
                    "submitted_on": submitted_on.isoformat(),
                },
                headers={**headers, "Idempotency-Key": key + "-submit"},
            )
            submitted.raise_for_status()
            loaded += 1
    return loaded
