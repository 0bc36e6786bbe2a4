"""Audit programme rules, free of I/O: periods, what each kind needs, and whether an audit's
org unit falls within a programme's scope."""

from __future__ import annotations

import re

from qaf_shared.enums import ProgrammeKind
from qaf_shared.events.payloads import OrgUnitRef

# A month (`2026-04`) or a financial-year quarter (`FY2026Q1`).
PERIOD_PATTERN = r"^(\d{4}-(0[1-9]|1[0-2])|FY\d{4}Q[1-4])$"
_PERIOD = re.compile(PERIOD_PATTERN)


def is_period(value: str) -> bool:
    return bool(_PERIOD.match(value))


def kind_errors(
    kind: ProgrammeKind, *, theme: str | None, hypothesis: str | None, area: str | None
) -> list[tuple[str, str]]:
    """A themed programme states its theme and hypothesis; an area programme its area."""
    errors = []
    if kind is ProgrammeKind.THEMED:
        if theme is None:
            errors.append(("body.theme", "a THEMED programme has a theme"))
        if hypothesis is None:
            errors.append(("body.hypothesis", "a THEMED programme has a hypothesis"))
    if kind is ProgrammeKind.AREA and area is None:
        errors.append(("body.area", "an AREA programme names its area"))
    return errors


def within_scope(
    unit: OrgUnitRef, *, area: str | None, district: str | None, service: str | None
) -> bool:
    """Whether an audit's unit lies in a programme's scope (no scope: the whole tenant)."""
    if service is not None:
        return unit.service == service
    if district is not None:
        return unit.district == district
    if area is not None:
        return unit.area == area
    return True
