"""Reporting routes: the Deep Dive, the trends of any of its figures, escalation trends and
flat aggregates. Every read comes from the maintained projections of the active generation."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import asyncpg
from fastapi import APIRouter, Query, Request
from prometheus_client import Counter
from starlette.responses import Response

from qaf_shared.clock import business_today
from qaf_shared.http.auth import Principal
from qaf_shared.http.org_units import UnitCode, tenant_units
from qaf_shared.http.problems import Problem, field_error
from qaf_shared.http.resources import json_response
from qaf_shared.org_units import TenantUnits
from qaf_shared.quarters import parse_quarter, previous_quarter, quarter_of
from reporting_service.api.deps import QuarterPath, Reader
from reporting_service.api.readcache import Build, report_cache
from reporting_service.api.schemas.csv_rows import CSV_RESPONSE, csv_response, unit_rows
from reporting_service.api.schemas.reports import (
    AggregatesOut,
    DeepDiveOut,
    MeasureTrendsOut,
    TrendsOut,
)
from reporting_service.domain import benchmarks, measures, publication, trends
from reporting_service.domain.disclosure import Cell
from reporting_service.domain.measures import Raw
from reporting_service.repository import benchmarks as reference
from reporting_service.repository import counts, publications

router = APIRouter(prefix="/v1", tags=["reports"])
# Every Deep Dive figure by its dotted name, and its dimensions (None: it has none; empty:
# open-ended), read off the Deep Dive's own sections.
MEASURES = measures.catalogue(publication.Decision("FY2025Q1", {}, None))
INLINE_DECISIONS = Counter(
    "qa_report_inline_decisions_total",
    "Quarters' disclosure decisions solved on a read (no published snapshot yet)",
)


@dataclass(frozen=True)
class Report:
    """A report request, checked: what its answer is kept by (`key`, over the figures of
    `tenants`, readcache.py) and how it is built. The routes answer it through the report
    cache; the fast path (api/fast_reads.py) answers a kept one itself."""

    key: Hashable
    tenants: tuple[str, ...]
    build: Build

    async def respond(self, request: Request) -> Response:
        """The answer: kept, or built now and kept."""
        pool = request.app.state.pool
        return await report_cache(request).respond(pool, self.key, self.build, self.tenants)


def _quarter(raw: str) -> tuple[str, bool]:
    """The quarter of a path, and whether it asked for CSV (`FY2026Q1.csv`)."""
    quarter, as_csv = (raw[:-4], True) if raw.endswith(".csv") else (raw, False)
    try:
        parse_quarter(quarter)
    except ValueError:
        raise Problem(404, f"No such quarter {raw!r}: quarter ids look like FY2026Q1.") from None
    return quarter, as_csv


def _wants_csv(request: Request, suffix: bool) -> bool:
    return suffix or "text/csv" in request.headers.get("accept", "")


def thresholds(request: Request, principal: Principal) -> tuple[int, int | None]:
    """The tenant's threshold, and the one to apply (None for reports:read_unsuppressed)."""
    threshold: int = request.app.state.settings.suppression_threshold
    return threshold, (None if "reports:read_unsuppressed" in principal.scopes else threshold)


def report_unit(units: TenantUnits, tenant: str, code: str | None) -> tuple[str, str]:
    if code is None:
        return "tenant", tenant
    kind = units.kind_of(code)
    if kind not in ("area", "service"):
        raise field_error("query.unit", f"{code!r} is not an area or service of tenant {tenant}")
    return kind, code


