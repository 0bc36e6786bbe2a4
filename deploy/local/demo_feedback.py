"""Demo feedback for `deploy/local/demo.py`, through feedback-service's public API."""

from __future__ import annotations

import random
from datetime import date

import httpx


def load(
    client: httpx.Client, tenant: str, rng: random.Random, today: date, quarters: list[str]
) -> int:
    """Nothing yet: feedback-service has no write API so far."""
    return 0
