"""Load demo data through the services' public APIs (the real write path: auth, validation,
outbox, relay, Kafka, reporting). Run by `make run` unless DEMO=0.

Deterministic (seeded) and idempotent: every POST carries an Idempotency-Key derived from
the item, and nothing is loaded when the Deep Dive already shows audits in the first demo
quarter (the databases outlive a checkout, so the check asks the system, not a file)."""

from __future__ import annotations

import random
import sys
from datetime import date, timedelta

import httpx
from qaf_shared import devtoken
from qaf_shared.org_units import OrgUnitDirectory
from qaf_shared.quarters import previous_quarter, quarter_bounds, quarter_of

AUDITS = "http://127.0.0.1:8001"
REPORTS = "http://127.0.0.1:8004"
QUARTERS = 6
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


def quarters_back(today: date, count: int) -> list[str]:
    quarters = [quarter_of(today)]
    while len(quarters) < count:
        quarters.append(previous_quarter(quarters[-1]))
    return list(reversed(quarters))


def load(client: httpx.Client, tenant: str, rng: random.Random, today: date) -> int:
    headers = {
        "Authorization": f"Bearer {devtoken.mint(scopes='audits:write', tenant=tenant, subject='demo-loader')}",
        "X-Actor": "demo",
    }
    units = OrgUnitDirectory().tenant(tenant)
    assert units is not None
    teams = [t for districts in units.areas.values() for ts in districts.values() for t in ts]
    loaded = 0
    for quarter in quarters_back(today, QUARTERS):
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


def already_loaded(client: httpx.Client, today: date) -> bool:
    token = devtoken.mint(scopes="reports:read_unsuppressed", tenant="886", subject="demo-loader")
    response = client.get(
        f"{REPORTS}/v1/deep-dives/{quarters_back(today, QUARTERS)[0]}",
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    return bool(response.json()["audits"]["completed"])


def main() -> None:
    rng = random.Random(20261125)
    today = date.today()
    with httpx.Client(timeout=10) as client:
        if already_loaded(client, today):
            print("demo: the Deep Dive already holds demo data; nothing loaded")
            return
        total = sum(load(client, tenant, rng, today) for tenant in ("886", "887"))
    print(
        f"demo: loaded {total} submitted audits for Kent (886) and Medway (887) over {QUARTERS} quarters"
    )


if __name__ == "__main__":
    try:
        main()
    except httpx.HTTPError as exc:
        sys.exit(f"demo: loading failed: {exc}")
