"""Who makes a write: the client and the person it acts for, on the service's business date.
A write service's use cases take it as one value (`who`), as their routes know it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from qaf_shared.http.auth import Principal


@dataclass(frozen=True, slots=True)
class Author:
    """Who writes (the client and the person it acts for, `X-Actor`) and the service's today
    (`qaf_shared.clock.business_today`)."""

    principal: Principal
    actor: str
    today: date
