"""Audit programme rules, free of I/O: periods, what each kind needs, which scopes a tenant's
org units allow, whether an audit's org unit falls within a programme's scope, and when a
programme is overdue."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from qaf_shared.enums import AuditStatus, ProgrammeKind
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.org_units import TenantUnits

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


def scope_errors(
    units: TenantUnits, *, area: str | None, district: str | None, service: str | None
) -> list[tuple[str, str]]:
    """The scope names an area, a district (of that area) or a service, all of the tenant."""
    errors = []
    if area is not None and units.kind_of(area) != "area":
        errors.append(("body.area", f"unknown area {area!r} for tenant {units.tenant}"))
    if district is not None:
        if units.kind_of(district) != "district":
            errors.append(
                ("body.district", f"unknown district {district!r} for tenant {units.tenant}")
            )
        elif area is not None and district not in units.areas.get(area, {}):
            errors.append(("body.district", f"not a district of {area}"))
    if service is not None:
        if units.kind_of(service) != "service":
            errors.append(
                ("body.service", f"unknown service {service!r} for tenant {units.tenant}")
            )
        if area is not None or district is not None:
            errors.append(("body.service", "a programme covers a service or an area, not both"))
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


def programme_is_overdue(due_date: date, by_status: Mapping[str, int], today: date) -> bool:
    """Past its due date with audits still unsubmitted (scheduled or in progress)."""
    unsubmitted = by_status.get(AuditStatus.SCHEDULED, 0) + by_status.get(
        AuditStatus.IN_PROGRESS, 0
    )
    return today > due_date and unsubmitted > 0
