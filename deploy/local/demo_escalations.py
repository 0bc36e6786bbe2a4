"""Demo escalations for `deploy/local/demo.py`, through escalation-service's public API."""

from __future__ import annotations

import random
from datetime import date

import httpx


def load(
    client: httpx.Client, tenant: str, rng: random.Random, today: date, quarters: list[str]
) -> int:
    """Nothing yet: escalation-service has no write API so far."""
    return 0
