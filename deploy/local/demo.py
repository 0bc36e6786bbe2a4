"""Load demo data through the services' public APIs (the real write path: auth, validation,
outbox, relay, Kafka, reporting). Run by `make run` unless DEMO=0.

Deterministic (seeded) and idempotent: every POST carries an Idempotency-Key derived from
the item, and nothing is loaded when the Deep Dive already shows audits in the first demo
quarter (the databases outlive a checkout, so the check asks the system, not a file).
Each service's loader is its own module beside this one (`demo_<service>.py`)."""

from __future__ import annotations

import random
import sys
import time
from datetime import date
from pathlib import Path

import httpx

from qaf_shared import devtoken
from qaf_shared.quarters import previous_quarter, quarter_of

sys.path.insert(0, str(Path(__file__).parent))
import demo_activity
import demo_audits
import demo_benchmarks
import demo_escalations
import demo_feedback

REPORTS = "http://127.0.0.1:8004"
QUARTERS = 6
TENANTS = ("886", "887")
LOADERS = {
    "audits": demo_audits.load,
    "escalations": demo_escalations.load,
    "feedback": demo_feedback.load,
    # The returns first, then what the case-management system fed since: a later write wins.
    "activity returns": demo_activity.load_returns,
    "activity records": demo_activity.load,
}


def quarters_back(today: date, count: int) -> list[str]:
    """The `count` quarters up to and including today's, oldest first."""
    quarters = [quarter_of(today)]
    while len(quarters) < count:
        quarters.append(previous_quarter(quarters[-1]))
    return list(reversed(quarters))


def already_loaded(client: httpx.Client, first_quarter: str) -> set[str]:
    """The domains whose demo data the Deep Dive already shows in the first demo quarter
    (activity-service's, which the Deep Dive does not show yet, it tells itself)."""
    token = devtoken.mint(
        scopes="reports:read_unsuppressed", tenant=TENANTS[0], subject="demo-loader"
    )
    response = client.get(
        f"{REPORTS}/v1/deep-dives/{first_quarter}", headers={"Authorization": f"Bearer {token}"}
    )
    response.raise_for_status()
    body = response.json()
    shown = {
        "audits": body["audits"]["completed"],
        "escalations": body["escalations"]["raised"],
        "feedback": sum(body["feedback"]["by_source"].values()),
    }
    # The synthetic reference file, for every tenant at once.
    shown["benchmarks"] = len(body.get("benchmarks") or {})
    shown["activity records"] = demo_activity.has_records(client, TENANTS[0])
    shown["activity returns"] = demo_activity.returns_loaded(client, TENANTS[0])
    return {name for name, value in shown.items() if value}


def main() -> None:
    rng = random.Random(20261125)
    today = date.today()
    quarters = quarters_back(today, QUARTERS)
    loaders = dict(LOADERS)
    with httpx.Client(timeout=30) as client:
        present = already_loaded(client, quarters[0])
        if "benchmarks" not in present:
            print(f"demo: loaded {demo_benchmarks.load(client)} synthetic benchmark figures")
        if present >= set(loaders):
            print("demo: the Deep Dive already holds demo data; nothing loaded")
            return
        loaded = dict.fromkeys(loaders, 0)
        took = dict.fromkeys(loaders, 0.0)
        for tenant in TENANTS:
            for name, load in loaders.items():
                if name not in present:
                    started = time.monotonic()
                    loaded[name] += load(client, tenant, rng, today, quarters)
                    took[name] += time.monotonic() - started
    summary = ", ".join(f"{n} {name} ({took[name]:.1f}s)" for name, n in loaded.items())
    print(f"demo: loaded {summary} for Kent (886) and Medway (887) over {QUARTERS} quarters")


if __name__ == "__main__":
    try:
        main()
    except httpx.HTTPError as exc:
        sys.exit(f"demo: loading failed: {exc}")