async def quarter_decisions(
    request: Request,
    conn: asyncpg.Connection,
    schema: str,
    tenant: str,
    quarters: Iterable[str],
    applied: int | None,
) -> dict[str, publication.Decision]:
    """Each quarter's one disclosure decision: its published snapshot (repository/
    publications.py), made by the publisher with the configured threshold over the tenant's
    unit tree, so every view of the quarter shows the snapshot's figures and decision
    (`applied` None, reports:read_unsuppressed: the snapshot's figures, nothing hidden).
    A quarter with no snapshot for the current settings (never published: just after a
    rebuild or the first start) is decided here over its current figures, kept by them so
    that every view over the same figures shows the same decision, and marked for the
    publisher."""
    units = tenant_units(request, tenant)
    threshold: int = request.app.state.settings.suppression_threshold
    digest = publications.units_digest(units)
    cache = report_cache(request)
    wanted = list(dict.fromkeys(quarters))
    found = await publications.published(conn, schema, tenant, wanted)

    def key(quarter: str, of: publications.Published) -> tuple[object, ...]:
        return ("snapshot", schema, tenant, quarter, of.changes, of.threshold, of.units)

    decided: dict[str, publication.Decision] = {}
    usable = {q: of for q, of in found.items() if of.threshold == threshold and of.units == digest}
    to_load = [q for q, of in usable.items() if cache.kept(key(q, of)) is None]
    if to_load:
        for quarter, (of, decision) in (
            await publications.snapshots(conn, schema, tenant, to_load)
        ).items():
            cache.keep(key(quarter, of), decision)
    for quarter, of in usable.items():
        # Replaced since `published` (a newer snapshot): this read decides it inline.
        decision = cache.kept(key(quarter, of))
        if decision is not None:
            decided[quarter] = decision
    missing = [q for q in wanted if q not in decided]
    if applied is None:
        decided = {q: publication.Decision(q, d.raw, None) for q, d in decided.items()}
    if missing:
        inline = await _decide_inline(request, conn, schema, tenant, missing, units, applied)
        decided |= inline
        # For the publisher: quarters with figures, up to today's by the app's business
        # clock. Not an empty quarter nor a later one (any quarter id can be asked for; a
        # published far-future quarter would have every change of a state mark every quarter
        # up to it).
        today = quarter_of(business_today(request))
        marked = [q for q in missing if q <= today and inline[q].raw]
        if marked:
            await publications.mark_unpublished(conn, schema, tenant, marked)
    return decided


async def _decide_inline(
    request: Request,
    conn: asyncpg.Connection,
    schema: str,
    tenant: str,
    quarters: list[str],
    units: TenantUnits,
    threshold: int | None,
) -> dict[str, publication.Decision]:
    """Quarters without a usable snapshot, decided over their current figures (one query for
    all of them), each kept by its figures (`threshold` None: nothing hidden, nothing
    solved)."""
    tree = (tuple((a, tuple(ds.items())) for a, ds in units.areas.items()), units.services)
    raws = await counts.read_quarters(conn, schema, tenant, quarters)
    out: dict[str, publication.Decision] = {}
    for quarter, raw in raws.items():

        async def decide(
            raw: dict[tuple[str, str, str], Raw] = raw, quarter: str = quarter
        ) -> publication.Decision:
            if threshold is None:
                return publication.decide(raw, quarter, tenant, units, None)
            INLINE_DECISIONS.inc()
            # Seconds of CPU for a large tenant (the integer programs, docs/measures.md): in a
            # thread, the event loop keeps answering other reads meanwhile.
            return await asyncio.to_thread(
                publication.decide, raw, quarter, tenant, units, threshold
            )

        figures = frozenset(
            (unit, cell, value) for unit, cells in raw.items() for cell, value in cells.items()
        )
        key = ("decision", tenant, quarter, threshold, tree, figures)
        out[quarter] = await report_cache(request).shared(key, decide)
    return out


def reading(request: Request, tenant: str, kind: str = "") -> tuple[str, ...]:
    """The tenants whose figures a report of `tenant` shows: its own, and for the tenant's
    own Deep Dive its benchmark peers' (`comparisons`)."""
    if kind != "tenant":
        return (tenant,)
    peers = benchmarks.peer_tenants(tenant, request.app.state.settings.benchmark_peers)
    return (tenant, *peers)


def breakdown_units(units: TenantUnits, kind: str, code: str) -> list[tuple[str, str]]:
    """The units of a Deep Dive's breakdown: the tenant's areas and services; an area's
    districts and their teams."""
    below = measures.children(units, kind, code)
    if kind == "area":
        below = below + [t for d in below for t in measures.children(units, *d)]
    return below


