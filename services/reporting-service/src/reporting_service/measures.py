"""The Deep Dive's measures for a set of units and quarters, built from the projections'
counts, with disclosure control applied across everything published together."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any

import asyncpg

from qaf_shared.enums import (
    AuditTheme,
    ComplaintStage,
    EscalationCategory,
    EscalationStage,
    FeedbackSource,
    Grade,
    PnCode,
)
from qaf_shared.org_units import TenantUnits
from reporting_service.disclosure import SUPPRESSED, Cell, mean, median, percentage, suppress

Unit = tuple[str, str]  # (kind, code)
Raw = dict[tuple[str, str], int]  # (measure, dimension) -> value, for one quarter and unit
CellId = tuple[str, str, str, str, str]  # quarter, unit kind, unit code, field, dimension


def _values(enum: type[StrEnum]) -> list[str]:
    return [e.value for e in enum]


# Published counts: (section, field, stored measure, dimension prefix, dimensions or None).
COUNTS: list[tuple[str, str, str, str, list[str] | None]] = [
    ("audits", "completed", "audits.completed", "", None),
    ("audits", "grades", "audits.grades", "", _values(Grade)),
    ("audits", "moderated", "audits.moderated", "", None),
    ("audits", "themes", "audits.themes", "", _values(AuditTheme)),
    ("audits", "actions_raised", "audits.actions_raised", "", None),
    ("audits", "actions_completed", "audits.actions_completed", "", None),
    ("audits", "actions_overdue_at_end", "audits.actions_overdue_at_end", "", None),
    ("audits", "safeguarding_concerns", "audits.safeguarding_concerns", "", None),
    ("escalations", "raised", "escalations.raised", "", None),
    ("escalations", "resolved", "escalations.resolved", "", None),
    ("escalations", "open_at_end", "escalations.open_at_end", "", None),
    ("escalations", "by_category", "escalations.raised", "category:", _values(EscalationCategory)),
    (
        "escalations",
        "by_stage_reached",
        "escalations.by_stage_reached",
        "",
        _values(EscalationStage),
    ),
    ("escalations", "breached_timescale", "escalations.breached_timescale", "", None),
    ("feedback", "by_source", "feedback.by_source", "", _values(FeedbackSource)),
    ("feedback", "cic_reviews", "feedback.cic_reviews", "", None),
    ("feedback", "complaints_received", "feedback.complaints_received", "", None),
    (
        "feedback",
        "complaints_by_stage",
        "feedback.complaints_by_stage",
        "",
        _values(ComplaintStage),
    ),
    ("feedback", "complaints_upheld", "feedback.complaints_upheld", "", None),
    ("feedback", "compliments", "feedback.compliments", "", None),
]

# Totals and the cells within one unit that add up to them.
WITHIN_UNIT = [
    ("audits.completed", "audits.grades"),
    ("escalations.raised", "escalations.by_stage_reached"),
    ("feedback.complaints_received", "feedback.complaints_by_stage"),
]

RUNNING = {"audits.actions_overdue_at_end", "escalations.open_at_end"}

_COUNTS_SQL = """
SELECT period, unit_kind, unit_code, measure, dimension, value FROM {schema}.counts
WHERE tenant = $1 AND grain = 'q' AND period = ANY($2::text[]) {units}
"""
_RUNNING_SQL = """
SELECT p.period, r.unit_kind, r.unit_code, r.measure, r.dimension, sum(r.value)::bigint AS value
FROM unnest($2::text[]) AS p(period)
JOIN {schema}.running r ON r.tenant = $1 AND r.grain = 'q' AND r.period <= p.period {units}
GROUP BY 1, 2, 3, 4, 5
"""
_UNITS_SQL = (
    "AND ({alias}unit_kind, {alias}unit_code) IN (SELECT * FROM unnest($3::text[], $4::text[]))"
)


async def read_raw(
    conn: asyncpg.Connection,
    schema: str,
    tenant: str,
    quarters: Sequence[str],
    units: Sequence[Unit] | None,
) -> dict[tuple[str, str, str], Raw]:
    """(quarter, kind, code) -> raw counts, for the given units (None: every unit)."""
    args: list[Any] = [tenant, list(quarters)]
    if units is not None:
        args += [[k for k, _ in units], [c for _, c in units]]
    out: dict[tuple[str, str, str], Raw] = {}
    for sql, alias in ((_COUNTS_SQL, ""), (_RUNNING_SQL, "r.")):
        unit_sql = _UNITS_SQL.format(alias=alias) if units is not None else ""
        for period, kind, code, measure, dimension, value in await conn.fetch(
            sql.format(schema=schema, units=unit_sql), *args
        ):
            out.setdefault((period, kind, code), {})[(measure, dimension)] = value
    return out


def children(units: TenantUnits, kind: str, code: str) -> list[Unit]:
    """The units directly under one, which partition it."""
    if kind == "tenant":
        return [("area", a) for a in units.areas] + [("service", s) for s in units.services]
    if kind == "area":
        return [("district", d) for d in units.areas[code]]
    if kind == "district":
        for districts in units.areas.values():
            if code in districts:
                return [("team", t) for t in districts[code]]
    return []


def _cells(raw: Raw) -> dict[tuple[str, str], int]:
    """The published count cells of one quarter and unit: (field id, dimension) -> value."""
    out: dict[tuple[str, str], int] = {}
    for section, field, measure, prefix, dims in COUNTS:
        name = f"{section}.{field}"
        if dims is None:
            out[(name, "")] = raw.get((measure, ""), 0)
        else:
            for dim in dims:
                out[(name, dim)] = raw.get((measure, prefix + dim), 0)
    return out


def build(
    raw: dict[tuple[str, str, str], Raw],
    quarters: Sequence[str],
    units: Sequence[Unit],
    tenant_units: TenantUnits,
    threshold: int | None,
) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Every section for every (quarter, unit) asked for, suppressed together when a
    threshold is given (None: raw figures)."""
    cells: dict[CellId, int] = {}
    for quarter in quarters:
        for kind, code in units:
            for (field, dim), value in _cells(raw.get((quarter, kind, code), {})).items():
                cells[(quarter, kind, code, field, dim)] = value
    shown: dict[CellId, Cell] = dict(cells)
    if threshold is not None:
        shown = suppress(cells, _groups(cells, quarters, units, tenant_units), threshold)
    # Each field's cells by dimension, in the order the cells were made.
    by_field: dict[tuple[str, str, str, str], dict[str, Cell]] = {}
    for (q, k, c, field, dim), cell in shown.items():
        by_field.setdefault((q, k, c, field), {})[dim] = cell
    return {
        (quarter, kind, code): _sections(
            quarter, kind, code, raw.get((quarter, kind, code), {}), by_field, threshold
        )
        for quarter in quarters
        for kind, code in units
    }


