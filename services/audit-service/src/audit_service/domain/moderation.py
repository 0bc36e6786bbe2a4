"""Choosing audits for stage 3 moderation: a random share (the tenant's rate), decided when
peer review completes, from a recorded seed so that anyone can show the choice was random
and reproduce it:

    draw = first 8 bytes of SHA-256(seed as UTF-8), big-endian, / 2**64    (0 <= draw < 1)
    selected = draw < rate

The seed comes from the operating system's secure random source, so nobody choosing it can
steer an audit in or out of moderation."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class Selection:
    seed: str
    draw: float
    rate: float
    selected: bool


def new_seed() -> str:
    return secrets.token_hex(16)


def draw(seed: str) -> float:
    digest = hashlib.sha256(seed.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def select(rate: float, seed: str | None = None) -> Selection:
    """Decide one audit: with a fresh seed in service, with a given one to reproduce."""
    if not 0 <= rate <= 1:
        raise ValueError("the moderation rate is a share from 0 to 1")
    seed = seed if seed is not None else new_seed()
    value = draw(seed)
    return Selection(seed=seed, draw=value, rate=rate, selected=value < rate)
