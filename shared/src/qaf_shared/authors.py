"""Who makes a write: the client and the person it acts for, on the service's business date.
A write service's use cases take it as one value (`who`), as their routes know it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from qaf_shared.dates import check_date
from qaf_shared.http.auth import Principal


@dataclass(frozen=True, slots=True)
class Author:
    """Who writes (the client and the person it acts for, `X-Actor`) and the service's today
    (`qaf_shared.clock.business_today`)."""

    principal: Principal
    actor: str
    today: date

    def date_of(self, field: str, day: date | None, *, not_before: date | None = None) -> date:
        """The date a body gives in `field` for what it records, or today when it gives none:
        never after today, nor before `not_before` (else a `RuleBroken` naming `body.field`)."""
        on = day or self.today
        check_date(f"body.{field}", on, today=self.today, not_before=not_before)
        return on
