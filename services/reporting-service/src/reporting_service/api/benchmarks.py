"""Loading the benchmark reference data: published figures and the neighbour model, each a
CSV file that replaces what it covers (docs/measures.md, "Benchmarks")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request

from qaf_shared.clock import business_today
from qaf_shared.http.auth import Actor, Principal, requires
from qaf_shared.http.problems import Problem, problem_responses
from qaf_shared.logging import get_logger
from qaf_shared.quarters import parse_quarter, quarter_of
from reporting_service.api.readcache import report_cache
from reporting_service.api.schemas.benchmarks import NeighboursLoaded, ValuesLoaded
from reporting_service.domain import benchmark_files
from reporting_service.repository import benchmarks
from reporting_service.repository.benchmarks import Loader

router = APIRouter(prefix="/v1/benchmarks", tags=["benchmarks"])
log = get_logger(__name__)

# Reference data is the same for every tenant, so loading it takes a scope of its own.
ReferenceAdmin = Annotated[Principal, requires("reports:admin")]

# The body is the file itself (a CSV body rather than a multipart form: one file, no other
# fields, and `curl --data-binary @file` sends it); the shared request limit (1 MiB) bounds
# it, which a year of every authority's figures fits in many times over.
_CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}
_LOAD_PROBLEMS = problem_responses(413, 415, 422)


async def _csv(request: Request) -> bytes:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "text/csv":
        raise Problem(415, "The file must be sent as text/csv.")
    return await request.body()


@router.post("", response_model=ValuesLoaded, responses=_LOAD_PROBLEMS, openapi_extra=_CSV_BODY)
async def load_values(request: Request, principal: ReferenceAdmin, actor: Actor) -> dict[str, Any]:
    """Load published figures (CSV `year, area_code, area_level, measure, value`): every
    figure of the years the file gives is replaced by the file's, in one transaction; other
    years are untouched. A file with any error is refused whole (422, each error naming its
    row and column) and nothing changes."""
    body = await _csv(request)
    latest_year = parse_quarter(quarter_of(business_today(request)))[0]
    rows = benchmark_files.read_values(body, latest_year=latest_year)
    async with request.app.state.pool.acquire() as conn:
        years, replaced = await benchmarks.replace_values(
            conn, rows, Loader(principal.client, actor)
        )
    report_cache(request).stale()
    log.info("benchmarks_loaded", kind="values", rows=len(rows), years=len(years))
    return {
        "years": years,
        "rows": len(rows),
        "replaced": replaced,
        "measures": len({r.measure for r in rows}),
        "areas": len({(r.area_level, r.area_code) for r in rows}),
    }


@router.post(
    "/neighbours",
    response_model=NeighboursLoaded,
    responses=_LOAD_PROBLEMS,
    openapi_extra=_CSV_BODY,
)
async def load_neighbours(
    request: Request, principal: ReferenceAdmin, actor: Actor
) -> dict[str, Any]:
    """Load the statistical neighbour model (CSV `la_code, rank, neighbour_la_code`): the
    neighbours of every LA the file names are replaced by the file's, in one transaction;
    other LAs keep theirs. A file with any error is refused whole (422) and nothing changes."""
    rows = benchmark_files.read_neighbours(await _csv(request))
    async with request.app.state.pool.acquire() as conn:
        las, replaced = await benchmarks.replace_neighbours(
            conn, rows, Loader(principal.client, actor)
        )
    report_cache(request).stale()
    log.info("benchmark_neighbours_loaded", rows=len(rows), las=len(las))
    return {"las": las, "rows": len(rows), "replaced": replaced}