def deep_dive_body(
    decided: dict[str, publication.Decision],
    tenant: str,
    quarter: str,
    unit: tuple[str, str],
    below: list[tuple[str, str]],
    threshold: int,
    applied: int | None,
    compared: Mapping[str, Any],
) -> dict[str, Any]:
    """The Deep Dive of `unit` from the decisions of its quarter and the one before, and
    its comparison with other authorities (`comparisons`): the JSON response's body, and
    what the pack (api/pack.py) is made of."""
    kind, code = unit
    previous = previous_quarter(quarter)

    def sections(period: str, k: str, c: str) -> dict[str, Any]:
        return measures.sections(decided[period], period, k, c)

    return {
        "tenant": tenant,
        "quarter": quarter,
        "unit": {"code": code, "kind": kind},
        "suppression": {"applied": applied is not None, "threshold": threshold},
        **sections(quarter, kind, code),
        **compared,
        "previous": {"quarter": previous, **sections(previous, kind, code)},
        "breakdown": [
            {"unit": {"code": c, "kind": k}, **sections(quarter, k, c)} for k, c in below
        ],
    }


async def comparisons(
    request: Request,
    conn: asyncpg.Connection,
    schema: str,
    tenant: str,
    quarter: str,
    kind: str,
    decided: Mapping[str, publication.Decision],
) -> dict[str, Any]:
    """The Deep Dive's blocks that compare the authority with others: its `benchmarks`,
    for the tenant's own Deep Dive only."""
    if kind != "tenant":
        return {}
    own = _activity(decided[quarter], quarter, tenant)
    return {"benchmarks": await _benchmarks(request, conn, schema, tenant, quarter, own)}


def _activity(decision: publication.Decision, quarter: str, tenant: str) -> dict[str, Cell]:
    """The tenant's `activity` figures as the decision shows them, by benchmark measure."""
    section = measures.sections(decision, quarter, "tenant", tenant).get("activity", {})
    return benchmarks.flatten(section)


async def _benchmarks(
    request: Request,
    conn: asyncpg.Connection,
    schema: str,
    tenant: str,
    quarter: str,
    own: Mapping[str, Cell],
) -> dict[str, dict[str, Cell]]:
    """The tenant's `benchmarks` block for the quarter (`own`: its activity figures as this
    reader sees them). Peers' figures are always their published ones, whoever reads."""
    settings = request.app.state.settings
    year = parse_quarter(quarter)[0]
    version = await reference.version(conn)

    async def load() -> benchmarks.Reference:
        return benchmarks.Reference(
            measures=await reference.latest_figures(conn, year),
            neighbours=await reference.neighbours(conn, tenant),
            region=settings.benchmark_regions.get(tenant),
        )

    ref = await report_cache(request).shared(("benchmarks", version, year, tenant), load)
    peers: dict[str, list[Cell]] = {}
    threshold: int = settings.suppression_threshold
    for peer in benchmarks.peer_tenants(tenant, settings.benchmark_peers):
        if request.app.state.org_units.tenant(peer) is None:
            continue  # a tenant this deployment has no figures for
        decided = await quarter_decisions(request, conn, schema, peer, [quarter], threshold)
        for measure, figure in _activity(decided[quarter], quarter, peer).items():
            peers.setdefault(measure, []).append(figure)
    return benchmarks.block(own, ref, peers)


@router.get("/deep-dives/{quarter}", response_model=DeepDiveOut, responses=CSV_RESPONSE)
async def get_deep_dive(
    request: Request,
    quarter: QuarterPath,
    principal: Reader,
    unit: Annotated[
        UnitCode | None, Query(description="An area or service code; default the whole tenant")
    ] = None,
) -> Response:
    """The quarter's Deep Dive for the tenant or one area or service, with the previous
    quarter and the breakdown (districts and teams of an area; areas and services of the
    tenant). Small counts are suppressed unless the token holds `reports:read_unsuppressed`.
    `Accept: text/csv` or a `.csv` suffix gives the same figures as flat CSV rows."""
    return await deep_dive(request, principal, quarter, unit).respond(request)