def _groups(
    cells: dict[CellId, int],
    quarters: Sequence[str],
    units: Sequence[Unit],
    tenant_units: TenantUnits,
) -> Iterable[tuple[CellId, list[CellId]]]:
    present = set(units)
    fields = {(f, d) for (_, _, _, f, d) in cells}
    by_field: dict[tuple[str, str, str, str], list[CellId]] = {}
    for key in cells:
        by_field.setdefault(key[:4], []).append(key)
    for quarter in quarters:
        for kind, code in units:
            for total, parts in WITHIN_UNIT:
                yield (
                    (quarter, kind, code, total, ""),
                    by_field.get((quarter, kind, code, parts), []),
                )
            below = [u for u in children(tenant_units, kind, code) if u in present]
            if below:
                for field, dim in fields:
                    yield (
                        (quarter, kind, code, field, dim),
                        [(quarter, k, c, field, dim) for k, c in below],
                    )


def _sections(
    quarter: str,
    kind: str,
    code: str,
    raw: Raw,
    by_field: dict[tuple[str, str, str, str], dict[str, Cell]],
    threshold: int | None,
) -> dict[str, Any]:
    def cell(field: str, dim: str = "") -> Cell:
        return by_field[(quarter, kind, code, field)][dim]

    def group(field: str) -> dict[str, Cell]:
        return dict(by_field.get((quarter, kind, code, field), {}))

    def hidden(value: int) -> bool:
        """A count that is not published but feeds a rate: small ones hide the rate too."""
        return threshold is not None and 1 <= value <= threshold

    out: dict[str, dict[str, Any]] = {"audits": {}, "escalations": {}, "feedback": {}}
    for section, field, _, _, dims in COUNTS:
        out[section][field] = (
            cell(f"{section}.{field}") if dims is None else group(f"{section}.{field}")
        )

    grades = out["audits"]["grades"]
    good = _add(grades[Grade.OUTSTANDING.value], grades[Grade.GOOD.value])
    out["audits"]["good_or_better_pct"] = percentage(good, out["audits"]["completed"])
    agreed = raw.get(("audits.moderation_agreed", ""), 0)
    out["audits"]["moderation_agreement_pct"] = (
        SUPPRESSED if hidden(agreed) else percentage(agreed, out["audits"]["moderated"])
    )

    resolved = out["escalations"]["resolved"]
    days = {int(d): v for (m, d), v in raw.items() if m == "escalations.resolve_days" and v}
    out["escalations"]["median_working_days_to_resolve"] = (
        SUPPRESSED if resolved == SUPPRESSED else median(days)
    )
    early = raw.get(("escalations.resolved_early", ""), 0)
    out["escalations"]["resolved_early_pct"] = (
        SUPPRESSED if hidden(early) else percentage(early, resolved)
    )

    questions = sorted({d for (m, d) in raw if m == "feedback.answer_count"})
    out["feedback"]["conference_question_means"] = {
        q: mean(
            raw.get(("feedback.answer_sum", q), 0),
            raw.get(("feedback.answer_count", q), 0),
            threshold,
        )
        for q in questions
    }
    reviews = out["feedback"]["cic_reviews"]
    pn = {p: raw.get(("feedback.pn_codes", p), 0) for p in _values(PnCode)}
    participated = sum(pn[p] for p in ("PN1", "PN2", "PN3", "PN4", "PN5", "PN6"))
    eligible = sum(pn.values()) - pn["PN0"]
    out["feedback"]["cic_participation_pct"] = (
        SUPPRESSED
        if reviews == SUPPRESSED or hidden(participated) or hidden(eligible)
        else percentage(participated, eligible)
    )
    return out


def _add(*cells: Cell) -> Cell:
    if any(isinstance(c, str) for c in cells):
        return SUPPRESSED
    return sum(int(c) for c in cells)