def deep_dive(request: Request, principal: Principal, quarter: str, unit: str | None) -> Report:
    """`GET /v1/deep-dives/{quarter}` of `principal` (its path's quarter, as given), checked
    (a Problem when it is refused)."""
    quarter, suffix = _quarter(quarter)
    units = tenant_units(request, principal.tenant)
    kind, code = report_unit(units, principal.tenant, unit)
    threshold, applied = thresholds(request, principal)
    previous = previous_quarter(quarter)
    as_csv = _wants_csv(request, suffix)

    async def build(conn: asyncpg.Connection, schema: str) -> Response:
        below = breakdown_units(units, kind, code)
        decided = await quarter_decisions(
            request, conn, schema, principal.tenant, [quarter, previous], applied
        )

        def sections(period: str, k: str, c: str) -> dict[str, Any]:
            return measures.sections(decided[period], period, k, c)

        compared = await comparisons(
            request, conn, schema, principal.tenant, quarter, kind, decided
        )
        if as_csv:
            rows = [
                *unit_rows(quarter, kind, code, sections(quarter, kind, code)),
                *unit_rows(quarter, kind, code, compared),
                *unit_rows(previous, kind, code, sections(previous, kind, code)),
            ]
            for k, c in below:
                rows.extend(unit_rows(quarter, k, c, sections(quarter, k, c)))
            return csv_response(rows, f"deep-dive-{principal.tenant}-{code}-{quarter}.csv")
        return json_response(
            deep_dive_body(
                decided,
                principal.tenant,
                quarter,
                (kind, code),
                below,
                threshold,
                applied,
                compared,
            )
        )

    key = ("deep-dive", principal.tenant, quarter, kind, code, threshold, applied, as_csv)
    return Report(key, reading(request, principal.tenant, kind), build)


@router.get("/aggregates/{quarter}", response_model=AggregatesOut, responses=CSV_RESPONSE)
async def get_aggregates(request: Request, quarter: QuarterPath, principal: Reader) -> Response:
    """Every measure for every unit of the tenant as flat rows
    `{quarter, unit, unit_kind, measure, dimension, value}`; JSON, or CSV with
    `Accept: text/csv` or a `.csv` suffix."""
    quarter, suffix = _quarter(quarter)
    units = tenant_units(request, principal.tenant)
    _, applied = thresholds(request, principal)
    everything = publication.every_unit(principal.tenant, units)
    as_csv = _wants_csv(request, suffix)

    async def build(conn: asyncpg.Connection, schema: str) -> Response:
        decision = (
            await quarter_decisions(request, conn, schema, principal.tenant, [quarter], applied)
        )[quarter]
        rows = [
            row
            for k, c in everything
            for row in unit_rows(quarter, k, c, measures.sections(decision, quarter, k, c))
        ]
        if as_csv:
            return csv_response(rows, f"aggregates-{principal.tenant}-{quarter}.csv")
        return json_response(
            {
                "tenant": principal.tenant,
                "quarter": quarter,
                "suppression": {"applied": applied is not None},
                "rows": rows,
            }
        )

    key = ("aggregates", principal.tenant, quarter, applied, as_csv)
    pool = request.app.state.pool
    return await report_cache(request).respond(pool, key, build, (principal.tenant,))


@router.get("/escalation-trends", response_model=TrendsOut)
async def get_escalation_trends(
    request: Request,
    principal: Reader,
    from_: Annotated[str | None, Query(alias="from", pattern=r"^FY\d{4}Q[1-4]$")] = None,
    to: Annotated[str | None, Query(pattern=r"^FY\d{4}Q[1-4]$")] = None,
    by: Literal["category", "stage", "area", "service"] = "category",
    granularity: Literal["quarter", "month"] = "quarter",
    unit: Annotated[
        UnitCode | None, Query(description="An area or service; default the whole tenant")
    ] = None,
) -> Response:
    """Escalations raised, resolved and open at the end of each period of a range (default the
    last five quarters), by category, stage (raised: the stage it opened at; resolved: the
    stage it was resolved at; open: its stage at the period's end), area or service."""
    return await escalation_trends(request, principal, from_, to, by, granularity, unit).respond(
        request
    )


def escalation_trends(
    request: Request,
    principal: Principal,
    from_: str | None,
    to: str | None,
    by: str,
    granularity: str,
    unit: str | None,
) -> Report:
    """`GET /v1/escalation-trends` of `principal` with its query's values (as validated by
    the route's parameters), checked (a Problem when it is refused)."""
    units = tenant_units(request, principal.tenant)
    first, last = _range(request, from_, to)
    scope = report_unit(units, principal.tenant, unit)
    if by in ("area", "service") and scope[0] != "tenant" and scope[0] != by:
        raise field_error("query.by", f"a {scope[0]} has no {by} breakdown")
    _, applied = thresholds(request, principal)

    async def build(conn: asyncpg.Connection, schema: str) -> Response:
        quarters = trends.quarters_between(first, last)
        decided = await quarter_decisions(
            request, conn, schema, principal.tenant, quarters, applied
        )
        body = trends.trend_body(
            decided,
            units=units,
            first=first,
            last=last,
            by=by,
            granularity=granularity,
            unit=scope,
            applied=applied is not None,
        )
        return json_response(body)

    key = ("trends", principal.tenant, first, last, by, granularity, scope, applied)
    return Report(key, (principal.tenant,), build)


def _range(request: Request, from_: str | None, to: str | None) -> tuple[str, str]:
    """A trend's quarters: as asked, else the last five to today's; refused (422) when
    reversed or longer than the cap."""
    first, last = trends.default_range(business_today(request))
    first, last = from_ or first, to or last
    try:
        trends.validate_range(first, last)
    except ValueError as exc:
        raise field_error("query.from", str(exc)) from None
    return first, last


def _dimension(measure: str, dimension: str | None) -> str | None:
    """The dimension asked for, checked against the measure's: required for a figure with
    dimensions, refused for one without (each series point is one number)."""
    if measure not in MEASURES:
        raise field_error("query.measure", "not a Deep Dive measure: one of " + ", ".join(MEASURES))
    dims = MEASURES[measure]
    if dims is None:
        if dimension is not None:
            raise field_error("query.dimension", f"{measure} has no dimensions")
        return None
    if dimension is None:
        raise field_error("query.dimension", f"{measure} needs a dimension")
    if dims and dimension not in dims:
        raise field_error("query.dimension", f"{measure}'s dimensions are " + ", ".join(dims))
    return dimension


@router.get("/trends", response_model=MeasureTrendsOut)
async def get_trends(
    request: Request,
    principal: Reader,
    measure: Annotated[
        str,
        Query(
            description="A Deep Dive figure by its dotted name, as the aggregates name it",
            json_schema_extra={"enum": list(MEASURES)},
        ),
    ],
    dimension: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern=r"^[A-Za-z0-9_\-]+$",
            description="Required for a figure with dimensions (`audits.grades`: `GOOD`), "
            "refused for the others",
        ),
    ] = None,
    from_: Annotated[str | None, Query(alias="from", pattern=r"^FY\d{4}Q[1-4]$")] = None,
    to: Annotated[str | None, Query(pattern=r"^FY\d{4}Q[1-4]$")] = None,
    by: Annotated[
        Literal["area", "service", "district"] | None,
        Query(description="One series per unit of this kind; default one series, for `unit`"),
    ] = None,
    granularity: Literal["quarter", "month"] = "quarter",
    unit: Annotated[
        UnitCode | None,
        Query(description="An area or service; default the whole tenant"),
    ] = None,
) -> Response:
    """One Deep Dive figure in each quarter or month of a range (default the last five
    quarters; at most 60), for the tenant or one area or service (`unit`), or per area,
    service or district of it (`by`). A month's figure is computed from the month's counts
    the way the quarter's is from the quarter's; every figure is suppressed exactly as the
    Deep Dive, the aggregates and the escalation trends show it."""
    return await measure_trends(
        request, principal, measure, dimension, from_, to, by, granularity, unit
    ).respond(request)


def measure_trends(
    request: Request,
    principal: Principal,
    measure: str,
    dimension: str | None,
    from_: str | None,
    to: str | None,
    by: str | None,
    granularity: str,
    unit: str | None,
) -> Report:
    """`GET /v1/trends` of `principal` with its query's values (as validated by the
    route's parameters), checked (a Problem when it is refused)."""
    units = tenant_units(request, principal.tenant)
    dim = _dimension(measure, dimension)
    first, last = _range(request, from_, to)
    scope = report_unit(units, principal.tenant, unit)
    try:
        series = trends.series_units(units, scope, by)
    except ValueError as exc:
        raise field_error("query.by", str(exc)) from None
    _, applied = thresholds(request, principal)

    async def build(conn: asyncpg.Connection, schema: str) -> Response:
        quarters = trends.quarters_between(first, last)
        decided = await quarter_decisions(
            request, conn, schema, principal.tenant, quarters, applied
        )
        body = trends.measure_trend_body(
            decided,
            measure=measure,
            dimension=dim,
            first=first,
            last=last,
            by=by,
            granularity=granularity,
            scope=scope,
            series=series,
            applied=applied is not None,
        )
        return json_response(body)

    key = ("measure-trends", principal.tenant, measure, dim, first, last, by, granularity, scope)
    return Report((*key, applied), (principal.tenant,), build)
